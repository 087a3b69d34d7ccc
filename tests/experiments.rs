//! The lecture experiments from the command line (`experiment NAME --quick`): every claim is
//! reproduced by its numbers, and each writes a well-formed SVG plot with its axes labelled
//! and one line of data per series, a CSV table and the JSON of what it measured.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn splitbrain(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_splitbrain"))
        .args(args)
        .output()
        .expect("the splitbrain binary runs")
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("splitbrain-experiments-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("clean scratch dir");
    }
    dir
}

const NAMES: [&str; 7] = [
    "leader-load",
    "slow-replica",
    "craq-reads",
    "read-scaling",
    "dueling-proposers",
    "split-brain",
    "herd-effect",
];

/// The plot: an `<svg>` root, its title, both axis labels as text, and for every series of
/// the JSON a polyline with at least two points.
fn check_svg(dir: &Path, name: &str, outcome: &serde_json::Value) {
    let text = std::fs::read_to_string(dir.join(format!("{name}.svg"))).expect("svg written");
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{name}.svg is not well-formed XML: {e}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg", "{name}");
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .collect();
    for axis in ["x_label", "y_label"] {
        let label = outcome[axis].as_str().unwrap();
        assert!(
            texts.contains(&label),
            "{name}.svg lacks its {axis} `{label}`"
        );
    }
    for line in outcome["lines"].as_array().unwrap() {
        let series = line["name"].as_str().unwrap();
        let poly = doc
            .descendants()
            .find(|n| n.has_tag_name("polyline") && n.attribute("data-series") == Some(series))
            .unwrap_or_else(|| panic!("{name}.svg has no line for `{series}`"));
        let points = poly.attribute("points").unwrap().split_whitespace().count();
        assert!(points >= 2, "{name}.svg: `{series}` has {points} points");
    }
}

/// The CSV: the JSON's columns as header, one line per row.
fn check_csv(dir: &Path, name: &str, outcome: &serde_json::Value) {
    let csv = std::fs::read_to_string(dir.join(format!("{name}.csv"))).expect("csv written");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let columns: Vec<&str> = outcome["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(header, columns, "{name}.csv header");
    assert_eq!(
        lines.count(),
        outcome["rows"].as_array().unwrap().len(),
        "{name}.csv rows"
    );
}

#[test]
fn every_experiment_shows_its_claim_and_writes_plot_table_and_numbers() {
    let dir = scratch();
    let out = splitbrain(&[
        "experiment",
        "all",
        "--quick",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in NAMES {
        assert!(
            stdout.contains(&format!("== {name}: ")),
            "{name} not run:\n{stdout}"
        );
        let json = std::fs::read_to_string(dir.join(format!("{name}.json"))).expect("json written");
        let outcome: serde_json::Value = serde_json::from_str(&json).expect("json parses");
        assert_eq!(outcome["holds"], true, "{name}: {}", outcome["finding"]);
        assert!(outcome["finding"]
            .as_str()
            .unwrap()
            .contains("the claim holds"));
        check_svg(&dir, name, &outcome);
        check_csv(&dir, name, &outcome);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_experiments_are_listed_and_an_unknown_one_is_a_usage_error() {
    let list = splitbrain(&["experiment"]);
    let text = String::from_utf8_lossy(&list.stdout);
    assert_eq!(list.status.code(), Some(0));
    for name in NAMES {
        assert!(text.contains(name), "{name} not listed:\n{text}");
    }
    let bad = splitbrain(&["experiment", "herd"]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("unknown experiment `herd`") && err.contains("leader-load"),
        "{err}"
    );
}
