//! The text timeline for terminals: one line per trace event, in aligned columns (time as
//! `s.ms.us`, node, kind, peer, label). Violations found after the run (history checks such as
//! mutual exclusion or linearizability) are merged in at their time.

use splitbrain_sim::{RunRecord, TraceEvent, TraceKind};

/// The timeline of a run, one line per event, ending in a newline. Without a trace, only the
/// violations are listed.
pub fn render_timeline(record: &RunRecord) -> String {
    let rows = rows(record);
    let width = |f: fn(&Row) -> usize| rows.iter().map(f).max().unwrap_or(0);
    let wt = width(|r| r.time.len());
    let wn = width(|r| r.node.len()).max("node".len());
    let wk = width(|r| r.kind.len()).max("kind".len());
    let wp = width(|r| r.peer.len()).max("peer".len());
    let mut out = String::with_capacity(rows.len() * 80);
    let mut line = |time: &str, node: &str, kind: &str, peer: &str, label: &str| {
        let text = format!("{time:>wt$}  {node:<wn$}  {kind:<wk$}  {peer:<wp$}  {label}");
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line("time", "node", "kind", "peer", "label");
    for r in &rows {
        line(&r.time, &r.node, r.kind, &r.peer, &r.label);
    }
    out
}

/// Microseconds as `s.ms.us` (`1.002.003` is 1 s, 2 ms, 3 us).
pub fn fmt_time(us: u64) -> String {
    format!(
        "{}.{:03}.{:03}",
        us / 1_000_000,
        (us / 1_000) % 1_000,
        us % 1_000
    )
}

/// The kind as the trace's JSON names it.
pub fn kind_name(kind: TraceKind) -> &'static str {
    match kind {
        TraceKind::Deliver => "deliver",
        TraceKind::Duplicate => "duplicate",
        TraceKind::Drop => "drop",
        TraceKind::Cut => "cut",
        TraceKind::LostAtDown => "lost-at-down",
        TraceKind::Timer => "timer",
        TraceKind::Fault => "fault",
        TraceKind::Crash => "crash",
        TraceKind::Restart => "restart",
        TraceKind::Invoke => "invoke",
        TraceKind::Return => "return",
        TraceKind::View => "view",
        TraceKind::Mark => "mark",
        TraceKind::Sync => "sync",
        TraceKind::Violation => "violation",
        TraceKind::Notice => "notice",
    }
}

struct Row {
    at_us: u64,
    time: String,
    node: String,
    kind: &'static str,
    peer: String,
    label: String,
}

fn rows(record: &RunRecord) -> Vec<Row> {
    let trace: &[TraceEvent] = record.trace.as_deref().unwrap_or(&[]);
    let mut rows: Vec<Row> = trace.iter().map(row).collect();
    // Violations the trace does not already show (history checks run after the world).
    let mut extra: Vec<Row> = record
        .violations
        .iter()
        .filter(|v| {
            let text = format!("{}: {}", v.checker, v.message);
            !trace
                .iter()
                .any(|e| e.kind == TraceKind::Violation && e.label == text)
        })
        .map(|v| Row {
            at_us: v.at_us,
            time: fmt_time(v.at_us),
            node: "-".to_string(),
            kind: "violation",
            peer: "-".to_string(),
            label: format!("{}: {}", v.checker, v.message),
        })
        .collect();
    if extra.is_empty() {
        return rows;
    }
    extra.sort_by_key(|r| r.at_us);
    // Stable merge: a violation goes after every trace event at the same time.
    let mut merged = Vec::with_capacity(rows.len() + extra.len());
    let mut extra = extra.into_iter().peekable();
    for r in rows.drain(..) {
        while extra.peek().is_some_and(|x| x.at_us < r.at_us) {
            merged.extend(extra.next());
        }
        merged.push(r);
    }
    merged.extend(extra);
    merged
}

