//! ZAB's registry entry and scenario catalogue: leader isolation, follower lag, a leader
//! crashing during synchronisation, crashes between proposal, ack and commit, the whole
//! ensemble crashing and losing unsynced writes, clients moving between servers, unreliable
//! links, clock faults, a swarm, and one targeted schedule per planted bug. Every scenario
//! lists the coverage marks it exists for in `sometimes`.

use crate::registry::ProtocolEntry;
use crate::scenario::Scenario;
use splitbrain_api::VariantInfo;
use splitbrain_protocols::zab::{self, invariants, Zab, ZabConfig};
use splitbrain_sim::{run_world, RunRecord, Workload, WorldConfig};
use std::collections::BTreeMap;

pub struct ZabEntry;

/// ZAB's tuning knobs a scenario may set.
const PARAMS: &[(&str, &str)] = &[
    (
        "snapshot_every",
        "take a snapshot once this many transactions were delivered since the last (default 32)",
    ),
    (
        "retain",
        "delivered transactions kept after a snapshot (default 8)",
    ),
    (
        "max_batch",
        "transactions per retransmitted PROPOSAL (default 8)",
    ),
    (
        "follower_timeout_ms",
        "a follower without word from its leader for 1 to 2 times this long goes looking \
         (default 200)",
    ),
    (
        "session_timeout_ms",
        "the leader expires a session it has not heard of for this long (default 800)",
    ),
];

fn tuned(v: &VariantInfo, params: &BTreeMap<String, u64>) -> ZabConfig {
    let mut cfg = ZabConfig::from_variant(v.name).expect("variants come from zab::info()");
    for (name, &value) in params {
        match name.as_str() {
            "snapshot_every" => cfg.snapshot_every = value.max(1),
            "retain" => cfg.retain = value,
            "max_batch" => cfg.max_batch = value.max(1) as usize,
            "follower_timeout_ms" => {
                cfg.follower_timeout_us = (value.max(1) * 1000, value.max(1) * 2000);
            }
            "session_timeout_ms" => cfg.session_timeout = splitbrain_api::Dur::ms(value.max(1)),
            other => panic!("parameter `{other}` passed the scenario check but is not ZAB's"),
        }
    }
    cfg
}

impl ProtocolEntry for ZabEntry {
    fn crash_roles(&self) -> &'static [(crate::portable::CrashRole, &'static str)] {
        use crate::portable::CrashRole;
        &[
            (CrashRole::VoteGrant, "AckEpoch"),
            (CrashRole::AppendAck, "Ack"),
            (CrashRole::Append, "Proposal"),
            (CrashRole::ClientReply, "ClientReply"),
        ]
    }

    fn info(&self) -> splitbrain_api::ProtocolInfo {
        zab::info()
    }

    fn default_servers(&self, _variant: &VariantInfo) -> usize {
        3
    }

    fn servers_range(&self) -> std::ops::RangeInclusive<usize> {
        3..=7
    }

    fn params(&self) -> &'static [(&'static str, &'static str)] {
        PARAMS
    }

    /// A leader whose quorum lacks part of its history is about to sync it to followers and
    /// act on their acknowledgements.
    fn hints(&self) -> &'static [&'static str] {
        &["leads-unshared-history"]
    }

    fn run(
        &self,
        variant: &VariantInfo,
        params: &BTreeMap<String, u64>,
        cfg: WorldConfig,
        workload: Box<dyn Workload>,
    ) -> RunRecord {
        let proto = Zab {
            cfg: tuned(variant, params),
        };
        run_world(&proto, cfg, workload, invariants::all())
    }

    fn scenarios(&self) -> Vec<Scenario> {
        super::parse_builtin(
            "zab",
            CATALOGUE.iter().chain(super::zab_recipes::CATALOGUE.iter()),
        )
    }
}

