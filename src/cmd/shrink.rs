//! `splitbrain shrink`: a failing seed becomes a minimal repro file and a one-screen story of
//! what is left.

use super::common::{usage_exit, write_atomic, TargetArgs, UsageError, EXIT_PASS};
use super::progress::Progress;
use splitbrain_scenarios::repro::Repro;
use splitbrain_scenarios::shrink::{shrink_with_progress, Shrunk};
use splitbrain_sim::Fault;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct ShrinkArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// The failing seed to shrink (as `explore` printed it).
    #[arg(long)]
    pub seed: u64,
    /// Where to write the repro (default: repro-<protocol>-<variant>-seed<N>.json).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exactly these random fault kinds on (as printed by `explore --guided`).
    #[arg(long, value_name = "KINDS")]
    pub fault_kinds: Option<String>,
    /// Mutations of the seed's run (as printed by `explore --guided`).
    #[arg(long, value_name = "LIST")]
    pub mutations: Option<String>,
    /// Most re-runs to spend.
    #[arg(long, default_value_t = splitbrain_scenarios::shrink::DEFAULT_MAX_RUNS,
          value_parser = super::common::count_flag(1, 100_000_000))]
    pub max_runs: u64,
}

pub fn run(args: &ShrinkArgs) -> i32 {
    match run_inner(args) {
        Ok(code) => code,
        Err(e) => usage_exit(e),
    }
}

fn run_inner(args: &ShrinkArgs) -> Result<i32, UsageError> {
    let mut t = args.target.resolve()?;
    if let Some(kinds) = &args.fault_kinds {
        super::common::force_fault_kinds(&mut t.scenario, kinds)?;
    }
    let opts = args.target.run_options(false);
    if let Some(list) = &args.mutations {
        super::common::apply_mutations(&mut t, args.seed, list, &opts)?;
    }
    let path = args.output.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "repro-{}-{}-seed{}.json",
            t.entry.info().name,
            t.variant.name,
            args.seed
        ))
    });
    super::common::check_writable(&path, "-o")?;
    let progress = Progress::start("shrink", "runs (at most)", args.max_runs);
    let shrunk = shrink_with_progress(
        t.entry.as_ref(),
        &t.variant,
        &t.scenario,
        args.seed,
        &opts,
        args.max_runs,
        &|| progress.advance(1, 0),
    )?;
    progress.finish();
    write_atomic(&path, shrunk.repro.to_json().as_bytes())?;
    print!("{}", explain(&shrunk));
    println!(
        "repro written to {}\nreplay: {} replay {}",
        path.display(),
        super::common::invocation(),
        path.display()
    );
    Ok(EXIT_PASS)
}

/// One screen: sizes before and after, the remaining faults, the operations, the failure.
pub fn explain(s: &Shrunk) -> String {
    let r = &s.repro;
    let (b, a) = (s.before, s.after);
    let mut out = format!(
        "shrunk {} {} seed {} in {} runs: faults {} -> {} (schedule entries {} -> {}), client ops {} -> {}, clients {} -> {}, servers {} -> {}, simulated {} ms -> {} ms\n",
        r.protocol, r.variant, r.seed, s.runs, b.faults, a.faults, b.entries, a.entries, b.ops, a.ops, b.clients, a.clients, b.servers, a.servers, b.sim_ms, a.sim_ms
    );
    out.push_str(&describe(r));
    out
}

/// The remaining faults, operations and failure of a repro.
pub fn describe(r: &Repro) -> String {
    let mut out = String::from("remaining faults:\n");
    if r.scenario.schedule.is_empty() {
        out.push_str("  (none: the bug needs no fault)\n");
    }
    for t in &r.scenario.schedule.0 {
        out.push_str(&format!(
            "  at {:>9.3} ms  {}{}\n",
            t.at_us as f64 / 1000.0,
            t.fault.label(),
            why(&t.fault)
        ));
    }
    out.push_str("client operations:\n");
    if let splitbrain_scenarios::workload::WorkloadSpec::Script { ops, .. } = &r.scenario.workload {
        for (i, list) in ops.iter().enumerate() {
            let labels: Vec<String> = list
                .iter()
                .map(|s| match s.not_before_us {
                    Some(at) => format!("{} (at {:.3} ms)", s.op.label(), at as f64 / 1000.0),
                    None => s.op.label(),
                })
                .collect();
            out.push_str(&format!(
                "  C{}: {}\n",
                i + 1,
                if labels.is_empty() {
                    "(none)".to_string()
                } else {
                    labels.join(", ")
                }
            ));
        }
    }
    out.push_str(&format!("failure: {}\n", r.expect.message));
    out
}

/// A few words on what a fault does to the story.
fn why(f: &Fault) -> &'static str {
    match f {
        Fault::Partition { .. } | Fault::Isolate { .. } | Fault::Bridge { .. } => {
            "   (the sides cannot talk)"
        }
        Fault::Crash {
            lose_unsynced: true,
            ..
        } => "   (power loss: unsynced writes gone)",
        Fault::CrashAfterSend { .. } => "   (crash point)",
        Fault::Heal => "   (links restored)",
        Fault::RecoverAll => "   (every fault ends)",
        _ => "",
    }
}
