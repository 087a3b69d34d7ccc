//! Raft's registry entry and scenario catalogue. The behaviour scenarios follow the MIT
//! 6.5840 Raft tests students know (initial election, re-election, agreement with failures,
//! rejoin, backup, persistence, Figure 8, unreliable networks, churn, snapshots); the bug
//! scenarios are targeted schedules for one planted bug each, naming the paper section.
//! Every scenario lists the coverage marks it exists for in `sometimes`.

use crate::registry::ProtocolEntry;
use crate::scenario::Scenario;
use splitbrain_api::VariantInfo;
use splitbrain_protocols::raft::{self, invariants, Raft, RaftConfig};
use splitbrain_sim::{run_world, RunRecord, Workload, WorldConfig};
use std::collections::BTreeMap;

pub struct RaftEntry;

/// Raft's message kinds in the crash-point roles (the lab's student protocols, which use
/// the suite's message kinds, map the same).
pub const CRASH_ROLES: &[(crate::portable::CrashRole, &str)] = &[
    (crate::portable::CrashRole::VoteGrant, "VoteGranted"),
    (crate::portable::CrashRole::AppendAck, "AppendOk"),
    (crate::portable::CrashRole::Append, "AppendEntries"),
    (crate::portable::CrashRole::ClientReply, "ClientReply"),
];

fn config_of(v: &VariantInfo) -> RaftConfig {
    RaftConfig::from_variant(v.name).expect("raft variants come from raft::info()")
}

/// Raft's tuning knobs a scenario may set (`"params": {"snapshot_every": 4, "retain": 2}`).
const PARAMS: &[(&str, &str)] = &[
    (
        "snapshot_every",
        "take a snapshot once this many entries were applied since the last (default 24)",
    ),
    (
        "retain",
        "applied entries kept in the log after a snapshot (default 8)",
    ),
    ("max_batch", "entries per AppendEntries message (default 4)"),
];

/// The variant's configuration with a scenario's `params` applied (zero counts as one).
fn tuned(v: &VariantInfo, params: &BTreeMap<String, u64>) -> RaftConfig {
    let mut cfg = config_of(v);
    for (name, &value) in params {
        match name.as_str() {
            "snapshot_every" => cfg.snapshot_every = value.max(1),
            "retain" => cfg.retain = value,
            "max_batch" => cfg.max_batch = value.max(1) as usize,
            other => panic!("parameter `{other}` passed the scenario check but is not Raft's"),
        }
    }
    cfg
}

impl ProtocolEntry for RaftEntry {
    fn crash_roles(&self) -> &'static [(crate::portable::CrashRole, &'static str)] {
        CRASH_ROLES
    }

    fn info(&self) -> splitbrain_api::ProtocolInfo {
        raft::info()
    }

    fn default_servers(&self, _variant: &VariantInfo) -> usize {
        3
    }

    fn params(&self) -> &'static [(&'static str, &'static str)] {
        PARAMS
    }

    fn run(
        &self,
        variant: &VariantInfo,
        params: &BTreeMap<String, u64>,
        cfg: WorldConfig,
        workload: Box<dyn Workload>,
    ) -> RunRecord {
        let proto = Raft {
            cfg: tuned(variant, params),
        };
        run_world(&proto, cfg, workload, invariants::all())
    }

    fn scenarios(&self) -> Vec<Scenario> {
        super::parse_builtin("raft", &CATALOGUE)
    }
}

/// Every Raft scenario: behaviours first, then the targeted bug scenarios.
pub const CATALOGUE: [&str; 22] = [
    INITIAL_ELECTION,
    RE_ELECTION,
    MANY_ELECTIONS,
    BASIC_AGREE,
    FAIL_AGREE,
    FAIL_NO_AGREE,
    CONCURRENT_STARTS,
    REJOIN,
    BACKUP,
    PERSIST,
    FIGURE8,
    UNRELIABLE,
    CHURN,
    SNAPSHOT_INSTALL,
    SWARM,
    FIGURE8_COMMIT,
    VOTE_CRASH,
    STALE_READ,
    FAILOVER_READ,
    LONG_OLD_LOG,
    DELAYED_REPLIES,
    STALE_SNAPSHOT,
];

