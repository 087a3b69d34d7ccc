//! The Raft lab's graded suite, named as MIT 6.5840's Raft tests are (parts 3A elections, 3B
//! agreement, 3C persistence, 3D snapshots). Each test runs catalogue scenarios written for
//! that behaviour (and, where a classic mistake has its own targeted scenario, that one too),
//! on a few fixed seeds. A student's Raft (through the lab interface, or any protocol whose
//! clients speak `kv`) runs the same tests as splitbrain's own.

use super::{server_sends, servers, test, LabTest};
use crate::catalog::raft::RaftEntry;
use crate::registry::ProtocolEntry;
use crate::runner::RunResult;
use crate::scenario::Scenario;
use splitbrain_api::{NodeId, Role};
use splitbrain_sim::{Fault, OpStatus};
use std::collections::BTreeMap;

/// Seeds per behaviour scenario, and per targeted bug scenario (whose pinned seeds are below).
const SEEDS: u64 = 8;
const BUG_SEEDS: u64 = 12;

/// Every test of the suite, in the course's order.
pub fn suite() -> Vec<LabTest> {
    let mut all = elections();
    all.extend(agreement());
    all.extend(persistence());
    all.extend(snapshots());
    all
}

/// The test called `name` (case-insensitive; a `Test` prefix and a `3A`..`3D` suffix are
/// accepted, as students type them).
pub fn find(name: &str) -> Option<LabTest> {
    let bare = name.strip_prefix("Test").unwrap_or(name);
    let bare = bare.trim_end_matches(['3', 'A', 'B', 'C', 'D']);
    suite()
        .into_iter()
        .find(|t| t.name.eq_ignore_ascii_case(bare) || t.name.eq_ignore_ascii_case(name))
}

fn elections() -> Vec<LabTest> {
    vec![
        test(
            "InitialElection",
            "3A",
            "with no faults, a leader is elected within 1 s and keeps its term while nothing fails",
            vec![behaviour("raft-initial-election")],
            Some((
                initial_election,
                "a leader is elected within 1 s of the start, and with no faults no server starts a new term after that",
            )),
        ),
        test(
            "ReElection",
            "3A",
            "when the leader is cut off the others elect a new one, and the old one steps down on return",
            vec![behaviour("raft-re-election")],
            Some((
                re_election,
                "within 650 ms of a server being isolated, a server on the other side leads",
            )),
        ),
        test(
            "ManyElections",
            "3A",
            "seven servers under constant random partitions elect many leaders, at most one per term",
            vec![behaviour("raft-many-elections")],
            None,
        ),
    ]
}

fn agreement() -> Vec<LabTest> {
    vec![
        test(
            "BasicAgree",
            "3B",
            "with no faults, every command commits in one order on every server",
            vec![behaviour("raft-basic-agree")],
            None,
        ),
        test(
            "FailAgree",
            "3B",
            "a disconnected follower does not stop the others committing, and catches up on return",
            vec![behaviour("raft-fail-agree")],
            None,
        ),
        test(
            "FailNoAgree",
            "3B",
            "a minority cannot commit; after the heal its uncommitted entries are replaced",
            vec![behaviour("raft-fail-no-agree")],
            None,
        ),
        test(
            "ConcurrentStarts",
            "3B",
            "commands started concurrently by five clients commit in one order",
            vec![behaviour("raft-concurrent-starts")],
            None,
        ),
        test(
            "Rejoin",
            "3B",
            "a leader cut off with a client returns, steps down and neither commits nor serves its stale state",
            vec![behaviour("raft-rejoin"), targeted("raft-stale-read")],
            None,
        ),
        test(
            "Backup",
            "3B",
            "divergent logs left by minority leaders are repaired, and a server with a longer but older log is not elected",
            vec![behaviour("raft-backup"), targeted("raft-long-old-log")],
            None,
        ),
        test(
            "Count",
            "3B",
            "an election, each agreement and an idle second take a bounded number of messages",
            vec![(count_scenario(), 4)],
            Some((
                count,
                "a leader, every command completed, at most 30 messages until the first leader, 12 messages from servers per completed command, and while idle 50 a second per follower (a heartbeat every 40 ms or less often, with its reply)",
            )),
        ),
    ]
}

