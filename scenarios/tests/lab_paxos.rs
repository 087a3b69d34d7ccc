//! The Basic Paxos lab suite: splitbrain's own Basic Paxos passes every test, and each planted
//! Paxos bug (and the `no-backoff` livelock) fails the test a teacher would expect it to fail,
//! on a seed, with the property that broke named in plain words.

use splitbrain_scenarios::catalog::paxos::PaxosEntry;
use splitbrain_scenarios::lab::{self, paxos::suite, LabVerdict};
use splitbrain_scenarios::runner::resolve_variant;

fn verdict(variant: &str, test: &str) -> LabVerdict {
    let v = resolve_variant(&PaxosEntry, Some(variant)).expect("a paxos variant");
    let t = lab::paxos::find(test).unwrap_or_else(|| panic!("test {test}"));
    lab::run_test(&PaxosEntry, &v, &t, 2).expect("the test runs")
}

#[test]
fn the_suite_has_its_tests_in_order_and_finds_them_as_go_test_names_them() {
    let names: Vec<&str> = suite().iter().map(|t| t.name).collect();
    assert_eq!(
        names,
        [
            "Basic",
            "Duel",
            "RPCCount",
            "Deaf",
            "Partition",
            "Persist",
            "Old",
            "ManyUnreliable",
            "Lots"
        ]
    );
    assert!(lab::paxos::find("TestRPCCount").is_some());
    assert!(lab::paxos::find("persist").is_some());
    assert!(lab::paxos::find("Forget").is_none());
}

#[test]
fn splitbrains_basic_paxos_passes_every_test() {
    let v = resolve_variant(&PaxosEntry, Some("correct")).expect("variant");
    for t in suite() {
        let verdict = lab::run_test(&PaxosEntry, &v, &t, 2).expect("runs");
        if let Some(f) = &verdict.failure {
            panic!(
                "correct fails {} on seed {}: {}: {}",
                t.name, f.seed, f.property, f.detail
            );
        }
    }
}

/// Words of the properties a second chosen value breaks: agreement (the acceptors' state) or
/// linearizability (two clients told different values), whichever the run breaks first.
const TWO_VALUES: &[&str] = &["at most one value is chosen", "single copy"];

/// Each planted bug, the test a teacher expects to catch it, and words of the property that
/// breaks (any of them).
const EXPECTED: [(&str, &str, &[&str]); 4] = [
    ("P01", "Persist", TWO_VALUES),
    ("P02", "Duel", TWO_VALUES),
    ("P03", "Old", TWO_VALUES),
    ("no-backoff", "Duel", &["every client completes"]),
];

#[test]
fn each_planted_bug_fails_the_test_a_teacher_expects_with_a_seed_and_the_property() {
    for (bug, test, words) in EXPECTED {
        let verdict = verdict(bug, test);
        let f = verdict
            .failure
            .unwrap_or_else(|| panic!("{bug} passes {test}"));
        assert!(
            words.iter().any(|w| f.property.contains(w)),
            "{bug} on {test}, seed {}: {} ({})",
            f.seed,
            f.property,
            f.detail
        );
        assert!(f.result.record.trace.is_some(), "the report has a trace");
    }
}

#[test]
fn rpc_count_fails_a_run_whose_proposals_do_not_all_complete() {
    // A cluster with two of its three acceptors crashed from the start decides nothing.
    let v = resolve_variant(&PaxosEntry, Some("correct")).expect("variant");
    let mut t = lab::paxos::find("RPCCount").expect("test");
    for (scenario, _) in &mut t.runs {
        scenario.schedule = serde_json::from_str(
            r#"[{"at_us": 0, "fault": {"kind": "crash", "node": "S2"}},
                {"at_us": 0, "fault": {"kind": "crash", "node": "S3"}}]"#,
        )
        .expect("schedule");
        scenario.beyond_budget = true;
    }
    let verdict = lab::run_test(&PaxosEntry, &v, &t, 2).expect("runs");
    let f = verdict.failure.expect("nothing decided, no pass");
    assert!(f.detail.contains("proposals completed"), "{}", f.detail);
    assert!(lab::property_of(&t, &f).contains("every proposal completes"));
}