/// 6.5840 TestInitialElection: a leader emerges with no faults (§5.2).
const INITIAL_ELECTION: &str = r#"{
  "name": "raft-initial-election",
  "description": "No faults: one leader is elected and serves (5.2; 6.5840 TestInitialElection).",
  "protocol": "raft",
  "servers": 3,
  "clients": 1,
  "safety_ms": 1000,
  "liveness_ms": 1000,
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["leader-elected", "term-commit"]
}"#;

/// 6.5840 TestReElection: isolating each server in turn isolates the leader at some point.
const RE_ELECTION: &str = r#"{
  "name": "raft-re-election",
  "description": "Each server is isolated in turn, so the leader is too; the rest elect a new one and the old one steps down on return (5.2).",
  "protocol": "raft",
  "servers": 3,
  "clients": 2,
  "safety_ms": 4000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 500000, "fault": {"kind": "isolate", "node": "S1"}},
    {"at_us": 1200000, "fault": {"kind": "heal"}},
    {"at_us": 1700000, "fault": {"kind": "isolate", "node": "S2"}},
    {"at_us": 2400000, "fault": {"kind": "heal"}},
    {"at_us": 2900000, "fault": {"kind": "isolate", "node": "S3"}},
    {"at_us": 3600000, "fault": {"kind": "heal"}}
  ],
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["leader-change", "step-down"]
}"#;

/// 6.5840 TestManyElections: 7 servers under constant random partitions.
const MANY_ELECTIONS: &str = r#"{
  "name": "raft-many-elections",
  "description": "Seven servers under frequent random partitions of every shape; many elections, at most one leader per term (5.2).",
  "protocol": "raft",
  "servers": 7,
  "clients": 2,
  "safety_ms": 5000,
  "liveness_ms": 2000,
  "generator": {"rates": {"partition": 4.0}, "mean_fault_ms": 300},
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["leader-change", "vote-denied-voted"]
}"#;

/// 6.5840 TestBasicAgree: no faults, clients agree on one history (5.3).
const BASIC_AGREE: &str = r#"{
  "name": "raft-basic-agree",
  "description": "No faults: every operation commits in one order on every server (5.3; 6.5840 TestBasicAgree).",
  "protocol": "raft",
  "servers": 3,
  "clients": 3,
  "safety_ms": 2000,
  "liveness_ms": 1000,
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["leader-elected", "term-commit"]
}"#;

/// 6.5840 TestFailAgree: a disconnected server catches up when it returns (5.3, 7).
const FAIL_AGREE: &str = r#"{
  "name": "raft-fail-agree",
  "description": "One server at a time is disconnected while the others commit; on return it catches up, by snapshot once the log was compacted (5.3, 7).",
  "protocol": "raft",
  "servers": 3,
  "clients": 2,
  "safety_ms": 4000,
  "liveness_ms": 1500,
  "schedule": [
    {"at_us": 800000, "fault": {"kind": "partition", "groups": [["S3"], ["S1", "S2"]]}},
    {"at_us": 2000000, "fault": {"kind": "heal"}},
    {"at_us": 2500000, "fault": {"kind": "partition", "groups": [["S1"], ["S2", "S3"]]}},
    {"at_us": 3600000, "fault": {"kind": "heal"}}
  ],
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["snapshot-installed"]
}"#;

/// 6.5840 TestFailNoAgree: a minority (with its clients) cannot commit.
const FAIL_NO_AGREE: &str = r#"{
  "name": "raft-fail-no-agree",
  "description": "Five servers split 2/3 with a client on each side, in three rotations: a leader on the minority side appends but cannot commit; after the heal it steps down and its uncommitted entries are replaced (by truncation, or by a snapshot once it is behind the compaction point) (5.3, 5.4, 7).",
  "protocol": "raft",
  "servers": 5,
  "clients": 2,
  "safety_ms": 6000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 800000, "fault": {"kind": "partition", "groups": [["S1", "S2", "C1"], ["S3", "S4", "S5", "C2"]]}},
    {"at_us": 2000000, "fault": {"kind": "heal"}},
    {"at_us": 2500000, "fault": {"kind": "partition", "groups": [["S3", "S4", "C1"], ["S1", "S2", "S5", "C2"]]}},
    {"at_us": 3700000, "fault": {"kind": "heal"}},
    {"at_us": 4200000, "fault": {"kind": "partition", "groups": [["S5", "S1", "C1"], ["S2", "S3", "S4", "C2"]]}},
    {"at_us": 5400000, "fault": {"kind": "heal"}}
  ],
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["step-down", "snapshot-installed"]
}"#;

