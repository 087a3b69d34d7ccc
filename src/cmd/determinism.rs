//! `splitbrain check-determinism`: the same seed twice must give the same trace, event for
//! event. On a divergence it names the first differing event of each run.

use super::common::{usage_exit, TargetArgs, UsageError, EXIT_FAIL, EXIT_PASS};
use splitbrain_scenarios::run_seed;

#[derive(clap::Args, Debug)]
pub struct DeterminismArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// The seed to run twice.
    #[arg(long)]
    pub seed: u64,
}

pub fn run(args: &DeterminismArgs) -> i32 {
    match run_inner(args) {
        Ok(code) => code,
        Err(e) => usage_exit(e),
    }
}

fn run_inner(args: &DeterminismArgs) -> Result<i32, UsageError> {
    let t = args.target.resolve()?;
    let opts = args.target.run_options(true);
    let a = run_seed(t.entry.as_ref(), &t.variant, &t.scenario, args.seed, &opts)?.record;
    let b = run_seed(t.entry.as_ref(), &t.variant, &t.scenario, args.seed, &opts)?.record;
    let (ta, tb) = (a.trace.unwrap_or_default(), b.trace.unwrap_or_default());
    match ta.iter().zip(&tb).position(|(x, y)| x != y) {
        None if ta.len() == tb.len() && a.trace_hash == b.trace_hash => {
            println!(
                "deterministic: seed {} gives trace hash {:016x} over {} events twice",
                args.seed,
                a.trace_hash,
                ta.len()
            );
            Ok(EXIT_PASS)
        }
        None => {
            println!(
                "NOT deterministic: one run has {} trace entries, the other {}",
                ta.len(),
                tb.len()
            );
            Ok(EXIT_FAIL)
        }
        Some(i) => {
            println!("NOT deterministic: first divergence at trace entry {i}");
            println!("  run 1: {}", serde_json::to_string(&ta[i]).expect("json"));
            println!("  run 2: {}", serde_json::to_string(&tb[i]).expect("json"));
            Ok(EXIT_FAIL)
        }
    }
}