/// Every ZAB scenario: behaviours first, then the targeted bug scenarios.
pub const CATALOGUE: [&str; 20] = [
    LEADER_ISOLATION,
    FOLLOWER_LAG,
    SYNC_CRASH,
    BROADCAST_CRASH,
    ENSEMBLE_RESTART,
    CLIENT_MOVES,
    UNRELIABLE,
    CLOCK,
    SWARM,
    ZK_CLIENT_MOVES,
    ZK_SWARM,
    ZK_SESSION_EXPIRY,
    ZK_CLOCK,
    ZK_ENSEMBLE_RESTART,
    ZK_LAGGING_READ,
    ZK_WATCHES,
    RETURNING_LEADER,
    SYNC_ACK_CRASH,
    DEPOSED_LEADER,
    FOLLOWER_READ,
];

const LEADER_ISOLATION: &str = r#"{
  "name": "zab-leader-isolation",
  "description": "Each server in turn is cut off with client C1 (so the leader is, at some point): the rest elect a leader of a higher epoch, which must hold every delivered transaction; the old leader loses its quorum, steps down and is synchronised into the new epoch at the heal.",
  "protocol": "zab",
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
  "workload": {"kind": "kv", "keys": 2, "read_percent": 50},
  "sometimes": ["leader-lost-quorum", "leader-established", "sync-diff"]
}"#;

const FOLLOWER_LAG: &str = r#"{
  "name": "zab-follower-lag",
  "description": "One follower at a time is cut off while the others commit and compact; on return it is synchronised by DIFF when its last zxid is still in the leader's log and by SNAP once it was compacted away.",
  "protocol": "zab",
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
  "sometimes": ["sync-snap", "sync-diff", "snapshot-taken"]
}"#;

const UNRELIABLE: &str = r#"{
  "name": "zab-unreliable",
  "description": "Links drop 10%, duplicate 20% and reorder messages with delays up to 200 ms: proposals are retransmitted from what each follower acknowledged, a follower accepts only the proposal that follows what it holds, and duplicated or late messages of old epochs change nothing.",
  "protocol": "zab",
  "servers": 5,
  "clients": 3,
  "safety_ms": 5000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 0, "fault": {"kind": "link", "from": null, "to": null, "profile": {"latency": {"dist": "long-tail", "min_us": 500, "mean_tail_us": 20000, "max_us": 200000}, "drop": 0.1, "duplicate": 0.2, "reorder": 0.3, "reorder_window_us": 50000}}}
  ],
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["proposal-retransmitted", "leader-established"]
}"#;

const SWARM: &str = r#"{
  "name": "zab-swarm",
  "description": "Swarm testing: each seed draws which of partitions, crashes (losing unsynced writes), pauses, clock jumps and drift, lossy links, slow nodes and crash points are on; at most a minority of servers down at once.",
  "protocol": "zab",
  "servers": 5,
  "clients": 3,
  "safety_ms": 8000,
  "liveness_ms": 2000,
  "generator": {
    "rates": {"partition": 1.0, "crash": 1.0, "pause": 0.5, "clock": 0.5, "link": 0.5, "slow": 0.5, "crash-point": 0.5},
    "swarm": true,
    "mean_fault_ms": 300,
    "crash_point_kinds": ["AckEpoch", "NewEpoch", "SyncDiff", "SyncTrunc", "SyncSnap", "AckNewLeader", "Proposal", "Ack", "Commit", "ClientReply"],
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
  "sometimes": ["leader-established", "recovered", "sync-trunc"]
}"#;

const SYNC_CRASH: &str = r#"{
  "name": "zab-sync-crash",
  "description": "Leaders crash right after sending NEWEPOCH or a DIFF, TRUNC or SNAP, and followers right after ACKEPOCH or ACKNEWLEADER (some losing unsynced writes), while partitions force new epochs: a half-synchronised ensemble must elect again without losing or inventing a delivered transaction.",
  "protocol": "zab",
  "servers": 3,
  "clients": 3,
  "safety_ms": 6000,
  "liveness_ms": 2000,
  "params": {"snapshot_every": 8, "retain": 2},
  "generator": {
    "rates": {"partition": 2.0, "crash": 1.0, "crash-point": 4.0},
    "mean_fault_ms": 200,
    "crash_point_kinds": ["NewEpoch", "AckEpoch", "SyncDiff", "SyncTrunc", "SyncSnap", "AckNewLeader"],
    "restart_after_crash_point": true
  },
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["recovered", "leader-established", "sync-diff"]
}"#;

