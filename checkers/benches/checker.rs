//! The checker's benchmark, so a regression in the verdict path shows:
//! `cargo bench -p splitbrain-checkers --bench checker -- [--rounds N] [--quick] [--save FILE] [--baseline FILE]`
//! `cargo bench -p splitbrain-checkers --bench checker -- --porcupine [--rounds N]`
//!
//! Cases: every file of the shared `expected.tsv` tables (Porcupine's and Knossos's, per
//! folder; found through `$SPLITBRAIN_HISTORIES`, else `../shared/histories`, skipped when
//! absent), and generated key-value histories of 50 clients on 10 keys with 1%
//! indeterminate operations: 2,000, 20,000 and 100,000 operations (`--quick` leaves out
//! 100,000), linearizable and with a stale read early, in the middle and late. Each case is
//! the verdict alone (`decide`, no evidence), best of `--rounds` (default 3): other work on
//! the machine only ever adds time. Peak memory is not measured here (use
//! `/usr/bin/time -v` on `splitbrain check`).
//!
//! `--porcupine` prints instead one line per file of `../shared/histories/porcupine/` with
//! our verdict time beside Porcupine's own (`common/porcupine.rs`; best of `--rounds`,
//! default 200, interleaved) and exits 1 if any file is slower or any verdict wrong.
//!
//! `--save FILE` writes `case<TAB>verdict<TAB>ms` lines; `--baseline FILE` compares with
//! such a file and exits 1 if any verdict changed or any case took more than twice its
//! baseline time plus 1 ms.

#[path = "../tests/common/bigkv.rs"]
mod bigkv;
#[path = "common/porcupine.rs"]
mod porcupine;

use std::path::{Path, PathBuf};

use splitbrain_checkers::{
    decide, read_history_file, read_history_str, CheckOptions, Format, History, ModelKind,
    Stopwatch,
};

// The allocator the `splitbrain` binary uses, so the figures match `splitbrain check`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    rounds: Option<usize>,
    quick: bool,
    porcupine: bool,
    save: Option<PathBuf>,
    baseline: Option<PathBuf>,
}

fn parse_args() -> Args {
    let mut a = Args {
        rounds: None,
        quick: false,
        porcupine: false,
        save: None,
        baseline: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--rounds" => a.rounds = it.next().and_then(|n| n.parse().ok()),
            "--quick" => a.quick = true,
            "--porcupine" => a.porcupine = true,
            "--save" => a.save = it.next().map(PathBuf::from),
            "--baseline" => a.baseline = it.next().map(PathBuf::from),
            _ => {} // `cargo bench` passes `--bench`; filters are not supported.
        }
    }
    a
}

/// One measured case: its name, verdict word and best verdict time.
struct Measured {
    name: String,
    verdict: String,
    best_us: u64,
}

fn measure(h: &History, model: ModelKind, rounds: usize) -> (String, u64) {
    let opts = CheckOptions {
        evidence: false,
        ..CheckOptions::default()
    };
    let mut best = u64::MAX;
    let mut verdict = String::new();
    for _ in 0..rounds.max(1) {
        let sw = Stopwatch::start();
        let d = decide(h, model, &opts);
        best = best.min(sw.elapsed_us());
        verdict = d.verdict.word().to_string();
    }
    (verdict, best)
}

fn histories() -> Option<PathBuf> {
    let dir = match std::env::var_os("SPLITBRAIN_HISTORIES") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/histories"),
    };
    dir.is_dir().then_some(dir)
}

