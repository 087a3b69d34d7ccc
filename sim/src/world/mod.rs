//! A world: servers and clients of one protocol on a simulated network, driven by a fault
//! schedule and a workload, checked online, until a time or event bound. `run_world` is the
//! one entry point; it never hangs (bounded events and time) and never lets a protocol panic
//! escape (it becomes the run's outcome).

mod applied;
mod clock;
mod dispatch;
mod faults;
mod in_place;
mod kernel;
mod queue;
mod slot;

use crate::faults::Schedule;
use crate::network::{LinkProfile, Network};
use crate::record::{History, HistoryNotice, HistoryOp, RunRecord};
use crate::rng::{stream, LinkRngs, Stream};
use kernel::{Event, Kernel};
use serde::{Deserialize, Serialize};
use slot::Slot;
use splitbrain_api::{
    ClusterInvariant, Effect, NodeId, Op, Process, Protocol, Scope, SimRng, Time,
};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The most servers one world hosts (invariant checks borrow them into a fixed array).
pub const MAX_SERVERS: usize = 16;
const _: () = assert!(
    MAX_SERVERS < splitbrain_api::BUDGET_SIZES,
    "a fault budget covers every cluster size a world allows"
);

/// Everything that shapes one run besides the protocol and the workload.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WorldConfig {
    pub seed: u64,
    pub servers: usize,
    pub clients: usize,
    /// Length of the safety phase (faults on).
    pub safety_us: u64,
    /// Length of the liveness phase (faults healed, everyone restarted); 0 = none.
    pub liveness_us: u64,
    /// Hard bound on processed events: exceeding it makes the run inconclusive.
    pub max_events: u64,
    pub net: LinkProfile,
    /// Disk sync latency range.
    pub sync_us: (u64, u64),
    /// Client think time between operations.
    pub think_us: (u64, u64),
    pub schedule: Schedule,
    /// Keep the full trace (reports, `--trace`, determinism diagnosis).
    pub full_trace: bool,
    /// The sequential model the history is checked against (`kv`, `mutex`).
    pub model: String,
    /// Capture every node's own description (`Process::describe`) as of this time.
    pub inspect_at_us: Option<u64>,
}

impl Default for WorldConfig {
    fn default() -> Self {
        WorldConfig {
            seed: 0,
            servers: 3,
            clients: 2,
            safety_us: 2_000_000,
            liveness_us: 2_000_000,
            max_events: 5_000_000,
            net: LinkProfile::default(),
            sync_us: (100, 1_000),
            think_us: (0, 2_000),
            schedule: Schedule::default(),
            full_trace: false,
            model: "kv".to_string(),
            inspect_at_us: None,
        }
    }
}

/// Decides each client's next operation (`None`: that client is done).
pub trait Workload: Send {
    fn next_op(&mut self, client: usize, rng: &mut SimRng) -> Option<Op>;

    /// The earliest simulated time (µs) the client's next operation may be issued; a client
    /// free before then waits. Scripts replaying a recorded run use it.
    fn not_before(&self, _client: usize) -> Option<u64> {
        None
    }

    /// Whether the workload is a set of client programs that react to what their operations
    /// returned and to the notices their clients hear (`on_end`, `on_notice`). Plain
    /// workloads decide up front and are not told.
    fn reacts(&self) -> bool {
        false
    }

    /// A reacting workload hears that `client`'s operation ended at `now_us`, as the history
    /// records it. It is told before the client's next `next_op`.
    fn on_end(&mut self, _client: usize, _op: &HistoryOp, _now_us: u64) {}

    /// A reacting workload hears a notice `client` received (a watch event, a session
    /// change). `true` asks for the client's next operation now if it has none in flight: a
    /// program whose `next_op` said `None` while it waited for this notice wakes up.
    fn on_notice(&mut self, _client: usize, _notice: &HistoryNotice) -> bool {
        false
    }
}

type Msg<P> = <<P as Protocol>::Server as Process>::Msg;

/// A cluster invariant and what it reads, asked once when the world is built.
struct Invariant<'p, S> {
    check: Box<dyn ClusterInvariant<S> + 'p>,
    stepped_only: bool,
}

