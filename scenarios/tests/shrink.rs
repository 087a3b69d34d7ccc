//! Shrinking and replay: a planted bug's failing seed becomes a repro of a handful of faults
//! and operations that replays to the same failure, and resumed explorations agree with
//! uninterrupted ones.

use splitbrain_scenarios::explore::{explore, ExploreOptions, SeedResult};
use splitbrain_scenarios::registry::find_protocol;
use splitbrain_scenarios::repro::Repro;
use splitbrain_scenarios::runner::resolve_variant;
use splitbrain_scenarios::shrink::shrink;
use splitbrain_scenarios::RunOptions;
use splitbrain_sim::Outcome;

fn shrink_bug(
    protocol: &str,
    variant: &str,
    seeds: std::ops::Range<u64>,
) -> splitbrain_scenarios::shrink::Shrunk {
    let entry = find_protocol(protocol).expect("registered");
    let v = resolve_variant(entry.as_ref(), Some(variant)).expect("variant");
    let scenario = entry
        .scenarios()
        .into_iter()
        .find(|s| s.name == v.scenario)
        .expect("its scenario");
    let opts = RunOptions::default();
    let seed = seeds
        .into_iter()
        .find(|&s| {
            splitbrain_scenarios::run_seed(entry.as_ref(), &v, &scenario, s, &opts)
                .unwrap()
                .record
                .outcome
                .is_failure()
        })
        .expect("the bug is found");
    shrink(entry.as_ref(), &v, &scenario, seed, &opts, 3_000).expect("shrinks")
}

#[test]
fn v01_shrinks_to_one_partition_and_two_acquires_and_replays() {
    let s = shrink_bug("tas", "V01", 0..100);
    assert!(s.after.faults <= 5 && s.after.ops <= 10, "{:?}", s.after);
    assert!(s.before.faults > s.after.faults || s.before.ops > s.after.ops);
    assert_eq!(s.after.faults, 1, "one partition is the whole story");
    assert_eq!(s.after.ops, 2, "two clients acquiring one lock");
    let file = std::env::temp_dir().join(format!("v01-repro-{}.json", std::process::id()));
    std::fs::write(&file, s.repro.to_json()).unwrap();
    let again = Repro::from_file(&file).expect("reads back");
    let r = again.run(false).expect("replays");
    assert!(again.expect.matches(&r), "{}", r.record.headline());
    assert_eq!(
        r.record.trace_hash, s.last.record.trace_hash,
        "replay is exact"
    );
}

#[test]
fn a_passing_seed_is_refused_by_shrink() {
    let entry = find_protocol("tas").unwrap();
    let v = resolve_variant(entry.as_ref(), Some("majority")).unwrap();
    let scenario = entry
        .scenarios()
        .into_iter()
        .find(|s| s.name == "tas-swarm")
        .unwrap();
    assert!(shrink(entry.as_ref(), &v, &scenario, 1, &RunOptions::default(), 10).is_err());
}