const BROADCAST_CRASH: &str = r#"{
  "name": "zab-broadcast-crash",
  "description": "Servers crash right after sending a PROPOSAL, an ACK or a COMMIT (some losing unsynced writes) and restart: a transaction proposed but not acknowledged, acknowledged but not committed, or committed at the leader only, must end up delivered everywhere or nowhere, and delivered ones never lost.",
  "protocol": "zab",
  "servers": 3,
  "clients": 3,
  "safety_ms": 6000,
  "liveness_ms": 2000,
  "generator": {
    "rates": {"crash-point": 5.0, "partition": 0.5},
    "mean_fault_ms": 200,
    "crash_point_kinds": ["Proposal", "Ack", "Commit", "ClientReply"],
    "restart_after_crash_point": true
  },
  "workload": {"kind": "kv", "keys": 3, "read_percent": 20},
  "sometimes": ["recovered", "step-down", "leader-established"]
}"#;

const ENSEMBLE_RESTART: &str = r#"{
  "name": "zab-ensemble-restart",
  "description": "The whole ensemble crashes twice at once, losing every write not yet synced, and restarts: acknowledgements were sent only after the disk held what they assert, so every delivered transaction is on a quorum's disks and survives; unsynced proposals vanish.",
  "protocol": "zab",
  "servers": 3,
  "clients": 3,
  "safety_ms": 5000,
  "liveness_ms": 2000,
  "beyond_budget": true,
  "schedule": [
    {"at_us": 1500000, "fault": {"kind": "crash", "node": "S1", "lose_unsynced": true}},
    {"at_us": 1500000, "fault": {"kind": "crash", "node": "S2", "lose_unsynced": true}},
    {"at_us": 1500000, "fault": {"kind": "crash", "node": "S3", "lose_unsynced": true}},
    {"at_us": 1800000, "fault": {"kind": "restart", "node": "S1"}},
    {"at_us": 1800000, "fault": {"kind": "restart", "node": "S2"}},
    {"at_us": 1800000, "fault": {"kind": "restart", "node": "S3"}},
    {"at_us": 3500000, "fault": {"kind": "crash", "node": "S1", "lose_unsynced": true}},
    {"at_us": 3500000, "fault": {"kind": "crash", "node": "S2", "lose_unsynced": true}},
    {"at_us": 3500000, "fault": {"kind": "crash", "node": "S3", "lose_unsynced": true}},
    {"at_us": 3700000, "fault": {"kind": "restart", "node": "S1"}},
    {"at_us": 3700000, "fault": {"kind": "restart", "node": "S2"}},
    {"at_us": 3700000, "fault": {"kind": "restart", "node": "S3"}}
  ],
  "workload": {"kind": "kv", "keys": 3, "read_percent": 10},
  "sometimes": ["recovered", "leader-established"]
}"#;

const CLIENT_MOVES: &str = r#"{
  "name": "zab-client-moves",
  "description": "Servers crash and restart one at a time and clients are cut off from the server they talk to: a client moves to another server and retries with the same request id; a retried write already delivered is answered from the session table, never applied twice.",
  "protocol": "zab",
  "servers": 5,
  "clients": 4,
  "safety_ms": 6000,
  "liveness_ms": 2000,
  "generator": {"rates": {"crash": 2.0, "partition": 2.0}, "mean_fault_ms": 300},
  "workload": {"kind": "kv", "keys": 3, "read_percent": 30},
  "sometimes": ["dedup-hit", "recovered", "step-down"]
}"#;

