//! `splitbrain bench raft`: the Raft figures issue 4 asks for, on the swarm scenario (5
//! servers, 3 clients issuing operations back to back, 10 simulated seconds per seed): on one
//! core the time per seed with its linearizability check, events per second and simulated
//! time per wall time; on all cores the seeds per minute of a plain `explore`.

use super::common::{default_jobs, wall_start, EXIT_PASS, EXIT_USAGE};
use serde_json::json;
use splitbrain_scenarios::explore::{explore, ExploreOptions};
use splitbrain_scenarios::registry::{find_protocol, ProtocolEntry};
use splitbrain_scenarios::runner::resolve_variant;
use splitbrain_scenarios::{run_seed, RunOptions, Scenario};

/// The workload issue 4 measures.
const SCENARIO: &str = "raft-swarm";

/// One core: seeds run back to back, each with its history check, as `explore --jobs 1`
/// does. Returns (seconds, events, simulated microseconds).
fn one_core(entry: &dyn ProtocolEntry, scenario: &Scenario, seeds: u64) -> (f64, u64, u64) {
    let variant = resolve_variant(entry, None).expect("raft has a correct variant");
    let (mut events, mut sim_us) = (0, 0);
    let start = wall_start();
    for seed in 0..seeds {
        let r = run_seed(entry, &variant, scenario, seed, &RunOptions::default())
            .expect("the built-in scenario runs");
        events += r.record.events;
        sim_us += r.record.sim_time_us;
    }
    (start.elapsed().as_secs_f64(), events, sim_us)
}

/// All cores: `explore` over the same seeds. Returns seconds.
fn all_cores(entry: &dyn ProtocolEntry, scenario: &Scenario, seeds: u64, jobs: usize) -> f64 {
    let variant = resolve_variant(entry, None).expect("raft has a correct variant");
    let opts = ExploreOptions {
        jobs,
        until_first: false,
        run: RunOptions::default(),
        resume_from: Vec::new(),
        guided: false,
    };
    let list: Vec<u64> = (0..seeds).collect();
    let start = wall_start();
    explore(
        entry,
        &variant,
        scenario,
        &list,
        &opts,
        &|_| {},
        &mut |_| {},
    )
    .expect("the built-in scenario explores");
    start.elapsed().as_secs_f64()
}

pub fn run(seeds: u64, jobs: Option<usize>, as_json: bool) -> i32 {
    if seeds == 0 {
        eprintln!("error: --seeds must be at least 1");
        return EXIT_USAGE;
    }
    let entry = find_protocol("raft").expect("raft is registered");
    let scenario = entry
        .scenarios()
        .into_iter()
        .find(|s| s.name == SCENARIO)
        .expect("the swarm scenario is in the catalogue");
    let jobs = jobs.unwrap_or_else(default_jobs);
    super::common::silence_world_panics();
    let (secs, events, sim_us) = one_core(entry.as_ref(), &scenario, seeds);
    let wide = all_cores(entry.as_ref(), &scenario, seeds, jobs);
    let n = seeds as f64;
    let ms_per_seed = secs * 1e3 / n;
    let accel = sim_us as f64 / 1e6 / secs;
    let eps = events as f64 / secs;
    let per_min = n / wide * 60.0;
    if as_json {
        println!(
            "{}",
            json!({"scenario": SCENARIO, "seeds": seeds, "one_core": {"ms_per_seed": ms_per_seed,
                "events_per_sec": eps, "acceleration": accel, "events_per_seed": events / seeds},
                "jobs": jobs, "seeds_per_min": per_min})
        );
    } else {
        println!(
            "{SCENARIO}: {seeds} seeds, {:.0} events and {:.1} simulated s per seed",
            events as f64 / n,
            sim_us as f64 / 1e6 / n
        );
        println!(
            "one core:  {ms_per_seed:.2} ms/seed with its history check, {:.2} M events/s, {accel:.0}x simulated/wall",
            eps / 1e6
        );
        println!("{jobs} jobs:    {per_min:.0} seeds/min ({wide:.1} s)");
    }
    EXIT_PASS
}
