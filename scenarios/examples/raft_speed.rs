//! Raft simulation speed on one core: seeds of a scenario run back to back, split into the
//! world (simulation and online invariants) and the whole seed (plus the history check), with
//! events per second and simulated time per wall time.
//!
//! `cargo run --release -p splitbrain-scenarios --example raft_speed -- [SCENARIO] [SEEDS]`
//! (default `raft-swarm 200`). Compare events/s with `splitbrain bench kernel`.

// A benchmark measures wall time by definition; it runs outside any world.
#![allow(clippy::disallowed_methods)]

use splitbrain_scenarios::registry::find_protocol;
use splitbrain_scenarios::runner::resolve_variant;
use splitbrain_scenarios::{run_seed, RunOptions};
use splitbrain_sim::WorldConfig;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "raft-swarm".to_string());
    let seeds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(200);
    let entry = find_protocol("raft").expect("raft registered");
    let variant = resolve_variant(entry.as_ref(), None).expect("correct variant");
    let scenario = entry
        .scenarios()
        .into_iter()
        .find(|s| s.name == name)
        .expect("scenario exists");
    let servers = scenario.servers.unwrap_or(3);

    // Whole seeds first (they also give each seed's drawn schedule), then the world alone.
    let start = Instant::now(); // not a simulation path: times whole runs from outside; no world reads it
    let mut runs = Vec::new();
    for seed in 0..seeds {
        let r = run_seed(
            entry.as_ref(),
            &variant,
            &scenario,
            seed,
            &RunOptions::default(),
        )
        .expect("runs");
        assert!(!r.record.outcome.is_failure(), "seed {seed} failed");
        runs.push(r);
    }
    let total_s = start.elapsed().as_secs_f64();
    let start = Instant::now(); // not a simulation path: times worlds from outside; no world reads it
    let (mut events, mut sim_us, mut ops) = (0u64, 0u64, 0usize);
    for r in &runs {
        let cfg = WorldConfig {
            seed: r.record.seed,
            servers,
            clients: scenario.clients,
            safety_us: scenario.safety_ms * 1_000,
            liveness_us: scenario.liveness_ms * 1_000,
            max_events: scenario.max_events,
            net: scenario.network.clone(),
            schedule: r.schedule.clone(),
            model: scenario.workload.model().to_string(),
            ..WorldConfig::default()
        };
        let workload = scenario.workload.build(scenario.clients);
        let rec = entry.run(&variant, &scenario.params, cfg, workload);
        assert_eq!(rec.trace_hash, r.record.trace_hash, "the same world");
        events += rec.events;
        sim_us += rec.sim_time_us;
        ops += rec.history.ops.len();
    }
    let world_s = start.elapsed().as_secs_f64();
    let n = seeds as f64;
    println!(
        "{name}: {seeds} seeds, {servers} servers, {} clients",
        scenario.clients
    );
    println!(
        "per seed: {:.0} events, {:.0} client ops, {:.1} s simulated",
        events as f64 / n,
        ops as f64 / n,
        sim_us as f64 / n / 1e6
    );
    println!(
        "world only:        {:.2} ms/seed, {:.2} M events/s, {:.0}x simulated/wall",
        world_s * 1e3 / n,
        events as f64 / world_s / 1e6,
        sim_us as f64 / 1e6 / world_s
    );
    println!(
        "with history check: {:.2} ms/seed = {:.0} seeds/min/core, {:.0}x simulated/wall",
        total_s * 1e3 / n,
        60.0 * n / total_s,
        sim_us as f64 / 1e6 / total_s
    );
}

// The allocator the `splitbrain` binary uses, so the figures match it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
