//! Multi-Paxos' registry entry and scenario catalogue: dueling candidates, acceptor restarts,
//! leader crashes with a slot accepted by only part of the acceptors, leader isolation,
//! unreliable links, clock faults on leader timeouts, catch-up by snapshot, and a swarm. Every
//! scenario lists the coverage marks it exists for in `sometimes`.

use crate::registry::ProtocolEntry;
use crate::scenario::Scenario;
use splitbrain_api::{ClusterInvariant, VariantInfo};
use splitbrain_protocols::kv::Cmd;
use splitbrain_protocols::paxos::agreement::Agreement;
use splitbrain_protocols::paxos::multi::{self, MultiConfig, MultiPaxos, MultiServer};
use splitbrain_sim::{run_world, RunRecord, Workload, WorldConfig};
use std::collections::BTreeMap;

pub struct MultiPaxosEntry;

/// Multi-Paxos' tuning knobs a scenario may set.
const PARAMS: &[(&str, &str)] = &[
    (
        "snapshot_every",
        "take a snapshot once this many slots were applied since the last (default 24)",
    ),
    ("retain", "applied slots kept after a snapshot (default 8)"),
    ("max_batch", "slots per Accept message (default 4)"),
];

fn tuned(v: &VariantInfo, params: &BTreeMap<String, u64>) -> MultiConfig {
    let mut cfg = MultiConfig::from_variant(v.name).expect("variants come from multi::info()");
    for (name, &value) in params {
        match name.as_str() {
            "snapshot_every" => cfg.snapshot_every = value.max(1),
            "retain" => cfg.retain = value,
            "max_batch" => cfg.max_batch = value.max(1) as usize,
            other => panic!("parameter `{other}` passed the scenario check but is not ours"),
        }
    }
    cfg
}

impl ProtocolEntry for MultiPaxosEntry {
    fn crash_roles(&self) -> &'static [(crate::portable::CrashRole, &'static str)] {
        use crate::portable::CrashRole;
        &[
            (CrashRole::VoteGrant, "Promise"),
            (CrashRole::AppendAck, "Accepted"),
            (CrashRole::Append, "Accept"),
            (CrashRole::ClientReply, "ClientReply"),
        ]
    }

    fn info(&self) -> splitbrain_api::ProtocolInfo {
        multi::info()
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
        let proto = MultiPaxos {
            cfg: tuned(variant, params),
        };
        let agreement = Agreement::new("slot", vec![Cmd::noop().digest]);
        let checks: Vec<Box<dyn ClusterInvariant<MultiServer>>> = vec![Box::new(agreement)];
        run_world(&proto, cfg, workload, checks)
    }

    fn scenarios(&self) -> Vec<Scenario> {
        super::parse_builtin("multipaxos", &CATALOGUE)
    }
}

/// Every Multi-Paxos scenario.
pub const CATALOGUE: [&str; 9] = [
    DUELING,
    ACCEPTOR_RESTART,
    LEADER_CRASH,
    STALE_LEADER,
    LEADER_ISOLATION,
    UNRELIABLE,
    CLOCK,
    CATCH_UP,
    SWARM,
];

const DUELING: &str = r#"{
  "name": "multipaxos-dueling",
  "description": "Five servers under frequent partitions of every shape: several candidates run phase 1 at once and preempt each other; ballots must stay unique so that at most one leader holds each ballot.",
  "protocol": "multipaxos",
  "servers": 5,
  "clients": 3,
  "safety_ms": 5000,
  "liveness_ms": 2000,
  "generator": {"rates": {"partition": 4.0}, "mean_fault_ms": 300},
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["leader-elected", "step-down", "reproposed"]
}"#;

const ACCEPTOR_RESTART: &str = r#"{
  "name": "multipaxos-acceptor-restart",
  "description": "Acceptors crash, some right after sending a promise or an acceptance and some losing unsynced writes, and restart between a leader's phases; promises and accepted proposals must survive the restart (Paxos Made Simple 2.3).",
  "protocol": "multipaxos",
  "servers": 3,
  "clients": 3,
  "safety_ms": 5000,
  "liveness_ms": 2000,
  "generator": {
    "rates": {"crash": 3.0, "crash-point": 4.0, "partition": 1.0},
    "mean_fault_ms": 150,
    "crash_point_kinds": ["Promise", "Accepted"]
  },
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["recovered", "reproposed", "leader-elected"]
}"#;

