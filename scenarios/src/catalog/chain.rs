//! Chain replication's registry entry and scenario catalogue: head, middle and tail crashes,
//! a tail added under load, a partition between the manager and a node, a partial partition
//! between neighbours, a slow node,
//! unreliable links, crashes of the manager's own replicas (and of the single replica of the
//! teaching variant), CRAQ reads, several chains over the same nodes (one per shard), the
//! scenarios of the planted bugs, and a swarm. Servers S1-S3 are the manager's replicas (Raft),
//! S4-S6 the chain, head first. Every scenario lists the coverage marks it exists for in
//! `sometimes`.

use crate::registry::ProtocolEntry;
use crate::scenario::Scenario;
use splitbrain_api::VariantInfo;
use splitbrain_protocols::chain::{self, invariants, Chain, ChainConfig};
use splitbrain_sim::{run_world, RunRecord, Workload, WorldConfig};
use std::collections::BTreeMap;

pub struct ChainEntry;

fn config_of(v: &VariantInfo) -> ChainConfig {
    ChainConfig::from_variant(v.name).expect("chain variants come from chain::info()")
}

/// The chain's knobs a scenario may set (`"params": {"shards": 3}`).
const PARAMS: &[(&str, &str)] = &[
    (
        "shards",
        "chains over the same nodes, one per shard of the keys, roles rotated (default 1, at most 8)",
    ),
    (
        "zookeeper",
        "1: the configuration manager runs on ZooKeeper (sessions, ephemeral member znodes, a watched layout znode) instead of Raft (default 0)",
    ),
];

/// The variant's configuration with a scenario's `params` applied.
fn tuned(v: &VariantInfo, params: &BTreeMap<String, u64>) -> ChainConfig {
    let mut cfg = config_of(v);
    for (name, &value) in params {
        match name.as_str() {
            "shards" => cfg.shards = value.clamp(1, 8) as usize,
            "zookeeper" if value > 0 => cfg.backend = chain::Backend::ZooKeeper,
            "zookeeper" => {}
            other => panic!("parameter `{other}` passed the scenario check but is not the chain's"),
        }
    }
    cfg
}

impl ProtocolEntry for ChainEntry {
    fn crash_roles(&self) -> &'static [(crate::portable::CrashRole, &'static str)] {
        use crate::portable::CrashRole;
        &[
            (CrashRole::VoteGrant, "VoteGranted"),
            (CrashRole::AppendAck, "Ack"),
            (CrashRole::Append, "Forward"),
            (CrashRole::ClientReply, "Reply"),
        ]
    }

    fn info(&self) -> splitbrain_api::ProtocolInfo {
        chain::info()
    }

    fn default_servers(&self, variant: &VariantInfo) -> usize {
        config_of(variant).managers + 3
    }

    fn servers_range(&self) -> std::ops::RangeInclusive<usize> {
        2..=splitbrain_sim::world::MAX_SERVERS
    }

    fn params(&self) -> &'static [(&'static str, &'static str)] {
        PARAMS
    }

    /// Events of the chain replicas themselves, not of the manager's replicas: a replica back
    /// with its disk's history, resending to its successor, answering a retried write. Edits
    /// anchored on them land on the nodes clients talk to.
    fn hints(&self) -> &'static [&'static str] {
        &["recovered-history", "resent", "dedup-hit"]
    }

    fn run(
        &self,
        variant: &VariantInfo,
        params: &BTreeMap<String, u64>,
        cfg: WorldConfig,
        workload: Box<dyn Workload>,
    ) -> RunRecord {
        let proto = Chain {
            cfg: tuned(variant, params),
        };
        let managers = proto.cfg.managers_of(cfg.servers);
        let checks = invariants::all(managers, proto.cfg.shards, proto.cfg.backend);
        run_world(&proto, cfg, workload, checks)
    }

    fn scenarios(&self) -> Vec<Scenario> {
        super::parse_builtin("chain", &CATALOGUE)
    }
}