/// One world of protocol `P`.
pub struct World<'p, P: Protocol> {
    proto: &'p P,
    cfg: WorldConfig,
    k: Kernel<Msg<P>>,
    servers: Vec<Slot<P::Server>>,
    clients: Vec<Slot<P::Client>>,
    /// The effects of the step running now, one buffer per process kind: empty between
    /// steps, and lent to each step in turn (see `Slot::step`).
    server_effects: Vec<Effect<P::Server>>,
    client_effects: Vec<Effect<P::Client>>,
    workload: Box<dyn Workload + 'p>,
    /// Per-client stream the workload draws operations from.
    op_rngs: Vec<SimRng>,
    invariants: Vec<Invariant<'p, P::Server>>,
    /// Whether some invariant reads the whole cluster (else no step builds a view of it).
    view_needed: bool,
    liveness_from: Option<Time>,
    stopped_early: bool,
    /// How many nodes are paused (lets the hot path skip the per-event pause check).
    paused_nodes: usize,
    /// What `inspect` captured.
    inspection: Option<crate::record::Inspection>,
}

/// Runs one world to completion and returns its record.
pub fn run_world<'p, P: Protocol>(
    proto: &'p P,
    cfg: WorldConfig,
    workload: Box<dyn Workload + 'p>,
    invariants: Vec<Box<dyn ClusterInvariant<P::Server> + 'p>>,
) -> RunRecord {
    assert!(
        cfg.servers >= 1 && cfg.servers <= MAX_SERVERS,
        "1..={MAX_SERVERS} servers"
    );
    let mut world = World::new(proto, cfg, workload, invariants);
    let result = {
        let _inside = InWorld::enter();
        catch_unwind(AssertUnwindSafe(|| world.run()))
    };
    let panic = result.err().map(|payload| panic_message(&*payload));
    world.into_record(panic)
}

