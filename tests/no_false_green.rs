//! No false green (issue 16, class 1): `report merge` refuses shards that do not cover the
//! range exactly once or come from different explorations, carries every field (a vacuous
//! shard stays vacuous), and exits as the unsharded run; an empty corpus, an empty history
//! and a document of an unknown `schema_version` are bad input, never a pass.

use serde_json::Value;
use std::path::{Path, PathBuf};
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
    let dir = std::env::temp_dir().join(format!("splitbrain-green-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Explores `tas --variant majority` over `seeds`, shard `shard` (if any), into `out`.
fn explore(scenario: &str, seeds: &str, shard: Option<&str>, out: &Path) -> Output {
    let mut args = vec![
        "explore",
        "tas",
        "--variant",
        "majority",
        "--scenario",
        scenario,
        "--seeds",
        seeds,
        "-o",
    ];
    args.push(path(out));
    if let Some(s) = shard {
        args.extend(["--shard", s]);
    }
    splitbrain(&args)
}

fn merge(files: &[&Path]) -> Output {
    let mut args = vec!["report", "merge"];
    args.extend(files.iter().map(|p| path(p)));
    splitbrain(&args)
}

#[test]
fn a_merge_refuses_a_missing_a_repeated_or_a_foreign_shard() {
    let dir = scratch("shards");
    let (a, b) = (dir.join("a.json"), dir.join("b.json"));
    explore("tas-split", "0..20", Some("0/2"), &a);
    explore("tas-split", "0..20", Some("1/2"), &b);
    assert_eq!(merge(&[&a, &b]).status.code(), Some(0));

    let one = merge(&[&a]);
    assert_eq!(one.status.code(), Some(2), "{}", text(&one));
    assert!(
        text(&one).contains("shard 1/2 is missing"),
        "{}",
        text(&one)
    );

    let twice = merge(&[&a, &a]);
    assert_eq!(twice.status.code(), Some(2), "{}", text(&twice));
    assert!(
        text(&twice).contains("already given by"),
        "{}",
        text(&twice)
    );

    let other = dir.join("other.json");
    explore("tas-split", "20..40", Some("1/2"), &other);
    let glued = merge(&[&a, &other]);
    assert_eq!(glued.status.code(), Some(2), "{}", text(&glued));
    assert!(text(&glued).contains("field `seeds`"), "{}", text(&glued));

    let swarm = dir.join("swarm.json");
    explore("tas-swarm", "0..20", Some("1/2"), &swarm);
    let mixed = merge(&[&a, &swarm]);
    assert_eq!(mixed.status.code(), Some(2), "{}", text(&mixed));
    assert!(
        text(&mixed).contains("field `scenario`"),
        "{}",
        text(&mixed)
    );
}

#[test]
fn shards_that_are_vacuous_merge_to_a_vacuous_failure() {
    let dir = scratch("vacuous");
    let scenario = dir.join("never.json");
    std::fs::write(
        &scenario,
        r#"{"name": "never", "clients": 2, "safety_ms": 200, "workload": {"kind": "lock"},
            "sometimes": ["a-mark-no-protocol-sets"]}"#,
    )
    .unwrap();
    let (a, b, all) = (dir.join("a.json"), dir.join("b.json"), dir.join("all.json"));
    let whole = explore(path(&scenario), "0..10", None, &all);
    assert_eq!(whole.status.code(), Some(1), "{}", text(&whole));
    assert_eq!(
        explore(path(&scenario), "0..10", Some("0/2"), &a)
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        explore(path(&scenario), "0..10", Some("1/2"), &b)
            .status
            .code(),
        Some(1)
    );
    let merged_file = dir.join("merged.json");
    let o = splitbrain(&[
        "report",
        "merge",
        path(&a),
        path(&b),
        "-o",
        path(&merged_file),
    ]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("never reached") && out.contains("VACUOUS"),
        "{out}"
    );
    let merged: Value =
        serde_json::from_str(&std::fs::read_to_string(&merged_file).unwrap()).unwrap();
    assert_eq!(merged["unreached_sometimes"][0], "a-mark-no-protocol-sets");
    assert_eq!(merged["failed"], 0);
}

#[test]
fn an_empty_corpus_is_bad_input() {
    let dir = scratch("corpus");
    let o = splitbrain(&["corpus", "run", path(&dir)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no repro files"), "{}", text(&o));
}

#[test]
fn an_empty_history_is_bad_input_in_every_format_unless_allowed() {
    let dir = scratch("empty");
    for name in ["h.json", "h.log", "h.edn"] {
        let file = dir.join(name);
        std::fs::write(&file, "").unwrap();
        let o = splitbrain(&["check", "--model", "kv", path(&file)]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", text(&o));
        assert!(text(&o).contains("no operations"), "{name}: {}", text(&o));
        let o = splitbrain(&["check", "--model", "kv", "--allow-empty", path(&file)]);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", text(&o));
    }
    let no_ops = dir.join("no-ops.json");
    std::fs::write(
        &no_ops,
        r#"{"schema_version": 1, "model": "kv", "ops": []}"#,
    )
    .unwrap();
    assert_eq!(splitbrain(&["check", path(&no_ops)]).status.code(), Some(2));
}

#[test]
fn documents_of_an_unknown_schema_version_are_refused() {
    let dir = scratch("schema");
    let report = dir.join("r.json");
    explore("tas-split", "0..4", None, &report);
    let doc = std::fs::read_to_string(&report).unwrap();
    let future = dir.join("future.json");
    std::fs::write(
        &future,
        doc.replacen("\"schema_version\": 2", "\"schema_version\": 9", 1),
    )
    .unwrap();
    let o = merge(&[&future]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("field `schema_version`: unknown version 9"),
        "{}",
        text(&o)
    );

    let corpus = dir.join("corpus");
    std::fs::create_dir_all(&corpus).unwrap();
    let repro = corpus.join("repro.json");
    let shrunk = splitbrain(&[
        "shrink",
        "tas",
        "--variant",
        "V01",
        "--seed",
        "0",
        "-o",
        path(&repro),
    ]);
    assert_eq!(shrunk.status.code(), Some(0), "{}", text(&shrunk));
    let text_of = std::fs::read_to_string(&repro).unwrap();
    std::fs::write(
        &repro,
        text_of.replacen("\"schema_version\": 1", "\"schema_version\": 7", 1),
    )
    .unwrap();
    for args in [
        vec!["replay", path(&repro)],
        vec!["corpus", "run", path(&corpus)],
    ] {
        let o = splitbrain(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(
            text(&o).contains("unknown version 7"),
            "{args:?}: {}",
            text(&o)
        );
    }
}