fn persistence() -> Vec<LabTest> {
    vec![
        test(
            "Persist1",
            "3C",
            "servers that crash (one by one, and all at once) recover their term, vote and log from disk",
            vec![behaviour("raft-persist")],
            None,
        ),
        test(
            "Persist2",
            "3C",
            "a server that crashes right after granting a vote remembers it: no second vote in the same term",
            vec![targeted("raft-vote-crash"), behaviour("raft-persist")],
            None,
        ),
        test(
            "Persist3",
            "3C",
            "a leader that crashes right after answering a client leaves a successor that serves only committed state",
            vec![targeted("raft-failover-read")],
            None,
        ),
        test(
            "Figure8",
            "3C",
            "a leader never commits an entry of an earlier term by counting replicas (Figure 8)",
            vec![behaviour("raft-figure8"), targeted("raft-figure8-commit")],
            None,
        ),
        test(
            "UnreliableAgree",
            "3C",
            "over links that drop, duplicate, reorder and delay, stale and duplicate replies change nothing",
            vec![behaviour("raft-unreliable"), targeted("raft-delayed-replies")],
            None,
        ),
        test(
            "Figure8Unreliable",
            "3C",
            "Figure 8's crashes and partitions over an unreliable network",
            vec![(unreliable(named("raft-figure8")), SEEDS)],
            None,
        ),
        test(
            "ReliableChurn",
            "3C",
            "constant crashes and restarts of up to two of five servers",
            vec![behaviour("raft-churn")],
            None,
        ),
        test(
            "UnreliableChurn",
            "3C",
            "constant crashes and restarts over an unreliable network",
            vec![(unreliable(named("raft-churn")), SEEDS)],
            None,
        ),
    ]
}

fn snapshots() -> Vec<LabTest> {
    vec![
        test(
            "SnapshotBasic",
            "3D",
            "with frequent snapshots and no faults, every command commits in one order",
            vec![(compacting(named("raft-basic-agree")), SEEDS)],
            None,
        ),
        test(
            "SnapshotInstall",
            "3D",
            "a follower behind the compaction point catches up by InstallSnapshot",
            vec![(compacting(named("raft-fail-agree")), SEEDS)],
            None,
        ),
        test(
            "SnapshotInstallUnreliable",
            "3D",
            "snapshots over links that duplicate and delay: an old snapshot never replaces newer state",
            vec![
                behaviour("raft-snapshot-install"),
                targeted("raft-stale-snapshot"),
            ],
            None,
        ),
        test(
            "SnapshotInstallCrash",
            "3D",
            "servers that crash with snapshots on disk restart from them and catch up",
            vec![(compacting(named("raft-persist")), SEEDS)],
            None,
        ),
    ]
}

fn named(name: &str) -> Scenario {
    RaftEntry
        .scenarios()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("raft catalogue scenario {name}"))
}

fn behaviour(name: &str) -> (Scenario, u64) {
    (named(name), SEEDS)
}

fn targeted(name: &str) -> (Scenario, u64) {
    (named(name), BUG_SEEDS)
}

/// The scenario over links that drop, duplicate, reorder and delay (raft-unreliable's).
fn unreliable(mut s: Scenario) -> Scenario {
    let lossy = named("raft-unreliable").schedule.0[0].clone();
    s.schedule.0.insert(0, lossy);
    s.name = format!("{}-unreliable", s.name);
    s
}

/// The scenario with a snapshot every 8 applied entries and none kept after it.
fn compacting(mut s: Scenario) -> Scenario {
    s.params.insert("snapshot_every".to_string(), 8);
    s.params.insert("retain".to_string(), 0);
    s.name = format!("{}-compacting", s.name);
    s
}

/// Commands the Count scenario's client issues.
const COUNT_OPS: usize = 60;

/// Fault-free, 3 servers, one client with 60 commands, then idle.
fn count_scenario() -> Scenario {
    Scenario::from_json(
        r#"{
  "name": "lab-count",
  "description": "No faults: one client issues 60 commands back to back, then the cluster idles.",
  "servers": 3,
  "clients": 1,
  "safety_ms": 3000,
  "liveness_ms": 0,
  "workload": {"kind": "kv", "keys": 3, "read_percent": 0, "max_ops_per_client": 60}
}"#,
        "lab Count scenario",
    )
    .expect("the Count scenario parses")
}

