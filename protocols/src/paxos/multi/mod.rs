//! Multi-Paxos with a stable leader ("Paxos Made Moderately Complex", van Renesse &
//! Altinbuken 2015; the 6.824 lecture's "Paxos with a leader"), serving the shared key-value
//! state machine (`crate::kv`) slot by slot.
//!
//! - `server`: the acceptor (one promise for all slots, one accepted command per slot, each
//!   journalled and durable before its reply), recovery, the agreement check's view.
//! - `election`: phase 1 once for all later slots after a randomised leader timeout; the new
//!   leader re-proposes every value phase 1 reported and fills holes with no-ops.
//! - `leader`: phase 2 in batches to a bare majority, counting acceptances per slot,
//!   heartbeats to everyone, catch-up of lagging replicas by chosen slots or, after
//!   compaction, by snapshot.
//! - `replica`: learning chosen slots, applying them in order, snapshots, the client service
//!   (exactly-once by request ids) and reads through the log or after a confirmation round.

mod describe;
mod election;
mod leader;
mod replica;
mod server;
#[cfg(test)]
mod tests;

pub use server::{MultiDurable, MultiServer};

use super::ballot::Ballot;
use super::PaxosBug;
use crate::kv::{Cmd, Kv, KvClient, KvWire, WireReply};
use splitbrain_api::{Dur, FaultBudget, Message, NodeId, Op, Protocol, ProtocolInfo, Ret};
use std::rc::Rc;

/// A chosen prefix of the state machine: everything applied up to `index`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MultiSnapshot {
    pub index: u64,
    pub kv: Kv,
}

impl std::hash::Hash for MultiSnapshot {
    // The index names the prefix; hashing the state would make every traced snapshot cost
    // its size (state machine safety checks the applied commands themselves).
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.index.hash(state);
    }
}

/// One slot's proposal on the wire.
pub type SlotCmd = (u64, Rc<Cmd>);

/// Multi-Paxos' wire messages.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum MultiMsg {
    /// Phase 1a for every slot from `from_slot` on.
    Prepare {
        ballot: Ballot,
        from_slot: u64,
    },
    /// Phase 1b: the acceptor's accepted proposals from `from_slot` on, and the slot its
    /// snapshot covers (slots up to it were chosen and are no longer reported), with the
    /// snapshot itself when the candidate lacks slots it covers.
    Promise {
        ballot: Ballot,
        compacted: u64,
        snapshot: Option<Rc<MultiSnapshot>>,
        accepted: Vec<(u64, Ballot, Rc<Cmd>)>,
    },
    /// Phase 2a for `entries` (empty: a heartbeat); `commit`: every slot up to it is chosen;
    /// `round` numbers the leader's confirmation rounds. The batch is shared by the copies a
    /// broadcast sends (it hashes and prints as a list, like a vector).
    Accept {
        ballot: Ballot,
        entries: Rc<[SlotCmd]>,
        commit: u64,
        round: u64,
    },
    /// Phase 2b for `slots`, with the replica's applied index, the round acknowledged and
    /// the commit point of the Accept it answers (`told`): a replica whose applied index
    /// stays below it lacks chosen slots and needs catching up.
    Accepted {
        ballot: Ballot,
        slots: Vec<u64>,
        applied: u64,
        round: u64,
        told: u64,
    },
    /// A prepare or accept of `ballot` refused: `promised` is higher.
    Nack {
        ballot: Ballot,
        promised: Ballot,
    },
    /// Catch-up: chosen commands a lagging replica lacks.
    Decided {
        entries: Vec<SlotCmd>,
    },
    /// Catch-up after compaction.
    InstallSnapshot {
        snapshot: Rc<MultiSnapshot>,
    },
    ClientRequest {
        seq: u64,
        op: Op,
    },
    ClientReply {
        seq: u64,
        ret: Ret,
    },
    /// Not the leader (`hint`: the leader this server knows of); nothing happened.
    NotLeader {
        seq: u64,
        hint: Option<NodeId>,
    },
}

impl Message for MultiMsg {
    fn kind(&self) -> &'static str {
        match self {
            MultiMsg::Prepare { .. } => "Prepare",
            MultiMsg::Promise { .. } => "Promise",
            MultiMsg::Accept { entries, .. } if entries.is_empty() => "Heartbeat",
            MultiMsg::Accept { .. } => "Accept",
            MultiMsg::Accepted { .. } => "Accepted",
            MultiMsg::Nack { .. } => "Nack",
            MultiMsg::Decided { .. } => "Decided",
            MultiMsg::InstallSnapshot { .. } => "InstallSnapshot",
            MultiMsg::ClientRequest { .. } => "ClientRequest",
            MultiMsg::ClientReply { .. } => "ClientReply",
            MultiMsg::NotLeader { .. } => "NotLeader",
        }
    }
}

