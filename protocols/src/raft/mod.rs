//! Raft (Ongaro & Ousterhout, "In Search of an Understandable Consensus Algorithm", extended
//! version) with a replicated key-value service on top, and its planted bugs as named variants
//! of this one implementation.
//!
//! - `log`: the log with its snapshot prefix, hash chain and the pure helpers (quorum math,
//!   fast backup) the paper sections are cited on.
//! - `snapshot`: the snapshot of the shared key-value state machine (`crate::kv`).
//! - `server`: elections (§5.2, pre-vote §9.6 of the thesis), replication (§5.3), commitment
//!   (§5.4.2), snapshots (§7), ReadIndex reads (§6.4 of the thesis), client sessions (§6.3).
//! - the client is the shared `crate::kv::KvClient` over Raft's wire messages.
//! - `invariants`: log matching and leader completeness, checked after every server step.

pub mod invariants;
pub mod log;
mod replicate;
mod server;
mod service;
pub mod snapshot;
#[cfg(test)]
mod tests;

pub use server::RaftServer;

use crate::kv::{KvClient, KvWire, WireReply};
use snapshot::Snapshot;

/// Raft's client: the shared key-value client library over Raft's messages.
pub type RaftClient = KvClient<RaftMsg>;
use log::Entry;
use splitbrain_api::{
    Dur, Expect, FaultBudget, Message, NodeId, Op, Protocol, ProtocolInfo, Ret, VariantInfo,
};
use std::rc::Rc;

/// A planted bug (`../shared/BUGS.md`), or none. Each is one deviation from the paper in the
/// one implementation; the code says where with a `RaftBug::...` test.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RaftBug {
    None,
    /// R01: commit by counting replicas of an entry of an earlier term (§5.4.2, Figure 8).
    Figure8Commit,
    /// R02: the vote reply leaves before `currentTerm`/`votedFor` are durable (Figure 2).
    VoteNotDurable,
    /// R05: the leader answers reads from local state without confirming leadership.
    StaleLeaderRead,
    /// R06: no no-op on election, and reads do not wait for a commit of the leader's term.
    NoNoopRead,
    /// R14: replies from an older term (vote grants, append acks) are counted.
    StaleTermReplies,
    /// R15: the election restriction compares last log index only (§5.4.1).
    IndexOnlyElection,
    /// R16: a follower installs a delayed or duplicated snapshot older than its state (§7).
    StaleSnapshot,
}

/// How the service answers reads.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ReadMode {
    /// ReadIndex: commit index of the leader's term, confirmed by a heartbeat round.
    ReadIndex,
    /// Reads are log entries like writes.
    Log,
}

/// Everything that distinguishes one variant from another, plus the timing constants.
#[derive(Copy, Clone, Debug)]
pub struct RaftConfig {
    pub bug: RaftBug,
    pub reads: ReadMode,
    pub pre_vote: bool,
    /// Election timeouts are drawn uniformly from this range (6.5840: 150-300 ms).
    pub election_us: (u64, u64),
    pub heartbeat: Dur,
    /// Entries per AppendEntries message.
    pub max_batch: usize,
    /// Take a snapshot once this many entries were applied since the last one.
    pub snapshot_every: u64,
    /// Applied entries kept in the log after a snapshot, so that a follower a little behind
    /// gets entries rather than the whole snapshot.
    pub retain: u64,
}

impl RaftConfig {
    pub fn new(bug: RaftBug, reads: ReadMode, pre_vote: bool) -> RaftConfig {
        RaftConfig {
            bug,
            reads,
            pre_vote,
            election_us: (150_000, 300_000),
            heartbeat: Dur::ms(50),
            max_batch: 4,
            snapshot_every: 24,
            retain: 8,
        }
    }

    /// The variant named `name` (a name or a bug id, case-insensitive).
    pub fn from_variant(name: &str) -> Option<RaftConfig> {
        let v = info().variant(name)?.name;
        let (bug, reads, pre_vote) = match v {
            "correct" => (RaftBug::None, ReadMode::ReadIndex, false),
            "log-reads" => (RaftBug::None, ReadMode::Log, false),
            "prevote" => (RaftBug::None, ReadMode::ReadIndex, true),
            "figure8-commit" => (RaftBug::Figure8Commit, ReadMode::ReadIndex, false),
            "vote-not-durable" => (RaftBug::VoteNotDurable, ReadMode::ReadIndex, false),
            "stale-leader-read" => (RaftBug::StaleLeaderRead, ReadMode::ReadIndex, false),
            "no-noop-read" => (RaftBug::NoNoopRead, ReadMode::ReadIndex, false),
            "stale-term-replies" => (RaftBug::StaleTermReplies, ReadMode::ReadIndex, false),
            "index-only-election" => (RaftBug::IndexOnlyElection, ReadMode::ReadIndex, false),
            "stale-snapshot" => (RaftBug::StaleSnapshot, ReadMode::ReadIndex, false),
            _ => return None,
        };
        Some(RaftConfig::new(bug, reads, pre_vote))
    }
}

