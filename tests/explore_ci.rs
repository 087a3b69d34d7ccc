//! CI-facing behaviour of the CLI: JUnit output, shards merged into the unsharded report,
//! resumable checkpoints, and the regression corpus.

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

fn splitbrain(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_splitbrain"))
        .args(args)
        .output()
        .expect("runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("splitbrain-ci-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn json_file(path: &PathBuf) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn junit_has_one_case_with_failing_seeds_and_repro_commands() {
    let dir = scratch("junit");
    let xml_path = dir.join("junit.xml");
    let o = splitbrain(&[
        "explore",
        "tas",
        "--variant",
        "V01",
        "--seeds",
        "0..50",
        "--until-first",
        "--junit",
        xml_path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let xml = std::fs::read_to_string(&xml_path).unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert!(
        xml.contains("<testsuites ")
            && xml.contains("<testsuite ")
            && xml.trim_end().ends_with("</testsuites>")
    );
    assert_eq!(xml.matches("<testcase ").count(), 1);
    assert!(
        xml.contains("classname=\"tas.two-server\" name=\"tas-split\""),
        "{xml}"
    );
    assert!(xml.contains("tests=\"1\" failures=\"1\""));
    assert!(
        xml.contains("<failure message=")
            && xml.contains("reproduce: cargo run --release -- run tas --variant two-server"),
        "{xml}"
    );
    let pass_path = dir.join("pass.xml");
    splitbrain(&[
        "explore",
        "tas",
        "--variant",
        "majority",
        "--seeds",
        "0..20",
        "--junit",
        pass_path.to_str().unwrap(),
    ]);
    let pass = std::fs::read_to_string(&pass_path).unwrap();
    assert!(
        pass.contains("failures=\"0\"") && !pass.contains("<failure"),
        "{pass}"
    );
}

/// A report without its wall-clock time, the one field two runs cannot share.
fn without_wall_time(mut doc: Value) -> Value {
    doc.as_object_mut().unwrap().remove("wall_ms");
    doc
}

#[test]
fn the_merge_of_shards_is_the_unsharded_report_field_for_field() {
    for extra in [&[][..], &["--until-first"][..]] {
        merge_matches_unsharded(extra);
    }
}

/// Explores V01 over 0..60 whole and in three shards with `extra` flags; the merge of the
/// shards must equal the whole run's report and exit code.
fn merge_matches_unsharded(extra: &[&str]) {
    let dir = scratch(&format!("shards{}", extra.len()));
    let all = dir.join("all.json");
    let base = [
        &["explore", "tas", "--variant", "V01", "--seeds", "0..60"][..],
        extra,
    ]
    .concat();
    let whole = splitbrain(&[&base[..], &["-o", all.to_str().unwrap()]].concat());
    let mut parts = Vec::new();
    for k in 0..3 {
        let p = dir.join(format!("shard{k}.json"));
        let shard = format!("{k}/3");
        splitbrain(&[&base[..], &["--shard", &shard, "-o", p.to_str().unwrap()]].concat());
        parts.push(p);
    }
    let merged = dir.join("merged.json");
    let mut args = vec!["report", "merge"];
    args.extend(parts.iter().rev().map(|p| p.to_str().unwrap()));
    args.extend(["-o", merged.to_str().unwrap()]);
    let o = splitbrain(&args);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), whole.status.code(), "{extra:?}: {out}");
    assert_eq!(o.status.code(), Some(1), "V01 fails: so does the merge");
    assert!(out.contains("first failure: seed"), "{out}");
    assert_eq!(
        without_wall_time(json_file(&merged)),
        without_wall_time(json_file(&all)),
        "{extra:?}"
    );
}

#[test]
fn an_interrupted_explore_resumes_to_the_same_result() {
    let dir = scratch("resume");
    let ck = dir.join("ck.json");
    let full = dir.join("full.json");
    let resumed = dir.join("resumed.json");
    let base = [
        "explore",
        "tas",
        "--variant",
        "majority",
        "--seeds",
        "0..600",
    ];
    splitbrain(&[&base[..], &["-o", full.to_str().unwrap()]].concat());
    // A checkpoint as an interrupted run leaves it: the first chunk (512 seeds) done.
    splitbrain(&[&base[..], &["--resume", ck.to_str().unwrap()]].concat());
    let mut doc = json_file(&ck);
    doc["done"].as_array_mut().unwrap().truncate(512);
    std::fs::write(&ck, doc.to_string()).unwrap();
    let o = splitbrain(
        &[
            &base[..],
            &[
                "--resume",
                ck.to_str().unwrap(),
                "-o",
                resumed.to_str().unwrap(),
            ],
        ]
        .concat(),
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        json_file(&resumed)["per_seed"],
        json_file(&full)["per_seed"]
    );
    let wrong = splitbrain(&[
        "explore",
        "tas",
        "--variant",
        "majority",
        "--seeds",
        "0..10",
        "--resume",
        ck.to_str().unwrap(),
    ]);
    assert_eq!(
        wrong.status.code(),
        Some(2),
        "a checkpoint of other arguments is refused"
    );
}

#[test]
fn the_corpus_keeps_new_failures_shrunk_and_replays_them() {
    let dir = scratch("corpus");
    let corpus = dir.join("corpus");
    let o = splitbrain(&[
        "explore",
        "tas",
        "--variant",
        "V01",
        "--seeds",
        "0..100",
        "--until-first",
        "--corpus",
        corpus.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let files: Vec<_> = std::fs::read_dir(&corpus).unwrap().collect();
    assert_eq!(files.len(), 1, "one new failure saved");
    // The same failure again is not saved twice.
    splitbrain(&[
        "explore",
        "tas",
        "--variant",
        "V01",
        "--seeds",
        "0..100",
        "--until-first",
        "--corpus",
        corpus.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read_dir(&corpus).unwrap().count(), 1);
    let run = splitbrain(&["corpus", "run", corpus.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{out}");
    assert!(
        out.contains("STILL FAILS") && out.contains("1 still fail"),
        "{out}"
    );
    // "Fix" the bug: the same repro against the correct design.
    let path = std::fs::read_dir(&corpus)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let fixed = std::fs::read_to_string(&path)
        .unwrap()
        .replace("\"variant\": \"two-server\"", "\"variant\": \"majority\"");
    std::fs::write(&path, fixed).unwrap();
    let run = splitbrain(&["corpus", "run", corpus.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{out}");
    assert!(out.contains("fixed") && out.contains("1 fixed"), "{out}");
}

#[test]
fn replay_reproduces_and_shows_the_state_at_a_moment() {
    let dir = scratch("replay");
    let file = dir.join("v01.json");
    let o = splitbrain(&[
        "shrink",
        "tas",
        "--variant",
        "V01",
        "--scenario",
        "tas-split",
        "--seed",
        "0",
        "-o",
        file.to_str().unwrap(),
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("remaining faults:") && out.contains("partition"),
        "{out}"
    );
    let r = splitbrain(&["replay", file.to_str().unwrap(), "--state-at", "1ms"]);
    let out = String::from_utf8_lossy(&r.stdout);
    assert_eq!(r.status.code(), Some(1));
    assert!(out.contains("reproduced: yes"), "{out}");
    assert!(
        out.contains("state at 1.000 ms") && out.contains("S1") && out.contains("C2"),
        "{out}"
    );
}

#[test]
fn all_scenarios_spreads_the_budget_and_reports_each_scenario() {
    let dir = scratch("portfolio");
    let (json, xml) = (dir.join("p.json"), dir.join("p.xml"));
    let o = splitbrain(&[
        "explore",
        "tas",
        "--variant",
        "V01",
        "--all-scenarios",
        "--seeds",
        "0..40",
        "--until-first",
        "-o",
        json.to_str().unwrap(),
        "--junit",
        xml.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "V01 is found");
    let doc = json_file(&json);
    assert_eq!(doc["kind"], "portfolio");
    let parts = doc["scenarios"].as_array().unwrap();
    let names: Vec<&str> = parts
        .iter()
        .map(|p| p["scenario"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "tas-swarm", "the swarm first: {names:?}");
    assert!(names.contains(&"tas-split"), "{names:?}");
    assert_eq!(parts[0]["seeds"]["to"], 20, "the swarm's half of 40");
    let found = parts.iter().find(|p| p["scenario"] == "tas-split").unwrap();
    assert!(found["failed"].as_u64().unwrap() > 0);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("reproduce: cargo run --release -- run tas --variant two-server --scenario tas-split --seed"),
        "{text}"
    );
    let xml = std::fs::read_to_string(&xml).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), parts.len());
    assert!(xml.contains("name=\"tas-split\""));
    let pass = splitbrain(&[
        "explore",
        "tas",
        "--all-scenarios",
        "--seeds",
        "0..8",
        "--json",
    ]);
    let doc: Value = serde_json::from_slice(&pass.stdout).unwrap();
    assert_eq!(doc["variant"], "single");
    assert!(
        doc["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["scenario"] == "tas-split-explicit"),
        "one server cannot run a schedule naming S2: {doc}"
    );
    let refused = splitbrain(&["explore", "tas", "--all-scenarios", "--shard", "0/2"]);
    assert_eq!(refused.status.code(), Some(2));
}