const CLOCK: &str = r#"{
  "name": "zab-clock",
  "description": "Clock jumps and drift on the servers' timers (a fast clock gives up on its leader early, a slow leader pings late) with occasional partitions: epochs change at odd moments, and safety must not depend on any clock.",
  "protocol": "zab",
  "servers": 5,
  "clients": 3,
  "safety_ms": 5000,
  "liveness_ms": 2000,
  "generator": {"rates": {"clock": 3.0, "partition": 1.0}, "mean_fault_ms": 300},
  "workload": {"kind": "kv", "keys": 3},
  "sometimes": ["leader-established", "follower-timeout"]
}"#;

/// Z01 (ZOOKEEPER-1154): S3 leads epoch 1, is cut off from both followers (from each other
/// too) and logs the clients' writes alone; it crashes with them on disk. S1 and S2 elect a
/// leader of epoch 2 and commit more. S3 returns with a last zxid the new leader never had.
const RETURNING_LEADER: &str = r#"{
  "name": "zab-returning-leader",
  "description": "The leader of epoch 1 is cut off from both followers and logs the clients' writes alone, then crashes with them on disk; the followers elect a leader of epoch 2 and commit more; the old leader returns with a last zxid the new leader never had. Only TRUNC before the DIFF keeps it from delivering transactions nobody else has (ZOOKEEPER-1154).",
  "protocol": "zab",
  "servers": 3,
  "clients": 2,
  "safety_ms": 3000,
  "liveness_ms": 2000,
  "params": {"snapshot_every": 100000},
  "schedule": [
    {"at_us": 300000, "fault": {"kind": "partition", "groups": [["S3", "C1", "C2"], ["S1"], ["S2"]]}},
    {"at_us": 600000, "fault": {"kind": "crash", "node": "S3"}},
    {"at_us": 700000, "fault": {"kind": "heal"}},
    {"at_us": 1800000, "fault": {"kind": "restart", "node": "S3"}}
  ],
  "workload": {"kind": "kv", "keys": 2, "read_percent": 0},
  "sometimes": ["sync-trunc", "truncated"]
}"#;

/// Z02 (ZOOKEEPER-2678): S3 leads and logs writes alone while cut off; at the heal it wins
/// again (highest zxid) and syncs both followers, which crash right after ACKNEWLEADER,
/// losing unsynced writes; S3 establishes and delivers, then crashes; S1 and S2 elect.
const SYNC_ACK_CRASH: &str = r#"{
  "name": "zab-sync-crash-ack",
  "description": "The leader logs writes alone while cut off, wins the next epoch with the longest history and synchronises both followers, which crash right after acknowledging NEWLEADER and lose what was not on disk; the leader establishes, delivers its history and crashes; the followers elect among themselves. A NEWLEADER acknowledgement sent before the synced history is durable loses delivered transactions (ZOOKEEPER-2678).",
  "protocol": "zab",
  "servers": 3,
  "clients": 2,
  "safety_ms": 3500,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 200000, "fault": {"kind": "partition", "groups": [["S3", "C1", "C2"], ["S1"], ["S2"]]}},
    {"at_us": 900000, "fault": {"kind": "crash-after-send", "node": "S1", "msg_kind": "AckNewLeader", "lose_unsynced": true, "restart_after_us": 400000}},
    {"at_us": 900000, "fault": {"kind": "crash-after-send", "node": "S2", "msg_kind": "AckNewLeader", "lose_unsynced": true, "restart_after_us": 400000}},
    {"at_us": 1000000, "fault": {"kind": "heal"}},
    {"at_us": 1200000, "fault": {"kind": "crash", "node": "S3"}},
    {"at_us": 2600000, "fault": {"kind": "restart", "node": "S3"}}
  ],
  "workload": {"kind": "kv", "keys": 2, "read_percent": 0},
  "sometimes": ["recovered", "leader-established", "sync-diff"]
}"#;

