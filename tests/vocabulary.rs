//! One vocabulary (issue 16, class 5): the printed `reproduce:` line works when pasted, bare
//! `splitbrain` says what it is doing first, and the README tour runs as written. (That every
//! option is documented and means the same everywhere is a unit test of the parser.)

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_splitbrain");

fn splitbrain(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A printed command with the program replaced by the binary under test.
fn paste(line: &str) -> Vec<String> {
    let rest = line
        .strip_prefix("cargo run --release -- ")
        .unwrap_or_else(|| panic!("`{line}` does not start with the cargo invocation"));
    rest.split_whitespace().map(str::to_string).collect()
}

#[test]
fn the_printed_reproduce_line_reruns_the_same_world() {
    let o = splitbrain(&["run", "tas", "--variant", "V01", "--seed", "0", "--json"]);
    let doc: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", text(&o)));
    let args = paste(doc["repro"].as_str().unwrap());
    let again = Command::new(BIN)
        .args(&args)
        .arg("--json")
        .output()
        .unwrap();
    let redo: serde_json::Value =
        serde_json::from_slice(&again.stdout).unwrap_or_else(|_| panic!("{}", text(&again)));
    assert_eq!(redo["trace_hash"], doc["trace_hash"]);
    assert_eq!(redo["outcome"], "violation");

    let explore = splitbrain(&[
        "explore",
        "tas",
        "--variant",
        "V01",
        "--seeds",
        "0..50",
        "--until-first",
    ]);
    let out = String::from_utf8_lossy(&explore.stdout).into_owned();
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix("reproduce: "))
        .unwrap_or_else(|| panic!("{out}"));
    let again = Command::new(BIN).args(paste(line)).output().unwrap();
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
}

#[test]
fn bare_splitbrain_says_first_that_it_runs_the_campaign() {
    let mut child = Command::new(BIN)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    child.kill().unwrap(); // the campaign itself takes minutes
    let _ = child.wait();
    assert!(
        first.contains("default campaign") && first.contains("--help"),
        "{first}"
    );
}

/// The commands of the README's tour, one per entry, continuation lines joined.
fn tour() -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("## A short tour")
        .expect("the README has a tour");
    let block = &readme[start..];
    let block = &block[block.find("```sh").unwrap() + 5..];
    let block = &block[..block.find("```").unwrap()];
    let joined = block.replace("\\\n", " ");
    joined
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_readme_tour_runs_as_written() {
    let scratch = std::env::temp_dir().join(format!("splitbrain-tour-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let commands = tour();
    assert!(commands.len() >= 10, "{commands:?}");
    for command in commands {
        let local = command.replace("/tmp/", &format!("{}/", scratch.display()));
        let args = paste(&local);
        if let Some(shared) = args.iter().find(|a| a.starts_with("../shared/")) {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(shared);
            if !path.exists() {
                eprintln!("note: {shared} is not here; that tour step is skipped");
                continue;
            }
        }
        let o = Command::new(BIN)
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        let code = o.status.code();
        assert!(
            matches!(code, Some(0 | 1)),
            "`{command}` exited {code:?}: {}",
            text(&o)
        );
        assert!(!text(&o).contains("error:"), "`{command}`: {}", text(&o));
    }
}

/// A failure found with a non-default cluster size prints reproduce and shrink lines that
/// carry `--servers`, and the reproduce line reruns that very world (the swarm draws its
/// shape from the seed, so the seed and the flags are the whole run).
#[test]
fn a_failure_found_with_servers_reproduces_from_the_printed_line() {
    let explore = splitbrain(&[
        "explore",
        "paxos",
        "--variant",
        "P02",
        "--scenario",
        "paxos-swarm",
        "--servers",
        "4",
        "--seeds",
        "0..50",
        "--until-first",
        "-q",
    ]);
    let out = String::from_utf8_lossy(&explore.stdout).into_owned();
    let line = |prefix: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` in {out}"))
            .trim()
            .to_string()
    };
    let (repro, shrink) = (line("reproduce: "), line("shrink: "));
    assert!(repro.contains("--servers 4"), "{repro}");
    assert!(shrink.contains("--servers 4"), "{shrink}");
    let again = Command::new(BIN)
        .args(paste(&repro))
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    let doc: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(doc["servers"], 4);
    assert_eq!(doc["outcome"], "violation");
    // Without the flag the seed runs another world (its own drawn cluster size).
    let mut bare = paste(&repro);
    let at = bare.iter().position(|a| a == "--servers").unwrap();
    bare.drain(at..at + 2);
    let other = Command::new(BIN)
        .args(&bare)
        .arg("--json")
        .output()
        .unwrap();
    let other: serde_json::Value = serde_json::from_slice(&other.stdout).unwrap();
    assert_ne!(other["trace_hash"], doc["trace_hash"]);
}

/// A failing mutant of guided exploration reproduces from what the report keeps of it: its
/// root seed, the fault kinds forced on that seed and its mutation chain (the printed line is
/// built from these fields, `explore_report::tests`).
#[test]
fn a_guided_mutant_reproduces_from_its_seed_kinds_and_mutations() {
    let explore = splitbrain(&[
        "explore",
        "tas",
        "--variant",
        "V01",
        "--scenario",
        "tas-swarm",
        "--guided",
        "--seeds",
        "0..128",
        "--json",
        "-q",
    ]);
    let doc: serde_json::Value =
        serde_json::from_slice(&explore.stdout).unwrap_or_else(|_| panic!("{}", text(&explore)));
    let mutant = doc["per_seed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["mutations"].is_string() && s["outcome"] == "violation")
        .unwrap_or_else(|| panic!("no failing mutant in {doc}"));
    let seed = mutant["from_seed"].as_u64().unwrap().to_string();
    let mut args = vec![
        "run",
        "tas",
        "--variant",
        "V01",
        "--scenario",
        "tas-swarm",
        "--seed",
        &seed,
        "--mutations",
        mutant["mutations"].as_str().unwrap(),
        "--json",
    ];
    if let Some(k) = mutant["fault_kinds"].as_str() {
        args.extend(["--fault-kinds", k]);
    }
    let again = splitbrain(&args);
    let redo: serde_json::Value =
        serde_json::from_slice(&again.stdout).unwrap_or_else(|_| panic!("{}", text(&again)));
    assert_eq!(redo["trace_hash"], mutant["trace_hash"]);
    assert_eq!(redo["outcome"], "violation");
    // The run's own reproduce line keeps the mutations (without them it would pass).
    let repro = redo["repro"].as_str().unwrap();
    let want = format!("--mutations {}", mutant["mutations"].as_str().unwrap());
    assert!(repro.contains(&want), "{repro} lacks {want}");
}
