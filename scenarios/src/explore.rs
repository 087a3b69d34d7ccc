//! Many seeds on many cores. Parallelism lives only here, above the worlds: each seed is an
//! independent world, so per-seed results are identical for any number of jobs. Seeds run in
//! chunks in list order; after each chunk a callback may checkpoint the results, and a run can
//! resume from such a checkpoint with the same final answer.

use crate::registry::ProtocolEntry;
use crate::runner::{run_seed, RunOptions};
use crate::scenario::{Scenario, ScenarioError};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use splitbrain_api::VariantInfo;
use splitbrain_sim::Outcome;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

/// One seed's result, small enough to keep for every seed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedResult {
    pub seed: u64,
    pub outcome: Outcome,
    pub trace_hash: u64,
    pub message: String,
    /// Coverage marks the seed reached.
    #[serde(default)]
    pub marks: Vec<String>,
    /// The random fault kinds that were on.
    #[serde(default)]
    pub fault_kinds: Vec<crate::generator::Kind>,
    /// True when guided exploration chose the kinds (reproduce with `--fault-kinds`).
    #[serde(default)]
    pub forced: bool,
}

/// What an exploration found.
#[derive(Clone, Debug, Serialize)]
pub struct ExploreSummary {
    pub results: Vec<SeedResult>,
    /// Marks reached, with the number of seeds that reached each.
    pub marks: BTreeMap<String, u64>,
    /// `sometimes` expectations never reached (only judged when the whole list ran).
    pub unreached: Vec<String>,
    pub stopped_early: bool,
    /// True when `ExploreOptions::cancel` stopped the run: `results` hold the seeds that
    /// finished (in list order), not the whole list.
    pub interrupted: bool,
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
    /// Results of an earlier interrupted run of the same exploration (not re-run).
    pub resume_from: Vec<SeedResult>,
    /// Bias fault generation toward fault mixes that reached rare coverage marks.
    pub guided: bool,
    /// When set (by a Ctrl-C handler), seeds not yet started are skipped and the exploration
    /// ends after the seeds in flight, with `interrupted` set.
    pub cancel: Option<&'static AtomicBool>,
}

/// Progress after each seed: seeds done (resumed ones count at the start), failures among them.
pub type OnProgress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// A deterministic slice `index` of `count` of a seed range (striped, so slow seeds spread).
pub fn shard(seeds: std::ops::Range<u64>, index: u64, count: u64) -> Vec<u64> {
    seeds.filter(|s| s % count.max(1) == index).collect()
}

/// Runs `seeds` in order. With `until_first`, stops at the first failing seed in list order
/// and reports seeds up to it only, so the result does not depend on `jobs`. Seeds found in
/// `opts.resume_from` are not re-run; `checkpoint` sees the results so far after each chunk.
pub fn explore(
    entry: &dyn ProtocolEntry,
    variant: &VariantInfo,
    scenario: &Scenario,
    seeds: &[u64],
    opts: &ExploreOptions,
    progress: OnProgress<'_>,
    checkpoint: &mut dyn FnMut(&[SeedResult]),
) -> Result<ExploreSummary, ScenarioError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .build()
        .map_err(|e| ScenarioError::Unknown(format!("thread pool: {e}")))?;
    let runner = Runner {
        entry,
        variant,
        scenario,
        opts,
        progress,
        kinds: random_kinds(scenario),
    };
    let mut known: BTreeMap<u64, SeedResult> = opts
        .resume_from
        .iter()
        .map(|r| (r.seed, r.clone()))
        .collect();
    let resumed_failures = known.values().filter(|r| r.outcome.is_failure()).count();
    progress(known.len() as u64, resumed_failures as u64);
    let cancelled = || opts.cancel.is_some_and(|c| c.load(Ordering::Relaxed));
    let mut interrupted = false;
    let mut guidance = crate::guided::Guidance::default();
    let mut results: Vec<SeedResult> = Vec::with_capacity(seeds.len());
    let mut stopped_early = false;
    for batch in seeds.chunks(chunk_size(opts)) {
        let todo: Vec<u64> = batch
            .iter()
            .copied()
            .filter(|s| !known.contains_key(s))
            .collect();
        for r in pool.install(|| runner.run_all(&todo, &guidance))? {
            known.insert(r.seed, r);
        }
        let start = results.len();
        results.extend(batch.iter().filter_map(|s| known.get(s).cloned()));
        if cancelled() {
            interrupted = true;
            checkpoint(&results);
            break;
        }
        if opts.guided {
            guidance.learn(&results[start..]);
        }
        if !todo.is_empty() {
            checkpoint(&results);
        }
        if opts.until_first {
            if let Some(pos) = results.iter().position(|r| r.outcome.is_failure()) {
                stopped_early = true;
                results.truncate(pos + 1);
                break;
            }
        }
    }
    let mut summary = finish(results, scenario, stopped_early || interrupted);
    summary.interrupted = interrupted;
    Ok(summary)
}

