//! Basic Paxos' registry entry and scenario catalogue: dueling proposers, acceptor restarts
//! between the phases, a proposer crashing after its accept reached part of the acceptors,
//! unreliable links and a swarm. Every scenario lists the coverage marks it exists for in
//! `sometimes`.

use crate::registry::ProtocolEntry;
use crate::scenario::Scenario;
use splitbrain_api::ClusterInvariant;
use splitbrain_api::VariantInfo;
use splitbrain_protocols::paxos::agreement::Agreement;
use splitbrain_protocols::paxos::basic::{self, BasicConfig, BasicPaxos, BasicServer};
use splitbrain_sim::{run_world, RunRecord, Workload, WorldConfig};
use std::collections::BTreeMap;

pub struct PaxosEntry;

impl ProtocolEntry for PaxosEntry {
    fn info(&self) -> splitbrain_api::ProtocolInfo {
        basic::info()
    }

    fn default_servers(&self, _variant: &VariantInfo) -> usize {
        3
    }

    /// Takes no parameters (`params` is empty: the scenario check refuses any).
    fn run(
        &self,
        variant: &VariantInfo,
        _params: &BTreeMap<String, u64>,
        cfg: WorldConfig,
        workload: Box<dyn Workload>,
    ) -> RunRecord {
        let proto = BasicPaxos {
            cfg: BasicConfig::from_variant(variant.name).expect("paxos variants come from info()"),
        };
        let checks: Vec<Box<dyn ClusterInvariant<BasicServer>>> =
            vec![Box::new(Agreement::new("register", Vec::new()))];
        run_world(&proto, cfg, workload, checks)
    }

    fn scenarios(&self) -> Vec<Scenario> {
        super::parse_builtin("paxos", &CATALOGUE)
    }
}

/// Every Basic Paxos scenario.
pub const CATALOGUE: [&str; 5] = [DUELING, ACCEPTOR_RESTART, PROPOSER_CRASH, UNRELIABLE, SWARM];

/// Every client proposes to its own server for the same register at once: three proposers
/// duel for every register (the lecture's livelock without backoff; P02's shared rounds).
const DUELING: &str = r#"{
  "name": "paxos-dueling",
  "description": "No faults: three clients, each at its own server, propose different values for register r0, then r1, ... at the same moment, so three proposers duel for every register. Randomised backoff lets one win; without it they can preempt each other forever (livelock); with ballots that are not unique two of them can each get a value chosen.",
  "protocol": "paxos",
  "servers": 3,
  "clients": 3,
  "safety_ms": 2000,
  "liveness_ms": 2000,
  "workload": {"kind": "write-once"},
  "sometimes": ["preempted", "adopted-value", "chosen"]
}"#;

/// P01: acceptors crash (losing unsynced writes) and restart between a proposer's phases.
const ACCEPTOR_RESTART: &str = r#"{
  "name": "paxos-acceptor-restart",
  "description": "Dueling proposers while acceptors crash, some right after sending a promise or an acceptance and some losing unsynced writes, and restart between the phases. An acceptor must remember its promise and its accepted value across the restart (Paxos Made Simple 2.3).",
  "protocol": "paxos",
  "servers": 3,
  "clients": 3,
  "safety_ms": 4000,
  "liveness_ms": 2000,
  "generator": {
    "rates": {"crash": 3.0, "crash-point": 4.0},
    "mean_fault_ms": 120,
    "crash_point_kinds": ["Promise", "Accepted"]
  },
  "workload": {"kind": "write-once"},
  "sometimes": ["recovered", "adopted-value", "preempted"]
}"#;

/// P03: a proposer crashes right after its first accept leaves; the register may be chosen
/// already, and the next proposer must adopt that value.
const PROPOSER_CRASH: &str = r#"{
  "name": "paxos-proposer-crash",
  "description": "Each server in turn crashes right after sending its first accept (its own acceptor and perhaps one more took the value) and restarts; the clients retry at another server, whose proposer must adopt the value the promises report (P2c) rather than its own.",
  "protocol": "paxos",
  "servers": 3,
  "clients": 3,
  "safety_ms": 3000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 0, "fault": {"kind": "crash-after-send", "node": "S1", "msg_kind": "Accept"}},
    {"at_us": 400000, "fault": {"kind": "restart", "node": "S1"}},
    {"at_us": 800000, "fault": {"kind": "crash-after-send", "node": "S2", "msg_kind": "Accept"}},
    {"at_us": 1200000, "fault": {"kind": "restart", "node": "S2"}},
    {"at_us": 1600000, "fault": {"kind": "crash-after-send", "node": "S3", "msg_kind": "Accept"}},
    {"at_us": 2000000, "fault": {"kind": "restart", "node": "S3"}}
  ],
  "workload": {"kind": "write-once"},
  "sometimes": ["adopted-value", "recovered"]
}"#;

/// Lossy, duplicating, reordering, slow links.
const UNRELIABLE: &str = r#"{
  "name": "paxos-unreliable",
  "description": "Links drop 10%, duplicate 20% and reorder messages with delays up to 200 ms: duplicated and late promises, acceptances and nacks of old ballots must change nothing.",
  "protocol": "paxos",
  "servers": 5,
  "clients": 3,
  "safety_ms": 4000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 0, "fault": {"kind": "link", "from": null, "to": null, "profile": {"latency": {"dist": "long-tail", "min_us": 500, "mean_tail_us": 20000, "max_us": 200000}, "drop": 0.1, "duplicate": 0.2, "reorder": 0.3, "reorder_window_us": 50000}}}
  ],
  "workload": {"kind": "write-once"},
  "sometimes": ["preempted", "attempt-timeout", "adopted-value"]
}"#;

/// Every fault Basic Paxos promises to survive.
const SWARM: &str = r#"{
  "name": "paxos-swarm",
  "description": "Swarm testing: each seed draws which of partitions, crashes (losing unsynced writes), pauses, clock jumps and drift, lossy links, slow nodes and crash points after promises, acceptances and decisions are on; at most two of five acceptors down at once.",
  "protocol": "paxos",
  "servers": 5,
  "clients": 3,
  "safety_ms": 8000,
  "liveness_ms": 2000,
  "generator": {
    "rates": {"partition": 1.0, "crash": 1.0, "pause": 0.5, "clock": 0.5, "link": 0.5, "slow": 0.5, "crash-point": 0.5},
    "swarm": true,
    "mean_fault_ms": 300,
    "crash_point_kinds": ["Promise", "Accepted", "Accept", "Decided", "ClientReply"],
    "restart_after_crash_point": true,
    "clients_together_percent": 50
  },
  "vary": {
    "servers": {"log": [3, 7]}, "clients": [1, 5], "safety_ms": [2000, 8000],
    "mean_fault_ms": {"log": [30, 1000]}, "rate_percent": {"log": [25, 400]},
    "crash_point_subset": true, "partition_shape_subset": true, "slow_network_percent": 30
  },
  "workload": {"kind": "write-once"},
  "sometimes": ["preempted", "adopted-value", "recovered"]
}"#;