/// 6.5840 TestConcurrentStarts: concurrent clients, entries batched into one AppendEntries.
const CONCURRENT_STARTS: &str = r#"{
  "name": "raft-concurrent-starts",
  "description": "Five clients issue operations back to back with no faults; concurrent proposals share AppendEntries messages and commit in one order (5.3).",
  "protocol": "raft",
  "servers": 3,
  "clients": 5,
  "safety_ms": 2000,
  "liveness_ms": 1000,
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["batched-append", "term-commit"]
}"#;

/// 6.5840 TestRejoin: an old leader with uncommitted entries comes back.
const REJOIN: &str = r#"{
  "name": "raft-rejoin",
  "description": "Each server in turn is cut off with one client; when it was the leader it keeps appending that client's writes, then returns, steps down and has them replaced by the new leader's log or snapshot (5.3, 5.4.1, 7).",
  "protocol": "raft",
  "servers": 3,
  "clients": 2,
  "safety_ms": 6500,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 600000, "fault": {"kind": "partition", "groups": [["S1", "C1"], ["S2", "S3", "C2"]]}},
    {"at_us": 2000000, "fault": {"kind": "heal"}},
    {"at_us": 2600000, "fault": {"kind": "partition", "groups": [["S2", "C1"], ["S1", "S3", "C2"]]}},
    {"at_us": 4000000, "fault": {"kind": "heal"}},
    {"at_us": 4600000, "fault": {"kind": "partition", "groups": [["S3", "C1"], ["S1", "S2", "C2"]]}},
    {"at_us": 6000000, "fault": {"kind": "heal"}}
  ],
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["step-down", "snapshot-installed"]
}"#;

/// 6.5840 TestBackup: divergent logs repaired by fast backup.
const BACKUP: &str = r#"{
  "name": "raft-backup",
  "description": "Five servers under random partitions with clients on both sides: minority leaders grow divergent tails that later leaders repair with fast backup (5.3).",
  "protocol": "raft",
  "servers": 5,
  "clients": 3,
  "safety_ms": 6000,
  "liveness_ms": 2000,
  "generator": {"rates": {"partition": 2.0}, "mean_fault_ms": 600},
  "workload": {"kind": "kv", "keys": 4},
  "sometimes": ["fast-backup", "conflict-truncated"]
}"#;

/// 6.5840 TestPersist: everyone crashes and restarts from durable state.
const PERSIST: &str = r#"{
  "name": "raft-persist",
  "description": "Rolling and whole-cluster crashes, some losing unsynced writes, and crashes right after replies: servers recover term, vote, log and snapshot from disk (Figure 2). A whole-cluster crash is beyond the liveness budget but inside Raft's safety promise, which needs no crash bound.",
  "protocol": "raft",
  "servers": 3,
  "clients": 2,
  "safety_ms": 5000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 800000, "fault": {"kind": "crash", "node": "S1", "lose_unsynced": true}},
    {"at_us": 800000, "fault": {"kind": "crash", "node": "S2", "lose_unsynced": true}},
    {"at_us": 800000, "fault": {"kind": "crash", "node": "S3", "lose_unsynced": true}},
    {"at_us": 1000000, "fault": {"kind": "restart", "node": "S1"}},
    {"at_us": 1000000, "fault": {"kind": "restart", "node": "S2"}},
    {"at_us": 1000000, "fault": {"kind": "restart", "node": "S3"}},
    {"at_us": 1800000, "fault": {"kind": "crash-after-send", "node": "S1", "msg_kind": "append-ack", "lose_unsynced": true}},
    {"at_us": 2000000, "fault": {"kind": "restart", "node": "S1"}},
    {"at_us": 2200000, "fault": {"kind": "crash-after-send", "node": "S2", "msg_kind": "client-reply"}},
    {"at_us": 2500000, "fault": {"kind": "restart", "node": "S2"}},
    {"at_us": 2700000, "fault": {"kind": "crash-before-sync", "node": "S3"}},
    {"at_us": 3000000, "fault": {"kind": "restart", "node": "S3"}},
    {"at_us": 3500000, "fault": {"kind": "crash", "node": "S1"}},
    {"at_us": 3500000, "fault": {"kind": "crash", "node": "S2"}},
    {"at_us": 3500000, "fault": {"kind": "crash", "node": "S3"}},
    {"at_us": 3900000, "fault": {"kind": "restart", "node": "S3"}},
    {"at_us": 4000000, "fault": {"kind": "restart", "node": "S2"}},
    {"at_us": 4100000, "fault": {"kind": "restart", "node": "S1"}}
  ],
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["recovered", "leader-change"]
}"#;

