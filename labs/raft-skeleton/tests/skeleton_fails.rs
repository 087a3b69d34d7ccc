//! The skeleton builds and the suite runs on it, failing with the messages a student needs:
//! the test, what it expected, the seed, the property that broke in plain words, the command
//! that replays the seed and an HTML report.

use splitbrain_scenarios::lab::{self, LabEntry, LabTest};

#[test]
fn the_suite_runs_on_the_skeleton_and_fails_with_helpful_messages() {
    let entry = raft_skeleton::entry();
    let variant = LabEntry::<raft_skeleton::Lab>::variant();
    let tests: Vec<LabTest> = ["InitialElection", "Count", "Persist2"]
        .iter()
        .map(|n| lab::raft::find(n).expect("a suite test"))
        .collect();
    let out = std::env::temp_dir().join(format!("raft-skeleton-{}", std::process::id()));
    let replay = |t: &LabTest, seed: u64| format!("LAB_TEST={} LAB_SEED={seed}", t.name);
    let (text, all) =
        lab::run_and_describe(&entry, &variant, &tests, 2, &out, &replay).expect("the suite runs");
    assert!(!all, "{text}");
    assert!(
        text.contains("Test (3A): InitialElection ... FAILED"),
        "{text}"
    );
    assert!(
        text.contains("expected: with no faults, a leader is elected"),
        "{text}"
    );
    assert!(
        text.contains("seed:     0 (scenario raft-initial-election)"),
        "{text}"
    );
    assert!(
        text.contains("violated: once every fault is healed, every client completes an operation"),
        "{text}"
    );
    assert!(
        text.contains("replay:   LAB_TEST=InitialElection LAB_SEED=0"),
        "{text}"
    );
    assert!(text.contains("Test (3B): Count ... FAILED"), "{text}");
    assert!(text.contains("no server became leader"), "{text}");
    assert!(text.contains("score: 0/3 tests passed"), "{text}");
    let report = out.join("InitialElection-seed0.html");
    let html = std::fs::read_to_string(&report).expect("the report is written");
    assert!(html.contains("liveness"), "the report shows the failure");
    std::fs::remove_dir_all(&out).expect("clean up");
}
