//! Chain replication (van Renesse & Schneider, OSDI 2004) with CRAQ reads (Terrace &
//! Freedman, USENIX ATC 2009), reconfigured only by a configuration manager that is itself
//! replicated: the manager's replicas run this crate's Raft key-value service unchanged, in
//! the same world as the chain, and crash and partition like any other server.
//!
//! Servers `S1..Sm` are the manager's replicas (`m` = `managers`, 3 by default; one in the
//! `spof-manager` variant), the rest are chain nodes. One process type serves both roles
//! (`server::ChainServer`), and Raft's messages travel wrapped in [`ChainMsg::Raft`].
//!
//! With the ZooKeeper backend (`zk-manager`, or `params.zookeeper` = 1) `S1..Sm` are
//! ZooKeeper servers (this crate's ZAB service, messages wrapped in [`ChainMsg::Zab`]) and the
//! manager is built the way CRAQ builds it: every chain node and client holds a ZooKeeper
//! session, a node announces itself with an ephemeral znode, the layout is a znode read with
//! a watch and written with set-data(version), and the node with the smallest id decides.
//!
//! With `shards` > 1 every chain node hosts one replica per shard and the manager places one
//! chain per shard over the same nodes, roles rotated (shard `s` starts with the nodes turned
//! by `s`, so each node heads one chain and ends another); a key belongs to one shard
//! (`config::shard_of`). Messages between nodes of shard `s` > 0 travel in [`ChainMsg::Shard`].
//!
//! - `config`: a configuration (epoch, members) as the manager stores it, and the link a node
//!   or client keeps to the manager (leader hints, outstanding questions).
//! - `driver`: the manager's decisions, shared by both backends: from how each node stands, the
//!   layout that should follow.
//! - `manager`: a manager replica: a Raft server plus the driver that, on the Raft leader,
//!   watches the nodes' heartbeats and installs new configurations by compare-and-set.
//! - `zk`: the ZooKeeper backend's plumbing: a ZooKeeper server of the world, and a session
//!   held inside a chain node or client.
//! - `zk_node`: a chain node's ZooKeeper side: its member znode, the watched layout, leases
//!   renewed by a version-checking `multi`, and the manager's pass when it acts.
//! - `disk`: what a manager replica and a chain node keep on disk.
//! - `host`: a chain node's server: one replica per shard, one report to the manager for all,
//!   one disk.
//! - `node`: a chain node's replica of one shard: updates enter at the head and travel down; the tail applies,
//!   answers and acknowledges back up; each node keeps its history, so a new successor gets
//!   what it lacks, and a lease from the manager bounds how long it may answer reads.
//! - `client`: learns head and tail from the manager; writes to the head, reads at the tail
//!   (CRAQ: at any member), retries with the same request id.
//! - `invariants`: one head and one tail per epoch, the prefix property, no acknowledged
//!   write lost, and Raft's own checks on the manager.

pub mod client;
pub mod config;
mod disk;
mod driver;
mod host;
pub mod invariants;
mod manager;
mod node;
mod server;
pub mod zk;
mod zk_node;

pub use client::ChainClient;
pub use config::{shard_of, Config, Layout, Member};
pub use server::ChainServer;

use crate::kv::Cmd;
use crate::raft::{RaftBug, RaftConfig, RaftMsg, ReadMode};
use crate::zab::ZabMsg;
use splitbrain_api::{
    Dur, Expect, FaultBudget, Message, NodeId, Op, Protocol, ProtocolInfo, Ret, VariantInfo,
};
use std::rc::Rc;

/// A planted bug (`../shared/BUGS.md`), or none.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ChainBug {
    None,
    /// C01: nodes drop a silent neighbour themselves, without the manager: two heads.
    SelfReconfigure,
    /// C02: only the node that is tail when an update arrives records its request id.
    TailOnlyRequestIds,
    /// C03: the tail answers reads without checking its epoch is still current (no lease).
    StaleTailRead,
}

/// Where reads are served.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ReadPath {
    /// At the tail only (the paper).
    Tail,
    /// CRAQ: at any member; a dirty key's committed version is asked of the tail.
    Craq,
}

/// Everything that distinguishes one variant from another.
#[derive(Copy, Clone, Debug)]
pub struct ChainConfig {
    pub bug: ChainBug,
    pub reads: ReadPath,
    /// How many of the servers are the manager's replicas (the first ones).
    pub managers: usize,
    /// The manager acts on the nodes' reachability reports (bypasses a node cut off from its
    /// predecessor by a partial partition); without, such a chain stalls until it heals.
    pub reachability: bool,
    /// Chains over the same nodes, one per shard of the keys (1: one chain).
    pub shards: usize,
    /// Which replicated service backs the configuration manager.
    pub backend: Backend,
    /// The manager's Raft (the correct Raft, ReadIndex reads).
    pub raft: RaftConfig,
}

