//! The logic of `splitbrain check`, kept here so the binary's command file stays thin.
//!
//! `splitbrain check --model M [--format F] FILE... [--json] [--budget-ms N] [--jobs N]
//! [--no-evidence] [--max-memory-mb N]` checks each file and prints one line per file plus a summary, or with
//! `--json` the object `{"files": [{"file", "model", "verdict", "ops", "time_us",
//! "verdict_us", "evidence_us"}], "total_time_us"}`. The verdict is decided first; the
//! evidence of a violation is built afterwards (skipped with `--no-evidence`), and each is
//! timed apart.
//! Exit codes: 2 if any input is bad (or the flags are), else 1 if any history is not
//! linearizable, else 3 if any check is unknown, else 0.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rayon::prelude::*;
use serde::Serialize;

use crate::budget::Stopwatch;
use crate::checker::{decide, explain, CheckOptions, Verdict, DEFAULT_MAX_MEMORY_BYTES};
use crate::evidence::Evidence;
use crate::model::ModelKind;
use crate::read::{file_model, read_history_file, Format};

/// Exit code: every history is linearizable.
pub const EXIT_OK: i32 = 0;
/// Exit code: some history is not linearizable.
pub const EXIT_VIOLATION: i32 = 1;
/// Exit code: bad input (unreadable or malformed file, unknown model or format).
pub const EXIT_BAD_INPUT: i32 = 2;
/// Exit code: some check could not decide (budget exhausted).
pub const EXIT_UNKNOWN: i32 = 3;

/// Parsed command-line options.
#[derive(Clone, Debug, Default)]
pub struct CliOptions {
    /// `--model`; when absent, a splitbrain JSON file's own `model` field is used.
    pub model: Option<String>,
    /// `--format`; inferred per file when absent.
    pub format: Option<String>,
    pub files: Vec<PathBuf>,
    /// Print JSON to stdout instead of text.
    pub json: bool,
    /// Wall-clock limit per file, in milliseconds.
    pub budget_ms: Option<u64>,
    /// Worker threads (files and independent parts run in parallel). Default 1.
    pub jobs: Option<usize>,
    /// Accept a history with no operations (an empty file in any format) as linearizable.
    /// Without it an empty history is bad input: a wrong path or a truncated capture must
    /// not read as a pass.
    pub allow_empty: bool,
    /// Decide the verdict only: no evidence for violations.
    pub no_evidence: bool,
    /// Peak memory of the process, in MiB: the check holds at most
    /// [`held_under_process_cap`] of it. Default: the library's cap of 512 MiB held.
    pub max_memory_mb: Option<u64>,
}

/// One file's result, as printed with `--json`.
#[derive(Clone, Debug, Serialize)]
pub struct FileResult {
    pub file: String,
    pub model: String,
    /// `linearizable`, `not-linearizable` or `unknown`.
    pub verdict: &'static str,
    pub ops: usize,
    /// Check time in microseconds (reading the file is not included):
    /// `verdict_us + evidence_us`.
    pub time_us: u64,
    /// Time to decide the verdict, in microseconds.
    pub verdict_us: u64,
    /// Time to build the evidence of a violation afterwards (0 without one).
    pub evidence_us: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Why the file could not be read (the verdict is then `unknown`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
}

/// The whole `--json` document.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub files: Vec<FileResult>,
    /// Sum of the files' check times.
    pub total_time_us: u64,
    /// Wall time of the whole command, reading included.
    pub wall_time_us: u64,
}

/// Parses `check`'s arguments (without the program and subcommand names).
pub fn parse_args(args: &[String]) -> Result<CliOptions, String> {
    let mut o = CliOptions::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "--model" => o.model = Some(value("--model")?),
            "--format" => o.format = Some(value("--format")?),
            "--json" => o.json = true,
            "--allow-empty" => o.allow_empty = true,
            "--budget-ms" => o.budget_ms = Some(number(&value("--budget-ms")?, "--budget-ms")?),
            "--jobs" => o.jobs = Some(number(&value("--jobs")?, "--jobs")? as usize),
            "--no-evidence" => o.no_evidence = true,
            "--max-memory-mb" => {
                o.max_memory_mb = Some(number(&value("--max-memory-mb")?, "--max-memory-mb")?);
            }
            flag if flag.starts_with("--") => return Err(format!("unknown flag {flag}")),
            file => o.files.push(PathBuf::from(file)),
        }
    }
    Ok(o)
}

