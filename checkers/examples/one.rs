//! Checks one file and prints the report: `one MODEL FILE [ROUNDS]` (a development aid).
use splitbrain_checkers::{check_history, read_history_file, CheckOptions, Stopwatch};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let model = args[1].parse().expect("model");
    let h = read_history_file(args[2].as_ref(), None, model).expect("read");
    let rounds: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(1);
    for _ in 0..rounds {
        let sw = Stopwatch::start();
        let r = check_history(&h, model, &CheckOptions::default());
        println!(
            "{} ops={} steps={} {} us",
            r.verdict.word(),
            r.ops,
            r.steps,
            sw.elapsed_us()
        );
        if rounds == 1 {
            println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
        }
    }
}