/// 6.5840 TestFigure8: many leader crashes with partial replication (Figure 8).
const FIGURE8: &str = r#"{
  "name": "raft-figure8",
  "description": "Five servers, frequent crashes (some right after an append ack or vote, some losing unsynced writes) and partitions: leaders die with entries on a minority, later leaders of other terms hold different entries at those indices; only current-term counting may commit (5.4.2, Figure 8; 6.5840 TestFigure8).",
  "protocol": "raft",
  "servers": 5,
  "clients": 3,
  "safety_ms": 6000,
  "liveness_ms": 2000,
  "generator": {
    "rates": {"crash": 3.0, "crash-point": 2.0, "partition": 2.0},
    "mean_fault_ms": 250,
    "crash_point_kinds": ["append-ack", "append", "vote-grant", "client-reply"]
  },
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["leader-change", "conflict-truncated", "recovered"]
}"#;

/// 6.5840 TestUnreliable / TestFigure8Unreliable: drop, duplicate, reorder, long delays.
const UNRELIABLE: &str = r#"{
  "name": "raft-unreliable",
  "description": "Every link drops, duplicates, reorders and delays (up to 200 ms) for the whole safety phase, with occasional partitions: stale and duplicate RPCs must change nothing (5.3, 5.5).",
  "protocol": "raft",
  "servers": 5,
  "clients": 3,
  "safety_ms": 5000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 0, "fault": {"kind": "link", "from": null, "to": null, "profile": {"latency": {"dist": "long-tail", "min_us": 500, "mean_tail_us": 15000, "max_us": 200000}, "jitter_us": 1000, "drop": 0.1, "duplicate": 0.15, "reorder": 0.3, "reorder_window_us": 30000}}}
  ],
  "generator": {"rates": {"partition": 0.5}, "mean_fault_ms": 300},
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["leader-change", "dedup-hit", "fast-backup"]
}"#;

/// 6.5840 TestReliableChurn / TestUnreliableChurn: constant crash and restart.
const CHURN: &str = r#"{
  "name": "raft-churn",
  "description": "Constant crashes and restarts of up to two of five servers, with crash points after votes, acks and replies and lost unsynced writes (5.2-5.4, Figure 2).",
  "protocol": "raft",
  "servers": 5,
  "clients": 3,
  "safety_ms": 6000,
  "liveness_ms": 2000,
  "generator": {
    "rates": {"crash": 4.0, "crash-point": 2.0},
    "mean_fault_ms": 250,
    "crash_point_kinds": ["vote-grant", "append-ack", "client-reply", "SnapshotOk"]
  },
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["recovered", "leader-change", "snapshot-installed"]
}"#;

/// 6.5840 TestSnapshotInstallUnreliable: snapshots over a duplicating, delaying network.
const SNAPSHOT_INSTALL: &str = r#"{
  "name": "raft-snapshot-install",
  "description": "Followers fall behind the compaction point (crashes, partitions) and catch up by InstallSnapshot over links that duplicate and delay messages by up to 300 ms, so old snapshots arrive after newer state (7, Figure 13; 6.5840 TestSnapshotInstallUnreliable).",
  "protocol": "raft",
  "servers": 3,
  "clients": 3,
  "safety_ms": 6000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 0, "fault": {"kind": "link", "from": null, "to": null, "profile": {"latency": {"dist": "long-tail", "min_us": 500, "mean_tail_us": 20000, "max_us": 300000}, "duplicate": 0.3, "reorder": 0.3, "reorder_window_us": 50000}}}
  ],
  "generator": {"rates": {"crash": 1.5, "partition": 1.0}, "mean_fault_ms": 400},
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["snapshot-installed", "stale-snapshot-ignored"]
}"#;

