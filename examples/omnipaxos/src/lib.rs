//! OmniPaxos (crates.io `omnipaxos` 0.2: Sequence Paxos, a Multi-Paxos log, with ballot leader
//! election) run unmodified as a splitbrain protocol, written against both crates' public APIs
//! only: the key-value service over OmniPaxos's replicated log, checked by the Raft-style
//! catalogue's scenarios and the generic ones.
//!
//! Workarounds the APIs forced (see `docs/bring-your-own.md`): OmniPaxos owns the `Storage`
//! it is built with and offers no way back to it, so the storage shares a journal of its writes
//! with the server (`Rc<RefCell<…>>`), which drains it onto the simulated disk after every
//! call; its storage calls return as if durable, so every message it emits waits behind a
//! barrier for the writes before it; its messages lack `Hash`, so the wire hashes their
//! identifying fields; its log entries must implement its `Entry` trait, which a foreign type
//! cannot, so the shared `kv::Cmd` travels in a newtype; it assumes session-based FIFO links
//! and a `reconnected` call when a session comes back, which the adapter emulates over
//! splitbrain's reordering links (`session.rs`).

mod server;
mod session;
mod storage;
mod wire;

pub use server::OmniServer;
pub use session::{Link, Sessions, Verdict};
pub use storage::{Disk, Journal, Store};
pub use wire::Wire;

use splitbrain::api::{Expect, FaultBudget, NodeId, Protocol, ProtocolInfo, VariantInfo};
use splitbrain::kv::{Cmd, KvClient};
use splitbrain::scenarios::{CrashRole, Scenario};
use splitbrain::sim::{run_world, RunRecord, Workload, WorldConfig};
use splitbrain::ProtocolEntry;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

/// A log entry: the shared key-value command (its digest is what `applied` reports).
#[derive(Clone, Debug)]
pub struct Command(pub Rc<Cmd>);

impl omnipaxos::storage::Entry for Command {
    type Snapshot = omnipaxos::storage::NoSnapshot;
}

impl Hash for Command {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.digest.hash(state);
    }
}

pub struct OmniPaxosProtocol;

impl Protocol for OmniPaxosProtocol {
    type Server = OmniServer;
    type Client = KvClient<Wire>;

    fn server(&self, id: NodeId, servers: &[NodeId]) -> OmniServer {
        OmniServer::new(id, servers)
    }

    fn client(&self, id: NodeId, servers: &[NodeId]) -> KvClient<Wire> {
        KvClient::new(id, servers.to_vec())
    }
}

pub struct OmniPaxosEntry;

impl ProtocolEntry for OmniPaxosEntry {
    fn info(&self) -> ProtocolInfo {
        ProtocolInfo {
            name: "omnipaxos",
            summary: "OmniPaxos 0.2 (Sequence Paxos with ballot leader election) serving the key-value workload",
            variants: vec![VariantInfo {
                name: "correct",
                bug_id: None,
                expect: Expect::Pass,
                scenario: "raft-swarm",
                summary: "OmniPaxos as published, writes and reads through the log",
            }],
            default_servers: 3,
            budget: FaultBudget::minority(),
        }
    }

    fn default_servers(&self, _variant: &VariantInfo) -> usize {
        3
    }

    /// OmniPaxos refuses a cluster of one.
    fn servers_range(&self) -> std::ops::RangeInclusive<usize> {
        2..=9
    }

    fn run(
        &self,
        _variant: &VariantInfo,
        _params: &BTreeMap<String, u64>,
        cfg: WorldConfig,
        workload: Box<dyn Workload>,
    ) -> RunRecord {
        run_world(&OmniPaxosProtocol, cfg, workload, Vec::new())
    }

    /// The Raft catalogue, unmodified: its crash points are named by role, and splitbrain
    /// Raft's tuning parameters and coverage marks apply to Raft alone.
    fn scenarios(&self) -> Vec<Scenario> {
        let raft = splitbrain::scenarios::find_protocol("raft").expect("built in");
        raft.scenarios()
    }

    /// OmniPaxos's messages in the crash-point roles: a follower's `Promise` is its vote for a
    /// leader's ballot, `Accepted` acknowledges entries, `AcceptDecide` carries them.
    fn crash_roles(&self) -> &'static [(CrashRole, &'static str)] {
        &[
            (CrashRole::VoteGrant, "Promise"),
            (CrashRole::AppendAck, "Accepted"),
            (CrashRole::Append, "AcceptDecide"),
            (CrashRole::ClientReply, "ClientReply"),
        ]
    }

    fn models(&self) -> Vec<String> {
        vec!["kv".to_string()]
    }
}
