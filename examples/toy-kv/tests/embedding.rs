//! The toy service checked the two ways a user's crate checks its protocol: a plain `#[test]`
//! through `splitbrain::testing`, and the whole command line from its own `main` (`toykv`).

use splitbrain::scenarios::repro::Repro;
use splitbrain::scenarios::Scenario;
use splitbrain::testing::Check;
use splitbrain_example_toykv::entry as toykv_entry;
use std::path::PathBuf;
use std::process::{Command, Output};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("toykv-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// What a user writes: the test fails, and its message says how to reproduce.
#[test]
#[should_panic(expected = "splitbrain found a failing seed: toykv")]
fn a_plain_test_of_the_broken_service_fails() {
    Check::new(toykv_entry())
        .scenario("generic-crashes")
        .seeds(0..20)
        .shrink_runs(200)
        .repro_dir(scratch("plain"))
        .run();
}

#[test]
fn the_failure_names_the_seed_the_check_a_shrunk_repro_and_the_replay_command() {
    let dir = scratch("failure");
    let failure = Check::new(toykv_entry())
        .scenario("generic-partitions")
        .seeds(0..60)
        .shrink_runs(400)
        .repro_dir(&dir)
        .try_run()
        .expect_err("split brain under partitions");
    let text = failure.to_string();
    assert!(failure.seeds == (0..60) && failure.seed < 60, "{text}");
    assert!(
        text.contains(&format!("seed {} of 0..60", failure.seed)),
        "{text}"
    );
    assert_eq!(failure.check, "linearizability", "{text}");
    assert!(text.contains("check:   linearizability"), "{text}");
    assert!(
        text.contains("cannot be placed"),
        "the checker's words: {text}"
    );
    let (before, after) = failure.shrunk;
    assert!(after.ops <= before.ops && after.ops > 0, "{text}");
    // The repro file exists, names the protocol, and replays to the same failure.
    assert!(failure
        .repro
        .starts_with(std::fs::canonicalize(&dir).unwrap()));
    assert!(
        text.contains(&format!("repro:   {}", failure.repro.display())),
        "{text}"
    );
    let repro = Repro::from_file(&failure.repro).expect("a repro file");
    assert_eq!(repro.protocol, "toykv");
    assert_eq!(repro.seed, failure.seed);
    // The one command: this test, with the repro to replay.
    let test = "the_failure_names_the_seed_the_check_a_shrunk_repro_and_the_replay_command";
    let replay = format!("SPLITBRAIN_REPLAY={} cargo test", failure.repro.display());
    assert!(failure.replay.starts_with(&replay), "{}", failure.replay);
    // `-p PACKAGE` is the CARGO_PKG_NAME cargo sets when it runs a test. The test binary run by
    // hand (target/release/deps/embedding-…) has none, and then the command names no package
    // (cargo runs the test's name in every package of the workspace): nothing else knows it.
    let under_cargo = std::env::var_os("CARGO_PKG_NAME").is_some();
    assert_eq!(
        failure.replay.contains(" -p splitbrain-example-toykv "),
        under_cargo,
        "{}",
        failure.replay
    );
    assert_eq!(
        failure.replay.contains(" -p "),
        under_cargo,
        "{}",
        failure.replay
    );
    assert!(
        failure.replay.ends_with(&format!("{test} -- --exact")),
        "{}",
        failure.replay
    );
    assert!(
        text.ends_with(&format!("replay:  {}", failure.replay)),
        "{text}"
    );
    // Replaying runs the file exactly and fails the same way.
    let again = Check::new(toykv_entry())
        .replay(&failure.repro)
        .try_run()
        .expect_err("the repro still fails");
    assert_eq!(
        (again.seed, again.check.as_str()),
        (failure.seed, "linearizability")
    );
}

/// Without faults the toy is linearizable: the check can pass, so its failures mean something.
#[test]
fn without_faults_the_toy_passes_its_check() {
    let quiet = r#"{"name": "toy-quiet", "clients": 3, "safety_ms": 2000, "liveness_ms": 500,
        "workload": {"kind": "kv", "keys": 3}}"#;
    let scenario = Scenario::from_json(quiet, "toy-quiet").expect("parses");
    let passed = Check::new(toykv_entry())
        .with_scenario(scenario)
        .seeds(0..20)
        .run();
    assert_eq!(passed.seeds, 0..20);
}

fn toykv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_toykv"))
        .args(args)
        .output()
        .expect("the toykv binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_embedded_command_line_lists_runs_explores_shrinks_and_replays_the_toy() {
    let list = stdout(&toykv(&["list"]));
    assert!(list.contains("toykv: Toy primary/backup"), "{list}");
    assert!(
        list.contains("raft:") && list.contains("generic-swarm"),
        "{list}"
    );

    let target = ["toykv", "--scenario", "generic-partitions"];
    let explore = toykv(&[&["explore"][..], &target, &["--seeds", "0..40", "-q"]].concat());
    let text = stdout(&explore);
    assert_eq!(explore.status.code(), Some(1), "{text}");
    assert!(text.contains("first failure: seed"), "{text}");
    assert!(
        text.contains("--bin toykv -- run toykv"),
        "the repro command: {text}"
    );
    let seed = text
        .split("first failure: seed ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .expect("a failing seed")
        .to_string();

    let run = toykv(&[&["run"][..], &target, &["--seed", &seed]].concat());
    assert_eq!(run.status.code(), Some(1), "{}", stdout(&run));
    assert!(stdout(&run).contains("linearizability"), "{}", stdout(&run));
    let same = toykv(&[&["check-determinism"][..], &target, &["--seed", &seed]].concat());
    assert_eq!(same.status.code(), Some(0), "{}", stdout(&same));

    let dir = scratch("cli");
    let file = dir.join("toy.json");
    let file = file.to_str().expect("utf-8 path");
    let shrink = toykv(
        &[
            &["shrink"][..],
            &target,
            &["--seed", &seed, "-o", file, "-q"],
        ]
        .concat(),
    );
    assert_eq!(shrink.status.code(), Some(0), "{}", stdout(&shrink));
    assert!(
        stdout(&shrink).contains(&format!("replay {file}")),
        "{}",
        stdout(&shrink)
    );
    let html = dir.join("toy.html");
    let replay = toykv(&["replay", file, "--html", html.to_str().unwrap()]);
    assert!(
        stdout(&replay).contains("reproduced: yes"),
        "{}",
        stdout(&replay)
    );
    assert!(std::fs::read_to_string(&html).unwrap().contains("toykv"));
}

#[test]
fn the_embedded_command_line_benchmarks_the_toy_on_the_generic_swarm() {
    let bench = toykv(&[
        "bench", "toykv", "--seeds", "0..4", "-j", "1", "--json", "-q",
    ]);
    let text = stdout(&bench);
    assert_eq!(bench.status.code(), Some(0), "{text}");
    let figures: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(figures["scenario"], "generic-swarm");
    assert_eq!(figures["seeds"], 4);
}
