//! Report files from the command line: the HTML of a 10-simulated-second, 5-server run stays
//! under 5 MB, report files are replaced whole (no temporary file left beside them), a report
//! that cannot be written is a usage error, and `run --timeline` prints aligned columns.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn splitbrain(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_splitbrain"))
        .args(args)
        .output()
        .expect("the splitbrain binary runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("splitbrain-reports-{}-{name}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("clean scratch dir");
    }
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Ten simulated seconds (8 s of faults, 2 s of liveness) on 5 servers and 5 clients.
const LONG: &str = r#"{
  "name": "tas-long-5",
  "description": "10 simulated seconds on 5 servers: the report size bound",
  "protocol": "tas",
  "servers": 5,
  "clients": 5,
  "safety_ms": 8000,
  "liveness_ms": 2000,
  "generator": {
    "rates": {"partition": 1.5, "crash": 1.0, "pause": 0.5, "clock": 0.5, "link": 0.5,
              "slow": 0.5},
    "mean_fault_ms": 250
  },
  "workload": {"kind": "lock"}
}"#;

#[test]
fn a_ten_second_five_server_report_stays_under_5_mb_and_leaves_no_temporary_file() {
    let dir = scratch("long");
    let scenario = dir.join("long.json");
    std::fs::write(&scenario, LONG).unwrap();
    let html = dir.join("long.html");
    let json = dir.join("long-result.json");
    let o = splitbrain(&[
        "run",
        "tas",
        "--variant",
        "majority",
        "--scenario",
        scenario.to_str().unwrap(),
        "--seed",
        "1",
        "--html",
        html.to_str().unwrap(),
        "-o",
        json.to_str().unwrap(),
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("simulated 10000.000 ms"), "{out}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.len() <= 5_000_000,
        "the report is {} bytes",
        page.len()
    );
    assert!(page.ends_with("</html>\n"));
    assert!(
        page.contains("id=\"thinning\""),
        "a trace this long is thinned, visibly"
    );
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap())
        .expect("the result file is whole JSON");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["servers"], 5);
    assert_eq!(
        files_in(&dir),
        vec!["long-result.json", "long.html", "long.json"],
        "only the reports, no temporary files"
    );
}

#[test]
fn a_report_is_replaced_whole_and_an_unwritable_one_is_a_usage_error() {
    let dir = scratch("replace");
    let html = dir.join("r.html");
    std::fs::write(&html, "old contents that are longer than nothing at all").unwrap();
    let args = |path: &Path| {
        splitbrain(&[
            "run",
            "tas",
            "--variant",
            "two-server",
            "--seed",
            "0",
            "--html",
            path.to_str().unwrap(),
        ])
    };
    let o = args(&html);
    assert_eq!(o.status.code(), Some(1), "V01 seed 0 fails");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>\n"));
    assert_eq!(files_in(&dir), vec!["r.html"]);

    let missing = dir.join("no-such-dir").join("r.html");
    let o = args(&missing);
    assert_eq!(
        o.status.code(),
        Some(2),
        "a report that cannot be written is exit 2"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot write"));
    assert!(!missing.exists());
}

#[test]
fn the_timeline_prints_one_aligned_line_per_event() {
    let o = splitbrain(&[
        "run",
        "tas",
        "--variant",
        "two-server",
        "--scenario",
        "tas-split-explicit",
        "--seed",
        "0",
        "--timeline",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.trim_start().starts_with("time  node"))
        .expect("a header line");
    let cols: Vec<usize> = ["node", "kind", "peer", "label"]
        .iter()
        .map(|c| lines[header].find(c).unwrap())
        .collect();
    let kinds = [
        "deliver",
        "duplicate",
        "drop",
        "cut",
        "lost-at-down",
        "timer",
        "fault",
        "crash",
        "restart",
        "invoke",
        "return",
        "view",
        "mark",
        "sync",
        "violation",
    ];
    let mut events = 0;
    let mut seen_cut = false;
    for l in &lines[header + 1..] {
        if !l.starts_with(|c: char| c == ' ' || c.is_ascii_digit()) {
            break; // the run summary follows the timeline
        }
        events += 1;
        // The time column is s.ms.us, right-aligned to end just before the node column.
        let time = l[..cols[0]].trim();
        let parts: Vec<&str> = time.split('.').collect();
        assert_eq!(parts.len(), 3, "{l}");
        assert!(parts[1].len() == 3 && parts[2].len() == 3, "{l}");
        let field = |i: usize| l[cols[i]..].split_whitespace().next().unwrap_or("");
        assert!(
            field(0) == "-" || field(0).starts_with(['S', 'C']),
            "node column: {l}"
        );
        assert!(kinds.contains(&field(1)), "kind column: {l}");
        seen_cut |= field(1) == "cut";
        assert!(
            l.as_bytes()[cols[1] - 1] == b' ' && l.as_bytes()[cols[2] - 1] == b' ',
            "columns are separated: {l}"
        );
    }
    assert!(events > 1_000, "one line per event ({events})");
    assert!(seen_cut, "the partition's cut messages are listed");
    assert!(out.contains("violation") && out.contains("mutual exclusion"));
}

#[test]
fn the_timeline_and_json_output_cannot_be_mixed() {
    let o = splitbrain(&["run", "tas", "--seed", "0", "--timeline", "--json"]);
    assert_eq!(o.status.code(), Some(2));
}