thread_local! {
    static IN_WORLD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// True while this thread runs a world's handlers: a panic there is the protocol's, caught
/// and recorded as the run's outcome. A panic hook uses it to stay silent only for those.
pub fn in_world() -> bool {
    IN_WORLD.with(std::cell::Cell::get)
}

/// Marks the current thread as inside a world until dropped.
struct InWorld(bool);

impl InWorld {
    fn enter() -> InWorld {
        InWorld(IN_WORLD.with(|f| f.replace(true)))
    }
}

impl Drop for InWorld {
    fn drop(&mut self) {
        IN_WORLD.with(|f| f.set(self.0));
    }
}

/// A process's description with owned field names.
fn describe<P: Process>(p: &P) -> Vec<(String, String)> {
    p.describe()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

/// Every invariant judges the step of the server in `slot` by that server alone: no view of
/// the cluster is built, and a step that left the server down is not judged; then the
/// invariants hear what its disk did. It borrows only what it reads, so a caller holding
/// the slot does not look it up again (when no invariant reads the cluster, the caller's
/// `after_server_step` is this). Inlined into its few callers: the common step costs
/// a check and one call per invariant, with no frame of its own to set up.
#[inline(always)]
fn judge_stepped<S: Process>(
    invariants: &mut [Invariant<'_, S>],
    k: &mut Kernel<S::Msg>,
    slot: &mut Slot<S>,
    servers: usize,
) {
    if invariants.is_empty() {
        return;
    }
    if let Some(server) = slot.proc.as_ref() {
        for inv in invariants.iter_mut() {
            if let Err(message) = inv.check.check_stepped(k.now, slot.id, server, servers) {
                k.violate(inv.check.name(), message);
            }
        }
    }
    if !slot.disk_news.is_empty() {
        tell_disk_news(invariants, k, slot);
    }
}

/// Tells the cluster invariants what the disk of the server in `slot` did (syncs, crashes)
/// since they last heard.
fn tell_disk_news<S: Process>(
    invariants: &mut [Invariant<'_, S>],
    k: &mut Kernel<S::Msg>,
    slot: &mut Slot<S>,
) {
    let news = std::mem::take(&mut slot.disk_news);
    for event in &news {
        for inv in invariants.iter_mut() {
            if let Err(message) = inv.check.on_disk(k.now, slot.id, *event) {
                k.violate(inv.check.name(), message);
            }
        }
    }
    let mut news = news;
    news.clear();
    slot.disk_news = news;
}

impl<'p, P: Protocol> World<'p, P> {
    fn new(
        proto: &'p P,
        cfg: WorldConfig,
        workload: Box<dyn Workload + 'p>,
        invariants: Vec<Box<dyn ClusterInvariant<P::Server> + 'p>>,
    ) -> Self {
        let seed = cfg.seed;
        let clients_n = cfg.clients;
        let net = Network::new(cfg.servers, cfg.clients, cfg.net.clone());
        let mut k = Kernel::new(
            net,
            LinkRngs::new(seed, cfg.servers + cfg.clients),
            stream(seed, Stream::Disk),
            cfg.servers,
            cfg.clients,
        );
        k.reserve_history(cfg.clients, cfg.safety_us.saturating_add(cfg.liveness_us));
        k.sync_us = cfg.sync_us;
        k.think_us = cfg.think_us;
        k.workload_rngs = (0..cfg.clients)
            .map(|i| stream(seed, Stream::Workload(i)))
            .collect();
        k.tracer = crate::trace::Tracer::new(cfg.full_trace);
        if workload.reacts() {
            k.feed = Some(Vec::new());
        }
        let track_disk = invariants.iter().any(|inv| inv.hears_disk());
        let invariants: Vec<_> = invariants
            .into_iter()
            .map(|check| Invariant {
                stepped_only: check.scope() == Scope::Stepped,
                check,
            })
            .collect();
        let view_needed = invariants.iter().any(|inv| !inv.stepped_only);
        let servers = (0..cfg.servers)
            .map(|i| {
                let mut slot = Slot::new(NodeId::server(i), stream(seed, Stream::Server(i)));
                slot.track_disk = track_disk;
                slot
            })
            .collect();
        let clients = (0..cfg.clients)
            .map(|i| Slot::new(NodeId::client(i), stream(seed, Stream::Client(i))))
            .collect();
        World {
            proto,
            cfg,
            k,
            servers,
            clients,
            server_effects: Vec::new(),
            client_effects: Vec::new(),
            workload,
            op_rngs: (0..clients_n)
                .map(|i| stream(seed, Stream::Ops(i)))
                .collect(),
            invariants,
            view_needed,
            liveness_from: None,
            stopped_early: false,
            paused_nodes: 0,
            inspection: None,
        }
    }

    /// Tells a reacting workload what its clients heard in the last event, in order; a
    /// notice that wakes an idle client schedules its next operation now.
    fn feed_workload(&mut self) {
        let fed = std::mem::take(self.k.feed.as_mut().expect("a reacting workload"));
        for f in &fed {
            match *f {
                kernel::Fed::Ended(i) => {
                    let op = &self.k.history[i];
                    self.workload.on_end(op.client.index(), op, self.k.now.0);
                }
                kernel::Fed::Notice(i) => {
                    let n = &self.k.notices[i];
                    let client = n.client;
                    if self.workload.on_notice(client.index(), n)
                        && self.k.inflight[client.index()].is_none()
                    {
                        self.k.schedule(self.k.now, Event::Invoke { client });
                    }
                }
            }
        }
        let mut fed = fed;
        fed.clear();
        self.k.feed = Some(fed);
    }

    fn end(&self) -> Time {
        Time(self.cfg.safety_us + self.cfg.liveness_us)
    }

    fn run(&mut self) {
        self.boot();
        let end = self.end();
        // SAFETY: each event popped is handed to `dispatch`, which takes it over where it
        // lies, reading it before anything is scheduled (`inspect` schedules nothing). A
        // panic in a handler leaks the event rather than dropping the message twice.
        while let Some(ev) = unsafe { self.k.pop(end) } {
            if self.cfg.inspect_at_us.is_some_and(|t| self.k.now.0 > t) {
                self.inspect();
            }
            self.k.events += 1;
            unsafe { self.dispatch(ev) };
            if self.k.attention && self.attend() {
                self.stopped_early = true;
                return;
            }
            if self.k.events >= self.cfg.max_events {
                self.stopped_early = true;
                return;
            }
        }
        self.k.now = self.k.now.max(end);
        if self.cfg.inspect_at_us.is_some() {
            self.inspect();
        }
    }

    /// After an event that asked for attention: a reacting workload hears its news; returns
    /// whether a violation stops the run.
    fn attend(&mut self) -> bool {
        self.k.attention = false;
        if self.k.feed.as_ref().is_some_and(|f| !f.is_empty()) {
            self.feed_workload();
        }
        !self.k.violations.is_empty()
    }

    /// Records every node's description once, as of the inspection time.
    fn inspect(&mut self) {
        let Some(at_us) = self.cfg.inspect_at_us.take() else {
            return;
        };
        let mut nodes = Vec::new();
        for s in &self.servers {
            nodes.push((s.id, s.proc.as_ref().map(describe)));
        }
        for c in &self.clients {
            nodes.push((c.id, c.proc.as_ref().map(describe)));
        }
        self.inspection = Some(crate::record::Inspection { at_us, nodes });
    }

    fn boot(&mut self) {
        for i in 0..self.servers.len() {
            self.restart_server(i);
        }
        for i in 0..self.clients.len() {
            self.restart_client(i);
        }
        for (i, timed) in self.cfg.schedule.0.iter().enumerate() {
            self.k
                .schedule(Time(timed.at_us), Event::Fault { index: i as u32 });
        }
        if self.cfg.liveness_us > 0 {
            self.k
                .schedule(Time(self.cfg.safety_us), Event::LivenessStart);
        }
    }

    fn restart_server(&mut self, i: usize) {
        let id = NodeId::server(i);
        let fresh = self.proto.server(id, &self.k.servers);
        if self.servers[i].start(&mut self.k, &mut self.server_effects, fresh) {
            self.after_server_step(i);
        }
        self.after_disk(i);
    }

    fn restart_client(&mut self, i: usize) {
        let id = NodeId::client(i);
        let fresh = self.proto.client(id, &self.k.servers);
        self.clients[i].start(&mut self.k, &mut self.client_effects, fresh);
        let (lo, hi) = self.k.think_us;
        let first = crate::rng::uniform_inclusive(&mut self.k.workload_rngs[i], lo, hi);
        self.k.schedule(
            self.k.now + splitbrain_api::Dur(first),
            Event::Invoke { client: id },
        );
    }

    /// Cross-node invariants after server `i` stepped. Inlined into its few callers: a call
    /// per server step saved.
    #[inline(always)]
    fn after_server_step(&mut self, i: usize) {
        if self.view_needed {
            self.check_with_view(i);
            self.after_disk(i);
        } else {
            let n = self.servers.len();
            judge_stepped(&mut self.invariants, &mut self.k, &mut self.servers[i], n);
        }
    }

    /// Some invariant reads the whole cluster: the servers are borrowed into one view.
    #[inline(never)]
    fn check_with_view(&mut self, i: usize) {
        let n = self.servers.len();
        let mut view: [Option<&P::Server>; MAX_SERVERS] = [None; MAX_SERVERS];
        for (slot, s) in view[..n].iter_mut().zip(&self.servers) {
            *slot = s.proc.as_ref();
        }
        let stepped = NodeId::server(i);
        for inv in &mut self.invariants {
            let checked = match (inv.stepped_only, view[i]) {
                (false, _) => inv.check.check(self.k.now, stepped, &view[..n]),
                (true, Some(server)) => inv.check.check_stepped(self.k.now, stepped, server, n),
                (true, None) => Ok(()),
            };
            if let Err(message) = checked {
                self.k.violate(inv.check.name(), message);
            }
        }
    }

    /// Tells the cluster invariants what server `i`'s disk did (syncs, crashes) since they
    /// last heard.
    #[inline]
    fn after_disk(&mut self, i: usize) {
        let slot = &mut self.servers[i];
        if !slot.disk_news.is_empty() {
            tell_disk_news(&mut self.invariants, &mut self.k, slot);
        }
    }

    fn into_record(mut self, panic: Option<String>) -> RunRecord {
        self.close_history();
        let outcome = self.outcome(panic.is_some());
        RunRecord {
            seed: self.cfg.seed,
            outcome,
            violations: std::mem::take(&mut self.k.violations),
            exceptions: Vec::new(),
            panic,
            trace_hash: self.k.tracer.hash(),
            events: self.k.events,
            sim_time_us: self.k.now.0,
            liveness_from_us: self.liveness_from.map(|t| t.0),
            inspection: self.inspection.take(),
            history: History {
                schema_version: crate::record::HISTORY_SCHEMA_VERSION,
                model: self.cfg.model.clone(),
                ops: std::mem::take(&mut self.k.history),
                notices: std::mem::take(&mut self.k.notices),
            },
            marks: self
                .k
                .marks
                .iter()
                .map(|(k, (n, _))| (k.to_string(), *n))
                .collect(),
            mark_at: self
                .k
                .marks
                .iter()
                .map(|(k, (_, at))| (k.to_string(), *at))
                .collect(),
            trace: self.k.tracer.take(),
            nodes: self.k.all.clone(),
        }
    }
}
