//! Long work is never silent (issue 16, class 4): without a terminal, `explore`, `check`,
//! `shrink` and `bench` print progress lines on stderr; output paths are checked before the
//! run and named as given; Ctrl-C during `explore` prints the partial summary and keeps the
//! checkpoint.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// Runs with stderr a pipe (not a terminal) and a short heartbeat interval.
fn splitbrain(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_splitbrain"))
        .args(args)
        .env("SPLITBRAIN_HEARTBEAT_MS", "20")
        .output()
        .expect("runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("splitbrain-long-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn without_a_terminal_long_commands_print_progress_lines() {
    let dir = scratch("beat");
    let history = dir.join("h.json");
    std::fs::write(
        &history,
        r#"{"schema_version": 1, "model": "kv", "ops": [
        {"client": "C1", "call_us": 1, "ret_us": 2, "status": "ok", "op": {"f": "put", "key": "k", "value": "v"}, "out": {"r": "done"}}]}"#,
    )
    .unwrap();
    let repro = dir.join("r.json");
    let cases: [(&[&str], &str, &str); 4] = [
        (
            &["explore", "tas", "--seeds", "0..30"],
            "explore: 30 seeds to run",
            "explore: 30/30 seeds, 0 failed",
        ),
        (
            &["check", history.to_str().unwrap()],
            "check: 1 files to run",
            "check: 1/1 files, 0 failed",
        ),
        (
            &[
                "shrink",
                "tas",
                "--variant",
                "V01",
                "--seed",
                "0",
                "--max-runs",
                "40",
                "-o",
                repro.to_str().unwrap(),
            ],
            "shrink: 40 runs (at most) to run",
            "shrink: ",
        ),
        (
            &["bench", "kernel", "--events", "2000", "--trials", "2"],
            "bench kernel: 2 trials to run",
            "bench kernel: 2/2 trials",
        ),
    ];
    for (args, first, last) in cases {
        let o = splitbrain(args);
        let err = stderr(&o);
        assert!(o.status.success(), "{args:?}: {err}");
        let lines: Vec<&str> = err.lines().collect();
        assert!(
            lines.first().is_some_and(|l| l.starts_with(first)),
            "{args:?}: {err}"
        );
        assert!(
            lines.last().is_some_and(|l| l.starts_with(last)),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn an_unwritable_output_is_refused_before_any_seed_runs_and_named_as_given() {
    let dir = scratch("unwritable");
    let missing = dir.join("no-such-folder").join("report.json");
    let taken = dir.join("a-folder");
    std::fs::create_dir_all(&taken).unwrap();
    for (flag, path) in [("-o", &missing), ("--junit", &taken), ("-o", &taken)] {
        let o = splitbrain(&[
            "explore",
            "tas",
            "--seeds",
            "0..100000",
            flag,
            path.to_str().unwrap(),
        ]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{flag} {}: {err}", path.display());
        assert!(
            err.contains(&format!("{flag} {}: cannot write", path.display())),
            "{err}"
        );
        assert!(
            !err.contains(".tmp") && !err.contains("seeds to run"),
            "{err}"
        );
        assert!(o.stdout.is_empty(), "nothing ran");
    }
}

#[test]
fn ctrl_c_during_explore_prints_the_partial_summary_and_keeps_the_checkpoint() {
    let dir = scratch("sigint");
    let ck = dir.join("ck.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_splitbrain"))
        .args([
            "explore",
            "raft",
            "--seeds",
            "0..1000000",
            "-j",
            "1",
            "--resume",
            ck.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    err.read_line(&mut first).unwrap();
    assert!(
        first.starts_with("explore: 1000000 seeds to run"),
        "{first}"
    );
    // SAFETY: sends SIGINT to the child this test started and still owns.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let o = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(130), "{out}");
    assert!(
        out.contains("interrupted: ") && out.contains("of 1000000 seeds finished"),
        "{out}"
    );
    assert!(out.contains("verdict: INTERRUPTED"), "{out}");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ck).unwrap()).unwrap();
    assert!(saved["done"].is_array(), "{saved}");
}