/// What one check may hold (its history, memo, event lists and spec tables: the bytes
/// `CheckOptions::max_memory_bytes` counts) when the whole process must stay under `mb`
/// MiB: 60% of the cap less 8 MiB. The rest is headroom: the process's own few MiB, and the
/// allocator's pages beyond the bytes held (measured with mimalloc on a 100,000-operation
/// check: peak resident memory 1.3-1.5 times the peak held, plus 6 MiB).
pub fn held_under_process_cap(mb: u64) -> usize {
    let held = mb.saturating_sub(8).saturating_mul(3 << 20) / 5;
    usize::try_from(held).unwrap_or(usize::MAX)
}

fn number(s: &str, flag: &str) -> Result<u64, String> {
    s.parse()
        .map_err(|_| format!("{flag} expects a number, got `{s}`"))
}

/// Runs the command; returns the exit code.
pub fn run(o: &CliOptions, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    run_with_progress(o, out, err, &|_| {})
}

/// [`run`], calling `on_file` as each file's result is known (a progress display).
pub fn run_with_progress(
    o: &CliOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
    on_file: &(dyn Fn(&FileResult) + Sync),
) -> i32 {
    match prepare(o) {
        Ok((model, format)) => run_files(o, model, format, out, err, on_file),
        Err(msg) => {
            let _ignored = writeln!(err, "splitbrain check: {msg}");
            EXIT_BAD_INPUT
        }
    }
}

fn prepare(o: &CliOptions) -> Result<(Option<ModelKind>, Option<Format>), String> {
    if o.files.is_empty() {
        return Err("no history files given".into());
    }
    if o.jobs == Some(0) {
        return Err("--jobs must be at least 1".into());
    }
    let model = o
        .model
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|e| format!("--model: {e}"))?;
    let format = o
        .format
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|e| format!("--format: {e}"))?;
    Ok((model, format))
}

fn run_files(
    o: &CliOptions,
    model: Option<ModelKind>,
    format: Option<Format>,
    out: &mut dyn Write,
    err: &mut dyn Write,
    on_file: &(dyn Fn(&FileResult) + Sync),
) -> i32 {
    let wall = Stopwatch::start();
    let jobs = o.jobs.unwrap_or(1);
    let opts = CheckOptions {
        time_limit: o.budget_ms.map(Duration::from_millis),
        parallel: jobs > 1,
        evidence: !o.no_evidence,
        max_memory_bytes: o
            .max_memory_mb
            .map_or(DEFAULT_MAX_MEMORY_BYTES, held_under_process_cap),
        ..CheckOptions::default()
    };
    let check = |f: &PathBuf| {
        let mut r = if std::fs::metadata(f).is_ok_and(|m| m.is_file() && m.len() == 0) {
            empty_result(f, model)
        } else {
            check_file(f, model, format, &opts)
        };
        refuse_empty(&mut r, o.allow_empty);
        on_file(&r);
        r
    };
    let results: Vec<FileResult> = if jobs > 1 {
        match rayon::ThreadPoolBuilder::new().num_threads(jobs).build() {
            Ok(pool) => pool.install(|| o.files.par_iter().map(check).collect()),
            Err(e) => {
                let _ignored = writeln!(err, "splitbrain check: cannot start {jobs} threads: {e}");
                o.files.iter().map(check).collect()
            }
        }
    } else {
        o.files.iter().map(check).collect()
    };
    let total_time_us = results.iter().map(|r| r.time_us).sum();
    let summary = Summary {
        files: results,
        total_time_us,
        wall_time_us: wall.elapsed_us(),
    };
    let written = if o.json {
        write_json(&summary, out)
    } else {
        write_text(&summary, out, err)
    };
    if let Err(e) = written {
        let _ignored = writeln!(err, "splitbrain check: cannot write output: {e}");
    }
    exit_code(&summary.files)
}