/// Every chain scenario: behaviours first, then the planted bugs' scenarios.
pub const CATALOGUE: [&str; 19] = [
    HEAD_CRASH,
    MIDDLE_CRASH,
    TAIL_CRASH,
    ADD_TAIL,
    MANAGER_PARTITION,
    PARTIAL_PARTITION,
    PARTIAL_PARTITION_STALL,
    SLOW_NODE,
    UNRELIABLE,
    MANAGER_CRASH,
    SPOF_MANAGER,
    CRAQ,
    SHARDS,
    ZK_MANAGER,
    ZK_SESSIONS,
    SWARM,
    ZK_SWARM,
    SPLIT,
    STALE_TAIL,
];

const HEAD_CRASH: &str = r#"{
  "name": "chain-head-crash",
  "description": "The head (S4) crashes under writes: the manager drops it and the next node becomes head; clients learn the new head from the manager and retry with the same request ids. S4 restarts from its disk and, removed meanwhile, rejoins afresh as a new tail.",
  "protocol": "chain",
  "servers": 6,
  "clients": 3,
  "safety_ms": 4000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 1000000, "fault": {"kind": "crash", "node": "S4"}},
    {"at_us": 2500000, "fault": {"kind": "restart", "node": "S4"}}
  ],
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["new-head", "reconfigured", "joined", "synced"]
}"#;

const MIDDLE_CRASH: &str = r#"{
  "name": "chain-middle-crash",
  "description": "The middle node (S5) crashes under writes: the manager links head and tail, and the head resends what the tail lacks from the updates it holds beyond the acknowledged point.",
  "protocol": "chain",
  "servers": 6,
  "clients": 3,
  "safety_ms": 4000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 1000000, "fault": {"kind": "crash", "node": "S5"}},
    {"at_us": 2500000, "fault": {"kind": "restart", "node": "S5"}}
  ],
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["new-successor", "reconfigured", "joined"]
}"#;

/// C02: writes in flight when the tail dies are retried at the head while the manager drops
/// the tail; the new tail must not apply a retried update twice.
const TAIL_CRASH: &str = r#"{
  "name": "chain-tail-crash",
  "description": "The tail (S6) crashes under writes: updates it never acknowledged are retried by their clients at the head with the same request ids while the manager makes the predecessor the tail; each must apply once.",
  "protocol": "chain",
  "servers": 6,
  "clients": 3,
  "safety_ms": 4000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 1000000, "fault": {"kind": "crash", "node": "S6"}},
    {"at_us": 2500000, "fault": {"kind": "restart", "node": "S6"}}
  ],
  "workload": {"kind": "kv", "keys": 2, "read_percent": 30},
  "sometimes": ["new-tail", "dedup-hit", "reconfigured"]
}"#;

const ADD_TAIL: &str = r#"{
  "name": "chain-add-tail",
  "description": "Nodes leave and come back one at a time under a steady write load: each returns from its disk and, removed meanwhile, is added afresh as a new tail, catching up from its predecessor by state transfer before it answers reads or acknowledges.",
  "protocol": "chain",
  "servers": 6,
  "clients": 4,
  "safety_ms": 6000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 600000, "fault": {"kind": "crash", "node": "S6"}},
    {"at_us": 1400000, "fault": {"kind": "restart", "node": "S6"}},
    {"at_us": 2600000, "fault": {"kind": "crash", "node": "S4"}},
    {"at_us": 3400000, "fault": {"kind": "restart", "node": "S4"}},
    {"at_us": 4400000, "fault": {"kind": "crash", "node": "S5"}},
    {"at_us": 5000000, "fault": {"kind": "restart", "node": "S5"}}
  ],
  "workload": {"kind": "kv", "keys": 4, "read_percent": 20},
  "sometimes": ["joined", "synced", "new-tail", "new-head", "handed-off"]
}"#;

const MANAGER_PARTITION: &str = r#"{
  "name": "chain-manager-partition",
  "description": "One chain node at a time loses its links to the manager's replicas but keeps those to the other nodes and clients: the manager drops it, its lease runs out so it stops answering, and it rejoins afresh once the manager hears it again.",
  "protocol": "chain",
  "servers": 6,
  "clients": 3,
  "safety_ms": 6000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 500000, "fault": {"kind": "partition", "groups": [["S1", "S2", "S3"], ["S5"]]}},
    {"at_us": 1800000, "fault": {"kind": "heal"}},
    {"at_us": 2500000, "fault": {"kind": "partition", "groups": [["S1", "S2", "S3"], ["S6"]]}},
    {"at_us": 3800000, "fault": {"kind": "heal"}},
    {"at_us": 4300000, "fault": {"kind": "partition", "groups": [["S1", "S2", "S3"], ["S4"]]}},
    {"at_us": 5500000, "fault": {"kind": "heal"}}
  ],
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["new-successor", "new-head", "joined"]
}"#;

