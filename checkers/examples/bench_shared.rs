//! Times the checker on every file listed in the shared `expected.tsv` tables.
//!
//! `cargo run --release -p splitbrain-checkers --example bench_shared -- [ROUNDS]`
//! (the histories folder comes from `$SPLITBRAIN_HISTORIES`, else `../shared/histories`
//! beside the repository). Prints each file's best check time over the rounds, the
//! per-folder totals, the five slowest files and any verdict that differs from the table.

use std::path::{Path, PathBuf};

use splitbrain_checkers::{check_history, read_history_file, CheckOptions, ModelKind, Stopwatch};

fn histories() -> PathBuf {
    if let Ok(p) = std::env::var("SPLITBRAIN_HISTORIES") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/histories")
}

struct Row {
    folder: String,
    file: String,
    best_us: u64,
    ok: bool,
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    let root = histories();
    let mut rows = Vec::new();
    for folder in ["porcupine", "knossos"] {
        let table =
            std::fs::read_to_string(root.join(folder).join("expected.tsv")).expect("expected.tsv");
        for line in table.lines().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            let model: ModelKind = cols[1].parse().expect("model");
            let path = root.join(folder).join(cols[0]);
            let h = read_history_file(&path, None, model).expect("read");
            let mut best = u64::MAX;
            let mut verdict = String::new();
            for _ in 0..rounds {
                let sw = Stopwatch::start();
                let r = check_history(&h, model, &CheckOptions::default());
                best = best.min(sw.elapsed_us());
                verdict = r.verdict.word().to_string();
            }
            let ok = verdict == cols[2];
            if !ok {
                println!(
                    "MISMATCH {folder}/{}: got {verdict}, expected {}",
                    cols[0], cols[2]
                );
            }
            rows.push(Row {
                folder: folder.into(),
                file: cols[0].into(),
                best_us: best,
                ok,
            });
        }
    }
    for folder in ["porcupine", "knossos"] {
        let t: u64 = rows
            .iter()
            .filter(|r| r.folder == folder)
            .map(|r| r.best_us)
            .sum();
        let n = rows.iter().filter(|r| r.folder == folder).count();
        println!("{folder}: {n} files, total {:.2} ms", t as f64 / 1000.0);
    }
    let total: u64 = rows.iter().map(|r| r.best_us).sum();
    println!(
        "all: {} files, total {:.2} ms",
        rows.len(),
        total as f64 / 1000.0
    );
    rows.sort_by_key(|r| std::cmp::Reverse(r.best_us));
    for r in rows.iter().take(5) {
        println!(
            "  slow: {}/{} {:.3} ms",
            r.folder,
            r.file,
            r.best_us as f64 / 1000.0
        );
    }
    if let Some(r) = rows.iter().find(|r| r.file.ends_with("etcd_002.log")) {
        println!("etcd_002: {:.3} ms", r.best_us as f64 / 1000.0);
    }
    let bad = rows.iter().filter(|r| !r.ok).count();
    println!("verdict mismatches: {bad}");
}
