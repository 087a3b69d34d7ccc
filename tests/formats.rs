//! State and formats a user can learn (issue 16, class 6): catalogue scenarios print as JSON
//! that runs the same as the name, times need a unit, and `run --history` writes what `check`
//! reads.

use std::path::PathBuf;
use std::process::{Command, Output};

fn splitbrain(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_splitbrain"))
        .args(args)
        .output()
        .expect("runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("splitbrain-formats-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The `trace_hash` of `run ... --json`.
fn trace_hash(args: &[&str]) -> String {
    let o = splitbrain(&[args, &["--json"]].concat());
    let doc: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", text(&o)));
    doc["trace_hash"].as_str().unwrap().to_string()
}

#[test]
fn a_shown_scenario_runs_exactly_as_its_catalogue_name() {
    let dir = scratch("show");
    let o = splitbrain(&["scenario", "show", "raft-swarm"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let file = dir.join("mine.json");
    std::fs::write(&file, &o.stdout).unwrap();
    let by_name = trace_hash(&["run", "raft", "--scenario", "raft-swarm", "--seed", "3"]);
    let by_file = trace_hash(&[
        "run",
        "raft",
        "--scenario",
        file.to_str().unwrap(),
        "--seed",
        "3",
    ]);
    assert_eq!(by_name, by_file);
    let unknown = splitbrain(&["scenario", "show", "no-such"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown).contains("tas-split"), "{}", text(&unknown));
}

#[test]
fn a_time_without_a_unit_is_refused() {
    let dir = scratch("time");
    let repro = dir.join("r.json");
    let o = splitbrain(&[
        "shrink",
        "tas",
        "--variant",
        "V01",
        "--seed",
        "0",
        "-o",
        repro.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let bare = splitbrain(&["replay", repro.to_str().unwrap(), "--state-at", "1500"]);
    assert_eq!(bare.status.code(), Some(2), "{}", text(&bare));
    assert!(
        text(&bare).contains("1500us, 1500ms or 1500s"),
        "{}",
        text(&bare)
    );
    let with_unit = splitbrain(&["replay", repro.to_str().unwrap(), "--state-at", "1500us"]);
    assert!(
        text(&with_unit).contains("state at 1.500 ms"),
        "{}",
        text(&with_unit)
    );
}

#[test]
fn state_at_shows_each_protocols_own_state_and_the_messages_in_flight() {
    let dir = scratch("state");
    for (protocol, variant, at, wanted) in [
        (
            "tas",
            "V01",
            "2ms",
            &["owners: ", "pending: acquire lock", "messages in flight: "][..],
        ),
        (
            "raft",
            "R05",
            "2ms",
            &["role: ", "term: ", "commit: ", "messages in flight: "][..],
        ),
        (
            "paxos",
            "P02",
            "6ms",
            &[
                "proposing: r0: ballot (1,S",
                "acceptor (registers not learned here): r0: promised (1,S",
                "pending: propose r0:=",
            ][..],
        ),
        (
            "multipaxos",
            "P06",
            "300ms",
            &[
                "role: leader at ballot (1,S3)",
                "role: follower of S3",
                "waiting for a majority: ",
                "log: ",
            ][..],
        ),
    ] {
        let repro = dir.join(format!("{protocol}.json"));
        let o = splitbrain(&[
            "shrink",
            protocol,
            "--variant",
            variant,
            "--seed",
            "0",
            "-o",
            repro.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let r = splitbrain(&["replay", repro.to_str().unwrap(), "--state-at", at]);
        let out = text(&r);
        for w in wanted {
            assert!(out.contains(w), "{protocol}: no `{w}` in\n{out}");
        }
        if protocol == "tas" || protocol == "paxos" {
            assert!(
                !out.contains("role: "),
                "the lock service has no Raft columns:\n{out}"
            );
        }
    }
}

#[test]
fn run_history_writes_what_check_reads() {
    let dir = scratch("history");
    for (variant, seed, verdict) in [("V01", "0", 1), ("majority", "1", 0)] {
        let file = dir.join(format!("{variant}.json"));
        let run = splitbrain(&[
            "run",
            "tas",
            "--variant",
            variant,
            "--seed",
            seed,
            "--history",
            file.to_str().unwrap(),
        ]);
        assert_eq!(run.status.code(), Some(verdict), "{}", text(&run));
        let check = splitbrain(&["check", file.to_str().unwrap()]);
        assert_eq!(
            check.status.code(),
            Some(verdict),
            "{variant}: {}",
            text(&check)
        );
    }
}

/// Every simulated time a person reads is written one way, `12.345 ms`: the violation line,
/// the run's length, the lock table and the one-line headlines of `explore` alike.
#[test]
fn simulated_times_are_written_in_one_style() {
    let run = text(&splitbrain(&[
        "run",
        "tas",
        "--variant",
        "V01",
        "--seed",
        "0",
    ]));
    let explore = text(&splitbrain(&[
        "explore",
        "tas",
        "--variant",
        "V01",
        "--seeds",
        "0..3",
        "-q",
    ]));
    for out in [&run, &explore] {
        assert!(!out.contains("us)"), "a time in microseconds:\n{out}");
        for word in out.split_whitespace() {
            let t = word.trim_end_matches([':', ',', ')', ']']);
            let seconds = t.ends_with('s')
                && !t.ends_with("ms")
                && t[..t.len() - 1].parse::<f64>().is_ok()
                && t.contains('.');
            assert!(!seconds, "`{word}` is in seconds, not ms:\n{out}");
        }
    }
    assert!(run.contains(" ms: "), "the violation's time:\n{run}");
    assert!(run.contains("simulated "), "{run}");
}