/// Issue 13 item 6: every node reaches the manager, two neighbours cannot reach each other.
const PARTIAL_PARTITION: &str = r#"{
  "name": "chain-partial-partition",
  "description": "The manager reaches every node, but head and middle (S4, S5), then middle and tail, cannot reach each other. Without help the chain stalls (writes cannot pass; nothing unsafe happens); with the nodes' reachability reports the manager bypasses the node cut off from its predecessor and adds it back as a tail later.",
  "protocol": "chain",
  "servers": 6,
  "clients": 3,
  "safety_ms": 5000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 800000, "fault": {"kind": "partial-partition", "a": "S4", "b": "S5"}},
    {"at_us": 2300000, "fault": {"kind": "heal"}},
    {"at_us": 3000000, "fault": {"kind": "partial-partition", "a": "S5", "b": "S6"}},
    {"at_us": 4500000, "fault": {"kind": "heal"}}
  ],
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["cut-off-reported", "bypassed", "joined"]
}"#;

/// Issue 13 item 6 without help: the `no-reachability` variant's scenario. The expectation is
/// a stall, not a violation: the run passes (nothing unsafe, and the chain serves again once
/// the partition heals), and the head marks `stalled`.
const PARTIAL_PARTITION_STALL: &str = r#"{
  "name": "chain-partial-partition-stall",
  "description": "Head and middle (S4, S5) cannot reach each other for 2.5 s while the manager reaches both. A manager that ignores the nodes' reachability reports (variant no-reachability) keeps the chain as it is: writes stall at the head (mark stalled) until the partition heals, and nothing unsafe happens: the expectation is a stall, not a violation. The correct manager bypasses S5 instead.",
  "protocol": "chain",
  "servers": 6,
  "clients": 3,
  "safety_ms": 4500,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 800000, "fault": {"kind": "partial-partition", "a": "S4", "b": "S5"}},
    {"at_us": 3300000, "fault": {"kind": "heal"}}
  ],
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["cut-off-reported", "stalled"]
}"#;

const SLOW_NODE: &str = r#"{
  "name": "chain-slow-node",
  "description": "A chain node sends everything 40-150 ms late, in turn the middle, the head and the tail: clients time out and retry the same request at the head, which answers the retries once the original update is acknowledged.",
  "protocol": "chain",
  "servers": 6,
  "clients": 3,
  "safety_ms": 4500,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 500000, "fault": {"kind": "slow", "node": "S5", "extra_us": 150000}},
    {"at_us": 1500000, "fault": {"kind": "slow", "node": "S5", "extra_us": 0}},
    {"at_us": 2000000, "fault": {"kind": "slow", "node": "S4", "extra_us": 120000}},
    {"at_us": 3000000, "fault": {"kind": "slow", "node": "S4", "extra_us": 0}},
    {"at_us": 3500000, "fault": {"kind": "slow", "node": "S6", "extra_us": 40000}},
    {"at_us": 4000000, "fault": {"kind": "slow", "node": "S6", "extra_us": 0}}
  ],
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["dedup-hit"]
}"#;

const UNRELIABLE: &str = r#"{
  "name": "chain-unreliable",
  "description": "Links drop 10%, duplicate 20% and reorder messages with delays up to 200 ms: successors pull what they lack with their periodic Hello, acknowledgements are resent, duplicated and late updates change nothing.",
  "protocol": "chain",
  "servers": 6,
  "clients": 3,
  "safety_ms": 5000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 0, "fault": {"kind": "link", "from": null, "to": null, "profile": {"latency": {"dist": "long-tail", "min_us": 500, "mean_tail_us": 20000, "max_us": 200000}, "drop": 0.1, "duplicate": 0.2, "reorder": 0.3, "reorder_window_us": 50000}}}
  ],
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["resent", "dedup-hit"]
}"#;

