//! The skeleton builds and the suite runs on it, failing with the messages a student needs:
//! the test, what it expected, the seed, the property that broke in plain words, the command
//! that replays the seed and an HTML report.

use splitbrain_scenarios::lab::{self, LabTest};

#[test]
fn the_suite_runs_on_the_skeleton_and_fails_with_helpful_messages() {
    let entry = paxos_skeleton::entry();
    let variant = entry.student();
    let tests: Vec<LabTest> = ["Basic", "Duel"]
        .iter()
        .map(|n| lab::paxos::find(n).expect("a suite test"))
        .collect();
    let out = std::env::temp_dir().join(format!("paxos-skeleton-{}", std::process::id()));
    let replay = |t: &LabTest, seed: u64| format!("LAB_TEST={} LAB_SEED={seed}", t.name);
    let (text, all) =
        lab::run_and_describe(&entry, &variant, &tests, 2, &out, &replay).expect("the suite runs");
    assert!(!all, "{text}");
    assert!(text.contains("Test (A): Basic ... FAILED"), "{text}");
    assert!(
        text.contains("expected: with no faults and one client, every register is decided"),
        "{text}"
    );
    assert!(
        text.contains("seed:     0 (scenario lab-paxos-basic)"),
        "{text}"
    );
    assert!(
        text.contains("0 of the client's 20 proposals completed"),
        "{text}"
    );
    assert!(
        text.contains("replay:   LAB_TEST=Basic LAB_SEED=0"),
        "{text}"
    );
    assert!(text.contains("Test (A): Duel ... FAILED"), "{text}");
    assert!(
        text.contains("violated: once every fault is healed, every client completes an operation"),
        "{text}"
    );
    assert!(text.contains("score: 0/2 tests passed"), "{text}");
    let report = out.join("Basic-seed0.html");
    let html = std::fs::read_to_string(&report).expect("the report is written");
    assert!(
        html.contains("lab-paxos-basic"),
        "the report names the scenario"
    );
    std::fs::remove_dir_all(&out).expect("clean up");
}
