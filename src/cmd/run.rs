//! `splitbrain run`: one world, a summary, and on failure the command that reproduces it.

use super::common::{exit_for, usage_exit, write_atomic, Target, TargetArgs, UsageError};
use serde_json::json;
use splitbrain_scenarios::{run_seed, RunResult};
use std::path::PathBuf;

#[derive(clap::Args, Debug, Clone)]
pub struct RunArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Seed; without it one is drawn and printed first.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print the result as JSON (schema_version 1).
    #[arg(long)]
    pub json: bool,
    /// Write the full trace as JSON lines to FILE.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Write a self-contained HTML report (space-time diagram, counterexample) to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Exactly these random fault kinds on (comma list, or `none`), instead of the seed's
    /// swarm draw: how a seed found by `explore --guided` is reproduced.
    #[arg(long, value_name = "KINDS")]
    pub fault_kinds: Option<String>,
    /// Mutations of the seed's run, applied one after another (comma list of
    /// `MARK/first|last/HEX`): how a mutant found by `explore --guided` is reproduced.
    #[arg(long, value_name = "LIST")]
    pub mutations: Option<String>,
    /// Write the result as JSON (the `--json` document) to FILE, atomically.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write the run's client history to FILE in the format `splitbrain check` reads, to
    /// check it offline.
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// Print the text timeline: one line per trace event, in aligned columns.
    #[arg(long, conflicts_with = "json")]
    pub timeline: bool,
}

pub fn run(args: &RunArgs) -> i32 {
    match run_inner(args) {
        Ok(code) => code,
        Err(e) => usage_exit(e),
    }
}

fn run_inner(args: &RunArgs) -> Result<i32, UsageError> {
    super::common::check_outputs(&[
        ("--trace", args.trace.as_ref()),
        ("--html", args.html.as_ref()),
        ("-o", args.output.as_ref()),
        ("--history", args.history.as_ref()),
    ])?;
    let mut target = args.target.resolve()?;
    let seed = match args.seed {
        Some(s) => s,
        None => {
            let s = rand::RngCore::next_u64(&mut rand::rngs::OsRng);
            if !args.json {
                println!("seed {s} (drawn; pass --seed {s} to run it again)");
            }
            s
        }
    };
    if let Some(kinds) = &args.fault_kinds {
        super::common::force_fault_kinds(&mut target.scenario, kinds)?;
    }
    let opts = splitbrain_scenarios::RunOptions {
        // One run: always say whether a ZooKeeper history was also linearizable.
        zk_linearizability: true,
        ..args
            .target
            .run_options(args.trace.is_some() || args.html.is_some() || args.timeline)
    };
    if let Some(list) = &args.mutations {
        super::common::apply_mutations(&mut target, seed, list, &opts)?;
    }
    let result = run_seed(
        target.entry.as_ref(),
        &target.variant,
        &target.scenario,
        seed,
        &opts,
    )?;
    if let Some(path) = &args.trace {
        write_trace(path, &result)?;
    }
    if let Some(path) = &args.html {
        write_html(path, &result, &target)?;
    }
    if let Some(path) = &args.history {
        let doc = serde_json::to_string_pretty(&result.record.history).expect("json");
        write_atomic(path, format!("{doc}\n").as_bytes())?;
    }
    if let Some(path) = &args.output {
        let doc = serde_json::to_string_pretty(&run_json(&result, &target)).expect("json");
        write_atomic(path, format!("{doc}\n").as_bytes())?;
    }
    if args.timeline {
        print!("{}", splitbrain_reports::render_timeline(&result.record));
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&run_json(&result, &target)).expect("json")
        );
    } else {
        print_summary(&result, &target);
        if let Some(lin) = &result.zk_linearizability {
            println!(
                "full linearizability (reported apart, not part of the verdict): {}",
                lin.text
            );
        }
    }
    Ok(exit_for(result.record.outcome))
}

fn write_trace(path: &std::path::Path, result: &RunResult) -> Result<(), UsageError> {
    let mut out = String::new();
    for e in result.record.trace.iter().flatten() {
        out.push_str(&serde_json::to_string(e).expect("json"));
        out.push('\n');
    }
    write_atomic(path, out.as_bytes())
}

/// The report input for a finished run (what `replay --html` will build from a saved run).
pub fn report_input<'a>(r: &'a RunResult, repro: &'a str) -> splitbrain_reports::ReportInput<'a> {
    splitbrain_reports::ReportInput {
        protocol: &r.protocol,
        variant: &r.variant,
        bug_id: r.bug_id.as_deref(),
        scenario: &r.scenario,
        schedule: &r.schedule.0,
        record: &r.record,
        evidence: r.evidence.as_ref(),
        repro,
    }
}

