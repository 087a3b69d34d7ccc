//! Scenarios written for no protocol in particular: random partitions, crashes and a swarm,
//! over the key-value workload. They name no message kind, no tuning parameter and no
//! cluster size (the protocol's default, or the swarm's draw inside its range), so they run
//! unmodified on any registered protocol whose clients speak `kv`; the fault generator keeps
//! to the fault budget the protocol declares (at most that many servers down at once, lost
//! unsynced writes and clock skew only if promised).

use crate::scenario::Scenario;

/// The generic scenarios, parsed.
pub fn scenarios() -> Vec<Scenario> {
    super::parse_builtin("generic", &[PARTITIONS, CRASHES, CRASH_POINTS, SWARM])
}

/// Partitions of every shape (split, isolate, bridge, one-way, partial) with clients on both
/// sides: the split-brain hunt.
const PARTITIONS: &str = r#"{
  "name": "generic-partitions",
  "description": "Any protocol serving kv: random partitions of every shape, clients spread over the sides, then a heal; a majority side must keep serving and no side may diverge.",
  "clients": 3,
  "safety_ms": 4000,
  "liveness_ms": 2000,
  "generator": {"rates": {"partition": 2.0}, "mean_fault_ms": 400, "clients_together_percent": 30},
  "workload": {"kind": "kv", "keys": 3}
}"#;

/// Crashes and restarts within the protocol's budget, losing unsynced writes where the budget
/// allows: durable state and recovery.
const CRASHES: &str = r#"{
  "name": "generic-crashes",
  "description": "Any protocol serving kv: servers crash (losing unsynced writes where its fault budget allows) and restart from their disks, at most as many at once as the budget says.",
  "clients": 3,
  "safety_ms": 4000,
  "liveness_ms": 2000,
  "generator": {"rates": {"crash": 2.0, "pause": 0.5}, "mean_fault_ms": 300, "lose_unsynced": true},
  "workload": {"kind": "kv", "keys": 3}
}"#;

/// Crash points named by role, so they fire on any protocol that maps the roles to its own
/// message kinds: right after a server grants a vote, acknowledges an append, or answers a
/// client; each comes back a drawn time after it fired.
const CRASH_POINTS: &str = r#"{
  "name": "generic-crash-points",
  "description": "Any protocol serving kv that maps the crash-point roles: servers crash right after granting a vote, acknowledging an append or answering a client (losing unsynced writes where its budget allows), and come back a drawn time later.",
  "clients": 3,
  "safety_ms": 4000,
  "liveness_ms": 2000,
  "generator": {
    "rates": {"crash-point": 3.0, "partition": 0.5},
    "mean_fault_ms": 300,
    "crash_point_kinds": ["vote-grant", "append-ack", "client-reply"],
    "restart_after_crash_point": true,
    "lose_unsynced": true
  },
  "workload": {"kind": "kv", "keys": 3}
}"#;

/// Every fault kind that needs no protocol knowledge, swarm-style, with each seed drawing
/// its cluster size, load and fault mix.
const SWARM: &str = r#"{
  "name": "generic-swarm",
  "description": "Any protocol serving kv: each seed draws its cluster size, clients, keys and which of partitions, crashes, pauses, clock faults, lossy links and slow nodes are on, inside the protocol's fault budget.",
  "clients": 3,
  "safety_ms": 5000,
  "liveness_ms": 2000,
  "generator": {
    "rates": {"partition": 1.0, "crash": 1.0, "pause": 0.5, "clock": 0.5, "link": 0.5, "slow": 0.5},
    "swarm": true,
    "mean_fault_ms": 300,
    "lose_unsynced": true,
    "clients_together_percent": 50
  },
  "vary": {
    "servers": [3, 7], "clients": [1, 5], "keys": {"log": [1, 8]}, "read_percent": [0, 90],
    "safety_ms": [2000, 6000], "mean_fault_ms": {"log": [30, 1000]}, "rate_percent": {"log": [25, 400]},
    "partition_shape_subset": true, "slow_network_percent": 30
  },
  "workload": {"kind": "kv", "keys": 4}
}"#;