fn row(e: &TraceEvent) -> Row {
    let name = |n: Option<splitbrain_api::NodeId>| n.map_or("-".to_string(), |n| n.to_string());
    let mut label = e.label.clone();
    if let Some(sent) = e.sent_us {
        if sent != e.at_us {
            label.push_str(&format!("  (sent {})", fmt_time(sent)));
        }
    }
    Row {
        at_us: e.at_us,
        time: fmt_time(e.at_us),
        node: name(e.node),
        kind: kind_name(e.kind),
        peer: name(e.peer),
        label,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use splitbrain_api::NodeId;
    use splitbrain_sim::{History, Outcome, Violation};
    use std::collections::BTreeMap;

    fn ev(
        at_us: u64,
        kind: TraceKind,
        node: usize,
        peer: Option<usize>,
        label: &str,
    ) -> TraceEvent {
        TraceEvent {
            at_us,
            kind,
            node: Some(NodeId::server(node)),
            peer: peer.map(NodeId::client),
            sent_us: peer.map(|_| at_us.saturating_sub(1_500)),
            label: label.into(),
            view: None,
            hash: 0,
        }
    }

    fn record(trace: Vec<TraceEvent>, violations: Vec<Violation>) -> RunRecord {
        RunRecord {
            seed: 0,
            outcome: Outcome::Violation,
            violations,
            exceptions: Vec::new(),
            panic: None,
            trace_hash: 0,
            events: 0,
            sim_time_us: 20_000_000,
            liveness_from_us: None,
            history: History::default(),
            marks: BTreeMap::new(),
            mark_at: BTreeMap::new(),
            trace: Some(trace),
            nodes: Vec::new(),
            inspection: None,
        }
    }

    #[test]
    fn times_are_seconds_millis_micros() {
        assert_eq!(fmt_time(0), "0.000.000");
        assert_eq!(fmt_time(1_002_003), "1.002.003");
        assert_eq!(fmt_time(12_345_678), "12.345.678");
    }

    #[test]
    fn columns_line_up_across_every_line() {
        let r = record(
            vec![
                ev(5, TraceKind::Timer, 0, None, "election"),
                ev(2_000, TraceKind::Deliver, 1, Some(0), "Acquire { lock: 0 }"),
                ev(12_000_000, TraceKind::LostAtDown, 10, Some(11), "Vote"),
            ],
            Vec::new(),
        );
        let text = render_timeline(&r);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "a header and one line per event:\n{text}");
        // Every column starts at the same offset on every line.
        let starts = |needle: &str, line: &str| line.find(needle).unwrap();
        let node_col = starts("node", lines[0]);
        let kind_col = starts("kind", lines[0]);
        let peer_col = starts("peer", lines[0]);
        let label_col = starts("label", lines[0]);
        assert_eq!(starts("S1 ", lines[1]), node_col);
        assert_eq!(starts("S11", lines[3]), node_col);
        assert_eq!(starts("timer", lines[1]), kind_col);
        assert_eq!(starts("lost-at-down", lines[3]), kind_col);
        assert_eq!(starts("C1", lines[2]), peer_col);
        assert_eq!(starts("election", lines[1]), label_col);
        assert_eq!(starts("Acquire", lines[2]), label_col);
        // Times are right-aligned.
        assert!(lines[1].starts_with(" 0.000.005"), "{}", lines[1]);
        assert!(lines[3].starts_with("12.000.000"), "{}", lines[3]);
        assert!(lines[2].ends_with("(sent 0.000.500)"), "{}", lines[2]);
    }

    #[test]
    fn history_violations_are_merged_in_at_their_time() {
        let r = record(
            vec![
                ev(10, TraceKind::Timer, 0, None, "a"),
                ev(30, TraceKind::Timer, 0, None, "b"),
            ],
            vec![Violation {
                checker: "mutual exclusion".into(),
                message: "C1 and C2 both acquired lock 1".into(),
                at_us: 20,
            }],
        );
        let text = render_timeline(&r);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[2].contains("violation") && lines[2].contains("mutual exclusion"));
        assert!(lines[3].ends_with('b'));
    }

    #[test]
    fn violations_already_in_the_trace_are_not_repeated() {
        let mut e = ev(
            10,
            TraceKind::Violation,
            0,
            None,
            "election safety: S1 and S2",
        );
        e.node = None;
        let r = record(
            vec![e],
            vec![Violation {
                checker: "election safety".into(),
                message: "S1 and S2".into(),
                at_us: 10,
            }],
        );
        assert_eq!(render_timeline(&r).lines().count(), 2);
    }
}
