//! `splitbrain explore`: a seed range (or a shard of it) on all cores with a progress bar, a
//! summary, JSON, JUnit, a resumable checkpoint and a regression corpus of shrunk repros.

use super::common::{
    default_jobs, jobs_flag, parse_seed_range, usage_exit, wall_ms_since, wall_start, write_atomic,
    Target, TargetArgs, UsageError,
};
use super::explore_report::{
    build_id, ExploreReport, PerSeed, RunFlags, SeedSpan, ShardSpec, SCHEMA_VERSION,
};
use super::progress::Progress;
use serde_json::json;
use splitbrain_scenarios::explore::{explore, shard, ExploreOptions, ExploreSummary, SeedResult};
use splitbrain_sim::Outcome;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug, Clone)]
pub struct ExploreArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Seed range A..B (B exclusive).
    #[arg(long, default_value = "0..1000")]
    pub seeds: String,
    /// Run only shard K of N (0-based K; seeds with seed % N == K). Matches a Kubernetes
    /// Indexed Job's JOB_COMPLETION_INDEX or a CI matrix index.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(short = 'j', long, value_name = "N", value_parser = jobs_flag())]
    pub jobs: Option<usize>,
    /// Stop at the first (lowest) failing seed.
    #[arg(long)]
    pub until_first: bool,
    /// Write the explore report (JSON, the document `report merge` reads) to FILE,
    /// atomically; the path is checked writable before any seed runs.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print the explore report as JSON on stdout instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// Write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Shrink the first failure and save its repro in DIR unless DIR already has one for the
    /// same protocol, variant and failed check.
    #[arg(long, value_name = "DIR")]
    pub corpus: Option<PathBuf>,
    /// Bias fault generation toward fault mixes whose seeds reached rare coverage marks.
    #[arg(long)]
    pub guided: bool,
    /// Checkpoint FILE: results are saved as they come; a rerun with the same FILE and
    /// arguments continues where an interrupted one stopped.
    #[arg(long, value_name = "FILE")]
    pub resume: Option<PathBuf>,
    /// Spread the --seeds budget over every scenario of the protocol: the swarm half, the
    /// catalogue the rest (each at least one seed); one report with a result per scenario.
    #[arg(long, conflicts_with_all = ["scenario", "shard", "resume"])]
    pub all_scenarios: bool,
    /// Also check each seed's ZooKeeper history for full linearizability and report how many
    /// were not: information beside the verdict, never part of it (ZooKeeper's reads at a
    /// lagging server are not linearizable by design). One more check per seed, so off
    /// unless asked; `run` always reports it.
    #[arg(long)]
    pub zk_linearizability: bool,
}

pub fn run(args: &ExploreArgs) -> i32 {
    let result = if args.all_scenarios {
        super::portfolio::run(args)
    } else {
        run_inner(args)
    };
    match result {
        Ok(code) => code,
        Err(e) => usage_exit(e),
    }
}

impl ExploreArgs {
    /// The run options every seed of the exploration runs with.
    pub fn run_options(&self) -> splitbrain_scenarios::RunOptions {
        splitbrain_scenarios::RunOptions {
            zk_linearizability: self.zk_linearizability,
            ..self.target.run_options(false)
        }
    }

    /// The flags that change what a seed does or reports, as the report records them.
    pub fn flags(&self) -> RunFlags {
        RunFlags {
            servers: self.target.servers,
            clients: self.target.clients,
            guided: self.guided,
            until_first: self.until_first,
            zk_linearizability: self.zk_linearizability,
        }
    }
}

/// Parses `K/N`.
pub fn parse_shard(text: &str) -> Result<(u64, u64), String> {
    let (k, n) = text
        .split_once('/')
        .ok_or_else(|| format!("--shard `{text}` is not K/N"))?;
    let k: u64 = k
        .trim()
        .parse()
        .map_err(|_| format!("--shard: `{k}` is not a number"))?;
    let n: u64 = n
        .trim()
        .parse()
        .map_err(|_| format!("--shard: `{n}` is not a number"))?;
    if n == 0 || k >= n {
        return Err(format!("--shard {text}: need 0 <= K < N"));
    }
    Ok((k, n))
}

