//! ZAB, ZooKeeper's atomic broadcast (Junqueira, Reed & Serafini, "Zab: High-performance
//! broadcast for primary-backup systems", DSN 2011; Medeiros, "ZooKeeper's atomic broadcast
//! protocol: Theory and practice"), with the replicated service on top, and its planted bugs
//! as named variants of this one implementation.
//!
//! - `log`: zxids, the hash-chained history and the DIFF/TRUNC/SNAP rule; `snapshot`: the
//!   delivered state a snapshot holds (most replay their transactions when asked), and how
//!   a transaction changes it.
//! - `tree`: the ZooKeeper data tree the transactions build (znodes, stat, errors); `paths`:
//!   the map from paths it looks znodes up in; `adopt`: one apply of a transaction for the
//!   servers whose trees are one shared content.
//! - `server`: state, boot and recovery from the simulated disk, the tick and its timeouts.
//! - `election`: fast leader election on (epoch, last zxid, server id).
//! - `discovery`: phase 1 (FOLLOWERINFO, NEWEPOCH, ACKEPOCH with durable acceptedEpoch) and
//!   phase 2 (synchronisation by DIFF, TRUNC or SNAP with NEWLEADER, durable currentEpoch).
//! - `broadcast`: phase 3 (PROPOSAL, ACK, COMMIT in zxid order), delivery, client requests.
//! - `invariants`: one established leader per epoch, primary order and integrity, agreement
//!   on delivered transactions, no delivered transaction lost, checked after every step.
//!
//! The service is the ZooKeeper data tree (`tree`) and, for key-value workloads, the shared
//! key-value state machine (`crate::kv`), each with an exactly-once session table.
//! - `client`: ZAB's client. Key-value operations go through the shared `KvClient`;
//!   ZooKeeper calls go over a session with one server at a time (heartbeats, moving on
//!   failure without going back in zxid, expiry noticed, one-shot watches).
//! - `sessions`: sessions on the server side, opened and expired by replicated transactions.
//! - `watches`: one-shot watches and the numbered notifications that travel with replies.
//! - `small_map`: the sorted vector that holds the per-peer and per-client tables.
//!
//! A server forwards writes (and `sync`) to the leader and answers once it has delivered the
//! transaction itself, and answers data-tree reads from its own state, refusing a client that
//! has seen a later zxid than it has delivered (FIFO client order, never back in time).

mod adopt;
mod broadcast;
pub mod client;
mod discovery;
mod election;
pub mod invariants;
pub mod log;
mod paths;
pub mod recipes;
mod server;
mod sessions;
mod small_map;
mod snapshot;
#[cfg(test)]
mod tests;
pub mod tree;
mod watches;

pub use adopt::ApplyMemo;
pub use client::{nested, ZabClient, ZabClientTimer};
pub use server::ZabServer;
pub use sessions::SessionIds;
pub use watches::{Note, WatchOn};

use crate::kv::{KvWire, WireReply};
use log::{Batch, Snapshot, Txn};
use splitbrain_api::{
    Dur, Expect, FaultBudget, Message, NodeId, Op, Protocol, ProtocolInfo, Ret, VariantInfo,
};
use std::rc::Rc;

/// A planted bug (`../shared/BUGS.md`), or none: one deviation each, marked in the code by a
/// `ZabBug::...` test.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ZabBug {
    None,
    /// Z01: a follower whose last zxid is not in the leader's log is synced by DIFF from its
    /// own last zxid, without TRUNC (ZOOKEEPER-1154).
    DiffWithoutTrunc,
    /// Z02: a follower acknowledges NEWLEADER before the synced history is durable
    /// (ZOOKEEPER-2678).
    AckBeforeDurable,
    /// Z06: a follower accepts proposals without checking their epoch or sender.
    NoEpochCheck,
    /// Z08: a server answers a client's read (and takes its connection) without having
    /// delivered the last zxid the client has seen, its own last write included.
    ReadBeforeOwnWrite,
}

