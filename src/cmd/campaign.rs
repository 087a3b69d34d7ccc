//! The default campaign (`cargo run --release` with no arguments): every protocol's correct
//! variants over a fixed seed range and every planted bug on its scenario until found; a table;
//! exit 0 only when every bug is found and every correct variant passes.

use super::common::{
    count_flag, default_jobs, jobs_flag, load_scenario, wall_ms_since, wall_start, EXIT_FAIL,
    EXIT_PASS,
};
use splitbrain_api::Expect;
use splitbrain_scenarios::explore::{explore_range as explore, ExploreOptions};
use splitbrain_scenarios::registry::protocols;
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
            let scenario = match load_scenario(entry.as_ref(), v.scenario) {
                Ok(s) => s,
                Err(e) => {
                    println!("{} {}: scenario error: {}", info.name, v.name, e.0);
                    all_ok = false;
                    continue;
                }
            };
            let bug = v.expect == Expect::Fail;
            let seeds = 0..if bug { args.bug_seeds } else { args.pass_seeds };
            let opts = ExploreOptions {
                jobs,
                until_first: bug,
                run: RunOptions::default(),
                resume_from: Vec::new(),
                guided: false,
                cancel: None,
            };
            let start = wall_start();
            let (ok, text) = match explore(entry.as_ref(), v, &scenario, seeds, &opts, &|_, _| {}) {
                Ok(s) => judge(bug, &s),
                Err(e) => (false, format!("error: {e}")),
            };
            all_ok &= ok;
            let wall = format!("{:.1}s", wall_ms_since(start) as f64 / 1000.0);
            let expect = if bug { "found" } else { "pass" };
            println!(
                "{:<6} {:<22} {:<5} {:<24} {:<7} {:<44} {:>8}",
                info.name,
                v.name,
                v.bug_id.unwrap_or("-"),
                v.scenario,
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
