//! The sans-IO process contract: a protocol node (or client) reacts to start, message and timer
//! events by pushing effects into its `Ctx`. It never performs I/O, reads a clock or spawns.

use crate::ctx::Ctx;
use crate::ids::NodeId;
use crate::ops::Op;
use crate::view::NodeView;
use serde::Serialize;
use std::fmt::Debug;
use std::hash::Hash;

/// A message on the simulated network. `kind` is a short stable label ("VoteGranted") used by
/// crash points, traces, filters and reports. `Hash` feeds the run's rolling trace hash.
pub trait Message: Clone + Debug + Hash {
    fn kind(&self) -> &'static str;
}

/// One node of a protocol (server or client). Handlers run to completion; the engine applies
/// the effects afterwards, in order.
pub trait Process: Sized + 'static {
    type Msg: Message;
    /// Timer names. Setting a timer that is already pending re-arms it.
    type Timer: Copy + Debug + Eq;
    /// The state that survives a crash once synced (term, vote, log...).
    type Durable: Clone + Debug;

    /// Boot (`durable` is `None`) or restart after a crash (the last synced state).
    fn on_start(&mut self, ctx: &mut Ctx<Self>, durable: Option<&Self::Durable>);
    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: Self::Msg);
    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: Self::Timer);
    /// Assertions over local state; the engine calls this after every handler. Panic to fail.
    fn invariants(&self) {}
    /// A plain-data summary for online checkers and reports.
    fn view(&self) -> NodeView;
    /// The protocol's own state in a few named fields, for a person reading it
    /// (`replay --state-at`): called rarely, never on the hot path. The default shows the
    /// view's role, term, commit index and log length.
    fn describe(&self) -> Vec<(&'static str, String)> {
        self.view().describe_fields()
    }
}

/// A client process: the engine hands it one operation at a time (the workload decides which);
/// it finishes with `ctx.complete`, `ctx.fail` or `ctx.give_up` (indeterminate).
pub trait ClientProcess: Process {
    fn on_invoke(&mut self, ctx: &mut Ctx<Self>, op: Op);
}

/// Whether a variant is the correct implementation or a planted bug the harness must find.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expect {
    Pass,
    Fail,
}

/// A named variant of one implementation (`--variant NAME` or its bug id).
#[derive(Clone, Debug, Serialize)]
pub struct VariantInfo {
    pub name: &'static str,
    /// The `../shared/BUGS.md` id of a planted bug, `None` for correct variants.
    pub bug_id: Option<&'static str>,
    pub expect: Expect,
    /// The catalogue scenario that exposes the bug (or exercises the correct variant).
    pub scenario: &'static str,
    pub summary: &'static str,
}

/// Cluster sizes a fault budget covers: 0 to 16 servers (the simulated world's limit).
pub const BUDGET_SIZES: usize = 17;

/// The faults a protocol promises to survive. Random generators stay inside it unless a
/// scenario opts out by name.
#[derive(Clone, Debug, Serialize)]
pub struct FaultBudget {
    /// At most this many servers crashed or paused at once, as a function of cluster size
    /// (index: the number of servers, up to the world's limit of 16).
    pub max_down_by_size: [usize; BUDGET_SIZES],
    /// Whether losing writes that were never synced at a crash is within the promise.
    pub survives_lost_unsynced: bool,
    /// Whether clock offset and drift are within the promise.
    pub survives_clock_skew: bool,
}

impl FaultBudget {
    /// The usual quorum promise: at most f of 2f+1 servers down.
    pub fn minority() -> FaultBudget {
        let mut max_down_by_size = [0; BUDGET_SIZES];
        for (n, slot) in max_down_by_size.iter_mut().enumerate() {
            *slot = n.saturating_sub(1) / 2;
        }
        FaultBudget {
            max_down_by_size,
            survives_lost_unsynced: true,
            survives_clock_skew: true,
        }
    }

    /// No crash promise at all (a single server, or a design that is broken by crashes).
    pub fn no_crashes() -> FaultBudget {
        FaultBudget {
            max_down_by_size: [0; BUDGET_SIZES],
            survives_lost_unsynced: true,
            survives_clock_skew: true,
        }
    }

    pub fn max_down(&self, servers: usize) -> usize {
        self.max_down_by_size[servers.min(BUDGET_SIZES - 1)]
    }
}

/// What a protocol tells the harness about itself.
#[derive(Clone, Debug, Serialize)]
pub struct ProtocolInfo {
    pub name: &'static str,
    pub summary: &'static str,
    pub variants: Vec<VariantInfo>,
    pub default_servers: usize,
    pub budget: FaultBudget,
}