const MANAGER_CRASH: &str = r#"{
  "name": "chain-manager-crash",
  "description": "The manager's own replicas crash one at a time, and chain nodes crash while a manager replica is down: the manager elects a new Raft leader and goes on reconfiguring (with a single manager replica, the chain cannot be reconfigured while it is down).",
  "protocol": "chain",
  "servers": 6,
  "clients": 3,
  "safety_ms": 6000,
  "liveness_ms": 2500,
  "schedule": [
    {"at_us": 500000, "fault": {"kind": "crash", "node": "S1"}},
    {"at_us": 1000000, "fault": {"kind": "restart", "node": "S1"}},
    {"at_us": 1500000, "fault": {"kind": "crash", "node": "S2"}},
    {"at_us": 1600000, "fault": {"kind": "crash", "node": "S6"}},
    {"at_us": 2500000, "fault": {"kind": "restart", "node": "S2"}},
    {"at_us": 2600000, "fault": {"kind": "restart", "node": "S6"}},
    {"at_us": 3500000, "fault": {"kind": "crash", "node": "S3"}},
    {"at_us": 3600000, "fault": {"kind": "crash", "node": "S4"}},
    {"at_us": 4500000, "fault": {"kind": "restart", "node": "S3"}},
    {"at_us": 4600000, "fault": {"kind": "restart", "node": "S4"}}
  ],
  "generator": {"rates": {"partition": 0.5}, "mean_fault_ms": 300},
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["leader-elected", "reconfigured", "joined"]
}"#;

/// The teaching variant: one manager replica, the single point of failure.
const SPOF_MANAGER: &str = r#"{
  "name": "chain-spof-manager",
  "description": "One manager replica (S1) and three chain nodes: the manager crashes, and a chain node crashes while it is down; nothing can be reconfigured until the manager is back (from its disk), then the chain heals.",
  "protocol": "chain",
  "servers": 4,
  "clients": 3,
  "safety_ms": 4000,
  "liveness_ms": 2500,
  "schedule": [
    {"at_us": 1000000, "fault": {"kind": "crash", "node": "S1"}},
    {"at_us": 1200000, "fault": {"kind": "crash", "node": "S3"}},
    {"at_us": 2200000, "fault": {"kind": "restart", "node": "S1"}},
    {"at_us": 2400000, "fault": {"kind": "restart", "node": "S3"}}
  ],
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["recovered", "reconfigured", "joined"]
}"#;

const CRAQ: &str = r#"{
  "name": "chain-craq",
  "description": "A read-heavy load with nodes crashing and returning: under CRAQ every member answers reads of clean keys from its own copy and asks the tail for the committed value of dirty ones.",
  "protocol": "chain",
  "servers": 6,
  "clients": 4,
  "safety_ms": 5000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 1500000, "fault": {"kind": "crash", "node": "S5"}},
    {"at_us": 2500000, "fault": {"kind": "restart", "node": "S5"}}
  ],
  "generator": {"rates": {"partition": 0.5}, "mean_fault_ms": 300},
  "workload": {"kind": "kv", "keys": 2, "read_percent": 70},
  "sometimes": ["reconfigured", "joined"]
}"#;

/// Issue 13 item 5: one chain per shard over the same three nodes, roles rotated, so a crash
/// takes a head from one chain, a middle from another and a tail from the third.
const SHARDS: &str = r#"{
  "name": "chain-shards",
  "description": "Three chains over the same nodes S4-S6, one per shard of the keys, placed by the manager with roles rotated (each node heads one chain, sits in the middle of another and ends the third); clients send each key to its shard's chain. Each node crashes in turn and comes back from its disk: every crash is a head, a middle and a tail failure at once, and each chain is reconfigured on its own.",
  "protocol": "chain",
  "servers": 6,
  "clients": 4,
  "safety_ms": 6000,
  "liveness_ms": 2000,
  "params": {"shards": 3},
  "schedule": [
    {"at_us": 1000000, "fault": {"kind": "crash", "node": "S4"}},
    {"at_us": 1800000, "fault": {"kind": "restart", "node": "S4"}},
    {"at_us": 2800000, "fault": {"kind": "crash", "node": "S5"}},
    {"at_us": 3600000, "fault": {"kind": "restart", "node": "S5"}},
    {"at_us": 4400000, "fault": {"kind": "crash", "node": "S6"}},
    {"at_us": 5200000, "fault": {"kind": "restart", "node": "S6"}}
  ],
  "workload": {"kind": "kv", "keys": 6, "read_percent": 30},
  "sometimes": ["new-head", "new-tail", "new-successor", "reconfigured", "recovered-history"]
}"#;