/// The replicated service the configuration manager is built on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Manager replicas on this crate's Raft key-value service; the Raft leader's replica
    /// decides from the nodes' reports (`manager`).
    Raft,
    /// This crate's ZooKeeper service (ZAB): nodes hold sessions and ephemeral member znodes,
    /// the layout is a watched znode written with set-data(version), and the member with the
    /// smallest id decides (`zk_node`).
    ZooKeeper,
}

/// How often a node reports to the manager (and renews its lease) and resends to neighbours.
pub const TICK: Dur = Dur::ms(50);
/// How long a lease lasts after the report that renewed it was sent; a node that becomes tail
/// waits this long before it acknowledges anything, so every lease of an older configuration
/// has run out by then.
pub const LEASE: Dur = Dur::ms(250);
/// The manager drops a node it has not heard from for this long.
pub const FAIL_AFTER: Dur = Dur::ms(500);
/// A node reports its successor cut off after this long without a `Hello` or `Ack` from it
/// (C01's nodes drop a silent neighbour themselves after it).
pub const SUSPECT: Dur = Dur::ms(300);

impl ChainConfig {
    pub fn new(bug: ChainBug, reads: ReadPath, managers: usize) -> ChainConfig {
        ChainConfig {
            bug,
            reads,
            managers,
            reachability: true,
            shards: 1,
            backend: Backend::Raft,
            raft: RaftConfig::new(RaftBug::None, ReadMode::ReadIndex, false),
        }
    }

    /// The variant named `name` (a name or a bug id, case-insensitive).
    pub fn from_variant(name: &str) -> Option<ChainConfig> {
        let v = info().variant(name)?.name;
        let (bug, reads, managers) = match v {
            "correct" => (ChainBug::None, ReadPath::Tail, 3),
            "craq" => (ChainBug::None, ReadPath::Craq, 3),
            "spof-manager" => (ChainBug::None, ReadPath::Tail, 1),
            "no-reachability" => {
                let mut cfg = ChainConfig::new(ChainBug::None, ReadPath::Tail, 3);
                cfg.reachability = false;
                return Some(cfg);
            }
            "zk-manager" => {
                let mut cfg = ChainConfig::new(ChainBug::None, ReadPath::Tail, 3);
                cfg.backend = Backend::ZooKeeper;
                return Some(cfg);
            }
            "self-reconfigure" => (ChainBug::SelfReconfigure, ReadPath::Tail, 3),
            "tail-only-request-ids" => (ChainBug::TailOnlyRequestIds, ReadPath::Tail, 3),
            "stale-tail-read" => (ChainBug::StaleTailRead, ReadPath::Tail, 3),
            _ => return None,
        };
        Some(ChainConfig::new(bug, reads, managers))
    }

    /// Manager replicas in a world of `servers` servers (at least one chain node remains).
    pub fn managers_of(&self, servers: usize) -> usize {
        self.managers.clamp(1, servers.saturating_sub(1).max(1))
    }
}

/// The chain's wire messages. Every chain message carries the sender's epoch: a receiver of
/// an older epoch asks the manager, one of a newer epoch drops it.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum ChainMsg {
    /// To, from or among the manager's replicas (clients read the configuration this way).
    Raft(RaftMsg),
    /// Node to a manager replica: alive with `boot`, and how it stands in each shard's chain;
    /// answered like a read of the configuration (request `seq`), which renews the node's
    /// leases.
    Report {
        seq: u64,
        boot: u64,
        shards: Vec<ShardReport>,
    },
    /// A message between the nodes of shard `shard` > 0 (shard 0's travel bare).
    Shard {
        shard: u32,
        msg: Box<ChainMsg>,
    },
    /// Client to node.
    Request {
        epoch: u64,
        seq: u64,
        op: Op,
    },
    /// Node to client: request `seq` took effect (a write, at the tail) or read this.
    Reply {
        epoch: u64,
        seq: u64,
        ret: Ret,
    },
    /// Node to client: not served here in this epoch; ask the manager.
    Reject {
        epoch: u64,
        seq: u64,
    },
    /// Predecessor to successor: updates `from..` of its history; it holds `upto`.
    Forward {
        epoch: u64,
        from: u64,
        cmds: Vec<Rc<Cmd>>,
        upto: u64,
    },
    /// Successor to predecessor: it holds `len` updates (send what follows); `sync`: it is
    /// new and waits for everything before it serves.
    Hello {
        epoch: u64,
        len: u64,
        sync: bool,
    },
    /// Toward the head: updates up to `n` reached the tail.
    Ack {
        epoch: u64,
        n: u64,
    },
    /// CRAQ: a node asks the tail for the committed value of a dirty key.
    VersionQuery {
        epoch: u64,
        qid: u64,
        key: String,
    },
    VersionReply {
        epoch: u64,
        qid: u64,
        ret: Ret,
    },
    /// C01 only: a configuration a node decided itself.
    Install {
        config: Rc<Config>,
    },
    /// To, from or among the ZooKeeper servers (the `ZooKeeper` backend).
    Zab(ZabMsg),
}