/// How the service answers a read.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ReadMode {
    /// Reads are transactions ordered by the leader like writes (linearizable).
    Broadcast,
    /// The connected server answers from its own delivered state (ZooKeeper's reads: not
    /// linearizable by design, Z07).
    Local,
}

/// Everything that distinguishes one variant from another, plus the timing constants.
#[derive(Copy, Clone, Debug)]
pub struct ZabConfig {
    pub bug: ZabBug,
    pub reads: ReadMode,
    /// Period of the leader's pings and retransmissions and of election notifications.
    pub tick: Dur,
    /// A follower without word from its leader for a time drawn from this range goes looking.
    pub follower_timeout_us: (u64, u64),
    /// A leader that heard from no quorum for this long (or did not establish in time) steps
    /// down.
    pub leader_timeout: Dur,
    /// Transactions per PROPOSAL retransmission.
    pub max_batch: usize,
    /// Take a snapshot once this many transactions were delivered since the last one.
    pub snapshot_every: u64,
    /// Delivered transactions kept in the log after a snapshot (DIFF instead of SNAP).
    pub retain: u64,
    /// The leader closes a session it has not heard of for this long.
    pub session_timeout: Dur,
}

impl ZabConfig {
    pub fn new(bug: ZabBug, reads: ReadMode) -> ZabConfig {
        ZabConfig {
            bug,
            reads,
            tick: Dur::ms(50),
            follower_timeout_us: (200_000, 400_000),
            leader_timeout: Dur::ms(400),
            max_batch: 8,
            snapshot_every: 32,
            retain: 8,
            session_timeout: Dur::ms(800),
        }
    }

    /// The variant named `name` (a name or a bug id, case-insensitive).
    pub fn from_variant(name: &str) -> Option<ZabConfig> {
        let v = info().variant(name)?.name;
        let (bug, reads) = match v {
            "correct" => (ZabBug::None, ReadMode::Broadcast),
            "diff-without-trunc" => (ZabBug::DiffWithoutTrunc, ReadMode::Broadcast),
            "ack-before-durable" => (ZabBug::AckBeforeDurable, ReadMode::Broadcast),
            "no-epoch-check" => (ZabBug::NoEpochCheck, ReadMode::Broadcast),
            "follower-reads" => (ZabBug::None, ReadMode::Local),
            "read-before-own-write" => (ZabBug::ReadBeforeOwnWrite, ReadMode::Broadcast),
            _ => return None,
        };
        Some(ZabConfig::new(bug, reads))
    }
}

/// A fast-leader-election vote: the candidate's (current epoch, last zxid, id), compared in
/// that order.
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub struct Vote {
    pub epoch: u64,
    pub zxid: u64,
    pub id: NodeId,
}

