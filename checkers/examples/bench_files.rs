//! Times the checker on history files given on the command line, as a run pays for it:
//! the history's validation and the verdict, then the evidence apart.
//!
//! `cargo run --release -p splitbrain-checkers --example bench_files -- ROUNDS MODEL FILE...`
//! Prints each file's verdict, search steps, best verdict time and best evidence time over
//! the rounds (minimum: other work on the machine only ever adds time), then the totals.

use splitbrain_checkers::{decide, explain, read_history_file, CheckOptions, ModelKind, Stopwatch};

// The allocator the `splitbrain` binary uses, so the figures match `splitbrain check`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rounds: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(5);
    let model: ModelKind = args
        .get(1)
        .map_or("kv", String::as_str)
        .parse()
        .expect("model");
    let opts = CheckOptions::default();
    let (mut total_verdict, mut total_evidence) = (0, 0);
    println!("file\tverdict\tops\tsteps\tverdict_us\tevidence_us");
    for file in &args[2..] {
        let h = read_history_file(std::path::Path::new(file), None, model).expect("read");
        let (mut best_v, mut best_e) = (u64::MAX, u64::MAX);
        let mut line = String::new();
        for _ in 0..rounds {
            let sw = Stopwatch::start();
            h.validate().expect("valid");
            let d = decide(&h, model, &opts);
            best_v = best_v.min(sw.elapsed_us());
            let sw = Stopwatch::start();
            let ev = explain(&h, model, &d, &opts);
            best_e = best_e.min(sw.elapsed_us());
            line = format!("{}\t{}\t{}", d.verdict.word(), h.ops.len(), d.steps);
            drop(ev);
        }
        println!("{file}\t{line}\t{best_v}\t{best_e}");
        total_verdict += best_v;
        total_evidence += best_e;
    }
    println!(
        "total verdict {:.3} ms, evidence {:.3} ms",
        total_verdict as f64 / 1000.0,
        total_evidence as f64 / 1000.0
    );
}