/// Every fault Raft promises to survive, swarm style (TigerBeetle's VOPR habit).
const SWARM: &str = r#"{
  "name": "raft-swarm",
  "description": "Swarm testing: each seed draws which of partitions, crashes (losing unsynced writes), pauses, clock jumps and drift, lossy links, slow nodes and crash points are on; at most two of five servers down at once.",
  "protocol": "raft",
  "servers": 5,
  "clients": 3,
  "safety_ms": 8000,
  "liveness_ms": 2000,
  "generator": {
    "rates": {"partition": 1.0, "crash": 1.0, "pause": 0.5, "clock": 0.5, "link": 0.5, "slow": 0.5, "crash-point": 0.5},
    "swarm": true,
    "mean_fault_ms": 300,
    "crash_point_kinds": ["vote-grant", "append-ack", "append", "client-reply", "InstallSnapshot", "SnapshotOk"],
    "restart_after_crash_point": true,
    "clients_together_percent": 50
  },
  "vary": {
    "servers": {"log": [3, 7]}, "clients": [1, 5], "keys": {"log": [1, 8]}, "read_percent": [0, 90],
    "safety_ms": [2000, 8000], "mean_fault_ms": {"log": [30, 1000]}, "rate_percent": {"log": [25, 400]},
    "params": {"snapshot_every": {"log": [2, 32]}, "retain": [0, 8], "max_batch": [1, 8]},
    "crash_point_subset": true, "partition_shape_subset": true, "slow_network_percent": 30
  },
  "workload": {"kind": "kv", "keys": 4},
  "sometimes": ["leader-change", "snapshot-installed", "recovered"]
}"#;

/// R01: Figure 8 in five faults. S5's clock runs fast from 0.5 s (after the first election),
/// so once the first leader's heartbeats stop it times out first. The clients' writes land in a minority tail on S1/S2; S5 wins
/// the majority side's term and crashes right after its first AppendEntries (to the cut-off
/// S1), so its entry at that index is on S5 alone. At the heal S2 is isolated, so S1 (the
/// longest log) wins and replicates its old-term tail two entries at a time; it crashes right
/// after answering a client. S5 restarts with the newer last term and wins with S3 and S4.
const FIGURE8_COMMIT: &str = r#"{
  "name": "raft-figure8-commit",
  "description": "Figure 8 step by step on five servers: writes reach a minority tail on {S1,S2} (term a); S5 (fast clock from 0.5 s) wins the majority side's next term, appends its no-op alone and crashes; at the heal S2 is isolated and S1 wins, replicates its old-term tail to S3 and S4 ahead of its own no-op and crashes right after answering a client. S5 restarts and wins with S3 and S4. Only current-term counting keeps S1 from committing that tail (5.4.2, Figure 8).",
  "protocol": "raft",
  "servers": 5,
  "clients": 4,
  "safety_ms": 3500,
  "liveness_ms": 2000,
  "params": {"max_batch": 2},
  "schedule": [
    {"at_us": 500000, "fault": {"kind": "clock-drift", "node": "S5", "ppm": 1000000}},
    {"at_us": 1000000, "fault": {"kind": "partition", "groups": [["S1", "S2", "C1", "C2", "C3", "C4"], ["S3", "S4", "S5"]]}},
    {"at_us": 1000000, "fault": {"kind": "crash-after-send", "node": "S5", "msg_kind": "append"}},
    {"at_us": 1800000, "fault": {"kind": "heal"}},
    {"at_us": 1800000, "fault": {"kind": "isolate", "node": "S2"}},
    {"at_us": 1800000, "fault": {"kind": "crash-after-send", "node": "S1", "msg_kind": "client-reply"}},
    {"at_us": 2300000, "fault": {"kind": "restart", "node": "S5"}}
  ],
  "workload": {"kind": "kv", "keys": 3, "read_percent": 0},
  "sometimes": ["leader-change", "recovered", "conflict-truncated"]
}"#;