/// Z06: S5 leads epoch 1 of five; its messages to S2, S3 and S4 start taking 700 ms, so they
/// give up on it and elect a leader of epoch 2 while S5, still hearing them and S1, goes on.
/// S5's late proposals reach followers of the new epoch.
const DEPOSED_LEADER: &str = r#"{
  "name": "zab-deposed-leader",
  "description": "The leader's messages to three of five servers start taking 700 ms: they give up on it and elect a leader of a new epoch, while the old leader, still hearing everyone, goes on proposing. Its late proposals reach followers of the new epoch, which must refuse them: a follower that accepts a proposal of an older epoch lets a deposed leader commit (Zab, DSN 2011).",
  "protocol": "zab",
  "servers": 5,
  "clients": 3,
  "safety_ms": 3000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 300000, "fault": {"kind": "link", "from": "S5", "to": "S2", "profile": {"latency": {"dist": "constant", "us": 700000}}}},
    {"at_us": 300000, "fault": {"kind": "link", "from": "S5", "to": "S3", "profile": {"latency": {"dist": "constant", "us": 700000}}}},
    {"at_us": 300000, "fault": {"kind": "link", "from": "S5", "to": "S4", "profile": {"latency": {"dist": "constant", "us": 700000}}}},
    {"at_us": 1500000, "fault": {"kind": "heal"}}
  ],
  "workload": {"kind": "kv", "keys": 2, "read_percent": 0},
  "sometimes": ["stale-proposal-refused", "leader-established"]
}"#;

/// Z07: C1 talks to follower S1 (its first choice), which is cut off with it while the
/// majority writes.
const FOLLOWER_READ: &str = r#"{
  "name": "zab-follower-read",
  "description": "A follower is cut off with a client while the majority goes on writing: until the follower gives up on its leader it answers the client's reads from its own, stale state. ZooKeeper does this by design (reads are served locally); linearizability must fail for such a run, while every ZAB invariant holds.",
  "protocol": "zab",
  "servers": 3,
  "clients": 3,
  "safety_ms": 3000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 400000, "fault": {"kind": "partition", "groups": [["S1", "C1"], ["S2", "S3", "C2", "C3"]]}},
    {"at_us": 1200000, "fault": {"kind": "heal"}},
    {"at_us": 1600000, "fault": {"kind": "partition", "groups": [["S2", "C2"], ["S1", "S3", "C1", "C3"]]}},
    {"at_us": 2400000, "fault": {"kind": "heal"}}
  ],
  "workload": {"kind": "kv", "keys": 1, "read_percent": 50},
  "sometimes": ["leader-established", "follower-timeout"]
}"#;

const ZK_CLIENT_MOVES: &str = r#"{
  "name": "zab-zk-client-moves",
  "description": "ZooKeeper calls on the data tree (creates of every mode, versioned set-data and delete, multi, sync, reads) while servers crash and clients are cut off from the server they talk to: reads are answered by the connected server from its own state, and a server that has not delivered the last zxid the client has seen sends it on, so a client never goes back in time when it moves. Judged by the ZooKeeper ordering checker.",
  "protocol": "zab",
  "servers": 3,
  "clients": 3,
  "safety_ms": 5000,
  "liveness_ms": 2000,
  "generator": {"rates": {"crash": 1.5, "partition": 2.0}, "mean_fault_ms": 300},
  "workload": {"kind": "zookeeper", "paths": 3, "read_percent": 50},
  "sometimes": ["behind-client-refused", "recovered", "leader-established"]
}"#;