/// Reads and checks one file; never panics on bad input.
pub fn check_file(
    path: &Path,
    model: Option<ModelKind>,
    format: Option<Format>,
    opts: &CheckOptions,
) -> FileResult {
    let mut r = FileResult {
        file: path.display().to_string(),
        model: model.map_or(String::new(), |m| m.name().to_string()),
        verdict: "unknown",
        ops: 0,
        time_us: 0,
        verdict_us: 0,
        evidence_us: 0,
        reason: None,
        error: None,
        evidence: None,
    };
    let model = match model.map(Ok).unwrap_or_else(|| {
        file_model(path)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| no_model(path))
    }) {
        Ok(m) => m,
        Err(e) => {
            r.error = Some(e);
            return r;
        }
    };
    r.model = model.name().to_string();
    let history = match read_history_file(path, format, model) {
        Ok(h) => h,
        Err(e) => {
            r.error = Some(e.to_string());
            return r;
        }
    };
    let sw = Stopwatch::start();
    let decision = decide(&history, model, opts);
    r.verdict_us = sw.elapsed_us();
    let sw = Stopwatch::start();
    let evidence = if opts.evidence {
        explain(&history, model, &decision, opts)
    } else {
        None
    };
    r.evidence_us = sw.elapsed_us();
    r.time_us = r.verdict_us + r.evidence_us;
    let report = decision.report(evidence);
    r.ops = report.ops;
    r.verdict = report.verdict.word();
    if let Verdict::Unknown(reason) = report.verdict {
        r.reason = Some(reason);
    }
    r.evidence = report.evidence;
    r
}

/// A zero-length file: an empty history in every format (not a JSON syntax error).
fn empty_result(path: &Path, model: Option<ModelKind>) -> FileResult {
    FileResult {
        file: path.display().to_string(),
        model: model.map_or(String::new(), |m| m.name().to_string()),
        verdict: Verdict::Linearizable.word(),
        ops: 0,
        time_us: 0,
        verdict_us: 0,
        evidence_us: 0,
        reason: None,
        error: None,
        evidence: None,
    }
}

/// An empty history (no operations, whatever the format) is bad input unless allowed.
fn refuse_empty(r: &mut FileResult, allow_empty: bool) {
    if r.error.is_none() && r.ops == 0 && !allow_empty {
        r.verdict = "unknown";
        r.error = Some(format!(
            "{}: the history has no operations (an empty file or capture checks nothing); \
             pass --allow-empty to accept it",
            r.file
        ));
    }
}

fn no_model(path: &Path) -> String {
    format!(
        "{}: no --model given and the file names no model",
        path.display()
    )
}

/// 2 if any input was bad, else 1 if any violation, else 3 if any unknown, else 0.
pub fn exit_code(results: &[FileResult]) -> i32 {
    if results.iter().any(|r| r.error.is_some()) {
        EXIT_BAD_INPUT
    } else if results.iter().any(|r| r.verdict == "not-linearizable") {
        EXIT_VIOLATION
    } else if results.iter().any(|r| r.verdict == "unknown") {
        EXIT_UNKNOWN
    } else {
        EXIT_OK
    }
}

fn write_json(s: &Summary, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, s).map_err(std::io::Error::other)?;
    writeln!(out)
}

fn write_text(s: &Summary, out: &mut dyn Write, err: &mut dyn Write) -> std::io::Result<()> {
    let count = |v: &str| {
        s.files
            .iter()
            .filter(|r| r.error.is_none() && r.verdict == v)
            .count()
    };
    for r in &s.files {
        if let Some(e) = &r.error {
            writeln!(err, "error: {e}")?;
            continue;
        }
        let ms = r.time_us as f64 / 1000.0;
        writeln!(
            out,
            "{:<17} {:>7} ops {:>10.3} ms  {}  ({})",
            r.verdict, r.ops, ms, r.file, r.model
        )?;
        if let Some(reason) = &r.reason {
            writeln!(out, "    {reason}")?;
        }
        if let Some(ev) = &r.evidence {
            let c = &ev.culprit;
            let states = ev.culprit_states.join(", ");
            writeln!(
                out,
                "    cannot place {} -> {} by client {} (line {}); it could have seen: {states}",
                c.input, c.output, c.client, c.line
            )?;
            writeln!(
                out,
                "    minimal failing sub-history: {} ops in {} (verdict {:.3} ms, evidence {:.3} ms)",
                ev.minimal_history_len,
                ev.partition,
                r.verdict_us as f64 / 1000.0,
                r.evidence_us as f64 / 1000.0
            )?;
        }
    }
    let bad = s.files.iter().filter(|r| r.error.is_some()).count();
    writeln!(
        out,
        "{} files: {} linearizable, {} not linearizable, {} unknown, {} bad input; \
         check time {:.3} ms",
        s.files.len(),
        count("linearizable"),
        count("not-linearizable"),
        count("unknown"),
        bad,
        s.total_time_us as f64 / 1000.0
    )
}
