//! The per-file comparison with Porcupine (`--porcupine`): every file of
//! `porcupine/baseline-porcupine.tsv`, our verdict time against Porcupine's own.
//!
//! Ours: `decide` (validation included, no evidence), the best of `rounds` runs taken in
//! interleaved rounds (every file once per round), so a burst of other work on the
//! machine slows one round, not one file. Porcupine's: the best figure the table has for
//! the file (the smaller of its two runs' minimums, over both kv models), parsing
//! excluded as in ours.

use std::collections::BTreeMap;
use std::path::Path;

use splitbrain_checkers::{decide, read_history_file, CheckOptions, History, ModelKind, Stopwatch};

/// One file: our verdict, our best time and Porcupine's best time (ns).
struct Row {
    file: String,
    verdict: String,
    expected: String,
    ours_ns: u64,
    theirs_ns: u64,
}

/// Porcupine's best time per file (ns), from `baseline-porcupine.tsv`.
fn baseline(dir: &Path) -> BTreeMap<String, u64> {
    let path = dir.join("baseline-porcupine.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut best: BTreeMap<String, u64> = BTreeMap::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let c: Vec<&str> = line.split('\t').collect();
        let ms = |i: usize| {
            c.get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(f64::MAX)
        };
        let ns = (ms(7).min(ms(9)) * 1e6) as u64;
        let entry = best.entry(c[0].to_string()).or_insert(u64::MAX);
        *entry = (*entry).min(ns);
    }
    best
}

/// Prints the table and returns true if every file is no slower than Porcupine's time and
/// every verdict is the expected one.
pub fn compare(dir: &Path, rounds: usize) -> bool {
    let theirs = baseline(dir);
    let table = std::fs::read_to_string(dir.join("expected.tsv")).expect("expected.tsv");
    let opts = CheckOptions {
        evidence: false,
        ..CheckOptions::default()
    };
    let mut files: Vec<(Row, History, ModelKind)> = Vec::new();
    for line in table.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let c: Vec<&str> = line.split('\t').collect();
        let Some(&theirs_ns) = theirs.get(c[0]) else {
            continue;
        };
        let model: ModelKind = c[1].parse().expect("model in expected.tsv");
        let h = read_history_file(&dir.join(c[0]), None, model).unwrap_or_else(|e| panic!("{e}"));
        let row = Row {
            file: c[0].to_string(),
            verdict: String::new(),
            expected: c[2].to_string(),
            ours_ns: u64::MAX,
            theirs_ns,
        };
        files.push((row, h, model));
    }
    for _ in 0..rounds.max(1) {
        for (row, h, model) in &mut files {
            let sw = Stopwatch::start();
            let d = decide(h, *model, &opts);
            row.ours_ns = row.ours_ns.min(sw.elapsed_ns());
            row.verdict = d.verdict.word().to_string();
        }
    }
    print_rows(files.iter().map(|(r, _, _)| r).collect(), rounds)
}

fn print_rows(rows: Vec<&Row>, rounds: usize) -> bool {
    let us = |ns: u64| ns as f64 / 1000.0;
    println!("per file, best of {rounds} interleaved rounds (verdict only, microseconds)");
    println!(
        "{:<22} {:<17} {:>10} {:>12} {:>7}",
        "file", "verdict", "ours", "porcupine", "ratio"
    );
    let (mut ours, mut theirs, mut slower, mut wrong) = (0, 0, 0, 0);
    for r in &rows {
        let mut note = String::new();
        if r.verdict != r.expected {
            wrong += 1;
            note = format!("  MISMATCH (expected {})", r.expected);
        } else if r.ours_ns > r.theirs_ns {
            slower += 1;
            note = "  SLOWER".to_string();
        }
        let ratio = r.ours_ns as f64 / r.theirs_ns.max(1) as f64;
        println!(
            "{:<22} {:<17} {:>10.1} {:>12.1} {:>7.3}{note}",
            r.file,
            r.verdict,
            us(r.ours_ns),
            us(r.theirs_ns),
            ratio
        );
        ours += r.ours_ns;
        theirs += r.theirs_ns;
    }
    println!(
        "{} files: ours {:.3} ms in all, Porcupine {:.3} ms; {slower} slower than Porcupine, \
         {wrong} verdicts wrong",
        rows.len(),
        us(ours) / 1000.0,
        us(theirs) / 1000.0
    );
    slower == 0 && wrong == 0
}