const ZK_SWARM: &str = r#"{
  "name": "zab-zk-swarm",
  "description": "Swarm testing of the ZooKeeper service: ZooKeeper calls on the data tree while each seed draws which of partitions, crashes (losing unsynced writes), pauses, clock jumps and drift, lossy links, slow nodes and crash points are on, with at most a minority of servers down at once. Judged by the ZooKeeper ordering checker and ZAB's invariants.",
  "protocol": "zab",
  "servers": 5,
  "clients": 3,
  "safety_ms": 8000,
  "liveness_ms": 2000,
  "generator": {
    "rates": {"partition": 1.0, "crash": 1.0, "pause": 0.5, "clock": 0.5, "link": 0.5, "slow": 0.5, "crash-point": 0.5},
    "swarm": true,
    "mean_fault_ms": 300,
    "crash_point_kinds": ["AckEpoch", "NewEpoch", "SyncDiff", "SyncTrunc", "SyncSnap", "AckNewLeader", "Proposal", "Ack", "Commit", "ClientReply"],
    "restart_after_crash_point": true,
    "clients_together_percent": 50
  },
  "vary": {
    "servers": {"log": [3, 7]}, "clients": [1, 5],
    "safety_ms": [2000, 8000], "mean_fault_ms": {"log": [30, 1000]}, "rate_percent": {"log": [25, 400]},
    "params": {"snapshot_every": {"log": [2, 32]}, "retain": [0, 8], "max_batch": [1, 8]},
    "crash_point_subset": true, "partition_shape_subset": true, "slow_network_percent": 30
  },
  "workload": {"kind": "zookeeper", "paths": 3, "read_percent": 50},
  "sometimes": ["leader-established", "recovered", "behind-client-refused"]
}"#;

const ZK_SESSION_EXPIRY: &str = r#"{
  "name": "zab-zk-session-expiry",
  "description": "A client and the follower it is connected to are cut off from the majority for longer than the session timeout, twice: the leader, no longer hearing of the session, expires it with a replicated transaction that deletes its ephemeral znodes (and fires the watches on them); the client learns it is expired when it reaches a server of the majority, and opens a new session.",
  "protocol": "zab",
  "servers": 3,
  "clients": 3,
  "safety_ms": 6000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 800000, "fault": {"kind": "partition", "groups": [["S1", "C1"], ["S2", "S3", "C2", "C3"]]}},
    {"at_us": 2300000, "fault": {"kind": "heal"}},
    {"at_us": 3300000, "fault": {"kind": "partition", "groups": [["S2", "C2"], ["S1", "S3", "C1", "C3"]]}},
    {"at_us": 4800000, "fault": {"kind": "heal"}}
  ],
  "workload": {"kind": "zookeeper", "paths": 2, "read_percent": 40},
  "sometimes": ["session-expired", "session-expired-seen", "client-moved"]
}"#;

const ZK_CLOCK: &str = r#"{
  "name": "zab-zk-clock",
  "description": "Clock jumps and drift on the servers while clients hold sessions, with occasional partitions: the leader times sessions out by its own clock, so a fast leader clock expires sessions early and a slow one late, and a new leader gives every session a fresh timeout; what is promised (ordering, ephemerals gone with their session) must not depend on any clock.",
  "protocol": "zab",
  "servers": 5,
  "clients": 3,
  "safety_ms": 5000,
  "liveness_ms": 2000,
  "params": {"session_timeout_ms": 500},
  "generator": {"rates": {"clock": 3.0, "partition": 1.0}, "mean_fault_ms": 600},
  "workload": {"kind": "zookeeper", "paths": 3, "read_percent": 50},
  "sometimes": ["leader-established", "client-moved", "session-expired"]
}"#;

