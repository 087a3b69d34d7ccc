//! Raft end to end: each planted bug is caught on a pinned seed of its own scenario by the
//! checker the bug catalogue names (never by a check that knows the bug), the same seeds pass
//! with the correct implementation, every correct variant passes every scenario over many
//! seeds and reaches the states the scenario exists for, and runs replay by seed.
//!
//! Long sweeps belong in the CLI, e.g.
//! `splitbrain explore raft --scenario raft-swarm --seeds 0..10000`.

use splitbrain_scenarios::explore::{explore, ExploreOptions, ExploreSummary};
use splitbrain_scenarios::registry::{find_protocol, Entry};
use splitbrain_scenarios::runner::resolve_variant;
use splitbrain_scenarios::{run_seed, RunOptions, RunResult, Scenario};
use splitbrain_sim::Outcome;

fn entry() -> Entry {
    find_protocol("raft").expect("raft registered")
}

fn scenario(name: &str) -> Scenario {
    entry()
        .scenarios()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("scenario {name} exists"))
}

fn run(variant: &str, scen: &str, seed: u64) -> RunResult {
    let e = entry();
    let v = resolve_variant(e.as_ref(), Some(variant)).expect("variant resolves");
    run_seed(
        e.as_ref(),
        &v,
        &scenario(scen),
        seed,
        &RunOptions::default(),
    )
    .expect("runs")
}

fn sweep(variant: &str, scen: &str, seeds: std::ops::Range<u64>, first: bool) -> ExploreSummary {
    let e = entry();
    let v = resolve_variant(e.as_ref(), Some(variant)).expect("variant resolves");
    let opts = ExploreOptions {
        jobs: 2,
        until_first: first,
        run: RunOptions::default(),
        resume_from: Vec::new(),
        guided: false,
        cancel: None,
    };
    let seeds: Vec<u64> = seeds.collect();
    explore(
        e.as_ref(),
        &v,
        &scenario(scen),
        &seeds,
        &opts,
        &|_, _| {},
        &mut |_| {},
    )
    .expect("explores")
}

/// Runs the pinned seed of a bug on the bug's own scenario: a violation whose checker is one
/// of `checkers`; and the correct implementation passes the very same seed.
fn pinned(bug: &str, seed: u64, checkers: &[&str]) {
    let info = entry().info();
    let v = info.variant(bug).expect("bug id resolves");
    let r = run(bug, v.scenario, seed);
    assert_eq!(
        r.record.outcome,
        Outcome::Violation,
        "{bug} seed {seed}: {:?}",
        r.record.violations
    );
    let first = &r.record.violations[0];
    assert!(
        checkers.iter().any(|c| first.checker.contains(c)),
        "{bug} was caught by `{}` ({}), expected one of {checkers:?}",
        first.checker,
        first.message
    );
    let ok = run("correct", v.scenario, seed);
    assert_eq!(
        ok.record.outcome,
        Outcome::Pass,
        "correct Raft on {} seed {seed}: {:?}",
        v.scenario,
        ok.record.violations
    );
}

#[test]
fn r01_figure8_commit_breaks_state_machine_safety() {
    pinned("R01", 10, &["state machine safety", "leader completeness"]);
}

#[test]
fn r02_a_vote_that_was_not_durable_is_given_twice_and_two_leaders_share_a_term() {
    pinned("R02", 0, &["election safety"]);
}

#[test]
fn r05_an_isolated_leader_answering_reads_locally_is_not_linearizable() {
    pinned("R05", 0, &["linearizab"]);
}

#[test]
fn r06_reading_before_the_new_term_commits_is_not_linearizable() {
    pinned("R06", 2, &["linearizab"]);
}

#[test]
fn r14_counting_replies_from_older_terms_elects_two_leaders_in_one_term() {
    pinned("R14", 3, &["election safety", "state machine safety"]);
}

#[test]
fn r15_index_only_election_elects_a_leader_without_a_committed_entry() {
    pinned("R15", 3, &["leader completeness", "state machine safety"]);
}

#[test]
fn r16_installing_a_stale_snapshot_loses_acknowledged_entries() {
    pinned(
        "R16",
        2,
        &["leader completeness", "state machine safety", "linearizab"],
    );
}

/// Every planted bug is found on its scenario quickly, as a violation (never a panic).
#[test]
fn every_planted_bug_is_found_within_100_seeds_of_its_scenario() {
    for v in entry()
        .info()
        .variants
        .iter()
        .filter(|v| v.bug_id.is_some())
    {
        let s = sweep(v.name, v.scenario, 0..100, true);
        let first = s
            .failures()
            .next()
            .unwrap_or_else(|| panic!("{} ({:?}) not found on {}", v.name, v.bug_id, v.scenario));
        assert_eq!(
            first.outcome,
            Outcome::Violation,
            "{}: {}",
            v.name,
            first.message
        );
    }
}

/// The correct implementation passes every catalogue scenario, the bug scenarios included,
/// and reaches what each scenario is for.
#[test]
fn correct_raft_passes_every_scenario_and_reaches_its_sometimes_marks() {
    for s in entry().scenarios() {
        let sum = sweep("correct", &s.name, 0..40, false);
        let bad: Vec<_> = sum
            .results
            .iter()
            .filter(|r| r.outcome != Outcome::Pass)
            .collect();
        assert!(bad.is_empty(), "{}: {bad:?}", s.name);
        assert!(
            sum.unreached.is_empty(),
            "{} never reached {:?}",
            s.name,
            sum.unreached
        );
    }
}

#[test]
fn every_correct_variant_passes_the_swarm() {
    for v in ["correct", "prevote", "log-reads"] {
        let sum = sweep(v, "raft-swarm", 0..120, false);
        let bad: Vec<_> = sum
            .results
            .iter()
            .filter(|r| r.outcome != Outcome::Pass)
            .collect();
        assert!(bad.is_empty(), "{v}: {bad:?}");
        assert!(sum.unreached.is_empty(), "{v}: {:?}", sum.unreached);
    }
}

#[test]
fn prevote_and_log_reads_pass_the_bug_scenarios() {
    let bug_scenarios: Vec<&str> = entry()
        .info()
        .variants
        .iter()
        .filter(|v| v.bug_id.is_some())
        .map(|v| v.scenario)
        .collect();
    for v in ["prevote", "log-reads"] {
        for s in &bug_scenarios {
            let sum = sweep(v, s, 0..30, false);
            assert_eq!(sum.failures().count(), 0, "{v} on {s}");
        }
    }
}

#[test]
fn a_seed_replays_to_the_same_trace_hash() {
    let a = run("correct", "raft-swarm", 7).record;
    let b = run("correct", "raft-swarm", 7).record;
    let c = run("correct", "raft-swarm", 8).record;
    assert_eq!(a.trace_hash, b.trace_hash);
    assert_eq!(a.history, b.history);
    assert_ne!(a.trace_hash, c.trace_hash);
}

#[test]
fn bug_ids_and_names_resolve_to_the_same_variant() {
    let info = entry().info();
    for (id, name) in [
        ("R01", "figure8-commit"),
        ("r02", "vote-not-durable"),
        ("R05", "stale-leader-read"),
        ("R06", "no-noop-read"),
        ("R14", "stale-term-replies"),
        ("R15", "index-only-election"),
        ("R16", "stale-snapshot"),
    ] {
        assert_eq!(info.variant(id).map(|v| v.name), Some(name));
    }
    let scenarios: Vec<String> = entry().scenarios().into_iter().map(|s| s.name).collect();
    for v in &info.variants {
        assert!(scenarios.iter().any(|s| s == v.scenario), "{}", v.scenario);
    }
}