fn run_inner(args: &ExploreArgs) -> Result<i32, UsageError> {
    super::common::check_outputs(&[
        ("-o", args.output.as_ref()),
        ("--junit", args.junit.as_ref()),
        ("--resume", args.resume.as_ref()),
    ])?;
    if let Some(dir) = &args.corpus {
        std::fs::create_dir_all(dir)
            .map_err(|e| UsageError(format!("--corpus {}: cannot create: {e}", dir.display())))?;
        super::common::check_writable(&dir.join("new-repro.json"), "--corpus")?;
    }
    let mut target = args.target.resolve()?;
    let range = parse_seed_range(&args.seeds).map_err(UsageError)?;
    let shard_spec = args
        .shard
        .as_deref()
        .map(parse_shard)
        .transpose()
        .map_err(UsageError)?;
    let seeds: Vec<u64> = match shard_spec {
        Some((k, n)) => shard(range.clone(), k, n),
        None => range.clone().collect(),
    };
    let key = checkpoint_key(args, &target);
    let resume_from = match &args.resume {
        Some(p) if p.exists() => load_checkpoint(p, &key)?,
        _ => Vec::new(),
    };
    let opts = ExploreOptions {
        jobs: args.jobs.unwrap_or_else(default_jobs),
        until_first: args.until_first,
        run: args.run_options(),
        resume_from,
        guided: args.guided,
        cancel: Some(super::common::stop_on_ctrl_c()),
    };
    let progress = Progress::start("explore", "seeds", seeds.len() as u64);
    let start = wall_start();
    let mut save = |done: &[SeedResult]| save_checkpoint(args.resume.as_deref(), &key, done);
    let (entry, variant, scenario) = (target.entry.as_ref(), &target.variant, &target.scenario);
    let summary = explore(
        entry,
        variant,
        scenario,
        &seeds,
        &opts,
        &|n, failed| progress.advance(n, failed),
        &mut save,
    )?;
    progress.finish();
    let report = build_report(
        args,
        &target,
        &range,
        shard_spec,
        &summary,
        wall_ms_since(start),
    );
    if summary.interrupted {
        return Ok(interrupted(args, &report, seeds.len()));
    }
    write_outputs(args, &report)?;
    if let (Some(dir), Some(first)) = (&args.corpus, summary.failures().next()) {
        let seed = as_run(&mut target, first, &opts.run)?;
        super::corpus::add_to_corpus(dir, &target, seed, &opts.run)?;
    }
    Ok(report.exit_code())
}

/// Makes `t` run what `r`'s seed ran (its forced fault kinds, its mutations); returns the
/// seed to run it with.
fn as_run(
    t: &mut Target,
    r: &SeedResult,
    opts: &splitbrain_scenarios::RunOptions,
) -> Result<u64, UsageError> {
    use splitbrain_scenarios::runner::kinds_arg;
    match &r.derived {
        Some(d) => {
            if let Some(k) = &d.kinds {
                super::common::force_fault_kinds(&mut t.scenario, &kinds_arg(k))?;
            }
            super::common::apply_mutations(t, d.seed, &d.mutations, opts)?;
            Ok(d.seed)
        }
        None => {
            if r.forced {
                super::common::force_fault_kinds(&mut t.scenario, &kinds_arg(&r.fault_kinds))?;
            }
            Ok(r.seed)
        }
    }
}

/// After Ctrl-C: the summary of the seeds that finished, and where their results are kept.
fn interrupted(args: &ExploreArgs, report: &ExploreReport, total: usize) -> i32 {
    println!(
        "interrupted: {} of {total} seeds finished before Ctrl-C; the summary covers those only",
        report.runs
    );
    print!("{}", report.summary_lines());
    match &args.resume {
        Some(p) => println!(
            "checkpoint saved to {}: the same command continues where this one stopped",
            p.display()
        ),
        None => println!("no checkpoint kept (add --resume FILE to continue an interrupted run)"),
    }
    println!("verdict: INTERRUPTED (the report, JUnit file and corpus were not written)");
    super::common::EXIT_INTERRUPTED
}

/// Writes the checkpoint, if asked for. A failed write must not stop the exploration.
fn save_checkpoint(path: Option<&Path>, key: &str, done: &[SeedResult]) {
    let Some(p) = path else { return };
    let doc = json!({"key": key, "done": done});
    if let Err(e) = write_atomic(p, doc.to_string().as_bytes()) {
        eprintln!("warning: checkpoint not written: {}", e.0);
    }
}

/// The summary on the terminal, JSON and JUnit, as the flags ask.
fn write_outputs(args: &ExploreArgs, report: &ExploreReport) -> Result<(), UsageError> {
    let text = serde_json::to_string_pretty(report).expect("json");
    if let Some(p) = &args.output {
        write_atomic(p, format!("{text}\n").as_bytes())?;
    }
    if args.json {
        println!("{text}");
    } else {
        print!("{}", report.summary_text());
    }
    if let Some(p) = &args.junit {
        write_junit(p, report)?;
    }
    Ok(())
}

/// What must match for a checkpoint to be resumed.
fn checkpoint_key(args: &ExploreArgs, t: &Target) -> String {
    format!(
        "{}/{}/{}/{}/{}/{}/{:?}/{:?}/{}{}",
        t.entry.info().name,
        t.variant.name,
        t.scenario_arg,
        args.seeds,
        args.shard.as_deref().unwrap_or("all"),
        args.until_first,
        args.target.servers,
        args.target.clients,
        args.guided,
        if args.zk_linearizability {
            "/zk-linearizability"
        } else {
            ""
        }
    )
}

