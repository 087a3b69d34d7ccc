//! `splitbrain explore`: a seed range (or a shard of it) on all cores with a progress bar, a
//! summary, JSON, JUnit, a resumable checkpoint and a regression corpus of shrunk repros.

use super::common::{
    default_jobs, parse_seed_range, resolve, usage_exit, wall_ms_since, wall_start, write_atomic,
    Target, UsageError, EXIT_FAIL, EXIT_INCONCLUSIVE, EXIT_PASS,
};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use splitbrain_scenarios::explore::{explore, shard, ExploreOptions, ExploreSummary, SeedResult};
use splitbrain_scenarios::RunOptions;
use splitbrain_sim::Outcome;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug, Clone)]
pub struct ExploreArgs {
    pub protocol: String,
    #[arg(long)]
    pub variant: Option<String>,
    #[arg(long)]
    pub scenario: Option<String>,
    /// Seed range A..B (B exclusive).
    #[arg(long, default_value = "0..1000")]
    pub seeds: String,
    /// Run only shard K of N (0-based K; seeds with seed % N == K). Matches a Kubernetes
    /// Indexed Job's JOB_COMPLETION_INDEX or a CI matrix index.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Stop at the first (lowest) failing seed.
    #[arg(long)]
    pub until_first: bool,
    #[arg(long)]
    pub nodes: Option<usize>,
    #[arg(long)]
    pub clients: Option<usize>,
    /// Write the summary as JSON to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
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
}