/// R02: a voter crashes right after sending its grant; then a second candidate asks it in
/// the same term. S2's clock runs at half speed so S1 times out first; S3 is paused until S2
/// has restarted and is cut from S1 throughout.
const VOTE_CRASH: &str = r#"{
  "name": "raft-vote-crash",
  "description": "S2 crashes right after sending a vote grant (losing unsynced writes) and restarts; S3, cut from the first candidate S1 and paused until then, asks S2 for a vote in the same term. A vote that was not durable before the reply is given twice (Figure 2: persist before responding).",
  "protocol": "raft",
  "servers": 3,
  "clients": 2,
  "safety_ms": 2000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 0, "fault": {"kind": "pause", "node": "S3"}},
    {"at_us": 0, "fault": {"kind": "partial-partition", "a": "S1", "b": "S3"}},
    {"at_us": 0, "fault": {"kind": "clock-drift", "node": "S2", "ppm": -500000}},
    {"at_us": 0, "fault": {"kind": "crash-after-send", "node": "S2", "msg_kind": "vote-grant", "lose_unsynced": true}},
    {"at_us": 350000, "fault": {"kind": "heal"}},
    {"at_us": 350000, "fault": {"kind": "isolate", "node": "S1"}},
    {"at_us": 350000, "fault": {"kind": "restart", "node": "S2"}},
    {"at_us": 450000, "fault": {"kind": "resume", "node": "S3"}},
    {"at_us": 1200000, "fault": {"kind": "heal"}}
  ],
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["recovered", "vote-denied-voted"]
}"#;

/// R05: a leader cut off with one client keeps answering its reads.
const STALE_READ: &str = r#"{
  "name": "raft-stale-read",
  "description": "Each server in turn is cut off together with client C1 for 2.5 s while C2 writes through the majority; an old leader that answers C1's reads without a heartbeat round returns stale values (thesis 6.4; Jepsen etcd/Consul 2014).",
  "protocol": "raft",
  "servers": 3,
  "clients": 2,
  "safety_ms": 9800,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 600000, "fault": {"kind": "partition", "groups": [["S1", "C1"], ["S2", "S3", "C2"]]}},
    {"at_us": 3100000, "fault": {"kind": "heal"}},
    {"at_us": 3700000, "fault": {"kind": "partition", "groups": [["S2", "C1"], ["S1", "S3", "C2"]]}},
    {"at_us": 6200000, "fault": {"kind": "heal"}},
    {"at_us": 6800000, "fault": {"kind": "partition", "groups": [["S3", "C1"], ["S1", "S2", "C2"]]}},
    {"at_us": 9300000, "fault": {"kind": "heal"}}
  ],
  "workload": {"kind": "kv", "keys": 2, "read_percent": 85},
  "sometimes": ["step-down", "leader-change"]
}"#;

/// R06: the leader crashes right after answering a write; the next leader must not read
/// before it commits an entry of its own term.
const FAILOVER_READ: &str = r#"{
  "name": "raft-failover-read",
  "description": "Each server in turn is armed to crash right after it answers a client (only a leader does), before followers learn the new commit index; the next leader must commit an entry of its own term before serving reads (5.4.2, thesis 6.4; redisraft#22).",
  "protocol": "raft",
  "servers": 3,
  "clients": 3,
  "safety_ms": 6000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 500000, "fault": {"kind": "crash-after-send", "node": "S1", "msg_kind": "client-reply"}},
    {"at_us": 1500000, "fault": {"kind": "restart", "node": "S1"}},
    {"at_us": 2000000, "fault": {"kind": "crash-after-send", "node": "S2", "msg_kind": "client-reply"}},
    {"at_us": 3000000, "fault": {"kind": "restart", "node": "S2"}},
    {"at_us": 3500000, "fault": {"kind": "crash-after-send", "node": "S3", "msg_kind": "client-reply"}},
    {"at_us": 4500000, "fault": {"kind": "restart", "node": "S3"}},
    {"at_us": 5000000, "fault": {"kind": "crash-after-send", "node": "S1", "msg_kind": "client-reply"}}
  ],
  "workload": {"kind": "kv", "keys": 2, "read_percent": 60},
  "sometimes": ["leader-change", "term-commit"]
}"#;

