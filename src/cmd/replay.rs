//! `splitbrain replay FILE`: runs a repro file exactly, says whether it still shows its
//! failure, and travels in time: `--state-at` prints every node's own state (as its protocol
//! describes it) and the messages in flight at a simulated time.

use super::common::{exit_for, usage_exit, write_atomic, UsageError};
use splitbrain_scenarios::repro::Repro;
use splitbrain_scenarios::RunResult;
use splitbrain_sim::{TraceEvent, TraceKind};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    /// A repro file written by `shrink` or `explore --corpus`.
    pub file: PathBuf,
    /// Write the full trace as JSON lines to FILE.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Write the self-contained HTML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Print the text timeline, one aligned line per event.
    #[arg(long)]
    pub timeline: bool,
    /// Print every node's view at this simulated time, with its unit: `1.5s`, `250ms` or
    /// `1200us` (a bare number is refused).
    #[arg(long, value_name = "TIME")]
    pub state_at: Option<String>,
}

pub fn run(args: &ReplayArgs) -> i32 {
    match run_inner(args) {
        Ok(code) => code,
        Err(e) => usage_exit(e),
    }
}

fn run_inner(args: &ReplayArgs) -> Result<i32, UsageError> {
    super::common::check_outputs(&[
        ("--trace", args.trace.as_ref()),
        ("--html", args.html.as_ref()),
    ])?;
    let repro = Repro::from_file(&args.file)?;
    let at = args
        .state_at
        .as_deref()
        .map(parse_time)
        .transpose()
        .map_err(UsageError)?;
    let entry = repro.registered_protocol(&args.file.display().to_string())?;
    let result = repro.run_on(entry.as_ref(), true, at)?;
    let rec = &result.record;
    let same = repro.expect.matches(&result);
    println!(
        "{} {} seed {} ({} servers, {} clients)",
        repro.protocol, repro.variant, repro.seed, repro.servers, repro.clients
    );
    println!(
        "expected: {} {}",
        repro.expect.outcome.word(),
        repro.expect.message
    );
    println!("got:      {} {}", rec.outcome.word(), rec.headline());
    println!(
        "{}",
        if same {
            "reproduced: yes"
        } else {
            "reproduced: NO (the failure is gone or changed)"
        }
    );
    println!("trace hash {:016x}, {} events", rec.trace_hash, rec.events);
    if args.timeline {
        print!("{}", splitbrain_reports::render_timeline(rec));
    }
    if let Some(t) = at {
        print!("{}", state_at(&result, t));
    }
    if let Some(path) = &args.html {
        let repro_cmd = format!(
            "{} replay {}",
            super::common::invocation(),
            args.file.display()
        );
        let input = super::run::report_input(&result, &repro_cmd);
        let report =
            splitbrain_reports::render_html(&input, &splitbrain_reports::HtmlOptions::default());
        write_atomic(path, report.html.as_bytes())?;
        println!("report written to {}", path.display());
    }
    if let Some(path) = &args.trace {
        let mut out = String::new();
        for e in rec.trace.iter().flatten() {
            out.push_str(&serde_json::to_string(e).expect("json"));
            out.push('\n');
        }
        write_atomic(path, out.as_bytes())?;
    }
    Ok(exit_for(rec.outcome))
}

/// Parses `1.5s`, `250ms` or `1200us` into microseconds; a bare number is refused, since it
/// could mean any of them.
pub fn parse_time(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (num, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1_000.0)
    } else if let Some(n) = t.strip_suffix("us") {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1_000_000.0)
    } else {
        return Err(format!(
            "--state-at: `{text}` has no unit; write it as {t}us, {t}ms or {t}s"
        ));
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("--state-at: `{text}` is not a time like 1.5s, 250ms or 1200us"))?;
    if v < 0.0 {
        return Err(format!("--state-at: `{text}` is negative"));
    }
    Ok((v * scale).round() as u64)
}

/// Every node's own state at `at_us` (as its protocol describes it), the messages in flight
/// then, and the latest faults.
pub fn state_at(r: &RunResult, at_us: u64) -> String {
    let mut out = format!("state at {:.3} ms:\n", at_us as f64 / 1000.0);
    let nodes = r
        .record
        .inspection
        .as_ref()
        .map_or(&[][..], |i| &i.nodes[..]);
    for (node, described) in nodes {
        let text = match described {
            None => "down".to_string(),
            Some(fields) if fields.is_empty() => "up".to_string(),
            Some(fields) => fields
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join("; "),
        };
        out.push_str(&format!("  {:<4} {text}\n", node.to_string()));
    }
    let trace = r.record.trace.iter().flatten();
    let in_flight: Vec<&TraceEvent> = trace
        .clone()
        .filter(|e| e.sent_us.is_some_and(|s| s <= at_us) && e.at_us > at_us)
        .collect();
    out.push_str(&format!("  messages in flight: {}\n", in_flight.len()));
    for e in in_flight.iter().take(20) {
        let (from, to) = (e.peer.map(|p| p.to_string()), e.node.map(|n| n.to_string()));
        out.push_str(&format!(
            "    {} -> {}  {}  (sent at {:.3} ms; {} at {:.3} ms)\n",
            from.as_deref().unwrap_or("?"),
            to.as_deref().unwrap_or("?"),
            e.label,
            e.sent_us.unwrap_or(0) as f64 / 1000.0,
            fate(e.kind),
            e.at_us as f64 / 1000.0
        ));
    }
    if in_flight.len() > 20 {
        out.push_str(&format!("    ... and {} more\n", in_flight.len() - 20));
    }
    let faults: Vec<&TraceEvent> = trace
        .take_while(|e| e.at_us <= at_us)
        .filter(|e| e.kind == TraceKind::Fault)
        .collect();
    if !faults.is_empty() {
        out.push_str("  latest faults (newest first):\n");
        for f in faults.iter().rev().take(5) {
            out.push_str(&format!(
                "    at {:.3} ms  {}\n",
                f.at_us as f64 / 1000.0,
                f.label
            ));
        }
    }
    out
}

/// What became of a message in flight.
fn fate(kind: TraceKind) -> &'static str {
    match kind {
        TraceKind::Deliver => "delivered",
        TraceKind::Duplicate => "duplicate delivered",
        TraceKind::Drop => "dropped",
        TraceKind::Cut => "cut off",
        TraceKind::LostAtDown => "lost at a down node",
        _ => "ends",
    }
}