fn load_checkpoint(path: &Path, key: &str) -> Result<Vec<SeedResult>, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    let doc: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| UsageError(format!("{}:{}: {e}", path.display(), e.line())))?;
    if doc["key"].as_str() != Some(key) {
        return Err(UsageError(format!(
            "{}: field `key`: checkpoint is for `{}`, not for these arguments (`{key}`); delete it or use another file",
            path.display(),
            doc["key"].as_str().unwrap_or("?")
        )));
    }
    serde_json::from_value(doc["done"].clone())
        .map_err(|e| UsageError(format!("{}: field `done`: {e}", path.display())))
}

/// The report of a finished exploration of one scenario: its identity and one entry per seed, totals derived.
pub fn build_report(
    args: &ExploreArgs,
    t: &Target,
    seeds: &std::ops::Range<u64>,
    shard: Option<(u64, u64)>,
    s: &ExploreSummary,
    wall_ms: u64,
) -> ExploreReport {
    let scenario_json = serde_json::to_string(&t.scenario).expect("scenarios serialise");
    let mut report = ExploreReport {
        schema_version: SCHEMA_VERSION,
        build: build_id(),
        protocol: t.entry.info().name.to_string(),
        variant: t.variant.name.to_string(),
        bug_id: t.variant.bug_id.map(str::to_string),
        scenario: t.scenario.name.clone(),
        scenario_arg: t.scenario_arg.clone(),
        scenario_digest: format!(
            "{:016x}",
            splitbrain_api::stable_hash(scenario_json.as_bytes())
        ),
        sometimes: t.scenario.sometimes.clone(),
        options: args.flags(),
        seeds: SeedSpan {
            from: seeds.start,
            to: seeds.end,
        },
        shard: shard.map(|(index, count)| ShardSpec { index, count }),
        runs: 0,
        failed: 0,
        failing_seeds: Vec::new(),
        first_failure: None,
        inconclusive: 0,
        stopped_early: s.stopped_early,
        unreached_sometimes: Vec::new(),
        marks: Default::default(),
        zk_linearizability: None,
        wall_ms,
        per_seed: s.results.iter().map(per_seed).collect(),
    };
    report.derive_totals();
    report
}

/// One seed's entry in the report.
fn per_seed(r: &SeedResult) -> PerSeed {
    use splitbrain_scenarios::runner::kinds_arg;
    PerSeed {
        seed: r.seed,
        outcome: r.outcome,
        trace_hash: format!("{:016x}", r.trace_hash),
        message: (r.outcome != Outcome::Pass).then(|| r.message.clone()),
        marks: r.marks.clone(),
        fault_kinds: match &r.derived {
            Some(d) => d.kinds.as_deref().map(kinds_arg),
            None => r.forced.then(|| kinds_arg(&r.fault_kinds)),
        },
        from_seed: r.derived.as_ref().map(|d| d.seed),
        mutations: r.derived.as_ref().map(|d| d.mutations.clone()),
        zk_linearizability: r.zk_linearizability,
    }
}

/// One JUnit test case: the scenario, failed by any failing seed or unreached expectation.
pub fn junit_case(report: &ExploreReport) -> splitbrain_reports::junit::Case {
    let failed = report.failed > 0 || !report.unreached_sometimes.is_empty();
    splitbrain_reports::junit::Case {
        class: format!("{}.{}", report.protocol, report.variant),
        name: report.scenario.clone(),
        seconds: report.wall_ms as f64 / 1000.0,
        failure: failed.then(|| junit_failure(report)),
    }
}

fn write_junit(path: &Path, report: &ExploreReport) -> Result<(), UsageError> {
    let case = junit_case(report);
    write_atomic(
        path,
        splitbrain_reports::junit::render("splitbrain explore", &[case]).as_bytes(),
    )
}

/// The failure text: failing seeds with the command that reproduces each.
pub fn junit_failure(report: &ExploreReport) -> (String, String) {
    let failures: Vec<&PerSeed> = report
        .per_seed
        .iter()
        .filter(|s| s.outcome.is_failure())
        .collect();
    let mut detail = String::new();
    for f in failures.iter().take(20) {
        detail.push_str(&format!(
            "seed {} {}: {}\n  reproduce: {}\n",
            f.seed,
            f.outcome.word(),
            f.message.as_deref().unwrap_or(""),
            report.reproduce("run", f)
        ));
    }
    for m in &report.unreached_sometimes {
        detail.push_str(&format!("never reached the sometimes expectation `{m}`\n"));
    }
    let summary = match failures.first() {
        Some(f) => format!(
            "{} failing seeds; first: seed {} {}",
            failures.len(),
            f.seed,
            f.outcome.word()
        ),
        None => format!(
            "vacuous: never reached {}",
            report.unreached_sometimes.join(", ")
        ),
    };
    (summary, detail)
}
