//! The Raft lab suite: splitbrain's own Raft passes every test (each correct variant), and
//! each planted Raft bug fails the test a teacher would expect it to fail, on a seed, with the
//! property that broke named in plain words.

use splitbrain_scenarios::catalog::raft::RaftEntry;
use splitbrain_scenarios::lab::{self, raft::suite, LabVerdict};
use splitbrain_scenarios::runner::resolve_variant;

fn verdict(variant: &str, test: &str) -> LabVerdict {
    let v = resolve_variant(&RaftEntry, Some(variant)).expect("a raft variant");
    let t = lab::raft::find(test).unwrap_or_else(|| panic!("test {test}"));
    lab::run_test(&RaftEntry, &v, &t, 2).expect("the test runs")
}

#[test]
fn the_suite_has_the_tests_students_know_each_deterministic_in_name_and_order() {
    let names: Vec<&str> = suite().iter().map(|t| t.name).collect();
    assert_eq!(
        names,
        [
            "InitialElection",
            "ReElection",
            "ManyElections",
            "BasicAgree",
            "FailAgree",
            "FailNoAgree",
            "ConcurrentStarts",
            "Rejoin",
            "Backup",
            "Count",
            "Persist1",
            "Persist2",
            "Persist3",
            "Figure8",
            "UnreliableAgree",
            "Figure8Unreliable",
            "ReliableChurn",
            "UnreliableChurn",
            "SnapshotBasic",
            "SnapshotInstall",
            "SnapshotInstallUnreliable",
            "SnapshotInstallCrash",
        ]
    );
    assert!(
        lab::raft::find("TestFigure83C").is_some(),
        "as go test names it"
    );
    assert!(lab::raft::find("persist2").is_some());
    assert!(lab::raft::find("Persist4").is_none());
}

#[test]
fn every_correct_raft_variant_passes_every_test() {
    for variant in ["correct", "prevote", "log-reads"] {
        let v = resolve_variant(&RaftEntry, Some(variant)).expect("variant");
        for t in suite() {
            let verdict = lab::run_test(&RaftEntry, &v, &t, 2).expect("runs");
            if let Some(f) = &verdict.failure {
                panic!(
                    "{variant} fails {} on seed {}: {}: {}",
                    t.name, f.seed, f.property, f.detail
                );
            }
        }
    }
}

/// Each planted bug, the test a teacher expects to catch it, and words of the property that
/// breaks.
const EXPECTED: [(&str, &str, &str); 7] = [
    ("R01", "Figure8", "State Machine Safety"),
    ("R02", "Persist2", "Election Safety"),
    ("R05", "Rejoin", "single copy"),
    ("R06", "Persist3", "single copy"),
    ("R14", "UnreliableAgree", "Election Safety"),
    ("R15", "Backup", "Leader Completeness"),
    ("R16", "SnapshotInstallUnreliable", "Leader Completeness"),
];

#[test]
fn each_planted_bug_fails_the_test_a_teacher_expects_with_a_seed_and_the_property() {
    for (bug, test, words) in EXPECTED {
        let verdict = verdict(bug, test);
        let f = verdict
            .failure
            .unwrap_or_else(|| panic!("{bug} passes {test}"));
        assert!(
            f.property.contains(words),
            "{bug} on {test}, seed {}: {} ({})",
            f.seed,
            f.property,
            f.detail
        );
        assert!(f.result.record.trace.is_some(), "the report has a trace");
        assert_eq!(f.result.record.seed, f.seed);
    }
}

#[test]
fn the_tests_own_checks_fail_a_cluster_that_never_elects() {
    // A one-server Raft elects itself; with its only peer gone a two-server cluster cannot:
    // the Count scenario on two servers with one crashed from the start never has a leader.
    let v = resolve_variant(&RaftEntry, Some("correct")).expect("variant");
    let mut t = lab::raft::find("InitialElection").expect("test");
    for (scenario, _) in &mut t.runs {
        scenario.servers = Some(2);
        scenario.schedule =
            serde_json::from_str(r#"[{"at_us": 0, "fault": {"kind": "crash", "node": "S2"}}]"#)
                .expect("schedule");
        scenario.beyond_budget = true;
        scenario.liveness_ms = 0;
    }
    let verdict = lab::run_test(&RaftEntry, &v, &t, 2).expect("runs");
    let f = verdict.failure.expect("no leader, no pass");
    assert_eq!(f.detail, "no server became leader");
    assert!(lab::property_of(&t, &f).contains("within 1 s"));
}
