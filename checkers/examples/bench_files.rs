//! Times the checker on history files given on the command line, as a run pays for it:
//! the history's validation, the check and dropping the history.
//!
//! `cargo run --release -p splitbrain-checkers --example bench_files -- ROUNDS MODEL FILE...`
//! Prints each file's verdict and best time over the rounds, then the total of the bests.

use splitbrain_checkers::{check_history, read_history_file, CheckOptions, ModelKind, Stopwatch};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rounds: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(5);
    let model: ModelKind = args
        .get(1)
        .map_or("kv", String::as_str)
        .parse()
        .expect("model");
    let mut total = 0;
    for file in &args[2..] {
        let h = read_history_file(std::path::Path::new(file), None, model).expect("read");
        let mut best = u64::MAX;
        let mut verdict = String::new();
        for _ in 0..rounds {
            let copy = h.clone();
            let sw = Stopwatch::start();
            copy.validate().expect("valid");
            let r = check_history(&copy, model, &CheckOptions::default());
            drop(copy);
            best = best.min(sw.elapsed_us());
            verdict = r.verdict.word().to_string();
        }
        println!("{file}\t{verdict}\t{} ops\t{best} us", h.ops.len());
        total += best;
    }
    println!("total {:.3} ms", total as f64 / 1000.0);
}