/// ZAB's wire messages. Operations and results travel boxed or shared (`Rc`), so that a
/// message stays small (the simulator moves every message several times between send and
/// delivery, and a move of more than a few words is a call to `memcpy`).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum ZabMsg {
    /// An election notification. `leading`: the sender is not looking; it follows or leads
    /// `vote.id` (a looking server may join that leader).
    Notification {
        round: u64,
        vote: Vote,
        leading: bool,
    },
    /// Discovery: a follower's acceptedEpoch to its prospective leader.
    FollowerInfo {
        accepted_epoch: u64,
    },
    /// Discovery: the new epoch, above every acceptedEpoch of a quorum (LEADERINFO).
    NewEpoch {
        epoch: u64,
    },
    /// Discovery: the follower accepted `epoch` (durably) and reports its history. Not
    /// `fresh`: it had accepted `epoch` already (from another prospective leader, or before
    /// a restart), so this leader may synchronise it but not count it for its quorum.
    AckEpoch {
        epoch: u64,
        current_epoch: u64,
        last_zxid: u64,
        fresh: bool,
    },
    /// Synchronisation, then NEWLEADER: drop entries above `trunc_to`, or install
    /// `snapshot`; then `txns` follow `prev`.
    Sync {
        epoch: u64,
        trunc_to: Option<u64>,
        snapshot: Option<Rc<Snapshot>>,
        prev: u64,
        txns: Vec<Txn>,
    },
    /// The follower could not apply a DIFF (its last zxid is not `prev`): send a SNAP.
    SyncFailed {
        epoch: u64,
    },
    /// The follower holds the leader's history and `epoch` as currentEpoch, durably.
    AckNewLeader {
        epoch: u64,
        last_zxid: u64,
    },
    /// Broadcast: transactions following `prev` (new or retransmitted); a batch is shared
    /// by the copies a broadcast sends (they hash as a `Vec` would).
    Proposal {
        epoch: u64,
        prev: u64,
        txns: Batch,
    },
    /// The follower holds everything up to `last_zxid` durably (an ACK, also a ping reply).
    Ack {
        epoch: u64,
        last_zxid: u64,
    },
    /// Every transaction up to `zxid` is committed.
    Commit {
        epoch: u64,
        zxid: u64,
    },
    /// The leader is alive; `commit` as in COMMIT.
    Ping {
        epoch: u64,
        commit: u64,
    },
    /// A follower passes a client's request to its leader.
    Forward {
        client: NodeId,
        seq: u64,
        op: Rc<Op>,
    },
    /// `seen`: the highest zxid the client has seen in a reply. The operation is the
    /// client's own (`Rc`): its sends and resends share it, and a read is served from it
    /// without a copy.
    ClientRequest {
        seq: u64,
        op: Rc<Op>,
        seen: u64,
    },
    ClientReply {
        seq: u64,
        ret: Box<Ret>,
    },
    /// A ZooKeeper call's answer, with the notifications the client has not acknowledged
    /// (processed before the answer), on connection `conn`.
    /// The result is shared with the server's session table (`Rc`: no copy).
    ZkReply {
        seq: u64,
        ret: Rc<Ret>,
        notes: Vec<Note>,
        conn: u64,
    },
    /// A client asks for `session` (new, or moving here with its `watches`, each with the
    /// zxid it was set at), having seen zxid `seen`; `conn` numbers the client's connection
    /// attempts (answers to an earlier one are ignored).
    Connect {
        session: u64,
        seen: u64,
        watches: Vec<(String, WatchOn, u64)>,
        conn: u64,
    },
    /// The answer to a connect or a ping: the session is open here, or closed for good.
    Session {
        session: u64,
        live: bool,
        notes: Vec<Note>,
        conn: u64,
    },
    /// A client's heartbeat (acknowledging notifications up to `acked`), and the answer.
    ClientPing {
        session: u64,
        acked: u64,
        conn: u64,
    },
    ClientPong {
        session: u64,
        notes: Vec<Note>,
        conn: u64,
    },
    /// A follower heard from these sessions (with its ping reply).
    Touch {
        epoch: u64,
        sessions: SessionIds,
    },
    /// A follower asks the leader to open a client's session.
    ForwardSession {
        client: NodeId,
        session: u64,
    },
    /// This server cannot serve now (looking, or not synchronised); nothing happened.
    NotServing {
        seq: u64,
        hint: Option<NodeId>,
    },
}