/// Issue 13 item 3 on ZooKeeper: the manager's servers are ZooKeeper servers, crashing and
/// partitioned like any others.
const ZK_MANAGER: &str = r#"{
  "name": "chain-zk-manager",
  "description": "The configuration manager on ZooKeeper, as CRAQ builds it: S1-S3 are ZooKeeper servers (ZAB), every chain node holds a session and an ephemeral znode /chain/members/Sx with its status, the layout is the znode /chain/config, read with a watch and written with set-data(version) by the node with the smallest id. ZooKeeper servers crash and are cut off in turn, then the head S4 crashes: it is also the acting manager (the smallest id), so nothing but its session's expiry tells the others; its znode vanishes, S5 takes over the manager's role and becomes head, and S4 comes back with a new session and rejoins as a new tail.",
  "protocol": "chain",
  "servers": 6,
  "clients": 3,
  "safety_ms": 7000,
  "liveness_ms": 3000,
  "params": {"zookeeper": 1},
  "schedule": [
    {"at_us": 1500000, "fault": {"kind": "crash", "node": "S1"}},
    {"at_us": 2200000, "fault": {"kind": "restart", "node": "S1"}},
    {"at_us": 3000000, "fault": {"kind": "partition", "groups": [["S2"], ["S1", "S3", "S4", "S5", "S6", "C1", "C2", "C3"]]}},
    {"at_us": 3800000, "fault": {"kind": "heal"}},
    {"at_us": 4500000, "fault": {"kind": "crash", "node": "S4"}},
    {"at_us": 5800000, "fault": {"kind": "restart", "node": "S4"}}
  ],
  "workload": {"kind": "kv", "keys": 3, "read_percent": 30},
  "sometimes": ["member-registered", "member-session-gone", "session-expired", "new-head", "reconfigured", "joined", "leader-elected"]
}"#;

/// Sessions expire while the nodes live: a node cut off from every ZooKeeper server loses its
/// session (and its znode), then comes back with a new one.
const ZK_SESSIONS: &str = r#"{
  "name": "chain-zk-sessions",
  "description": "ZooKeeper backend: chain nodes are cut off from the ZooKeeper servers (not from each other or the clients) for longer than the session timeout, one at a time, tail first. The node's session expires and its ephemeral znode vanishes, the acting node reconfigures around it (when the cut-off node is the acting manager itself, the next smallest takes over), the cut-off node's lease runs out so it stops answering, and once back it registers with a new session and rejoins as a new tail.",
  "protocol": "chain",
  "servers": 6,
  "clients": 3,
  "safety_ms": 7000,
  "liveness_ms": 3000,
  "params": {"zookeeper": 1},
  "schedule": [
    {"at_us": 1200000, "fault": {"kind": "partition", "groups": [["S1", "S2", "S3"], ["S6"]]}},
    {"at_us": 2600000, "fault": {"kind": "heal"}},
    {"at_us": 3400000, "fault": {"kind": "partition", "groups": [["S1", "S2", "S3"], ["S4"]]}},
    {"at_us": 4800000, "fault": {"kind": "heal"}}
  ],
  "workload": {"kind": "kv", "keys": 3, "read_percent": 30},
  "sometimes": ["session-expired-seen", "member-session-gone", "reconfigured", "joined", "new-head", "new-tail"]
}"#;

const SWARM: &str = r#"{
  "name": "chain-swarm",
  "description": "Swarm testing: each seed draws its world (4-9 servers, so 1-6 chain nodes behind 3 manager replicas, 1-3 chains over them (shards), 1-5 clients, keys, read share, phase length) and which of partitions, crashes, pauses, lossy links, slow nodes and crash points are on, how often and how long, over the manager's replicas and the chain alike; one server down at a time (the manager's Raft majority); chain nodes recover from their disks.",
  "protocol": "chain",
  "servers": 6,
  "clients": 3,
  "safety_ms": 8000,
  "liveness_ms": 3000,
  "generator": {
    "rates": {"partition": 1.0, "crash": 1.0, "pause": 0.5, "link": 0.5, "slow": 0.5, "crash-point": 0.5},
    "swarm": true,
    "mean_fault_ms": 300,
    "crash_point_kinds": ["Forward", "Ack", "Reply", "Report", "AppendEntries", "VoteGranted", "ClientReply"],
    "restart_after_crash_point": true,
    "clients_together_percent": 30
  },
  "vary": {
    "servers": [4, 9], "clients": [1, 5], "keys": {"log": [1, 8]}, "read_percent": [0, 90],
    "params": {"shards": [1, 3]},
    "safety_ms": [2000, 8000], "mean_fault_ms": {"log": [30, 1000]}, "rate_percent": {"log": [25, 400]},
    "crash_point_subset": true, "partition_shape_subset": true, "slow_network_percent": 30
  },
  "workload": {"kind": "kv", "keys": 4},
  "sometimes": ["reconfigured", "joined", "leader-change", "recovered-history"]
}"#;