/// The latest view of every server at each moment, in trace order.
fn views(r: &RunResult) -> impl Iterator<Item = (u64, NodeId, Role, u64)> + '_ {
    r.record.trace.iter().flatten().filter_map(|e| {
        let v = e.view.as_ref()?;
        Some((e.at_us, e.node?, v.role, v.term))
    })
}

fn initial_election(r: &RunResult) -> Option<String> {
    let Some((at, leader, _, term)) = views(r).find(|v| v.2 == Role::Leader) else {
        return Some("no server became leader".to_string());
    };
    if at > 1_000_000 {
        return Some(format!(
            "the first leader ({leader}) was elected at {}",
            splitbrain_api::ms_label(at)
        ));
    }
    let safety_end = r.record.liveness_from_us.unwrap_or(r.record.sim_time_us);
    views(r)
        .find(|v| v.0 > at && v.0 < safety_end && v.3 > term)
        .map(|(when, node, _, later)| {
            format!(
                "{leader} led term {term} from {}, but {node} moved to term {later} at {} with no fault",
                splitbrain_api::ms_label(at),
                splitbrain_api::ms_label(when)
            )
        })
}

fn re_election(r: &RunResult) -> Option<String> {
    for entry in &r.schedule.0 {
        let Fault::Isolate { node } = &entry.fault else {
            continue;
        };
        let deadline = entry.at_us + 650_000;
        let mut latest: BTreeMap<NodeId, (Role, u64)> = BTreeMap::new();
        for (at, n, role, term) in views(r) {
            if at > deadline {
                break;
            }
            latest.insert(n, (role, term));
        }
        let others: Vec<NodeId> = servers(r).into_iter().filter(|s| s != node).collect();
        let top = others
            .iter()
            .filter_map(|s| latest.get(s).map(|v| v.1))
            .max()
            .unwrap_or(0);
        let led = others
            .iter()
            .any(|s| latest.get(s) == Some(&(Role::Leader, top)));
        if !led {
            return Some(format!(
                "{node} was isolated at {} and at {} no other server led the highest term among them ({top})",
                splitbrain_api::ms_label(entry.at_us),
                splitbrain_api::ms_label(deadline)
            ));
        }
    }
    None
}

/// Messages sent by servers: (time, sender) of each send (a network duplicate is no send).
fn count(r: &RunResult) -> Option<String> {
    let sends = server_sends(r);
    let Some(first_leader) = views(r).find(|v| v.2 == Role::Leader).map(|v| v.0) else {
        return Some("no server became leader".to_string());
    };
    let election = sends.iter().filter(|&&t| t <= first_leader).count();
    if election > 30 {
        return Some(format!("{election} messages before the first leader"));
    }
    let ops = &r.record.history.ops;
    let done = ops.iter().filter(|o| o.status == OpStatus::Ok).count();
    if done < COUNT_OPS {
        return Some(format!(
            "{done} of the client's {COUNT_OPS} commands completed"
        ));
    }
    let last = ops.iter().filter_map(|o| o.ret_us).max().unwrap_or(0);
    let busy = sends.iter().filter(|&&t| t <= last).count();
    if busy > 12 * done {
        return Some(format!(
            "{busy} messages from servers for {done} completed commands ({:.1} each)",
            busy as f64 / done as f64
        ));
    }
    let end = r.record.sim_time_us;
    let idle_us = end.saturating_sub(last + 100_000);
    if idle_us >= 500_000 {
        let idle = sends.iter().filter(|&&t| t > last + 100_000).count();
        let per_s = idle as f64 * 1e6 / idle_us as f64;
        let followers = r.servers.saturating_sub(1).max(1) as f64;
        if per_s > 50.0 * followers {
            return Some(format!(
                "{idle} messages from servers in {} of idleness ({per_s:.0} a second)",
                splitbrain_api::ms_label(idle_us)
            ));
        }
    }
    None
}