impl Message for ZabMsg {
    fn kind(&self) -> &'static str {
        match self {
            ZabMsg::Notification { .. } => "Notification",
            ZabMsg::FollowerInfo { .. } => "FollowerInfo",
            ZabMsg::NewEpoch { .. } => "NewEpoch",
            ZabMsg::AckEpoch { .. } => "AckEpoch",
            ZabMsg::Sync {
                snapshot: Some(_), ..
            } => "SyncSnap",
            ZabMsg::Sync {
                trunc_to: Some(_), ..
            } => "SyncTrunc",
            ZabMsg::Sync { .. } => "SyncDiff",
            ZabMsg::SyncFailed { .. } => "SyncFailed",
            ZabMsg::AckNewLeader { .. } => "AckNewLeader",
            ZabMsg::Proposal { .. } => "Proposal",
            ZabMsg::Ack { .. } => "Ack",
            ZabMsg::Commit { .. } => "Commit",
            ZabMsg::Ping { .. } => "Ping",
            ZabMsg::Forward { .. } => "Forward",
            ZabMsg::ClientRequest { .. } => "ClientRequest",
            ZabMsg::ClientReply { .. } => "ClientReply",
            ZabMsg::ZkReply { .. } => "ZkReply",
            ZabMsg::Connect { .. } => "Connect",
            ZabMsg::Session { .. } => "Session",
            ZabMsg::ClientPing { .. } => "ClientPing",
            ZabMsg::ClientPong { .. } => "ClientPong",
            ZabMsg::Touch { .. } => "Touch",
            ZabMsg::ForwardSession { .. } => "ForwardSession",
            ZabMsg::NotServing { .. } => "NotServing",
        }
    }
}

impl KvWire for ZabMsg {
    fn request(seq: u64, op: Op) -> ZabMsg {
        let op = Rc::new(op);
        ZabMsg::ClientRequest { seq, op, seen: 0 }
    }

    fn request_seen(seq: u64, op: Op, seen: u64) -> ZabMsg {
        let op = Rc::new(op);
        ZabMsg::ClientRequest { seq, op, seen }
    }

    fn reply(self) -> Option<WireReply> {
        match self {
            ZabMsg::ClientReply { seq, ret } => Some(WireReply::Done { seq, ret: *ret }),
            ZabMsg::NotServing { seq, hint } => Some(WireReply::Redirect { seq, hint }),
            _ => None,
        }
    }
}

/// The protocol as the harness builds it.
#[derive(Clone, Debug)]
pub struct Zab {
    pub cfg: ZabConfig,
}

impl Protocol for Zab {
    type Server = ZabServer;
    type Client = ZabClient;

    fn server(&self, id: NodeId, servers: &[NodeId]) -> ZabServer {
        ZabServer::new(id, servers.to_vec(), self.cfg)
    }

    fn client(&self, id: NodeId, servers: &[NodeId]) -> ZabClient {
        ZabClient::new(id, servers.to_vec())
    }
}

fn variant(
    name: &'static str,
    bug_id: Option<&'static str>,
    scenario: &'static str,
    summary: &'static str,
) -> VariantInfo {
    VariantInfo {
        name,
        bug_id,
        expect: if bug_id.is_some() {
            Expect::Fail
        } else {
            Expect::Pass
        },
        scenario,
        summary,
    }
}

/// What `splitbrain list` shows for this protocol.
pub fn info() -> ProtocolInfo {
    ProtocolInfo {
        name: "zab",
        summary: "ZAB (ZooKeeper's atomic broadcast) serving a key-value store and the \
                  ZooKeeper data tree",
        variants: vec![
            variant(
                "correct",
                None,
                "zab-swarm",
                "ZAB as in the DSN 2011 paper; reads ordered through the leader",
            ),
            variant(
                "follower-reads",
                Some("Z07"),
                "zab-follower-read",
                "control case: reads answered from the connected server's own state, as \
                 ZooKeeper does; not linearizable by design",
            ),
            variant(
                "diff-without-trunc",
                Some("Z01"),
                "zab-returning-leader",
                "a follower holding a txn the leader lacks is synced by DIFF without TRUNC",
            ),
            variant(
                "ack-before-durable",
                Some("Z02"),
                "zab-sync-crash-ack",
                "a follower acks NEWLEADER before the synced history is durable",
            ),
            variant(
                "read-before-own-write",
                Some("Z08"),
                "zab-zk-lagging-read",
                "a server answers a client's read before it has applied the client's own last \
                 write (FIFO client order broken)",
            ),
            variant(
                "no-epoch-check",
                Some("Z06"),
                "zab-deposed-leader",
                "a follower accepts proposals of an older epoch from a deposed leader",
            ),
        ],
        default_servers: 3,
        budget: FaultBudget::minority(),
    }
}
