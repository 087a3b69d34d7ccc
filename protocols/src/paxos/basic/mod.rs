//! Basic Paxos ("Paxos Made Simple") as a service of independent write-once registers: each
//! key is decided by its own single-decree instance, and a client's `propose(key, value)`
//! returns the value chosen for that key. Every server plays proposer, acceptor and learner.
//!
//! - `server`: the acceptor (durable promises and acceptances, each reply after its write) and
//!   the learner, recovery from the journal.
//! - `proposer`: one run per register with waiting clients: phase 1 with a fresh ballot,
//!   phase 2 with the adopted value, randomised backoff when preempted.

mod describe;
mod key;
pub(crate) use describe::listing;
mod proposer;
mod server;

pub use server::{BasicDurable, BasicServer};

use super::ballot::Ballot;
use super::{Backoff, PaxosBug};
use crate::kv::{KvClient, KvWire, WireReply};
use splitbrain_api::{Dur, FaultBudget, Message, NodeId, Op, Protocol, ProtocolInfo, Ret};
use std::rc::Rc;

/// Basic Paxos' wire messages; `key` names the register (the instance).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum BasicMsg {
    /// Phase 1a.
    Prepare {
        key: Rc<str>,
        ballot: Ballot,
    },
    /// Phase 1b, with the highest-ballot proposal this acceptor accepted.
    Promise {
        key: Rc<str>,
        ballot: Ballot,
        accepted: Option<(Ballot, Rc<str>)>,
    },
    /// Phase 2a.
    Accept {
        key: Rc<str>,
        ballot: Ballot,
        value: Rc<str>,
    },
    /// Phase 2b.
    Accepted {
        key: Rc<str>,
        ballot: Ballot,
    },
    /// A prepare or accept of `ballot` refused: `promised` is higher.
    Nack {
        key: Rc<str>,
        ballot: Ballot,
        promised: Ballot,
    },
    /// To the learners: `value` was chosen for `key`.
    Decided {
        key: Rc<str>,
        value: Rc<str>,
    },
    ClientRequest {
        seq: u64,
        op: Op,
    },
    ClientReply {
        seq: u64,
        ret: Ret,
    },
}

impl Message for BasicMsg {
    fn kind(&self) -> &'static str {
        match self {
            BasicMsg::Prepare { .. } => "Prepare",
            BasicMsg::Promise { .. } => "Promise",
            BasicMsg::Accept { .. } => "Accept",
            BasicMsg::Accepted { .. } => "Accepted",
            BasicMsg::Nack { .. } => "Nack",
            BasicMsg::Decided { .. } => "Decided",
            BasicMsg::ClientRequest { .. } => "ClientRequest",
            BasicMsg::ClientReply { .. } => "ClientReply",
        }
    }
}

impl KvWire for BasicMsg {
    fn request(seq: u64, op: Op) -> BasicMsg {
        BasicMsg::ClientRequest { seq, op }
    }

    fn reply(self) -> Option<WireReply> {
        match self {
            BasicMsg::ClientReply { seq, ret } => Some(WireReply::Done { seq, ret }),
            _ => None,
        }
    }
}

/// What distinguishes one variant, plus timing.
#[derive(Copy, Clone, Debug)]
pub struct BasicConfig {
    pub bug: PaxosBug,
    /// An attempt that reaches no quorum in this long is retried with a higher ballot.
    pub attempt_timeout: Dur,
    pub backoff: Backoff,
}

impl BasicConfig {
    pub fn new(bug: PaxosBug) -> BasicConfig {
        BasicConfig {
            bug,
            attempt_timeout: Dur::ms(60),
            backoff: Backoff {
                min: Dur::ms(10),
                max: Dur::ms(160),
            },
        }
    }
}

/// The protocol as the harness builds it.
#[derive(Clone, Debug)]
pub struct BasicPaxos {
    pub cfg: BasicConfig,
}

/// Basic Paxos' client: the shared client library (retries at the next server with the same
/// request id; proposing the same value again is harmless).
pub type BasicClient = KvClient<BasicMsg>;

impl Protocol for BasicPaxos {
    type Server = BasicServer;
    type Client = BasicClient;

    fn server(&self, id: NodeId, servers: &[NodeId]) -> BasicServer {
        BasicServer::new(id, servers.to_vec(), self.cfg)
    }

    fn client(&self, id: NodeId, servers: &[NodeId]) -> BasicClient {
        KvClient::new(id, servers.to_vec())
    }
}

impl BasicConfig {
    /// The variant named `name` (a name or a bug id, case-insensitive).
    pub fn from_variant(name: &str) -> Option<BasicConfig> {
        let bug = match info().variant(name)?.name {
            "correct" => PaxosBug::None,
            "no-backoff" => PaxosBug::NoBackoff,
            "volatile-acceptor" => PaxosBug::VolatileAcceptor,
            "non-unique-ballots" => PaxosBug::NonUniqueBallots,
            "own-value" => PaxosBug::OwnValue,
            _ => return None,
        };
        Some(BasicConfig::new(bug))
    }
}

/// What `splitbrain list` shows for Basic Paxos.
pub fn info() -> ProtocolInfo {
    use super::variants::{bug, correct, livelock};
    ProtocolInfo {
        name: "paxos",
        summary: "Basic Paxos: write-once registers, one single-decree instance per key",
        variants: vec![
            correct(
                "correct",
                "paxos-swarm",
                "Paxos Made Simple; randomised backoff",
            ),
            livelock(
                "no-backoff",
                "paxos-dueling",
                "preempted proposers retry at once: dueling proposers livelock (liveness)",
            ),
            bug(
                "volatile-acceptor",
                "P01",
                "paxos-acceptor-restart",
                "acceptors keep promises and accepted values in memory only",
            ),
            bug(
                "non-unique-ballots",
                "P02",
                "paxos-dueling",
                "ballots without proposer id, round restarting from zero",
            ),
            bug(
                "own-value",
                "P03",
                "paxos-proposer-crash",
                "proposer keeps its own value instead of the highest accepted (P2c)",
            ),
        ],
        default_servers: 3,
        budget: FaultBudget::minority(),
    }
}