/// Seeds per chunk: fixed for guided runs (guidance changes between chunks), small for
/// `until_first` (stop soon after a failure), large otherwise (checkpoint granularity).
fn chunk_size(opts: &ExploreOptions) -> usize {
    if opts.guided {
        crate::guided::CHUNK
    } else if opts.until_first {
        opts.jobs.max(1) * 16
    } else {
        512
    }
}

/// The random fault kinds a scenario's generator can turn on.
fn random_kinds(scenario: &Scenario) -> Vec<crate::generator::Kind> {
    scenario.generator.as_ref().map_or(Vec::new(), |g| {
        g.rates
            .iter()
            .filter(|(_, &r)| r > 0.0)
            .map(|(&k, _)| k)
            .collect()
    })
}

/// Everything one seed's run needs, shared by the worker threads.
struct Runner<'a> {
    entry: &'a dyn ProtocolEntry,
    variant: &'a VariantInfo,
    scenario: &'a Scenario,
    opts: &'a ExploreOptions,
    progress: OnProgress<'a>,
    kinds: Vec<crate::generator::Kind>,
}

impl Runner<'_> {
    /// Runs `seeds` in parallel on the current pool; results in seed-list order.
    fn run_all(
        &self,
        seeds: &[u64],
        guidance: &crate::guided::Guidance,
    ) -> Result<Vec<SeedResult>, ScenarioError> {
        let cancelled = || self.opts.cancel.is_some_and(|c| c.load(Ordering::Relaxed));
        seeds
            .par_iter()
            .filter(|_| !cancelled())
            .map(|&seed| self.run_one(seed, guidance))
            .collect()
    }

    fn run_one(
        &self,
        seed: u64,
        guidance: &crate::guided::Guidance,
    ) -> Result<SeedResult, ScenarioError> {
        let forced = if self.opts.guided {
            guidance.forced_for(seed, &self.kinds)
        } else {
            None
        };
        let guided_scenario = forced.map(|kinds| with_kinds(self.scenario, kinds));
        let scenario = guided_scenario.as_ref().unwrap_or(self.scenario);
        // Only the outcome is kept per seed: the verdict without evidence.
        let run = RunOptions {
            skip_evidence: true,
            ..self.opts.run.clone()
        };
        let r = run_seed(self.entry, self.variant, scenario, seed, &run).map(summarise);
        let failed = r.as_ref().is_ok_and(|s| s.outcome.is_failure());
        (self.progress)(1, u64::from(failed));
        r
    }
}

fn summarise(r: crate::runner::RunResult) -> SeedResult {
    let rec = r.record;
    SeedResult {
        seed: rec.seed,
        outcome: rec.outcome,
        trace_hash: rec.trace_hash,
        message: rec.headline(),
        marks: rec.marks.keys().cloned().collect(),
        fault_kinds: r.fault_kinds,
        forced: r.forced_kinds,
    }
}

/// `scenario` with exactly `kinds` of random faults on.
fn with_kinds(scenario: &Scenario, kinds: Vec<crate::generator::Kind>) -> Scenario {
    let mut s = scenario.clone();
    if let Some(g) = &mut s.generator {
        g.kinds = Some(kinds);
    }
    s
}

fn finish(results: Vec<SeedResult>, scenario: &Scenario, stopped_early: bool) -> ExploreSummary {
    let mut marks = BTreeMap::new();
    for name in results.iter().flat_map(|r| &r.marks) {
        *marks.entry(name.clone()).or_insert(0) += 1;
    }
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
    ExploreSummary {
        results,
        marks,
        unreached,
        stopped_early,
        interrupted: false,
    }
}

/// `explore` over a range with no resume and no checkpoint.
pub fn explore_range(
    entry: &dyn ProtocolEntry,
    variant: &VariantInfo,
    scenario: &Scenario,
    seeds: std::ops::Range<u64>,
    opts: &ExploreOptions,
    progress: OnProgress<'_>,
) -> Result<ExploreSummary, ScenarioError> {
    let list: Vec<u64> = seeds.collect();
    explore(entry, variant, scenario, &list, opts, progress, &mut |_| {})
}