const LEADER_CRASH: &str = r#"{
  "name": "multipaxos-leader-crash",
  "description": "Each server in turn is armed to crash right after sending an accept (only a leader does), so a slot is accepted by only part of the acceptors, perhaps a majority, before anyone learns it is chosen; the next leader must re-propose what phase 1 reports (Paxos Made Moderately Complex).",
  "protocol": "multipaxos",
  "servers": 3,
  "clients": 3,
  "safety_ms": 6000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 400000, "fault": {"kind": "crash-after-send", "node": "S1", "msg_kind": "Accept"}},
    {"at_us": 1200000, "fault": {"kind": "restart", "node": "S1"}},
    {"at_us": 1600000, "fault": {"kind": "crash-after-send", "node": "S2", "msg_kind": "Accept"}},
    {"at_us": 2400000, "fault": {"kind": "restart", "node": "S2"}},
    {"at_us": 2800000, "fault": {"kind": "crash-after-send", "node": "S3", "msg_kind": "Accept"}},
    {"at_us": 3600000, "fault": {"kind": "restart", "node": "S3"}},
    {"at_us": 4000000, "fault": {"kind": "crash-after-send", "node": "S1", "msg_kind": "Accept"}},
    {"at_us": 4800000, "fault": {"kind": "restart", "node": "S1"}}
  ],
  "generator": {"rates": {"partition": 1.0}, "mean_fault_ms": 200},
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["reproposed", "recovered", "leader-elected"]
}"#;

/// P03: a deposed leader holding its own old-ballot proposals campaigns again before it has
/// caught up, against an acceptor that accepted newer, chosen values for the same slots.
const STALE_LEADER: &str = r#"{
  "name": "multipaxos-stale-leader",
  "description": "Each server in turn is cut off with client C1: if it leads, it accepts C1's commands alone in its old ballot while the other two elect a leader and choose C2's and C3's commands in the same slots. Then it sees the third server but not the new leader: it campaigns before catching up, and phase 1 reports the newer, chosen values, which it must re-propose instead of its own (P2c). Partitions only.",
  "protocol": "multipaxos",
  "servers": 3,
  "clients": 3,
  "safety_ms": 8500,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 600000, "fault": {"kind": "partition", "groups": [["S1", "C1"], ["S2", "S3", "C2", "C3"]]}},
    {"at_us": 1500000, "fault": {"kind": "heal"}},
    {"at_us": 1500000, "fault": {"kind": "partition", "groups": [["S1", "C1", "C2", "C3"], ["S2"]]}},
    {"at_us": 2500000, "fault": {"kind": "heal"}},
    {"at_us": 3100000, "fault": {"kind": "partition", "groups": [["S2", "C1"], ["S1", "S3", "C2", "C3"]]}},
    {"at_us": 4000000, "fault": {"kind": "heal"}},
    {"at_us": 4000000, "fault": {"kind": "partition", "groups": [["S2", "C1", "C2", "C3"], ["S3"]]}},
    {"at_us": 5000000, "fault": {"kind": "heal"}},
    {"at_us": 5600000, "fault": {"kind": "partition", "groups": [["S3", "C1"], ["S1", "S2", "C2", "C3"]]}},
    {"at_us": 6500000, "fault": {"kind": "heal"}},
    {"at_us": 6500000, "fault": {"kind": "partition", "groups": [["S3", "C1", "C2", "C3"], ["S1"]]}},
    {"at_us": 7500000, "fault": {"kind": "heal"}}
  ],
  "workload": {"kind": "kv", "keys": 3, "read_percent": 10},
  "sometimes": ["reproposed", "step-down"]
}"#;

