//! The split-brain demo end to end: the two-server lock service loses mutual exclusion under
//! partitions (planted bug V01), the majority design and the single server keep it, and runs
//! are reproducible by seed whatever the number of worker threads.

use splitbrain_scenarios::explore::{explore_range as explore, ExploreOptions};
use splitbrain_scenarios::registry::find_protocol;
use splitbrain_scenarios::runner::resolve_variant;
use splitbrain_scenarios::{run_seed, RunOptions, Scenario};
use splitbrain_sim::Outcome;

fn scenario(name: &str) -> Scenario {
    let entry = find_protocol("tas").expect("tas registered");
    entry
        .scenarios()
        .into_iter()
        .find(|s| s.name == name)
        .expect("scenario exists")
}

fn sweep(
    variant: &str,
    scen: &str,
    seeds: std::ops::Range<u64>,
    jobs: usize,
    until_first: bool,
) -> splitbrain_scenarios::explore::ExploreSummary {
    let entry = find_protocol("tas").unwrap();
    let v = resolve_variant(entry.as_ref(), Some(variant)).unwrap();
    let opts = ExploreOptions {
        jobs,
        until_first,
        run: RunOptions::default(),
        resume_from: Vec::new(),
        guided: false,
        cancel: None,
    };
    explore(
        entry.as_ref(),
        &v,
        &scenario(scen),
        seeds,
        &opts,
        &|_, _| {},
    )
    .expect("explores")
}

#[test]
fn two_server_split_brain_v01_is_found_within_100_seeds() {
    let s = sweep("V01", "tas-split", 0..100, 2, true);
    let first = s.failures().next().expect("V01 found");
    assert_eq!(first.outcome, Outcome::Violation);
    assert!(
        first.message.contains("mutual exclusion"),
        "{}",
        first.message
    );
    assert!(
        first.message.contains("both acquired lock"),
        "{}",
        first.message
    );
}

#[test]
fn the_textbook_partition_shows_both_clients_holding_the_lock() {
    let entry = find_protocol("tas").unwrap();
    let v = resolve_variant(entry.as_ref(), Some("two-server")).unwrap();
    let r = run_seed(
        entry.as_ref(),
        &v,
        &scenario("tas-split-explicit"),
        0,
        &RunOptions::default(),
    )
    .unwrap();
    assert_eq!(r.record.outcome, Outcome::Violation);
    let msg = &r.record.violations[0].message;
    assert!(
        msg.contains("C1") && msg.contains("C2") && msg.contains("both acquired"),
        "{msg}"
    );
}

#[test]
fn majority_keeps_mutual_exclusion_under_every_promised_fault() {
    let s = sweep("majority", "tas-swarm", 0..300, 2, false);
    let bad: Vec<_> = s.failures().collect();
    assert!(bad.is_empty(), "failing seeds: {bad:?}");
    assert!(
        s.unreached.is_empty(),
        "swarm never contested a lock: {:?}",
        s.unreached
    );
    assert!(s.marks.contains_key("contested"));
}

#[test]
fn majority_survives_the_textbook_partition() {
    let s = sweep("majority", "tas-split-explicit", 0..50, 2, false);
    assert_eq!(s.failures().count(), 0);
}

#[test]
fn single_server_never_violates_safety() {
    let s = sweep("single", "tas-swarm", 0..300, 2, false);
    let unsafe_runs: Vec<_> = s
        .results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Violation | Outcome::Panic))
        .collect();
    assert!(unsafe_runs.is_empty(), "{unsafe_runs:?}");
}

#[test]
fn the_same_seed_gives_the_same_trace_hash_and_different_seeds_differ() {
    let entry = find_protocol("tas").unwrap();
    let v = resolve_variant(entry.as_ref(), Some("majority")).unwrap();
    let sc = scenario("tas-swarm");
    let hashes: Vec<u64> = [5, 5, 6]
        .iter()
        .map(|&seed| {
            run_seed(entry.as_ref(), &v, &sc, seed, &RunOptions::default())
                .unwrap()
                .record
                .trace_hash
        })
        .collect();
    assert_eq!(hashes[0], hashes[1]);
    assert_ne!(hashes[0], hashes[2]);
    let full = RunOptions {
        full_trace: true,
        ..RunOptions::default()
    };
    let traced = run_seed(entry.as_ref(), &v, &sc, 5, &full).unwrap().record;
    assert_eq!(
        traced.trace_hash, hashes[0],
        "keeping the full trace must not change the run"
    );
}

#[test]
fn explore_results_do_not_depend_on_the_number_of_jobs() {
    let one = sweep("majority", "tas-swarm", 0..40, 1, false);
    let two = sweep("majority", "tas-swarm", 0..40, 2, false);
    assert_eq!(one.results, two.results);
    let one = sweep("V01", "tas-swarm", 0..200, 1, true);
    let two = sweep("V01", "tas-swarm", 0..200, 2, true);
    assert_eq!(
        one.results, two.results,
        "until-first must stop at the same seed"
    );
    assert_eq!(one.marks, two.marks);
}