#[test]
fn a_resumed_exploration_equals_an_uninterrupted_one() {
    let entry = find_protocol("tas").unwrap();
    let v = resolve_variant(entry.as_ref(), Some("majority")).unwrap();
    let scenario = entry
        .scenarios()
        .into_iter()
        .find(|s| s.name == "tas-swarm")
        .unwrap();
    let seeds: Vec<u64> = (0..1100).step_by(10).collect();
    let opts = |resume_from: Vec<SeedResult>| ExploreOptions {
        jobs: 2,
        until_first: false,
        run: RunOptions::default(),
        resume_from,
        guided: false,
        cancel: None,
    };
    let mut checkpoints: Vec<usize> = Vec::new();
    let full = explore(
        entry.as_ref(),
        &v,
        &scenario,
        &seeds,
        &opts(Vec::new()),
        &|_, _| {},
        &mut |done| checkpoints.push(done.len()),
    )
    .unwrap();
    assert_eq!(checkpoints, vec![110], "one chunk, one checkpoint");
    // An interrupted run that finished only the first 37 seeds.
    let partial = explore(
        entry.as_ref(),
        &v,
        &scenario,
        &seeds[..37],
        &opts(Vec::new()),
        &|_, _| {},
        &mut |_| {},
    )
    .unwrap();
    let resumed = explore(
        entry.as_ref(),
        &v,
        &scenario,
        &seeds,
        &opts(partial.results.clone()),
        &|_, _| {},
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(resumed.results, full.results);
    assert_eq!(resumed.marks, full.marks);
    assert!(full.results.iter().all(|r| r.outcome == Outcome::Pass));
}

/// Every planted bug of every protocol: found on its own scenario within seeds 0..1000, shrunk
/// to at most 5 faults and 10 client operations, and the repro replays to the same failure.
#[test]
fn every_planted_bug_shrinks_to_a_small_repro_that_replays() {
    let mut report = Vec::new();
    for entry in splitbrain_scenarios::registry::protocols() {
        let info = entry.info();
        for v in info.variants.iter().filter(|v| v.bug_id.is_some()) {
            let scenario = entry
                .scenarios()
                .into_iter()
                .find(|s| s.name == v.scenario)
                .expect("its scenario");
            let opts = ExploreOptions {
                jobs: 2,
                until_first: true,
                run: RunOptions::default(),
                resume_from: Vec::new(),
                guided: false,
                cancel: None,
            };
            let found = splitbrain_scenarios::explore::explore_range(
                entry.as_ref(),
                v,
                &scenario,
                0..1000,
                &opts,
                &|_, _| {},
            )
            .unwrap();
            let seed = found
                .failures()
                .next()
                .unwrap_or_else(|| panic!("{} {} not found", info.name, v.name))
                .seed;
            let s = shrink(
                entry.as_ref(),
                v,
                &scenario,
                seed,
                &RunOptions::default(),
                splitbrain_scenarios::shrink::DEFAULT_MAX_RUNS,
            )
            .expect("shrinks");
            let again = Repro::from_json(&s.repro.to_json(), "repro").expect("reads back");
            let r = again.run(false).expect("replays");
            assert!(
                again.expect.matches(&r),
                "{} replays differently: {}",
                v.name,
                r.record.headline()
            );
            report.push(format!(
                "{} {} seed {seed}: {:?} -> {:?} in {} runs",
                info.name, v.name, s.before, s.after, s.runs
            ));
            assert!(
                s.after.faults <= 5 && s.after.ops <= 10,
                "{} too big: {:?}",
                v.name,
                s.after
            );
        }
    }
    println!("{}", report.join("\n"));
}

/// A scripted operation waits for its `not_before_us`, so a repro keeps the moment each
/// surviving operation was issued when the shrinker removes the ones before it.
#[test]
fn a_scripted_operation_is_not_issued_before_its_time() {
    use splitbrain_api::Op;
    use splitbrain_scenarios::workload::{ScriptStep, WorkloadSpec};
    let entry = find_protocol("tas").unwrap();
    let v = resolve_variant(entry.as_ref(), Some("majority")).unwrap();
    let mut scenario = entry
        .scenarios()
        .into_iter()
        .next()
        .expect("a tas scenario");
    scenario.generator = None;
    scenario.schedule = Default::default();
    let step = |at: Option<u64>, lock| ScriptStep {
        not_before_us: at,
        op: Op::Acquire { lock },
    };
    scenario.workload = WorkloadSpec::Script {
        model: "mutex".into(),
        ops: vec![
            vec![step(None, 0), step(Some(700_000), 1)],
            vec![step(Some(300_000), 2)],
        ],
    };
    let r =
        splitbrain_scenarios::run_seed(entry.as_ref(), &v, &scenario, 1, &RunOptions::default())
            .unwrap();
    let calls: Vec<(usize, u64)> = r
        .record
        .history
        .ops
        .iter()
        .map(|o| (o.client.index(), o.call_us))
        .collect();
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert!(
        calls[0].1 < 300_000,
        "an untimed step goes at once: {calls:?}"
    );
    assert!(calls.contains(&(1, 300_000)), "{calls:?}");
    assert!(calls.contains(&(0, 700_000)), "{calls:?}");
}
