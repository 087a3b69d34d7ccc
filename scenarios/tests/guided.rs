//! Guided exploration stays deterministic: the same per-seed results for any number of jobs,
//! and every guided seed reproduces from its seed plus the fault kinds it was given, every
//! mutant from its seed and its mutation chain.

use splitbrain_scenarios::explore::{explore, ExploreOptions};
use splitbrain_scenarios::mutate::{derive, Mutation};
use splitbrain_scenarios::registry::find_protocol;
use splitbrain_scenarios::runner::resolve_variant;
use splitbrain_scenarios::{run_seed, RunOptions};

#[test]
fn guided_results_do_not_depend_on_jobs_and_guided_seeds_reproduce() {
    let entry = find_protocol("tas").unwrap();
    let v = resolve_variant(entry.as_ref(), Some("majority")).unwrap();
    let scenario = entry
        .scenarios()
        .into_iter()
        .find(|s| s.name == "tas-swarm")
        .unwrap();
    let seeds: Vec<u64> = (0..256).collect();
    let opts = |jobs| ExploreOptions {
        jobs,
        until_first: false,
        run: RunOptions::default(),
        resume_from: Vec::new(),
        guided: true,
        cancel: None,
    };
    let one = explore(
        entry.as_ref(),
        &v,
        &scenario,
        &seeds,
        &opts(1),
        &|_, _| {},
        &mut |_| {},
    )
    .unwrap();
    let two = explore(
        entry.as_ref(),
        &v,
        &scenario,
        &seeds,
        &opts(2),
        &|_, _| {},
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(one.results, two.results);
    let guided: Vec<_> = one.results.iter().filter(|r| r.forced).collect();
    assert!(
        !guided.is_empty(),
        "guidance never kicked in over 256 seeds"
    );
    let r = guided[0];
    let mut sc = scenario.clone();
    sc.generator.as_mut().unwrap().kinds = Some(r.fault_kinds.clone());
    let again = run_seed(entry.as_ref(), &v, &sc, r.seed, &RunOptions::default()).unwrap();
    assert_eq!(again.record.trace_hash, r.trace_hash);
    assert_eq!(again.fault_kinds, r.fault_kinds);
    let mutants: Vec<_> = one.results.iter().filter(|r| r.derived.is_some()).collect();
    assert!(
        mutants.len() > 25,
        "a quarter of the seeds after the first chunk are mutants: {}",
        mutants.len()
    );
    for r in mutants.iter().rev().take(3) {
        let d = r.derived.as_ref().unwrap();
        let mut sc = scenario.clone();
        sc.generator.as_mut().unwrap().kinds = d.kinds.clone();
        let chain = Mutation::parse_list(&d.mutations).unwrap();
        let opts = RunOptions::default();
        let mutant = derive(entry.as_ref(), &v, &sc, d.seed, &chain, &opts).unwrap();
        let again = run_seed(entry.as_ref(), &v, &mutant, d.seed, &opts).unwrap();
        assert_eq!(again.record.trace_hash, r.trace_hash, "{d:?}");
    }
}
