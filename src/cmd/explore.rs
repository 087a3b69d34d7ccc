//! `splitbrain explore`: a seed range on all cores with a progress bar, a summary, JSON.

use super::common::{
    default_jobs, parse_seed_range, resolve, usage_exit, wall_ms_since, wall_start, write_atomic,
    UsageError, EXIT_FAIL, EXIT_INCONCLUSIVE, EXIT_PASS,
};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use splitbrain_scenarios::explore::{explore, ExploreOptions, ExploreSummary};
use splitbrain_scenarios::RunOptions;
use splitbrain_sim::Outcome;
use std::path::PathBuf;

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
}

pub fn run(args: &ExploreArgs) -> i32 {
    match run_inner(args) {
        Ok(code) => code,
        Err(e) => usage_exit(e),
    }
}

fn run_inner(args: &ExploreArgs) -> Result<i32, UsageError> {
    let target = resolve(
        &args.protocol,
        args.variant.as_deref(),
        args.scenario.as_deref(),
    )?;
    let seeds = parse_seed_range(&args.seeds).map_err(UsageError)?;
    let opts = ExploreOptions {
        jobs: args.jobs.unwrap_or_else(default_jobs),
        until_first: args.until_first,
        run: RunOptions {
            servers: args.nodes,
            clients: args.clients,
            full_trace: false,
        },
    };
    super::common::silence_world_panics();
    let bar = ProgressBar::new(seeds.end - seeds.start);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} seeds {per_sec} eta {eta}")
            .expect("template"),
    );
    let start = wall_start();
    let summary = explore(
        target.entry.as_ref(),
        &target.variant,
        &target.scenario,
        seeds.clone(),
        &opts,
        &|n| bar.inc(n),
    )?;
    bar.finish_and_clear();
    let wall_ms = wall_ms_since(start);
    let doc = summary_json(&target, &seeds, &summary, wall_ms);
    match &args.json {
        Some(p) if p.as_os_str() == "-" => {
            println!("{}", serde_json::to_string_pretty(&doc).expect("json"))
        }
        Some(p) => write_atomic(
            p,
            serde_json::to_string_pretty(&doc).expect("json").as_bytes(),
        )?,
        None => {}
    }
    if args.json.as_ref().is_none_or(|p| p.as_os_str() != "-") {
        print_summary(&target, &summary, wall_ms);
    }
    Ok(exit_code(&summary))
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
    t: &super::common::Target,
    seeds: &std::ops::Range<u64>,
    s: &ExploreSummary,
    wall_ms: u64,
) -> serde_json::Value {
    let failing: Vec<u64> = s.failures().map(|r| r.seed).collect();
    let first = s
        .failures()
        .next()
        .map(|r| json!({"seed": r.seed, "outcome": r.outcome.word(), "message": r.message}));
    let per_seed: Vec<_> = s
        .results
        .iter()
        .map(|r| json!({"seed": r.seed, "outcome": r.outcome.word(), "trace_hash": format!("{:016x}", r.trace_hash)}))
        .collect();
    json!({
        "schema_version": 1,
        "protocol": t.entry.info().name,
        "variant": t.variant.name,
        "bug_id": t.variant.bug_id,
        "scenario": t.scenario.name,
        "seeds": {"from": seeds.start, "to": seeds.end},
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

fn print_summary(t: &super::common::Target, s: &ExploreSummary, wall_ms: u64) {
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