pub fn run(args: &ExploreArgs) -> i32 {
    match run_inner(args) {
        Ok(code) => code,
        Err(e) => usage_exit(e),
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
    let target = resolve(
        &args.protocol,
        args.variant.as_deref(),
        args.scenario.as_deref(),
    )?;
    let range = parse_seed_range(&args.seeds).map_err(UsageError)?;
    let seeds: Vec<u64> = match &args.shard {
        Some(s) => {
            let (k, n) = parse_shard(s).map_err(UsageError)?;
            shard(range.clone(), k, n)
        }
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
        run: RunOptions {
            servers: args.nodes,
            clients: args.clients,
            full_trace: false,
        },
        resume_from,
        guided: args.guided,
    };
    super::common::silence_world_panics();
    let bar = ProgressBar::new(seeds.len() as u64);
    let style = ProgressStyle::with_template("{bar:40} {pos}/{len} seeds {per_sec} eta {eta}");
    bar.set_style(style.expect("template"));
    let start = wall_start();
    let mut save = |done: &[SeedResult]| save_checkpoint(args.resume.as_deref(), &key, done);
    let (entry, variant, scenario) = (target.entry.as_ref(), &target.variant, &target.scenario);
    let summary = explore(
        entry,
        variant,
        scenario,
        &seeds,
        &opts,
        &|n| bar.inc(n),
        &mut save,
    )?;
    bar.finish_and_clear();
    let wall_ms = wall_ms_since(start);
    write_outputs(args, &target, &range, &summary, wall_ms)?;
    if let (Some(dir), Some(first)) = (&args.corpus, summary.failures().next()) {
        super::corpus::add_to_corpus(dir, &target, first.seed, &opts.run)?;
    }
    Ok(exit_code(&summary))
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
fn write_outputs(
    args: &ExploreArgs,
    target: &Target,
    range: &std::ops::Range<u64>,
    summary: &ExploreSummary,
    wall_ms: u64,
) -> Result<(), UsageError> {
    let doc = summary_json(target, range, args.shard.as_deref(), summary, wall_ms);
    let text = serde_json::to_string_pretty(&doc).expect("json");
    match &args.json {
        Some(p) if p.as_os_str() == "-" => println!("{text}"),
        Some(p) => write_atomic(p, text.as_bytes())?,
        None => {}
    }
    if args.json.as_ref().is_none_or(|p| p.as_os_str() != "-") {
        print_summary(target, summary, wall_ms);
    }
    if let Some(p) = &args.junit {
        write_junit(p, target, summary, wall_ms)?;
    }
    Ok(())
}

/// What must match for a checkpoint to be resumed.
fn checkpoint_key(args: &ExploreArgs, t: &Target) -> String {
    format!(
        "{}/{}/{}/{}/{}/{}/{:?}/{:?}/{}",
        t.entry.info().name,
        t.variant.name,
        t.scenario_arg,
        args.seeds,
        args.shard.as_deref().unwrap_or("all"),
        args.until_first,
        args.nodes,
        args.clients,
        args.guided
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

pub fn exit_code(s: &ExploreSummary) -> i32 {
    if s.failures().next().is_some() || !s.unreached.is_empty() {
        EXIT_FAIL
    } else if s.results.iter().any(|r| r.outcome == Outcome::Inconclusive) {
        EXIT_INCONCLUSIVE
    } else {
        EXIT_PASS
    }
}

fn summary_json(
    t: &Target,
    seeds: &std::ops::Range<u64>,
    shard: Option<&str>,
    s: &ExploreSummary,
    wall_ms: u64,
) -> serde_json::Value {
    let failing: Vec<u64> = s.failures().map(|r| r.seed).collect();
    let first = s
        .failures()
        .next()
        .map(|r| json!({"seed": r.seed, "outcome": r.outcome.word(), "message": r.message}));
    let per_seed: Vec<_> = s.results.iter().map(per_seed_json).collect();
    json!({
        "schema_version": 1,
        "protocol": t.entry.info().name,
        "variant": t.variant.name,
        "bug_id": t.variant.bug_id,
        "scenario": t.scenario.name,
        "seeds": {"from": seeds.start, "to": seeds.end},
        "shard": shard,
        "runs": s.results.len(),
        "failed": failing.len(),
        "failing_seeds": failing,
        "first_failure": first,
        "inconclusive": s.results.iter().filter(|r| r.outcome == Outcome::Inconclusive).count(),
        "unreached_sometimes": s.unreached,
        "marks": s.marks,
        "wall_ms": wall_ms,
        "per_seed": per_seed,
    })
}

/// One seed in `per_seed` (failures keep their message so merged reports can name them).
pub fn per_seed_json(r: &SeedResult) -> serde_json::Value {
    let mut v = json!({"seed": r.seed, "outcome": r.outcome.word(), "trace_hash": format!("{:016x}", r.trace_hash)});
    if r.outcome != Outcome::Pass {
        v["message"] = json!(r.message);
    }
    v
}

fn write_junit(
    path: &Path,
    t: &Target,
    s: &ExploreSummary,
    wall_ms: u64,
) -> Result<(), UsageError> {
    let failures: Vec<&SeedResult> = s.failures().collect();
    let failure = if failures.is_empty() && s.unreached.is_empty() {
        None
    } else {
        Some(junit_failure(t, &failures, &s.unreached))
    };
    let case = splitbrain_reports::junit::Case {
        class: format!("{}.{}", t.entry.info().name, t.variant.name),
        name: t.scenario.name.clone(),
        seconds: wall_ms as f64 / 1000.0,
        failure,
    };
    write_atomic(
        path,
        splitbrain_reports::junit::render("splitbrain explore", &[case]).as_bytes(),
    )
}

/// The failure text: failing seeds with the command that reproduces each.
pub fn junit_failure(
    t: &Target,
    failures: &[&SeedResult],
    unreached: &[String],
) -> (String, String) {
    let mut detail = String::new();
    for f in failures.iter().take(20) {
        detail.push_str(&format!(
            "seed {} {}: {}\n  reproduce: splitbrain run {} --variant {} --scenario {} --seed {}{}\n",
            f.seed,
            f.outcome.word(),
            f.message,
            t.entry.info().name,
            t.variant.name,
            t.scenario_arg,
            f.seed,
            kinds_flag(f)
        ));
    }
    for m in unreached {
        detail.push_str(&format!("never reached the sometimes expectation `{m}`\n"));
    }
    let summary = match failures.first() {
        Some(f) => format!(
            "{} failing seeds; first: seed {} {}",
            failures.len(),
            f.seed,
            f.outcome.word()
        ),
        None => format!("vacuous: never reached {}", unreached.join(", ")),
    };
    (summary, detail)
}

/// ` --fault-kinds a,b` when guided exploration chose the seed's fault kinds.
fn kinds_flag(r: &SeedResult) -> String {
    if r.forced {
        format!(
            " --fault-kinds {}",
            splitbrain_scenarios::runner::kinds_arg(&r.fault_kinds)
        )
    } else {
        String::new()
    }
}

fn print_summary(t: &Target, s: &ExploreSummary, wall_ms: u64) {
    let failed: Vec<u64> = s.failures().map(|r| r.seed).collect();
    let per_min = s.results.len() as f64 / (wall_ms.max(1) as f64 / 60_000.0);
    println!(
        "{} {} on {}: {} runs, {} failed, {:.1}s wall ({:.0} seeds/min)",
        t.entry.info().name,
        t.variant.name,
        t.scenario.name,
        s.results.len(),
        failed.len(),
        wall_ms as f64 / 1000.0,
        per_min
    );
    if let Some(first) = s.failures().next() {
        println!(
            "first failure: seed {} {}: {}",
            first.seed,
            first.outcome.word(),
            first.message
        );
        println!(
            "reproduce: splitbrain run {} --variant {} --scenario {} --seed {}",
            t.entry.info().name,
            t.variant.name,
            t.scenario_arg,
            first.seed
        );
        println!(
            "shrink:    splitbrain shrink {} --variant {} --scenario {} --seed {}",
            t.entry.info().name,
            t.variant.name,
            t.scenario_arg,
            first.seed
        );
        if failed.len() > 1 {
            let shown: Vec<String> = failed.iter().take(20).map(|s| s.to_string()).collect();
            println!(
                "failing seeds: {}{}",
                shown.join(" "),
                if failed.len() > 20 { " ..." } else { "" }
            );
        }
    }
    for m in &s.unreached {
        println!("never reached (sometimes expectation): {m}: the scenario did not exercise what it is for");
    }
}