const ZK_ENSEMBLE_RESTART: &str = r#"{
  "name": "zab-zk-ensemble-restart",
  "description": "The whole ensemble crashes twice at once under ZooKeeper calls, losing every write not yet synced, and restarts: acknowledged calls survive, unsynced proposals vanish, sessions are recovered from the snapshot and log and get a fresh timeout from the new leader, and clients reconnect without going back in zxid.",
  "protocol": "zab",
  "servers": 3,
  "clients": 3,
  "safety_ms": 5000,
  "liveness_ms": 2000,
  "beyond_budget": true,
  "schedule": [
    {"at_us": 1500000, "fault": {"kind": "crash", "node": "S1", "lose_unsynced": true}},
    {"at_us": 1500000, "fault": {"kind": "crash", "node": "S2", "lose_unsynced": true}},
    {"at_us": 1500000, "fault": {"kind": "crash", "node": "S3", "lose_unsynced": true}},
    {"at_us": 1800000, "fault": {"kind": "restart", "node": "S1"}},
    {"at_us": 1800000, "fault": {"kind": "restart", "node": "S2"}},
    {"at_us": 1800000, "fault": {"kind": "restart", "node": "S3"}},
    {"at_us": 3500000, "fault": {"kind": "crash", "node": "S1", "lose_unsynced": true}},
    {"at_us": 3500000, "fault": {"kind": "crash", "node": "S2", "lose_unsynced": true}},
    {"at_us": 3500000, "fault": {"kind": "crash", "node": "S3", "lose_unsynced": true}},
    {"at_us": 3700000, "fault": {"kind": "restart", "node": "S1"}},
    {"at_us": 3700000, "fault": {"kind": "restart", "node": "S2"}},
    {"at_us": 3700000, "fault": {"kind": "restart", "node": "S3"}}
  ],
  "workload": {"kind": "zookeeper", "paths": 3, "read_percent": 30},
  "sometimes": ["recovered", "leader-established", "client-moved"]
}"#;

const ZK_WATCHES: &str = r#"{
  "name": "zab-zk-watches",
  "description": "Half the reads leave a one-shot watch while links drop, duplicate and reorder messages, servers crash and clients are cut off: a notification reaches its client before any reply that reflects the change, in zxid order, once. A notification travels with every message until acknowledged; a client that moves re-registers its watches with the zxid each was set at, and the new server fires those whose znode changed since; a follower brought up by SNAP fires what the snapshot changed; a notification that overtakes the reply of the read that set its watch waits for it.",
  "protocol": "zab",
  "servers": 3,
  "clients": 3,
  "safety_ms": 5000,
  "liveness_ms": 2000,
  "generator": {"rates": {"crash": 1.0, "partition": 1.0, "link": 1.5}, "mean_fault_ms": 400},
  "workload": {"kind": "zookeeper", "paths": 2, "read_percent": 60, "watch_percent": 50},
  "sometimes": ["watch-fired", "client-moved", "recovered"]
}"#;

/// Z08: S2 hears its leader 800 ms late (followers here wait 2 s before giving up on it);
/// C1 starts at S1, which is cut off from everyone, so C1 moves to the lagging S2.
const ZK_LAGGING_READ: &str = r#"{
  "name": "zab-zk-lagging-read",
  "description": "One follower hears its leader 800 ms late. A client writes through another follower, which is then cut off, and moves to the lagging one: a server that has not delivered the client's own last write must refuse it (the client moves on), or the client's next read misses its own write (FIFO client order, ZooKeeper paper section 2.3). Snapshots every 2 transactions keeping 1, so the lagging follower is also brought up by SNAP within a few writes.",
  "protocol": "zab",
  "servers": 3,
  "clients": 2,
  "safety_ms": 4000,
  "liveness_ms": 8000,
  "params": {"follower_timeout_ms": 2000, "snapshot_every": 2, "retain": 1},
  "schedule": [
    {"at_us": 200000, "fault": {"kind": "link", "from": "S3", "to": "S2", "profile": {"latency": {"dist": "constant", "us": 800000}}}},
    {"at_us": 1000000, "fault": {"kind": "partition", "groups": [["S1"], ["S2", "S3", "C1", "C2"]]}},
    {"at_us": 1800000, "fault": {"kind": "heal"}},
    {"at_us": 1900000, "fault": {"kind": "link", "from": "S3", "to": "S2", "profile": {"latency": {"dist": "constant", "us": 800000}}}},
    {"at_us": 2600000, "fault": {"kind": "partition", "groups": [["S1"], ["S2", "S3", "C1", "C2"]]}},
    {"at_us": 3400000, "fault": {"kind": "heal"}}
  ],
  "workload": {"kind": "zookeeper", "paths": 1, "read_percent": 50},
  "sometimes": ["behind-client-refused", "client-moved"]
}"#;
