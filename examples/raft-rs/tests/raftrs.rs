//! raft-rs under splitbrain: the Raft catalogue's scenarios and the generic swarm pass, and a
//! seed replays exactly although raft-rs draws its election timeouts from a thread-local RNG.

use splitbrain::scenarios::registry::{scenarios_for, ProtocolEntry};
use splitbrain::scenarios::runner::resolve_variant;
use splitbrain::scenarios::{run_seed, RunOptions};
use splitbrain::testing::Check;
use splitbrain_example_raftrs::entry as raft_rs;

#[test]
fn the_same_seed_gives_the_same_trace_despite_raft_rs_thread_rng() {
    let entry = raft_rs();
    let variant = resolve_variant(&entry, None).unwrap();
    let swarm = scenarios_for(&entry)
        .into_iter()
        .find(|s| s.name == "raft-swarm")
        .expect("the Raft swarm");
    for seed in [1, 7] {
        let opts = RunOptions::default();
        let a = run_seed(&entry, &variant, &swarm, seed, &opts).unwrap();
        let b = run_seed(&entry, &variant, &swarm, seed, &opts).unwrap();
        assert_eq!(a.record.trace_hash, b.record.trace_hash, "seed {seed}");
        assert!(a.record.history.ops.len() > 10, "the clients were served");
    }
}

#[test]
fn raft_rs_passes_the_raft_swarm_and_the_generic_swarm() {
    for (scenario, seeds) in [
        ("raft-swarm", 0..6),
        ("generic-swarm", 0..6),
        ("raft-figure8", 0..3),
        ("raft-persist", 0..3),
    ] {
        Check::new(raft_rs()).scenario(scenario).seeds(seeds).run();
    }
}

/// The Raft catalogue runs on raft-rs unmodified: splitbrain Raft's knobs and marks are left
/// out, and every crash point is a role raft-rs maps (none is refused).
#[test]
fn every_raft_catalogue_scenario_runs_on_raft_rs_without_splitbrain_raft_knobs() {
    use splitbrain::scenarios::portable::for_protocol;
    let list = raft_rs().scenarios();
    assert!(list.len() >= 20, "{}", list.len());
    for s in &list {
        let adapted = for_protocol(s, &raft_rs(), &s.name, true)
            .unwrap_or_else(|e| panic!("{}: {e}", s.name));
        assert!(adapted.params.is_empty(), "{}", s.name);
        assert!(adapted.vary.as_ref().is_none_or(|v| v.params.is_empty()));
        assert!(adapted.sometimes.is_empty(), "{}", s.name);
    }
}

/// The Raft catalogue's crash points are named by role, and raft-rs maps the roles to its own
/// messages, so they fire: the vote-crash scenario's only crash is the crash point after S2's
/// vote grant.
#[test]
fn the_raft_catalogue_crash_points_fire_on_raft_rs() {
    use splitbrain::sim::TraceKind;
    let entry = raft_rs();
    let variant = resolve_variant(&entry, None).unwrap();
    let scenario = scenarios_for(&entry)
        .into_iter()
        .find(|s| s.name == "raft-vote-crash")
        .expect("the vote-crash scenario");
    let opts = RunOptions {
        full_trace: true,
        ..RunOptions::default()
    };
    let mut fired = 0;
    for seed in 0..4 {
        let run = run_seed(&entry, &variant, &scenario, seed, &opts).unwrap();
        assert!(
            !run.record.outcome.is_failure(),
            "{}",
            run.record.headline()
        );
        let trace = run.record.trace.as_ref().expect("full trace");
        fired += trace
            .iter()
            .filter(|e| e.kind == TraceKind::Crash && e.node.is_some_and(|n| n.index() == 1))
            .count();
    }
    assert!(
        fired >= 1,
        "the crash point after S2's vote grant never fired"
    );
}