/// Per shared folder: the sum of the files' best times; a verdict other than the table's
/// is reported as the folder's verdict `MISMATCH <file>`.
fn shared_cases(rounds: usize, out: &mut Vec<Measured>) {
    let Some(root) = histories() else {
        println!("(shared histories not found: set SPLITBRAIN_HISTORIES to include them)");
        return;
    };
    for folder in ["porcupine", "knossos"] {
        let table = std::fs::read_to_string(root.join(folder).join("expected.tsv"))
            .unwrap_or_else(|e| panic!("{folder}/expected.tsv: {e}"));
        let mut by_dir: Vec<(String, String, u64)> = Vec::new();
        for line in table.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let cols: Vec<&str> = line.split('\t').collect();
            let model: ModelKind = cols[1].parse().expect("model in expected.tsv");
            let h = read_history_file(&root.join(folder).join(cols[0]), None, model)
                .unwrap_or_else(|e| panic!("{e}"));
            let (verdict, us) = measure(&h, model, rounds);
            let dir = Path::new(cols[0]).parent().map_or(String::new(), |p| {
                p.to_string_lossy()
                    .split('/')
                    .next()
                    .unwrap_or("")
                    .to_string()
            });
            let name = format!("shared/{folder}/{dir}");
            let ok = if verdict == cols[2] {
                "as expected".to_string()
            } else {
                format!("MISMATCH {}", cols[0])
            };
            match by_dir.iter_mut().find(|(n, _, _)| *n == name) {
                Some(entry) => {
                    entry.2 += us;
                    if entry.1 == "as expected" {
                        entry.1 = ok;
                    }
                }
                None => by_dir.push((name, ok, us)),
            }
        }
        out.extend(by_dir.into_iter().map(|(name, verdict, best_us)| Measured {
            name,
            verdict,
            best_us,
        }));
    }
}

fn generated_cases(rounds: usize, quick: bool, out: &mut Vec<Measured>) {
    let sizes: &[u64] = if quick {
        &[2_000, 20_000]
    } else {
        &[2_000, 20_000, 100_000]
    };
    let places = [
        ("lin", None),
        ("early", Some(100)),
        ("middle", Some(500)),
        ("late", Some(900)),
    ];
    for &n in sizes {
        for (place, violation) in places {
            let text = bigkv::generate_json(&bigkv::Shape::busy(n, violation))
                .unwrap_or_else(|e| panic!("{e}"));
            let h = read_history_str(&text, "busy.json", Some(Format::Splitbrain), ModelKind::Kv)
                .expect("generated history reads");
            let (verdict, best_us) = measure(&h, ModelKind::Kv, rounds);
            out.push(Measured {
                name: format!("busy-50c-10k/{n}/{place}"),
                verdict,
                best_us,
            });
        }
    }
}

/// Lines of a saved run: case -> (verdict, ms).
fn read_baseline(path: &Path) -> Vec<(String, String, f64)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            Some((
                c.first()?.to_string(),
                c.get(1)?.to_string(),
                c.get(2)?.parse().ok()?,
            ))
        })
        .collect()
}

fn main() {
    let args = parse_args();
    if args.porcupine {
        let Some(root) = histories() else {
            println!("(shared histories not found: set SPLITBRAIN_HISTORIES)");
            std::process::exit(2);
        };
        let ok = porcupine::compare(&root.join("porcupine"), args.rounds.unwrap_or(200));
        std::process::exit(if ok { 0 } else { 1 });
    }
    let rounds = args.rounds.unwrap_or(3);
    let mut cases = Vec::new();
    shared_cases(rounds, &mut cases);
    generated_cases(rounds, args.quick, &mut cases);
    let baseline = args
        .baseline
        .as_deref()
        .map(read_baseline)
        .unwrap_or_default();
    let mut regressed = false;
    println!("{:<34} {:<18} {:>10}  baseline", "case", "verdict", "ms");
    for c in &cases {
        let ms = c.best_us as f64 / 1000.0;
        let base = baseline.iter().find(|(n, _, _)| *n == c.name);
        let note = match base {
            None => String::new(),
            Some((_, v, _)) if *v != c.verdict => {
                regressed = true;
                format!("VERDICT CHANGED (was {v})")
            }
            Some((_, _, b)) if ms > 2.0 * b + 1.0 => {
                regressed = true;
                format!("{b:.3} ms: SLOWER")
            }
            Some((_, _, b)) => format!("{b:.3} ms"),
        };
        println!("{:<34} {:<18} {:>10.3}  {note}", c.name, c.verdict, ms);
    }
    if let Some(path) = &args.save {
        let text: String = cases
            .iter()
            .map(|c| {
                format!(
                    "{}\t{}\t{:.3}\n",
                    c.name,
                    c.verdict,
                    c.best_us as f64 / 1000.0
                )
            })
            .collect();
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    if regressed {
        std::process::exit(1);
    }
}