impl KvWire for MultiMsg {
    fn request(seq: u64, op: Op) -> MultiMsg {
        MultiMsg::ClientRequest { seq, op }
    }

    fn reply(self) -> Option<WireReply> {
        match self {
            MultiMsg::ClientReply { seq, ret } => Some(WireReply::Done { seq, ret }),
            MultiMsg::NotLeader { seq, hint } => Some(WireReply::Redirect { seq, hint }),
            _ => None,
        }
    }
}

/// How the service answers reads.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ReadMode {
    /// At the leader, once its initial slots are chosen and a heartbeat round that started
    /// after the read was acknowledged by a majority still promising its ballot.
    Confirm,
    /// Reads are commands in slots like writes.
    Log,
}

/// What distinguishes one variant, plus timing and batching.
#[derive(Copy, Clone, Debug)]
pub struct MultiConfig {
    pub bug: PaxosBug,
    pub reads: ReadMode,
    /// Leader timeouts are drawn uniformly from this range.
    pub election_us: (u64, u64),
    pub heartbeat: Dur,
    /// Slots per Accept or Decided message.
    pub max_batch: usize,
    /// Take a snapshot once this many slots were applied since the last one.
    pub snapshot_every: u64,
    /// Applied slots kept after a snapshot, so a replica a little behind gets slots.
    pub retain: u64,
}

impl MultiConfig {
    pub fn new(bug: PaxosBug, reads: ReadMode) -> MultiConfig {
        MultiConfig {
            bug,
            reads,
            election_us: (150_000, 300_000),
            heartbeat: Dur::ms(50),
            max_batch: 4,
            snapshot_every: 24,
            retain: 8,
        }
    }

    /// The variant named `name` (a name or a bug id, case-insensitive).
    pub fn from_variant(name: &str) -> Option<MultiConfig> {
        let (bug, reads) = match info().variant(name)?.name {
            "correct" => (PaxosBug::None, ReadMode::Confirm),
            "log-reads" => (PaxosBug::None, ReadMode::Log),
            "volatile-acceptor" => (PaxosBug::VolatileAcceptor, ReadMode::Confirm),
            "non-unique-ballots" => (PaxosBug::NonUniqueBallots, ReadMode::Confirm),
            "own-value" => (PaxosBug::OwnValue, ReadMode::Confirm),
            "no-repropose" => (PaxosBug::NoRepropose, ReadMode::Confirm),
            _ => return None,
        };
        Some(MultiConfig::new(bug, reads))
    }
}

/// The protocol as the harness builds it.
#[derive(Clone, Debug)]
pub struct MultiPaxos {
    pub cfg: MultiConfig,
}

/// Multi-Paxos' client: the shared client library over its messages.
pub type MultiClient = KvClient<MultiMsg>;

impl Protocol for MultiPaxos {
    type Server = MultiServer;
    type Client = MultiClient;

    fn server(&self, id: NodeId, servers: &[NodeId]) -> MultiServer {
        MultiServer::new(id, servers.to_vec(), self.cfg)
    }

    fn client(&self, id: NodeId, servers: &[NodeId]) -> MultiClient {
        KvClient::new(id, servers.to_vec())
    }
}

/// What `splitbrain list` shows for Multi-Paxos.
pub fn info() -> ProtocolInfo {
    use super::variants::{bug, correct};
    ProtocolInfo {
        name: "multipaxos",
        summary: "Multi-Paxos with a stable leader and the key-value service (confirmed reads)",
        variants: vec![
            correct(
                "correct",
                "multipaxos-swarm",
                "stable leader; reads after a confirmation round",
            ),
            correct(
                "log-reads",
                "multipaxos-swarm",
                "correct; reads go through slots",
            ),
            bug(
                "volatile-acceptor",
                "P01",
                "multipaxos-acceptor-restart",
                "acceptors keep promises and accepted values in memory only",
            ),
            bug(
                "non-unique-ballots",
                "P02",
                "multipaxos-dueling",
                "ballots without proposer id, round restarting from zero",
            ),
            bug(
                "own-value",
                "P03",
                "multipaxos-leader-crash",
                "new leader keeps its own accepted value instead of the highest reported",
            ),
            bug(
                "no-repropose",
                "P06",
                "multipaxos-leader-crash",
                "new leader fills reported slots with no-ops instead of re-proposing",
            ),
        ],
        default_servers: 3,
        budget: FaultBudget::minority(),
    }
}
