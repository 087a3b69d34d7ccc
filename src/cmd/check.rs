//! `splitbrain check`: checks recorded histories for linearizability.
//!
//! A thin shell over `splitbrain_checkers::cli`, which owns the logic and the exit codes:
//! 0 all linearizable, 1 any violation, 2 bad input, 3 any unknown.

use std::path::PathBuf;

use super::progress::Progress;
use splitbrain_checkers::cli;

/// Arguments of `splitbrain check`.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Model: kv, register, cas-register, mutex, multi-register, set, queue, or a table name
    /// (porcupine-etcd-cas-register, porcupine-kv, knossos-cas-register-0,
    /// knossos-multi-register-x0-y0, knossos-mutex). Defaults to a JSON file's own model.
    #[arg(long)]
    pub model: Option<String>,
    /// Input format: splitbrain (JSON), jepsen (log lines) or edn. Inferred when absent.
    #[arg(long)]
    pub format: Option<String>,
    /// History files to check.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Print `{files: [{file, model, verdict, ops, time_us, verdict_us, evidence_us}],
    /// total_time_us}` as JSON.
    #[arg(long)]
    pub json: bool,
    /// Wall-clock limit per file in milliseconds; running out gives `unknown`.
    #[arg(long, value_name = "N")]
    pub budget_ms: Option<u64>,
    /// Worker threads (default: all cores). Verdicts do not depend on it.
    #[arg(short = 'j', long, value_name = "N", value_parser = super::common::jobs_flag())]
    pub jobs: Option<usize>,
    /// Accept a history with no operations as linearizable (by default an empty file or
    /// capture, in any format, is bad input: exit 2).
    #[arg(long)]
    pub allow_empty: bool,
    /// Decide the verdict only; build no evidence for violations.
    #[arg(long)]
    pub no_evidence: bool,
    /// Peak memory of the process in MiB (16 or more; without it a check holds up to 512 MiB).
    /// The check itself holds at most 60% of N less 8 MiB (history, memo, tables; the
    /// rest is the allocator's headroom); reaching that gives `unknown` naming it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(16..=1 << 30))]
    pub max_memory_mb: Option<u64>,
}

/// Runs the command and returns the process exit code (0/1/2/3).
pub fn run(args: &CheckArgs) -> i32 {
    let opts = cli::CliOptions {
        model: args.model.clone(),
        format: args.format.clone(),
        files: args.files.clone(),
        json: args.json,
        budget_ms: args.budget_ms,
        jobs: Some(args.jobs.unwrap_or_else(super::common::default_jobs)),
        allow_empty: args.allow_empty,
        no_evidence: args.no_evidence,
        max_memory_mb: args.max_memory_mb,
    };
    let progress = Progress::start("check", "files", args.files.len() as u64);
    let on_file = |r: &cli::FileResult| {
        let failed = r.error.is_some() || r.verdict != "linearizable";
        progress.advance(1, u64::from(failed));
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = cli::run_with_progress(&opts, &mut out, &mut err, &on_file);
    progress.finish();
    print_and_flush(&out, &err);
    code
}

/// Prints what the checker wrote, once the progress display has stopped.
fn print_and_flush(out: &[u8], err: &[u8]) {
    use std::io::Write;
    let _ = std::io::stderr().write_all(err); // nothing more to say if stderr is gone
    let mut stdout = std::io::stdout().lock();
    // A closed stdout ends the process by SIGPIPE (see `die_quietly_on_broken_pipe`).
    let _ = stdout.write_all(out).and_then(|()| stdout.flush());
}