/// How a node stands in one shard's chain, as it reports it to the manager.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct ShardReport {
    /// The epoch of the configuration it holds.
    pub epoch: u64,
    /// It holds everything its predecessor held when it joined.
    pub synced: bool,
    /// It is the tail and acknowledges (holds everything and its wait is over): the manager
    /// hands the tail's role over to a joining node only from a serving tail.
    pub serving: bool,
    /// The epoch it joined the chain in (its membership), if it is a member.
    pub joined: Option<u64>,
    /// Its successor, when it has not heard from it for a while (a partial partition if the
    /// manager still hears both).
    pub cut_off: Option<NodeId>,
}

impl Message for ChainMsg {
    fn kind(&self) -> &'static str {
        match self {
            ChainMsg::Raft(m) => m.kind(),
            ChainMsg::Zab(m) => m.kind(),
            ChainMsg::Shard { msg, .. } => msg.kind(),
            ChainMsg::Report { .. } => "Report",
            ChainMsg::Request { .. } => "Request",
            ChainMsg::Reply { .. } => "Reply",
            ChainMsg::Reject { .. } => "Reject",
            ChainMsg::Forward { .. } => "Forward",
            ChainMsg::Hello { .. } => "Hello",
            ChainMsg::Ack { .. } => "Ack",
            ChainMsg::VersionQuery { .. } => "VersionQuery",
            ChainMsg::VersionReply { .. } => "VersionReply",
            ChainMsg::Install { .. } => "Install",
        }
    }
}

/// The protocol as the harness builds it.
#[derive(Clone, Debug)]
pub struct Chain {
    pub cfg: ChainConfig,
}

impl Protocol for Chain {
    type Server = ChainServer;
    type Client = ChainClient;

    fn server(&self, id: NodeId, servers: &[NodeId]) -> ChainServer {
        let m = self.cfg.managers_of(servers.len());
        ChainServer::new(id, &servers[..m], &servers[m..], self.cfg)
    }

    fn client(&self, id: NodeId, servers: &[NodeId]) -> ChainClient {
        let m = self.cfg.managers_of(servers.len());
        ChainClient::new(id, servers[..m].to_vec(), self.cfg)
    }
}

fn correct(name: &'static str, scenario: &'static str, summary: &'static str) -> VariantInfo {
    VariantInfo {
        name,
        bug_id: None,
        expect: Expect::Pass,
        scenario,
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
    // Chain nodes keep what they acknowledge on disk, so crashes of chain nodes lose nothing;
    // one server down at a time keeps the manager's Raft majority (three replicas) up; leases
    // assume clocks that neither jump nor drift.
    let mut max_down_by_size = [1; splitbrain_api::BUDGET_SIZES];
    max_down_by_size[..2].fill(0);
    let budget = FaultBudget {
        max_down_by_size,
        survives_lost_unsynced: true,
        survives_clock_skew: false,
    };
    ProtocolInfo {
        name: "chain",
        summary: "Chain replication reconfigured by a manager replicated on Raft (or ZooKeeper) in the same world",
        variants: vec![
            correct(
                "correct",
                "chain-swarm",
                "reads at the tail; a 3-replica Raft manager",
            ),
            correct(
                "craq",
                "chain-craq",
                "CRAQ: clean reads at any member, dirty ones ask the tail",
            ),
            correct(
                "spof-manager",
                "chain-spof-manager",
                "a single manager replica: the single point of failure (safe, stalls while down)",
            ),
            correct(
                "zk-manager",
                "chain-zk-manager",
                "the manager on ZooKeeper: sessions, ephemeral member znodes, a watched layout znode",
            ),
            correct(
                "no-reachability",
                "chain-partial-partition-stall",
                "the manager ignores reachability reports: a partial partition stalls the chain",
            ),
            bug(
                "self-reconfigure",
                "C01",
                "chain-split",
                "nodes drop a silent neighbour themselves (no manager): two heads",
            ),
            bug(
                "tail-only-request-ids",
                "C02",
                "chain-tail-crash",
                "request ids kept only at the tail: a retry after a tail failure applies twice",
            ),
            bug(
                "stale-tail-read",
                "C03",
                "chain-stale-tail",
                "a removed or partitioned tail keeps answering reads (no epoch lease)",
            ),
        ],
        default_servers: 6,
        budget,
    }
}
