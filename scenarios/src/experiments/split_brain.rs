//! Split brain: a two-server lock service in which a server that cannot reach its peer
//! serves alone grants the same lock on both sides of a partition, more often the more
//! often the network partitions; a service that needs a majority never does. Measured as
//! the share of seeds whose history breaks mutual exclusion, against the partition rate.

use super::measure::run_with;
use super::{fmt2, Effort, Experiment, Line, Outcome};
use crate::registry::find_protocol;
use crate::scenario::Scenario;
use rayon::prelude::*;
use splitbrain_sim::Outcome as RunOutcome;

pub const EXPERIMENT: Experiment = Experiment {
    name: "split-brain",
    claim: "the two-server lock grants a lock twice more often as partitions get more frequent; the majority design never does",
    run: perform,
};

const RATES: [f64; 5] = [0.0, 0.5, 1.0, 2.0, 4.0];

/// The catalogue's `tas-split` (partitions with clients on both sides) at `rate` a second.
fn split_at(rate: f64) -> Scenario {
    let entry = find_protocol("tas").expect("tas is built in");
    let mut s = entry
        .scenarios()
        .into_iter()
        .find(|s| s.name == "tas-split")
        .expect("tas-split is in the catalogue");
    let generator = s
        .generator
        .as_mut()
        .expect("tas-split generates partitions");
    for r in generator.rates.values_mut() {
        *r = rate;
    }
    if rate == 0.0 {
        s.generator = None;
    }
    s
}

/// Share of `seeds` seeds of `variant` whose run found a safety violation.
fn double_grants(variant: &str, rate: f64, seeds: u64) -> f64 {
    let s = split_at(rate);
    let bad = (0..seeds)
        .into_par_iter()
        .filter(|&seed| {
            let r = run_with("tas", variant, &s, seed, false);
            r.record.outcome == RunOutcome::Violation
        })
        .count();
    bad as f64 / seeds as f64
}

fn perform(effort: Effort) -> Outcome {
    let seeds = if effort == Effort::Full { 200 } else { 30 };
    let rows: Vec<(f64, f64, f64)> = RATES
        .iter()
        .map(|&r| {
            (
                r,
                double_grants("two-server", r, seeds),
                double_grants("majority", r, seeds),
            )
        })
        .collect();
    let two: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let rising = two[0] == 0.0 && two.last() > two.get(1) && *two.last().unwrap() > 0.0;
    let holds = rising && rows.iter().all(|r| r.2 == 0.0);
    let last = rows.last().unwrap();
    let finding = format!(
        "at {} partitions a second, {} of two-server runs granted a lock twice and {} of majority runs{}",
        last.0,
        fmt2(last.1),
        fmt2(last.2),
        if holds {
            ": the claim holds (no partitions, no split brain; more partitions, more of it)"
        } else {
            ": the claim does NOT hold on these numbers"
        }
    );
    let line = |name: &str, pick: fn(&(f64, f64, f64)) -> f64| Line {
        name: name.to_string(),
        points: rows.iter().map(|r| (r.0, pick(r))).collect(),
    };
    Outcome {
        name: EXPERIMENT.name,
        claim: EXPERIMENT.claim,
        setup: format!(
            "catalogue scenario tas-split (2 clients racing for each lock, partitions with clients on both sides, 3 s + 1 s quiet) at each partition rate, seeds 0..{seeds}; a seed counts when its history breaks mutual exclusion"
        ),
        columns: [
            "partitions/s",
            "two-server: P(double grant)",
            "majority: P(double grant)",
        ]
        .map(String::from)
        .to_vec(),
        rows: rows
            .iter()
            .map(|r| vec![r.0.to_string(), fmt2(r.1), fmt2(r.2)])
            .collect(),
        x_label: "partitions per second",
        y_label: "share of runs that granted a lock twice",
        lines: vec![line("two-server", |r| r.1), line("majority", |r| r.2)],
        holds,
        finding,
    }
}
