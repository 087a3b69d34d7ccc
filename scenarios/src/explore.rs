//! Many seeds on many cores. Parallelism lives only here, above the worlds: each seed is an
//! independent world, so per-seed results are identical for any number of jobs.

use crate::registry::ProtocolEntry;
use crate::runner::{run_seed, RunOptions};
use crate::scenario::{Scenario, ScenarioError};
use rayon::prelude::*;
use serde::Serialize;
use splitbrain_api::VariantInfo;
use splitbrain_sim::Outcome;
use std::collections::BTreeMap;

/// One seed's result, small enough to keep for every seed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeedResult {
    pub seed: u64,
    pub outcome: Outcome,
    pub trace_hash: u64,
    pub message: String,
}

/// What an exploration found.
#[derive(Clone, Debug, Serialize)]
pub struct ExploreSummary {
    pub results: Vec<SeedResult>,
    /// Marks reached over all seeds, with the number of seeds that reached each.
    pub marks: BTreeMap<String, u64>,
    /// `sometimes` expectations never reached (only judged when the whole range ran).
    pub unreached: Vec<String>,
    pub stopped_early: bool,
}

impl ExploreSummary {
    pub fn failures(&self) -> impl Iterator<Item = &SeedResult> {
        self.results.iter().filter(|r| r.outcome.is_failure())
    }
}

/// How to explore.
pub struct ExploreOptions {
    pub jobs: usize,
    pub until_first: bool,
    pub run: RunOptions,
}

/// Runs seeds `from..to`. With `until_first`, stops at the lowest failing seed and reports
/// seeds up to it only, so the result does not depend on `jobs`.
pub fn explore(
    entry: &dyn ProtocolEntry,
    variant: &VariantInfo,
    scenario: &Scenario,
    seeds: std::ops::Range<u64>,
    opts: &ExploreOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ExploreSummary, ScenarioError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .build()
        .map_err(|e| ScenarioError::Unknown(format!("thread pool: {e}")))?;
    let chunk = if opts.until_first {
        (opts.jobs.max(1) * 16) as u64
    } else {
        seeds.end - seeds.start
    };
    let mut results = Vec::new();
    let mut marks = BTreeMap::new();
    let mut start = seeds.start;
    let mut stopped_early = false;
    while start < seeds.end {
        let end = (start + chunk.max(1)).min(seeds.end);
        let batch: Vec<_> = pool.install(|| {
            (start..end)
                .into_par_iter()
                .map(|seed| {
                    let r = run_seed(entry, variant, scenario, seed, &opts.run);
                    progress(1);
                    r
                })
                .collect()
        });
        for r in batch {
            let rec = r?.record;
            let seed_marks: Vec<String> = rec.marks.keys().cloned().collect();
            let result = SeedResult {
                seed: rec.seed,
                outcome: rec.outcome,
                trace_hash: rec.trace_hash,
                message: rec.headline(),
            };
            results.push((result, seed_marks));
        }
        if opts.until_first {
            if let Some(pos) = results.iter().position(|(r, _)| r.outcome.is_failure()) {
                stopped_early = true;
                results.truncate(pos + 1);
                break;
            }
        }
        start = end;
    }
    for name in results.iter().flat_map(|(_, m)| m) {
        *marks.entry(name.clone()).or_insert(0) += 1;
    }
    let results: Vec<SeedResult> = results.into_iter().map(|(r, _)| r).collect();
    let unreached = if stopped_early {
        Vec::new()
    } else {
        scenario
            .sometimes
            .iter()
            .filter(|m| !marks.contains_key(*m))
            .cloned()
            .collect()
    };
    Ok(ExploreSummary {
        results,
        marks,
        unreached,
        stopped_early,
    })
}