/// Raft's wire messages. Entries travel as `Rc`-shared commands, snapshots as one `Rc` (a
/// world is single-threaded, so no atomic reference counts).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum RaftMsg {
    /// §5.2; with `pre_vote`, a pre-vote for `term` that changes no state (thesis §9.6).
    RequestVote {
        term: u64,
        last_index: u64,
        last_term: u64,
        pre_vote: bool,
    },
    /// `term` is the voter's term (for a granted pre-vote: the term it was granted for).
    VoteReply {
        term: u64,
        granted: bool,
        pre_vote: bool,
    },
    /// §5.3. `round` numbers the leader's heartbeat rounds for ReadIndex confirmation.
    AppendEntries {
        term: u64,
        prev_index: u64,
        prev_term: u64,
        entries: Vec<Entry>,
        commit: u64,
        round: u64,
    },
    /// `match_index` on success; the fast-backup hint (`conflict_term`, `conflict_index`) on
    /// a failed consistency check; `prev_index` echoed so stale rejections can be told apart.
    AppendReply {
        term: u64,
        success: bool,
        match_index: u64,
        conflict_term: Option<u64>,
        conflict_index: u64,
        prev_index: u64,
        round: u64,
    },
    /// §7, Figure 13, in one message (snapshots here are small).
    InstallSnapshot {
        term: u64,
        snapshot: Rc<Snapshot>,
        round: u64,
    },
    /// The follower holds everything up to `match_index`.
    SnapshotReply {
        term: u64,
        match_index: u64,
        round: u64,
    },
    ClientRequest {
        seq: u64,
        op: Op,
    },
    ClientReply {
        seq: u64,
        ret: Ret,
    },
    /// Not the leader (`hint`: the leader this server knows of). The request had no effect
    /// here, so the client may retry it anywhere with the same id.
    NotLeader {
        seq: u64,
        hint: Option<NodeId>,
    },
}

impl Message for RaftMsg {
    fn kind(&self) -> &'static str {
        match self {
            RaftMsg::RequestVote { pre_vote: true, .. } => "PreVote",
            RaftMsg::RequestVote { .. } => "RequestVote",
            RaftMsg::VoteReply {
                pre_vote: true,
                granted: true,
                ..
            } => "PreVoteGranted",
            RaftMsg::VoteReply { pre_vote: true, .. } => "PreVoteDenied",
            RaftMsg::VoteReply { granted: true, .. } => "VoteGranted",
            RaftMsg::VoteReply { .. } => "VoteDenied",
            RaftMsg::AppendEntries { .. } => "AppendEntries",
            RaftMsg::AppendReply { success: true, .. } => "AppendOk",
            RaftMsg::AppendReply { .. } => "AppendReject",
            RaftMsg::InstallSnapshot { .. } => "InstallSnapshot",
            RaftMsg::SnapshotReply { .. } => "SnapshotOk",
            RaftMsg::ClientRequest { .. } => "ClientRequest",
            RaftMsg::ClientReply { .. } => "ClientReply",
            RaftMsg::NotLeader { .. } => "NotLeader",
        }
    }
}

impl KvWire for RaftMsg {
    fn request(seq: u64, op: Op) -> RaftMsg {
        RaftMsg::ClientRequest { seq, op }
    }

    fn reply(self) -> Option<WireReply> {
        match self {
            RaftMsg::ClientReply { seq, ret } => Some(WireReply::Done { seq, ret }),
            RaftMsg::NotLeader { seq, hint } => Some(WireReply::Redirect { seq, hint }),
            _ => None,
        }
    }
}

/// The protocol as the harness builds it.
#[derive(Clone, Debug)]
pub struct Raft {
    pub cfg: RaftConfig,
}

impl Protocol for Raft {
    type Server = RaftServer;
    type Client = RaftClient;

    fn server(&self, id: NodeId, servers: &[NodeId]) -> RaftServer {
        RaftServer::new(id, servers.to_vec(), self.cfg)
    }

    fn client(&self, id: NodeId, servers: &[NodeId]) -> RaftClient {
        RaftClient::new(id, servers.to_vec())
    }
}

fn correct(name: &'static str, summary: &'static str) -> VariantInfo {
    VariantInfo {
        name,
        bug_id: None,
        expect: Expect::Pass,
        scenario: "raft-swarm",
        summary,
    }
}

fn bug(
    name: &'static str,
    id: &'static str,
    scenario: &'static str,
    summary: &'static str,
) -> VariantInfo {
    VariantInfo {
        name,
        bug_id: Some(id),
        expect: Expect::Fail,
        scenario,
        summary,
    }
}

/// What `splitbrain list` shows for this protocol.
pub fn info() -> ProtocolInfo {
    ProtocolInfo {
        name: "raft",
        summary: "Raft with a replicated key-value service (ReadIndex reads, snapshots)",
        variants: vec![
            correct("correct", "Raft as in the paper; reads by ReadIndex"),
            correct("log-reads", "correct; reads go through the log"),
            correct("prevote", "correct; pre-vote before each election"),
            bug(
                "figure8-commit",
                "R01",
                "raft-figure8-commit",
                "commits an earlier term's entry by counting replicas (5.4.2, Fig. 8)",
            ),
            bug(
                "vote-not-durable",
                "R02",
                "raft-vote-crash",
                "vote reply sent before term and vote are durable",
            ),
            bug(
                "stale-leader-read",
                "R05",
                "raft-stale-read",
                "leader serves reads locally without confirming leadership",
            ),
            bug(
                "no-noop-read",
                "R06",
                "raft-failover-read",
                "no no-op on election; reads before a commit of the leader's term",
            ),
            bug(
                "stale-term-replies",
                "R14",
                "raft-delayed-replies",
                "counts vote grants and append acks from older terms",
            ),
            bug(
                "index-only-election",
                "R15",
                "raft-long-old-log",
                "election restriction compares last log index only (5.4.1)",
            ),
            bug(
                "stale-snapshot",
                "R16",
                "raft-stale-snapshot",
                "installs a delayed or duplicated snapshot older than its state (7)",
            ),
        ],
        default_servers: 3,
        budget: FaultBudget::minority(),
    }
}
