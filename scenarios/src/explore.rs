//! Many seeds on many cores. Parallelism lives only here, above the worlds: each seed is an
//! independent world, so per-seed results are identical for any number of jobs. Seeds run in
//! chunks in list order; after each chunk a callback may checkpoint the results, and a run can
//! resume from such a checkpoint with the same final answer.

use crate::guided::{Guidance, Kept, Plan};
use crate::registry::ProtocolEntry;
use crate::runner::{run_seed, RunOptions};
use crate::scenario::{Scenario, ScenarioError};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use splitbrain_api::VariantInfo;
use splitbrain_sim::Outcome;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

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
    /// A mutant of guided exploration: the seed and mutations that reproduce it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived: Option<Derived>,
    /// Whether the seed's ZooKeeper history was fully linearizable, when the run options
    /// asked (`RunOptions::zk_linearizability`): information beside the outcome, never it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zk_linearizability: Option<crate::zk_linearizability::Answer>,
}

/// How a mutant reproduces: `run --seed SEED [--fault-kinds KINDS] --mutations MUTATIONS`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Derived {
    pub seed: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kinds: Option<Vec<crate::generator::Kind>>,
    pub mutations: String,
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
    /// Guided exploration (`crate::guided`): mutants of runs that reached new coverage, and
    /// fault mixes that reached rare marks.
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
        budget: entry.info().budget,
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
    let mut guidance = Guidance::with_hints(entry.hints());
    let mut results: Vec<SeedResult> = Vec::with_capacity(seeds.len());
    let mut stopped_early = false;
    for batch in seeds.chunks(chunk_size(opts)) {
        let todo: Vec<u64> = batch
            .iter()
            .copied()
            .filter(|s| !known.contains_key(s))
            .collect();
        let mut kept: BTreeMap<u64, Option<Kept>> = BTreeMap::new();
        for (r, k) in pool.install(|| runner.run_all(&todo, &guidance, true))? {
            kept.insert(r.seed, k);
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
            // Resumed seeds are run again for what guidance keeps of them (same runs).
            let again: Vec<u64> = batch
                .iter()
                .copied()
                .filter(|s| !kept.contains_key(s) && known.contains_key(s))
                .collect();
            for (r, k) in pool.install(|| runner.run_all(&again, &guidance, false))? {
                kept.insert(r.seed, k);
            }
            let chunk_kept = batch
                .iter()
                .filter(|s| known.contains_key(s))
                .map(|s| kept.remove(s).flatten())
                .collect();
            guidance.learn(&results[start..], chunk_kept);
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
    budget: splitbrain_api::FaultBudget,
}

impl Runner<'_> {
    /// Runs `seeds` in parallel on the current pool; results in seed-list order, each with
    /// the run guidance keeps when it reached something new.
    fn run_all(
        &self,
        seeds: &[u64],
        guidance: &Guidance,
        report: bool,
    ) -> Result<Vec<(SeedResult, Option<Kept>)>, ScenarioError> {
        let cancelled = || self.opts.cancel.is_some_and(|c| c.load(Ordering::Relaxed));
        seeds
            .par_iter()
            .filter(|_| !cancelled())
            .map(|&seed| self.run_one(seed, guidance, report))
            .collect()
    }

    fn run_one(
        &self,
        seed: u64,
        guidance: &Guidance,
        report: bool,
    ) -> Result<(SeedResult, Option<Kept>), ScenarioError> {
        let plan = if self.opts.guided {
            guidance.plan(seed, &self.kinds, &self.budget)
        } else {
            Plan::Own
        };
        let (scenario, root, kinds, chain) = match plan {
            Plan::Own => (Cow::Borrowed(self.scenario), seed, None, Vec::new()),
            Plan::Kinds(k) => (
                Cow::Owned(with_kinds(self.scenario, k.clone())),
                seed,
                Some(k),
                Vec::new(),
            ),
            Plan::Mutant {
                root,
                kinds,
                chain,
                scenario,
            } => (Cow::Owned(*scenario), root, kinds, chain),
        };
        // Only the outcome is kept per seed: the verdict without evidence.
        let opts = RunOptions {
            skip_evidence: true,
            ..self.opts.run.clone()
        };
        let run = run_seed(self.entry, self.variant, &scenario, root, &opts)?;
        let kept = (self.opts.guided && guidance.is_new(&run.record.marks, &run.record.mark_at))
            .then(|| Kept {
                root,
                kinds: kinds.clone(),
                scenario: Arc::new(crate::mutate::written_out(&run, &scenario)),
                marks: run.record.marks.clone(),
                mark_at: run.record.mark_at.clone(),
                chain: chain.clone(),
            });
        let mut r = summarise(run);
        r.seed = seed;
        if !chain.is_empty() {
            r.derived = Some(Derived {
                seed: root,
                kinds,
                mutations: crate::mutate::list_arg(&chain),
            });
        }
        if report {
            (self.progress)(1, u64::from(r.outcome.is_failure()));
        }
        Ok((r, kept))
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
        derived: None,
        zk_linearizability: r.zk_linearizability.as_ref().map(|l| l.answer()),
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
