//! OmniPaxos under splitbrain: the same seed replays exactly; every generic scenario and the
//! Raft catalogue's swarm and crash scenarios pass unmodified over a few seeds, with crash
//! points named by role firing on OmniPaxos's own messages (the long sweeps are the CLI's:
//! `cargo run --release -p splitbrain-example-omnipaxos -- explore omnipaxos ...`).

use splitbrain::scenarios::registry::{generic_scenarios, scenarios_for};
use splitbrain::scenarios::runner::resolve_variant;
use splitbrain::scenarios::{run_seed, RunOptions};
use splitbrain::sim::TraceKind;
use splitbrain::testing::Check;
use splitbrain_example_omnipaxos::entry as omnipaxos;

#[test]
fn the_same_seed_gives_the_same_trace() {
    let entry = omnipaxos();
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
fn omnipaxos_passes_the_raft_swarm_and_crash_scenarios() {
    // raft-swarm 15 and raft-unreliable 39 broke state machine safety before the adapter
    // emulated OmniPaxos's FIFO sessions (a stale AcceptSync of an earlier session was applied).
    for (scenario, seeds) in [
        ("raft-swarm", 13..19),
        ("raft-unreliable", 38..40),
        ("raft-persist", 0..3),
        ("raft-vote-crash", 0..3),
    ] {
        Check::new(omnipaxos())
            .scenario(scenario)
            .seeds(seeds)
            .run();
    }
}

/// Every generic scenario runs on OmniPaxos unmodified and passes (issue 19's acceptance).
/// The crash points of `generic-crash-points` are named by role; on OmniPaxos they fire on its
/// own `Promise`, `Accepted` and `ClientReply`: each role is run alone and its firings are
/// counted (the scenario has no other crashes, so every crash in the trace is one).
#[test]
fn every_generic_scenario_passes_and_each_crash_point_role_fires() {
    let entry = omnipaxos();
    let variant = resolve_variant(&entry, None).unwrap();
    let opts = RunOptions {
        full_trace: true,
        ..RunOptions::default()
    };
    let crashes = |scenario: &splitbrain::scenarios::Scenario, seed| {
        let run = run_seed(&entry, &variant, scenario, seed, &opts)
            .unwrap_or_else(|e| panic!("{}: {e}", scenario.name));
        let rec = &run.record;
        assert!(
            !rec.outcome.is_failure(),
            "{} seed {seed}: {}",
            scenario.name,
            rec.headline()
        );
        let trace = rec.trace.as_ref().expect("full trace");
        trace.iter().filter(|e| e.kind == TraceKind::Crash).count()
    };
    let generic = generic_scenarios();
    assert!(generic.len() >= 4, "{}", generic.len());
    for scenario in &generic {
        for seed in 0..2 {
            crashes(scenario, seed);
        }
    }
    let points = generic
        .iter()
        .find(|s| s.name == "generic-crash-points")
        .expect("in the catalogue");
    let roles = points.generator.as_ref().unwrap().crash_point_kinds.clone();
    assert_eq!(roles, ["vote-grant", "append-ack", "client-reply"]);
    for role in roles {
        let mut alone = points.clone();
        alone.generator.as_mut().unwrap().crash_point_kinds = vec![role.clone()];
        let fired: usize = (0..3).map(|seed| crashes(&alone, seed)).sum();
        assert!(fired >= 1, "crash points `{role}` never fired in 3 seeds");
        println!("{role}: {fired} crash points fired in 3 seeds");
    }
}
