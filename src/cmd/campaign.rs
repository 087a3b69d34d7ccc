//! The default campaign (`cargo run --release` with no arguments): every protocol's default
//! correct variant over its whole portfolio (the seed budget shared out over the catalogue and
//! the swarm, as `explore --all-scenarios` does), the other correct variants on their own
//! scenario, and every planted bug on its scenario until found; a table; exit 0 only when every
//! bug is found and every correct variant passes.

use super::common::{
    count_flag, default_jobs, jobs_flag, load_scenario, wall_ms_since, wall_start, EXIT_FAIL,
    EXIT_PASS,
};
use super::portfolio::explore_parts;
use splitbrain_api::{Expect, VariantInfo};
use splitbrain_scenarios::explore::{explore_range as explore, ExploreOptions};
use splitbrain_scenarios::portfolio::{is_swarm, plan};
use splitbrain_scenarios::registry::{protocols, ProtocolEntry};
use splitbrain_scenarios::RunOptions;

#[derive(clap::Args, Debug)]
pub struct CampaignArgs {
    /// Seeds per correct variant.
    #[arg(long, default_value_t = 200, value_parser = count_flag(1, 100_000_000))]
    pub pass_seeds: u64,
    /// Seeds searched for each planted bug.
    #[arg(long, default_value_t = 1000, value_parser = count_flag(1, 100_000_000))]
    pub bug_seeds: u64,
    /// Worker threads (default: all cores).
    #[arg(short = 'j', long, value_name = "N", value_parser = jobs_flag())]
    pub jobs: Option<usize>,
}

impl Default for CampaignArgs {
    fn default() -> Self {
        CampaignArgs {
            pass_seeds: 200,
            bug_seeds: 1000,
            jobs: None,
        }
    }
}

pub fn run(args: &CampaignArgs) -> i32 {
    let jobs = args.jobs.unwrap_or_else(default_jobs);
    println!(
        "{:<6} {:<22} {:<5} {:<24} {:<7} {:<44} {:>8}",
        "proto", "variant", "bug", "scenario", "expect", "result", "wall"
    );
    let mut all_ok = true;
    for entry in protocols() {
        let info = entry.info();
        for v in &info.variants {
            let bug = v.expect == Expect::Fail;
            let opts = ExploreOptions {
                jobs,
                until_first: bug,
                run: RunOptions::default(),
                resume_from: Vec::new(),
                guided: false,
                cancel: None,
            };
            let start = wall_start();
            let whole = !bug && owns_a_swarm(entry.as_ref(), v);
            let (ok, text) = if whole {
                portfolio(entry.as_ref(), v, args.pass_seeds, &opts)
            } else {
                let seeds = if bug { args.bug_seeds } else { args.pass_seeds };
                own_scenario(entry.as_ref(), v, seeds, &opts)
            };
            all_ok &= ok;
            let wall = format!("{:.1}s", wall_ms_since(start) as f64 / 1000.0);
            let expect = if bug { "found" } else { "pass" };
            let scenario = if whole { "all (portfolio)" } else { v.scenario };
            println!(
                "{:<6} {:<22} {:<5} {:<24} {:<7} {:<44} {:>8}",
                info.name,
                v.name,
                v.bug_id.unwrap_or("-"),
                scenario,
                expect,
                text,
                wall
            );
        }
    }
    println!(
        "{}",
        if all_ok {
            "campaign: every planted bug found, every correct variant passed"
        } else {
            "campaign: FAILED (see rows above)"
        }
    );
    if all_ok {
        EXIT_PASS
    } else {
        EXIT_FAIL
    }
}

/// Whether the variant is the protocol's default correct variant and its own scenario a swarm:
/// that variant is held to the whole portfolio (the catalogue's `sometimes` marks are written
/// for it). Other correct variants keep their own scenario: a teaching variant's world (a
/// single manager replica, no backoff), or a variant such as pre-vote that by design rarely
/// reaches a mark (a vote denied because one was already given) a scenario was written for.
fn owns_a_swarm(entry: &dyn ProtocolEntry, v: &VariantInfo) -> bool {
    let default = entry
        .info()
        .variants
        .iter()
        .find(|d| d.bug_id.is_none())
        .map(|d| d.name);
    default == Some(v.name) && load_scenario(entry, v.scenario).is_ok_and(|s| is_swarm(&s))
}

/// A variant on its own scenario, seeds `0..seeds`: a planted bug until found, a correct
/// variant over all of them.
fn own_scenario(
    entry: &dyn ProtocolEntry,
    v: &VariantInfo,
    seeds: u64,
    opts: &ExploreOptions,
) -> (bool, String) {
    let scenario = match load_scenario(entry, v.scenario) {
        Ok(s) => s,
        Err(e) => return (false, format!("scenario error: {}", e.0)),
    };
    match explore(entry, v, &scenario, 0..seeds, opts, &|_, _| {}) {
        Ok(s) => judge(opts.until_first, &s),
        Err(e) => (false, format!("error: {e}")),
    }
}

/// A correct variant over its portfolio, budget `0..seeds` shared out; the first scenario
/// that fails or is vacuous is named.
fn portfolio(
    entry: &dyn ProtocolEntry,
    v: &VariantInfo,
    seeds: u64,
    opts: &ExploreOptions,
) -> (bool, String) {
    let (parts, _) = plan(entry, v, &opts.run, 0..seeds);
    let done = match explore_parts(entry, v, &parts, opts, &|_, _| {}) {
        Ok(d) => d,
        Err(e) => return (false, format!("error: {}", e.0)),
    };
    let runs: usize = done.iter().map(|d| d.summary.results.len()).sum();
    for d in &done {
        let (ok, text) = judge(false, &d.summary);
        if !ok {
            return (false, format!("{} in {}", text, d.target.scenario_arg));
        }
    }
    (
        true,
        format!("passed {runs} seeds over {} scenarios", done.len()),
    )
}

fn judge(bug: bool, s: &splitbrain_scenarios::explore::ExploreSummary) -> (bool, String) {
    let first = s.failures().next();
    match (bug, first) {
        (true, Some(f)) => (
            true,
            format!("FOUND at seed {} ({})", f.seed, f.outcome.word()),
        ),
        (true, None) => (false, format!("MISSED in {} seeds", s.results.len())),
        (false, Some(f)) => (
            false,
            format!("FAILED seed {}: {}", f.seed, f.outcome.word()),
        ),
        (false, None) if !s.unreached.is_empty() => (
            false,
            format!("VACUOUS: never reached {}", s.unreached.join(",")),
        ),
        (false, None) => (true, format!("passed {} seeds", s.results.len())),
    }
}