/// R15: an old leader grows a long log of its old term, then campaigns against a server
/// that holds a newer committed entry.
const LONG_OLD_LOG: &str = r#"{
  "name": "raft-long-old-log",
  "description": "Each server in turn is cut off with every client: if it leads, it appends their writes in its old term while the other two elect a leader and commit only a no-op. Then it and the clients see the third server but not the one that (half the time) leads: it campaigns with a log that is longer but older (5.4.1 election restriction). Partitions only.",
  "protocol": "raft",
  "servers": 3,
  "clients": 3,
  "safety_ms": 8500,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 600000, "fault": {"kind": "partition", "groups": [["S1", "C1", "C2", "C3"], ["S2", "S3"]]}},
    {"at_us": 1500000, "fault": {"kind": "heal"}},
    {"at_us": 1500000, "fault": {"kind": "partition", "groups": [["S1", "C1", "C2", "C3"], ["S2"]]}},
    {"at_us": 2500000, "fault": {"kind": "heal"}},
    {"at_us": 3100000, "fault": {"kind": "partition", "groups": [["S2", "C1", "C2", "C3"], ["S1", "S3"]]}},
    {"at_us": 4000000, "fault": {"kind": "heal"}},
    {"at_us": 4000000, "fault": {"kind": "partition", "groups": [["S2", "C1", "C2", "C3"], ["S3"]]}},
    {"at_us": 5000000, "fault": {"kind": "heal"}},
    {"at_us": 5600000, "fault": {"kind": "partition", "groups": [["S3", "C1", "C2", "C3"], ["S1", "S2"]]}},
    {"at_us": 6500000, "fault": {"kind": "heal"}},
    {"at_us": 6500000, "fault": {"kind": "partition", "groups": [["S3", "C1", "C2", "C3"], ["S1"]]}},
    {"at_us": 7500000, "fault": {"kind": "heal"}}
  ],
  "workload": {"kind": "kv", "keys": 3, "read_percent": 10},
  "sometimes": ["vote-denied-log", "step-down"]
}"#;

/// R14: replies delayed across elections.
const DELAYED_REPLIES: &str = r#"{
  "name": "raft-delayed-replies",
  "description": "Links delay messages by up to 500 ms (beyond the election timeout), duplicate and reorder them, and random partitions force elections, so vote grants and append acks arrive in later terms; they must be ignored (5.1; Students' Guide to Raft, term confusion).",
  "protocol": "raft",
  "servers": 5,
  "clients": 2,
  "safety_ms": 5000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 0, "fault": {"kind": "link", "from": null, "to": null, "profile": {"latency": {"dist": "long-tail", "min_us": 1000, "mean_tail_us": 100000, "max_us": 500000}, "duplicate": 0.3, "reorder": 0.3, "reorder_window_us": 50000}}}
  ],
  "generator": {"rates": {"partition": 2.0}, "mean_fault_ms": 300},
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["stale-term-reply", "leader-change"]
}"#;

/// R16: delayed and duplicated InstallSnapshot to a follower the commit depends on. S1's
/// fast clock makes it the leader; S2 falls behind the compaction point, then catches up
/// over a link that duplicates and delays S1's messages by up to 300 ms while S3 is cut off;
/// then S1 crashes and S2 and S3 must elect a leader holding everything committed.
const STALE_SNAPSHOT: &str = r#"{
  "name": "raft-stale-snapshot",
  "description": "S2 is isolated until it needs a snapshot, then catches up from S1 over a link that duplicates and delays by up to 300 ms while S3 is cut off, so commits rest on S2's acknowledgements; then S1 crashes. A follower that installs an old copy of the snapshot throws away entries it acknowledged (7, Figure 13 step 6; 6.5840 TestSnapshotInstallUnreliable).",
  "protocol": "raft",
  "servers": 3,
  "clients": 3,
  "safety_ms": 2500,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 0, "fault": {"kind": "clock-drift", "node": "S1", "ppm": 1000000}},
    {"at_us": 0, "fault": {"kind": "link", "from": "S1", "to": "S2", "profile": {"latency": {"dist": "long-tail", "min_us": 500, "mean_tail_us": 40000, "max_us": 300000}, "duplicate": 0.5}}},
    {"at_us": 500000, "fault": {"kind": "isolate", "node": "S2"}},
    {"at_us": 1000000, "fault": {"kind": "heal"}},
    {"at_us": 1000000, "fault": {"kind": "partition", "groups": [["S3"], ["S1", "S2"]]}},
    {"at_us": 1500000, "fault": {"kind": "crash", "node": "S1"}},
    {"at_us": 1500000, "fault": {"kind": "heal"}}
  ],
  "params": {"snapshot_every": 3, "retain": 1},
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["snapshot-installed", "stale-snapshot-ignored"]
}"#;