impl ProtocolInfo {
    /// Finds a variant by name or bug id (case-insensitive).
    pub fn variant(&self, key: &str) -> Option<&VariantInfo> {
        self.variants.iter().find(|v| {
            v.name.eq_ignore_ascii_case(key)
                || v.bug_id.is_some_and(|id| id.eq_ignore_ascii_case(key))
        })
    }
}

/// Builds the processes of one protocol for one world: the configured variant lives in
/// `self`. `servers` lists every server id of the world.
pub trait Protocol: Send + Sync + 'static {
    type Server: Process;
    type Client: ClientProcess<Msg = <Self::Server as Process>::Msg>;

    fn server(&self, id: NodeId, servers: &[NodeId]) -> Self::Server;
    fn client(&self, id: NodeId, servers: &[NodeId]) -> Self::Client;
}

/// A cross-node safety property checked after every server step (log matching, leader
/// completeness...). `servers[i]` is server `i`, `None` while it is crashed. Return a message
/// saying what broke; the run records it as a violation at `at`.
///
/// A property that judges each step by the stepped server alone says so (`scope`) and is
/// called through `check_stepped`: the world then builds no view of the cluster for it.
pub trait ClusterInvariant<S>: Send {
    /// A sentence naming the property ("log matching").
    fn name(&self) -> &'static str;
    fn check(
        &mut self,
        at: crate::Time,
        stepped: NodeId,
        servers: &[Option<&S>],
    ) -> Result<(), String>;
    /// What `check` reads of the cluster; the default is every server.
    fn scope(&self) -> Scope {
        Scope::Cluster
    }
    /// `check` for a property of scope `Scope::Stepped`, handed the stepped server (up) and
    /// the number of servers in the world. The default builds the view `check` takes, with
    /// the other servers left out.
    fn check_stepped(
        &mut self,
        at: crate::Time,
        stepped: NodeId,
        server: &S,
        servers: usize,
    ) -> Result<(), String> {
        let mut view = vec![None; servers];
        view[stepped.index()] = Some(server);
        self.check(at, stepped, &view)
    }
    /// Whether the property wants `on_disk`. The default says yes; a property that keeps the
    /// default `on_disk` may say no, and the world then keeps no disk news for it.
    fn hears_disk(&self) -> bool {
        true
    }
    /// What became of server `node`'s writes so far: a disk sync (or a crash that keeps
    /// unsynced writes) made them durable, or a crash lost the unsynced ones. A property over
    /// durable state (an acceptor's vote counts once it is on disk) waits for this; the default
    /// ignores it.
    fn on_disk(
        &mut self,
        _at: crate::Time,
        _node: NodeId,
        _event: DiskEvent,
    ) -> Result<(), String> {
        Ok(())
    }
}

/// `ClusterInvariant::check` for a property of scope `Scope::Stepped`, written once: the
/// stepped server's `check_stepped` while it is up; a step that left it down has nothing to judge.
pub fn check_by_stepped<S, I: ClusterInvariant<S> + ?Sized>(
    inv: &mut I,
    at: crate::Time,
    stepped: NodeId,
    servers: &[Option<&S>],
) -> Result<(), String> {
    match servers.get(stepped.index()).copied().flatten() {
        Some(s) => inv.check_stepped(at, stepped, s, servers.len()),
        None => Ok(()),
    }
}

/// What a cluster invariant's `check` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every server of the world.
    Cluster,
    /// The stepped server alone: the world calls `check_stepped`, and only while that server
    /// is up (a step that crashed it leaves nothing to judge).
    Stepped,
}

/// What a server's disk did with the writes persisted so far (see `ClusterInvariant::on_disk`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiskEvent {
    /// Every write persisted so far is durable.
    Durable,
    /// A crash lost the writes not yet synced.
    Lost,
}

#[cfg(test)]
mod budget_tests {
    use super::FaultBudget;

    /// The quorum promise holds at every size a world allows, not only small clusters: 16
    /// servers tolerate 7 down (a size past the table would silently get a smaller budget).
    #[test]
    fn minority_budget_covers_every_cluster_size() {
        let b = FaultBudget::minority();
        let want = [
            (1, 0),
            (2, 0),
            (3, 1),
            (4, 1),
            (5, 2),
            (9, 4),
            (10, 4),
            (11, 5),
            (16, 7),
        ];
        for (servers, down) in want {
            assert_eq!(b.max_down(servers), down, "{servers} servers");
        }
    }
}