/// The swarm over the ZooKeeper backend: ZooKeeper servers and chain nodes alike.
const ZK_SWARM: &str = r#"{
  "name": "chain-zk-swarm",
  "description": "Swarm testing of the ZooKeeper-backed manager: as chain-swarm (4-9 servers: 3 ZooKeeper servers and 1-6 chain nodes, 1-3 chains, 1-5 clients), with partitions, crashes, pauses, lossy links, slow nodes and crash points over the ZooKeeper servers and the chain alike; sessions expire and ephemeral znodes vanish whenever a node is cut off from ZooKeeper long enough.",
  "protocol": "chain",
  "servers": 6,
  "clients": 3,
  "safety_ms": 8000,
  "liveness_ms": 3000,
  "params": {"zookeeper": 1},
  "generator": {
    "rates": {"partition": 1.0, "crash": 1.0, "pause": 0.5, "link": 0.5, "slow": 0.5, "crash-point": 0.5},
    "swarm": true,
    "mean_fault_ms": 300,
    "crash_point_kinds": ["Forward", "Ack", "Reply", "Proposal", "Commit", "ZkReply", "Session"],
    "restart_after_crash_point": true,
    "clients_together_percent": 30
  },
  "vary": {
    "servers": [4, 9], "clients": [1, 5], "keys": {"log": [1, 8]}, "read_percent": [0, 90],
    "params": {"shards": [1, 3]},
    "safety_ms": [2000, 8000], "mean_fault_ms": {"log": [30, 1000]}, "rate_percent": {"log": [25, 400]},
    "crash_point_subset": true, "partition_shape_subset": true, "slow_network_percent": 30
  },
  "workload": {"kind": "kv", "keys": 4},
  "sometimes": ["reconfigured", "joined", "session-expired", "member-znode-taken", "recovered-history"]
}"#;

/// C01: both sides of a partition reconfigure the chain by themselves.
const SPLIT: &str = r#"{
  "name": "chain-split",
  "description": "Head and middle (S4, S5) are cut off from the tail (S6), with clients on both sides; the manager sits with the head. Only the manager may drop a node: the tail's side stalls. Nodes that drop a silent neighbour themselves make two chains with a head each.",
  "protocol": "chain",
  "servers": 6,
  "clients": 2,
  "safety_ms": 3000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 800000, "fault": {"kind": "partition", "groups": [["S1", "S2", "S3", "S4", "S5", "C1"], ["S6", "C2"]]}},
    {"at_us": 2400000, "fault": {"kind": "heal"}}
  ],
  "workload": {"kind": "kv", "keys": 1, "read_percent": 50},
  "sometimes": ["new-tail", "reconfigured"]
}"#;

/// C03: a tail cut off with a client keeps answering its reads after it was replaced.
const STALE_TAIL: &str = r#"{
  "name": "chain-stale-tail",
  "description": "The tail (S6) is cut off with client C1; the manager makes S5 the tail and C2 and C3 keep writing. The old tail's lease runs out, so it must stop answering C1's reads.",
  "protocol": "chain",
  "servers": 6,
  "clients": 3,
  "safety_ms": 3500,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 800000, "fault": {"kind": "partition", "groups": [["S6", "C1"], ["S1", "S2", "S3", "S4", "S5", "C2", "C3"]]}},
    {"at_us": 2800000, "fault": {"kind": "heal"}}
  ],
  "workload": {"kind": "kv", "keys": 1, "read_percent": 50},
  "sometimes": ["new-tail", "reconfigured"]
}"#;
