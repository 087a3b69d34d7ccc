//! tikv's raft-rs (crates.io `raft` 0.7, the `RawNode`/`Ready` API) run unmodified as a
//! splitbrain protocol, written against both crates' public APIs only: the key-value service
//! over raft-rs's log, checked by the Raft catalogue's scenarios and the generic ones.
//!
//! Workarounds the APIs forced (see `docs/bring-your-own.md`): raft-rs draws its randomized
//! election timeout from `rand::thread_rng()`, so after every call the adapter sees whether the
//! term or role changed (the only times raft-rs re-draws) and sets the timeout again from the
//! node's own stream; its protobuf messages lack `Hash`, so the wire hashes their identifying
//! fields. The Raft catalogue runs unmodified: its crash points are named by role, which
//! `crash_roles` maps to raft-rs's messages, and its Raft-only knobs apply to Raft alone.

mod disk;
mod server;
mod wire;

pub use disk::Disk;
pub use server::RaftRsServer;
pub use wire::Wire;

use splitbrain::api::{Expect, FaultBudget, NodeId, Protocol, ProtocolInfo, VariantInfo};
use splitbrain::kv::KvClient;
use splitbrain::scenarios::{CrashRole, Scenario};
use splitbrain::sim::{run_world, RunRecord, Workload, WorldConfig};
use splitbrain::ProtocolEntry;
use std::collections::BTreeMap;

pub struct RaftRs;

impl Protocol for RaftRs {
    type Server = RaftRsServer;
    type Client = KvClient<Wire>;

    fn server(&self, id: NodeId, servers: &[NodeId]) -> RaftRsServer {
        RaftRsServer::new(id, servers)
    }

    fn client(&self, id: NodeId, servers: &[NodeId]) -> KvClient<Wire> {
        KvClient::new(id, servers.to_vec())
    }
}

pub struct RaftRsEntry;

impl ProtocolEntry for RaftRsEntry {
    fn info(&self) -> ProtocolInfo {
        ProtocolInfo {
            name: "raft-rs",
            summary: "tikv's raft-rs 0.7 (RawNode/Ready, pre-vote, check-quorum) serving the key-value workload",
            variants: vec![VariantInfo {
                name: "correct",
                bug_id: None,
                expect: Expect::Pass,
                scenario: "raft-swarm",
                summary: "raft-rs as published, proposals and reads through the log",
            }],
            default_servers: 3,
            budget: FaultBudget::minority(),
        }
    }

    fn default_servers(&self, _variant: &VariantInfo) -> usize {
        3
    }

    fn servers_range(&self) -> std::ops::RangeInclusive<usize> {
        1..=9
    }

    fn run(
        &self,
        _variant: &VariantInfo,
        _params: &BTreeMap<String, u64>,
        cfg: WorldConfig,
        workload: Box<dyn Workload>,
    ) -> RunRecord {
        run_world(&RaftRs, cfg, workload, Vec::new())
    }

    /// The Raft catalogue, unmodified: splitbrain Raft's tuning parameters and coverage marks
    /// apply to it alone, and its crash points are named by role (`portable`).
    fn scenarios(&self) -> Vec<Scenario> {
        let raft = splitbrain::scenarios::find_protocol("raft").expect("built in");
        raft.scenarios()
    }

    /// raft-rs's messages in the crash-point roles scenarios name.
    fn crash_roles(&self) -> &'static [(CrashRole, &'static str)] {
        &[
            (CrashRole::VoteGrant, "VoteGranted"),
            (CrashRole::AppendAck, "AppendOk"),
            (CrashRole::Append, "AppendEntries"),
            (CrashRole::ClientReply, "ClientReply"),
        ]
    }

    fn models(&self) -> Vec<String> {
        vec!["kv".to_string()]
    }
}
