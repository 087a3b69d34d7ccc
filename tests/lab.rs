//! `splitbrain lab raft` from the command line: a failing test prints what it expected, the
//! seed, the property in plain words, a replay command that reproduces the failure when
//! pasted, and an HTML report; a score table ends the run; the exit code says pass or fail.

use std::path::PathBuf;
use std::process::{Command, Output};

fn splitbrain(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_splitbrain"))
        .args(args)
        .output()
        .expect("the splitbrain binary runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("splitbrain-lab-{name}-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("clean scratch dir");
    }
    dir
}

fn field<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.trim_start().strip_prefix(name))
        .unwrap_or_else(|| panic!("no `{name}` line in:\n{text}"))
        .trim()
}

#[test]
fn a_failing_test_says_what_broke_and_its_replay_command_reproduces_it() {
    let out = scratch("r02");
    let dir = out.to_str().expect("utf-8 path");
    let run = splitbrain(&[
        "lab",
        "raft",
        "--variant",
        "R02",
        "--test",
        "Persist2",
        "--out",
        dir,
    ]);
    let text = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{text}");
    assert!(text.contains("Test (3C): Persist2 ... FAILED"), "{text}");
    assert!(field(&text, "expected:").contains("vote"), "{text}");
    assert!(field(&text, "seed:").starts_with('0'), "{text}");
    assert!(
        field(&text, "violated:").contains("Election Safety"),
        "{text}"
    );
    let report = PathBuf::from(field(&text, "report:"));
    let html = std::fs::read_to_string(&report).expect("the report is written");
    assert!(
        html.contains("election safety"),
        "the report shows the violation"
    );
    assert!(text.contains("score: 0/1 tests passed"), "{text}");

    let replay = field(&text, "replay:");
    let args: Vec<&str> = replay
        .strip_prefix("cargo run --release --")
        .expect("a cargo command from a cargo build")
        .split_whitespace()
        .collect();
    let again = splitbrain(&args);
    let again_text = String::from_utf8_lossy(&again.stdout);
    assert_eq!(again.status.code(), Some(1), "{again_text}");
    assert!(
        again_text.contains("election safety"),
        "the replay shows the same failure: {again_text}"
    );
}

#[test]
fn passing_tests_end_with_a_score_table_and_exit_zero() {
    let out = scratch("pass");
    let dir = out.to_str().expect("utf-8 path");
    let run = splitbrain(&[
        "lab",
        "raft",
        "--test",
        "InitialElection,TestCount3B",
        "--out",
        dir,
    ]);
    let text = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{text}");
    assert!(text.contains("3A    InitialElection"), "{text}");
    assert!(text.contains("3B    Count"), "{text}");
    assert!(text.contains("score: 2/2 tests passed"), "{text}");
    assert!(!out.exists(), "nothing written when nothing failed");
}

#[test]
fn an_unknown_test_or_suite_is_bad_input_naming_what_is_known() {
    let run = splitbrain(&["lab", "raft", "--test", "Persist9"]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(err.contains("unknown test `Persist9`"), "{err}");
    assert!(err.contains("Figure8Unreliable"), "{err}");
    let run = splitbrain(&["lab", "paxos2"]);
    assert_eq!(run.status.code(), Some(2));
}
