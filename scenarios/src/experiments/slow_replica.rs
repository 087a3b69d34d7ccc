//! Slow replica: every chain write passes through every member, so one slow member slows
//! every write; a Raft leader waits for a majority only, so one slow follower costs nothing.
//! Measured as the median write latency once a replica (a Raft follower, the chain's middle
//! member) sends everything late by a growing delay.

use super::measure::{busiest, latencies_ms, plain, quantile, run, sent_by, servers};
use super::{fmt2, Effort, Experiment, Line, Outcome};
use crate::scenario::Scenario;
use rayon::prelude::*;
use serde_json::json;
use splitbrain_api::NodeId;

pub const EXPERIMENT: Experiment = Experiment {
    name: "slow-replica",
    claim:
        "one slow replica slows every chain-replication write, but not Raft's (a majority suffices)",
    run: perform,
};

const DELAYS_MS: [u64; 5] = [0, 2, 5, 10, 20];
/// The replica turns slow here, after the election and the chain's first configuration.
const SLOW_FROM_US: u64 = 1_000_000;
const MANAGERS: usize = 3;

fn with_slow(mut s: Scenario, node: NodeId, delay_ms: u64) -> Scenario {
    if delay_ms > 0 {
        s.schedule = serde_json::from_value(json!([{"at_us": SLOW_FROM_US,
            "fault": {"kind": "slow", "node": node.to_string(), "extra_us": delay_ms * 1000}}]))
        .expect("a slow fault");
    }
    s
}

fn writes() -> serde_json::Value {
    json!({"kind": "kv", "keys": 8, "read_percent": 0})
}

/// Median write latency (ms) after the slowdown: (Raft, chain).
fn measure(delay_ms: u64, follower: NodeId, ms: u64) -> (f64, f64) {
    let raft = with_slow(plain("raft", 3, 3, ms, writes()), follower, delay_ms);
    let raft = run("raft", "correct", &raft, 1);
    // Chain members are S4, S5, S6 in that order: S5 is the middle.
    let middle = NodeId::server(MANAGERS + 1);
    let chain = with_slow(
        plain("chain", MANAGERS + 3, 3, ms, writes()),
        middle,
        delay_ms,
    );
    let chain = run("chain", "correct", &chain, 1);
    // Faults end with the safety phase: only writes called while the replica was slow count.
    let p50 = |r| quantile(&latencies_ms(r, SLOW_FROM_US, ms * 1000, ""), 0.5);
    (p50(&raft), p50(&chain))
}

fn perform(effort: Effort) -> Outcome {
    let ms = if effort == Effort::Full { 4000 } else { 2000 };
    // A follower of the fault-free world's leader (the busiest sender) is the one slowed.
    let base = run("raft", "correct", &plain("raft", 3, 3, ms, writes()), 1);
    let nodes = servers(0, 3);
    let (leader, _) = busiest(&sent_by(&base), &nodes);
    let follower = *nodes.iter().find(|&&n| n != leader).expect("3 servers");
    let rows: Vec<(u64, (f64, f64))> = DELAYS_MS
        .par_iter()
        .map(|&d| (d, measure(d, follower, ms)))
        .collect();
    let (first, last) = (rows[0], *rows.last().unwrap());
    let max = last.0 as f64;
    let chain_grew = last.1 .1 - first.1 .1 >= 0.5 * max;
    let raft_flat = last.1 .0 - first.1 .0 <= 0.25 * max;
    let holds = chain_grew && raft_flat;
    let finding = format!(
        "with one replica {} ms slow, the median write took {} ms on Raft (was {}) and {} ms on the chain (was {}){}",
        last.0,
        fmt2(last.1 .0),
        fmt2(first.1 .0),
        fmt2(last.1 .1),
        fmt2(first.1 .1),
        if holds {
            ": the claim holds"
        } else {
            ": the claim does NOT hold on these numbers"
        }
    );
    let line = |name: &str, pick: fn(&(f64, f64)) -> f64| Line {
        name: name.to_string(),
        points: rows.iter().map(|(d, m)| (*d as f64, pick(m))).collect(),
    };
    Outcome {
        name: EXPERIMENT.name,
        claim: EXPERIMENT.claim,
        setup: format!(
            "3 replicas (Raft: 3 servers, {follower} a follower of {leader}; chain: 3 members after a 3-replica manager, the middle one S5), 3 clients writing back to back for {} s, seed 1; from 1 s on the chosen replica sends every message late by the delay; median latency of writes called from 1 s to the end of the safety phase (faults end with it)",
            ms / 1000
        ),
        columns: ["delay (ms)", "Raft p50 (ms)", "chain p50 (ms)"]
            .map(String::from)
            .to_vec(),
        rows: rows
            .iter()
            .map(|(d, m)| vec![d.to_string(), fmt2(m.0), fmt2(m.1)])
            .collect(),
        x_label: "delay of the slow replica (ms)",
        y_label: "median write latency (ms)",
        lines: vec![line("Raft", |m| m.0), line("chain", |m| m.1)],
        holds,
        finding,
    }
}
