//! Dueling proposers: Basic Paxos proposers that retry at once after being preempted can
//! preempt each other forever (the livelock of the lecture); randomised backoff lets one of
//! them win. Measured as registers decided per simulated second, and the median time to
//! decide, as the number of proposers racing for every register grows.

use super::measure::{latencies_ms, plain, quantile, run};
use super::{fmt2, Effort, Experiment, Line, Outcome};
use rayon::prelude::*;
use serde_json::json;
use splitbrain_sim::OpStatus;

pub const EXPERIMENT: Experiment = Experiment {
    name: "dueling-proposers",
    claim: "without backoff, dueling Paxos proposers livelock; randomised backoff lets them decide",
    run: perform,
};

const PROPOSERS: [usize; 4] = [1, 2, 3, 5];

/// Registers decided per simulated second and the median ms to decide.
type Rate = (f64, f64);
/// Proposers, then the rate with backoff and without.
type Row = (usize, Rate, Rate);

/// The decision rate of `variant` with `proposers` proposers over `seeds` seeds.
fn measure(variant: &str, proposers: usize, ms: u64, seeds: u64) -> Rate {
    let s = plain(
        "paxos",
        proposers.max(3),
        proposers,
        ms,
        json!({"kind": "write-once"}),
    );
    let (mut decided, mut lat) = (0usize, Vec::new());
    for seed in 0..seeds {
        let r = run("paxos", variant, &s, seed);
        let mut keys: Vec<String> = r
            .record
            .history
            .ops
            .iter()
            .filter(|op| op.status == OpStatus::Ok)
            .map(|op| op.op.key_label())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        decided += keys.len();
        lat.extend(latencies_ms(&r, 0, u64::MAX, ""));
    }
    let per_s = decided as f64 / seeds as f64 / (ms as f64 / 1e3);
    (per_s, quantile(&lat, 0.5))
}

fn perform(effort: Effort) -> Outcome {
    let (ms, seeds) = if effort == Effort::Full {
        (2000, 5)
    } else {
        (1000, 1)
    };
    let rows: Vec<Row> = PROPOSERS
        .par_iter()
        .map(|&k| {
            let with = measure("correct", k, ms, seeds);
            let without = measure("no-backoff", k, ms, seeds);
            (k, with, without)
        })
        .collect();
    let contended: Vec<_> = rows.iter().filter(|r| r.0 >= 3).collect();
    let holds = rows[0].2 .0 > 0.0
        && contended
            .iter()
            .all(|r| r.1 .0 > 0.0 && r.2 .0 < 0.5 * r.1 .0);
    let last = rows.last().unwrap();
    let finding = format!(
        "with {} proposers, {} registers a second were decided with backoff and {} without{}",
        last.0,
        fmt2(last.1 .0),
        fmt2(last.2 .0),
        if holds {
            ": the claim holds (alone, a proposer without backoff decides as fast as any)"
        } else {
            ": the claim does NOT hold on these numbers"
        }
    );
    let line = |name: &str, pick: fn(&Row) -> f64| Line {
        name: name.to_string(),
        points: rows.iter().map(|r| (r.0 as f64, pick(r))).collect(),
    };
    Outcome {
        name: EXPERIMENT.name,
        claim: EXPERIMENT.claim,
        setup: format!(
            "fault-free Basic Paxos, at least 3 servers, k clients each at its own server proposing its own value for r0, r1, ... back to back (every register contended), {} s, seeds 0..{seeds}",
            ms / 1000
        ),
        columns: [
            "proposers",
            "backoff: decided/s",
            "backoff: p50 ms",
            "no backoff: decided/s",
            "no backoff: p50 ms",
        ]
        .map(String::from)
        .to_vec(),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.0.to_string(),
                    fmt2(r.1 .0),
                    fmt2(r.1 .1),
                    fmt2(r.2 .0),
                    fmt2(r.2 .1),
                ]
            })
            .collect(),
        x_label: "proposers racing for each register",
        y_label: "registers decided per second",
        lines: vec![
            line("randomised backoff", |r| r.1 .0),
            line("no backoff", |r| r.2 .0),
        ],
        holds,
        finding,
    }
}