const LEADER_ISOLATION: &str = r#"{
  "name": "multipaxos-leader-isolation",
  "description": "Each server in turn is cut off with client C1 (so the leader is, at some point): the rest elect a leader with a higher ballot; the old leader cannot get its proposals or reads confirmed and steps down at the heal.",
  "protocol": "multipaxos",
  "servers": 3,
  "clients": 2,
  "safety_ms": 7000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 500000, "fault": {"kind": "partition", "groups": [["S1", "C1"], ["S2", "S3", "C2"]]}},
    {"at_us": 2000000, "fault": {"kind": "heal"}},
    {"at_us": 2500000, "fault": {"kind": "partition", "groups": [["S2", "C1"], ["S1", "S3", "C2"]]}},
    {"at_us": 4000000, "fault": {"kind": "heal"}},
    {"at_us": 4500000, "fault": {"kind": "partition", "groups": [["S3", "C1"], ["S1", "S2", "C2"]]}},
    {"at_us": 6000000, "fault": {"kind": "heal"}}
  ],
  "workload": {"kind": "kv", "keys": 2, "read_percent": 70},
  "sometimes": ["step-down", "read-ordered", "leader-elected"]
}"#;

const UNRELIABLE: &str = r#"{
  "name": "multipaxos-unreliable",
  "description": "Links drop 10%, duplicate 20% and reorder messages with delays up to 200 ms: accepts are retransmitted with heartbeats, lagging replicas catch up by chosen slots, duplicated and late messages of old ballots change nothing.",
  "protocol": "multipaxos",
  "servers": 5,
  "clients": 3,
  "safety_ms": 5000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 0, "fault": {"kind": "link", "from": null, "to": null, "profile": {"latency": {"dist": "long-tail", "min_us": 500, "mean_tail_us": 20000, "max_us": 200000}, "drop": 0.1, "duplicate": 0.2, "reorder": 0.3, "reorder_window_us": 50000}}}
  ],
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["catch-up", "leader-elected"]
}"#;

const CLOCK: &str = r#"{
  "name": "multipaxos-clock",
  "description": "Clock jumps and drift on the servers' leader timeouts (a fast clock times out early, a slow one late) with occasional partitions: elections happen at odd moments, and safety must not depend on any clock.",
  "protocol": "multipaxos",
  "servers": 5,
  "clients": 3,
  "safety_ms": 5000,
  "liveness_ms": 2000,
  "generator": {"rates": {"clock": 3.0, "partition": 1.0}, "mean_fault_ms": 300},
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["leader-elected", "step-down"]
}"#;

const CATCH_UP: &str = r#"{
  "name": "multipaxos-catch-up",
  "description": "One server at a time is cut off while the others choose many slots and compact; on return it catches up by chosen slots when a little behind and by snapshot once the slots it lacks were compacted.",
  "protocol": "multipaxos",
  "servers": 3,
  "clients": 3,
  "safety_ms": 5000,
  "liveness_ms": 2000,
  "params": {"snapshot_every": 6, "retain": 2},
  "schedule": [
    {"at_us": 500000, "fault": {"kind": "isolate", "node": "S3"}},
    {"at_us": 1500000, "fault": {"kind": "heal"}},
    {"at_us": 2000000, "fault": {"kind": "isolate", "node": "S2"}},
    {"at_us": 3000000, "fault": {"kind": "heal"}},
    {"at_us": 3500000, "fault": {"kind": "isolate", "node": "S1"}},
    {"at_us": 4500000, "fault": {"kind": "heal"}}
  ],
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["snapshot-installed", "catch-up", "snapshot-taken"]
}"#;

const SWARM: &str = r#"{
  "name": "multipaxos-swarm",
  "description": "Swarm testing: each seed draws which of partitions, crashes (losing unsynced writes), pauses, clock jumps and drift, lossy links, slow nodes and crash points are on; at most two of five servers down at once.",
  "protocol": "multipaxos",
  "servers": 5,
  "clients": 3,
  "safety_ms": 8000,
  "liveness_ms": 2000,
  "generator": {
    "rates": {"partition": 1.0, "crash": 1.0, "pause": 0.5, "clock": 0.5, "link": 0.5, "slow": 0.5, "crash-point": 0.5},
    "swarm": true,
    "mean_fault_ms": 300,
    "crash_point_kinds": ["Promise", "Accepted", "Accept", "Decided", "ClientReply", "InstallSnapshot"],
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
  "sometimes": ["leader-elected", "step-down", "recovered"]
}"#;