fn write_html(path: &std::path::Path, r: &RunResult, target: &Target) -> Result<(), UsageError> {
    let repro = repro_line(r, target);
    let report = splitbrain_reports::render_html(
        &report_input(r, &repro),
        &splitbrain_reports::HtmlOptions::default(),
    );
    write_atomic(path, report.html.as_bytes())
}

/// The `run --json` document (schema_version 1).
pub fn run_json(r: &RunResult, target: &Target) -> serde_json::Value {
    let rec = &r.record;
    let ops = rec.op_counts();
    // For a ZooKeeper history: full linearizability of the znodes' data, which ZooKeeper
    // does not promise (reads at the connected server may lag), reported beside the verdict
    // (the ordering checker's) so the difference shows (issue 11 item 4; the Z07 control).
    let lin = r.zk_linearizability.as_ref().map(
        |l| json!({"linearizable": l.linearizable, "checked_ops": l.checked_ops, "text": l.text}),
    );
    json!({
        "schema_version": 1,
        "protocol": r.protocol,
        "variant": r.variant,
        "bug_id": r.bug_id,
        "scenario": r.scenario,
        "seed": rec.seed,
        "servers": r.servers,
        "clients": r.clients,
        "outcome": rec.outcome.word(),
        "trace_hash": format!("{:016x}", rec.trace_hash),
        "events": rec.events,
        "sim_time_us": rec.sim_time_us,
        "ops": {"ok": ops.ok, "failed": ops.failed, "indeterminate": ops.indeterminate},
        "violations": rec.violations,
        "exceptions": rec.exceptions,
        "panic": rec.panic,
        "faults": r.schedule.len(),
        "marks": rec.marks,
        "shape": r.drawn.as_deref().map(splitbrain_scenarios::vary::summary),
        "repro": repro_line(r, target),
        "zk_linearizability": lin,
    })
}

fn print_summary(r: &RunResult, target: &Target) {
    let rec = &r.record;
    let bug = r
        .bug_id
        .as_deref()
        .map_or(String::new(), |b| format!(" ({b})"));
    println!(
        "{} {}{} on {}: {} servers, {} clients, seed {}",
        r.protocol, r.variant, bug, r.scenario, r.servers, r.clients, rec.seed
    );
    if let Some(drawn) = &r.drawn {
        println!(
            "shape drawn by the seed: {}",
            splitbrain_scenarios::vary::summary(drawn)
        );
    }
    println!("outcome: {}", rec.outcome.word().to_uppercase());
    for v in &rec.violations {
        println!(
            "  {} at {}: {}",
            v.checker,
            splitbrain_api::ms_label(v.at_us),
            v.message
        );
    }
    for e in &rec.exceptions {
        println!(
            "  {} at {} (documented exception, outcome unchanged): {}",
            e.checker,
            splitbrain_api::ms_label(e.at_us),
            e.message
        );
    }
    if let Some(p) = &rec.panic {
        println!("  protocol panic: {p}");
    }
    print_involved_ops(r);
    let ops = rec.op_counts();
    println!(
        "events {}, simulated {}, trace hash {:016x}, ops ok {} failed {} indeterminate {}, faults {}",
        rec.events,
        splitbrain_api::ms_label(rec.sim_time_us),
        rec.trace_hash,
        ops.ok,
        ops.failed,
        ops.indeterminate,
        r.schedule.len()
    );
    if rec.outcome.is_failure() || rec.outcome == splitbrain_sim::Outcome::Inconclusive {
        println!("reproduce: {}", repro_line(r, target));
    }
}

/// The command that reruns `r`, as it can be pasted (see `invocation`).
fn repro_line(r: &RunResult, target: &Target) -> String {
    let mutations = target
        .mutations
        .as_ref()
        .map_or(String::new(), |m| format!(" --mutations {m}"));
    format!(
        "{} {}{mutations}",
        super::common::invocation(),
        r.repro_command(&target.scenario_arg)
    )
}

/// For a mutual-exclusion violation, the operations of every client that won the lock.
fn print_involved_ops(r: &RunResult) {
    let Some(v) = r.record.violations.first() else {
        return;
    };
    if v.checker != "mutual exclusion" {
        return;
    }
    let lock = v
        .message
        .split("lock ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse::<u64>().ok());
    let Some(lock) = lock else { return };
    for op in &r.record.history.ops {
        if op.op == (splitbrain_api::Op::Acquire { lock })
            && op.status == splitbrain_sim::OpStatus::Ok
        {
            let won = matches!(op.out, Some(splitbrain_api::Ret::Bool { value: true }));
            println!(
                "    {} acquire lock{lock} [{} .. {}] -> {}",
                op.client,
                splitbrain_api::ms_label(op.call_us),
                splitbrain_api::ms_label(op.ret_us.unwrap_or(0)),
                if won { "HOLDS THE LOCK" } else { "denied" }
            );
        }
    }
}
