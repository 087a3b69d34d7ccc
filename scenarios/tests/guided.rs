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
    // Elite fault-kind sets run only while the corpus is empty (one chunk here); every seed a
    // kind set forced reproduces from its seed and kinds.
    for r in one.results.iter().filter(|r| r.forced) {
        let mut sc = scenario.clone();
        sc.generator.as_mut().unwrap().kinds = Some(r.fault_kinds.clone());
        let again = run_seed(entry.as_ref(), &v, &sc, r.seed, &RunOptions::default()).unwrap();
        assert_eq!(again.record.trace_hash, r.trace_hash);
        assert_eq!(again.fault_kinds, r.fault_kinds);
    }
    let mutants: Vec<_> = one.results.iter().filter(|r| r.derived.is_some()).collect();
    assert!(
        mutants.len() > 60,
        "half the seeds after the first chunk are mutants: {}",
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

/// R01 (Figure 8) as guided exploration of the swarm finds it (`explore raft --variant R01
/// --scenario raft-swarm --guided --until-first`, run 508): seed 241's run, mutated after a
/// stale-term reply, reaches a commit by counting that a follower with a newer entry could
/// overwrite (a mark, in the recovery after the safety phase, so the mutation stretched the
/// phase past it), and the next mutation cuts that leader off right after it: the follower
/// wins and the committed entry is gone.
#[test]
fn guided_mutants_reach_figure8_on_the_raft_swarm() {
    let entry = find_protocol("raft").unwrap();
    let v = resolve_variant(entry.as_ref(), Some("R01")).unwrap();
    let scenario = entry
        .scenarios()
        .into_iter()
        .find(|s| s.name == "raft-swarm")
        .unwrap();
    let chain = Mutation::parse_list(
        "stale-term-reply/first/31b6955c86f9,overwritable-commit/last/d0fc9bd170ac",
    )
    .unwrap();
    let opts = RunOptions::default();
    let parent = derive(entry.as_ref(), &v, &scenario, 241, &chain[..1], &opts).unwrap();
    let run = run_seed(entry.as_ref(), &v, &parent, 241, &opts).unwrap();
    assert!(run.record.marks.contains_key("overwritable-commit"));
    let mutant = derive(entry.as_ref(), &v, &scenario, 241, &chain, &opts).unwrap();
    let run = run_seed(entry.as_ref(), &v, &mutant, 241, &opts).unwrap();
    assert!(run.record.outcome.is_failure(), "{}", run.record.headline());
    assert!(run.record.headline().contains("leader completeness"));
}

/// Z02 (a follower acknowledges NEWLEADER before the synced history is durable) as guided
/// exploration of the swarm finds it (`explore zab --variant Z02 --scenario zab-swarm
/// --guided --until-first`, run 691): seed 24's run (three servers) has a leader that syncs a
/// follower; the correlated edit anchored on that sync crashes the follower it reaches before
/// its next disk sync, leaves the leader with it alone and cuts the leader off once it heard
/// from it: the leader delivers on an acknowledgement whose write is lost, and the others
/// elect without the transactions. The correct variant, given the same edit of its own run of
/// that seed, passes.
#[test]
fn the_correlated_edit_reaches_z02_on_the_zab_swarm() {
    the_edit_fails_only_with_the_bug(
        "zab",
        "zab-swarm",
        24,
        "sync-diff/last/f57e11781697/peers",
        "Z02",
    );
}

/// R14 (replies from an older term are counted) as guided exploration of the swarm finds it
/// (`explore raft --variant R14 --scenario raft-swarm --guided --until-first`, run 746): seed
/// 298's run (seven servers), with the late edit anchored on its first leader change: one
/// link to or from that new leader is slow for a while, so a vote granted in one term reaches
/// its candidate after that candidate has moved to the next term, where the bug counts it;
/// the voter has meanwhile voted for another candidate of that term, and both lead. The
/// correct variant, given the same edit of its own run of that seed, passes.
#[test]
fn the_late_edit_reaches_r14_on_the_raft_swarm() {
    the_edit_fails_only_with_the_bug(
        "raft",
        "raft-swarm",
        298,
        "leader-change/first/6e3d6a17dfe3/late",
        "R14",
    );
}

/// Runs `seed` of `protocol`'s `swarm` with the mutation `chain` on the planted bug and on
/// the correct variant: the bug fails, the correct variant passes the same edit of its own
/// run of that seed.
fn the_edit_fails_only_with_the_bug(
    protocol: &str,
    swarm: &str,
    seed: u64,
    chain: &str,
    bug: &str,
) {
    let entry = find_protocol(protocol).unwrap();
    let scenario = entry
        .scenarios()
        .into_iter()
        .find(|s| s.name == swarm)
        .unwrap();
    let chain = Mutation::parse_list(chain).unwrap();
    let opts = RunOptions::default();
    for (variant, fails) in [(bug, true), ("correct", false)] {
        let v = resolve_variant(entry.as_ref(), Some(variant)).unwrap();
        let mutant = derive(entry.as_ref(), &v, &scenario, seed, &chain, &opts).unwrap();
        let run = run_seed(entry.as_ref(), &v, &mutant, seed, &opts).unwrap();
        assert_eq!(
            run.record.outcome.is_failure(),
            fails,
            "{variant}: {}",
            run.record.headline()
        );
    }
}

/// C03 (a removed or partitioned tail keeps answering reads) as guided exploration of the
/// chain swarm finds it (`explore chain --variant C03 --scenario chain-swarm --guided
/// --until-first`, run 84): seed 13's run, with the cut edit anchored on a chain replica's
/// return from its disk (a hint mark of the chain protocol): the replica is cut off from the
/// other servers but not from a client, the manager reconfigures without it, and the client
/// keeps reading from it.
#[test]
fn the_cut_edit_reaches_c03_on_the_chain_swarm() {
    the_edit_fails_only_with_the_bug(
        "chain",
        "chain-swarm",
        13,
        "recovered-history/first/3fe15ab52602/cut",
        "C03",
    );
}

/// Z02 on the ZooKeeper swarm (`explore zab --variant Z02 --scenario zab-zk-swarm --guided
/// --until-first`, run 795): seed 13's run (seven servers), the correlated edit anchored on
/// ZAB's hint mark, a leader whose quorum lacks part of its history.
#[test]
fn the_correlated_edit_on_a_hint_reaches_z02_on_the_zk_swarm() {
    the_edit_fails_only_with_the_bug(
        "zab",
        "zab-zk-swarm",
        13,
        "leads-unshared-history/first/b812be673f74/peers",
        "Z02",
    );
}
