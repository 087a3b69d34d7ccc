//! The HTML report from synthetic records: the size bound on a long, busy run, the
//! counterexample sections for linearizability and invariant violations, and hostile labels.

use serde_json::json;
use splitbrain_api::{NodeId, NodeView, Op, Ret, Role};
use splitbrain_reports::diagram::{build, DiagramOptions};
use splitbrain_reports::{render_html, HtmlOptions, ReportInput};
use splitbrain_sim::{
    Fault, History, HistoryOp, OpStatus, Outcome, RunRecord, Timed, TraceEvent, TraceKind,
    Violation,
};
use std::collections::BTreeMap;

const SERVERS: usize = 5;
const CLIENTS: usize = 3;

fn nodes() -> Vec<NodeId> {
    (0..SERVERS)
        .map(NodeId::server)
        .chain((0..CLIENTS).map(NodeId::client))
        .collect()
}

fn event(at_us: u64, kind: TraceKind, node: NodeId) -> TraceEvent {
    TraceEvent {
        at_us,
        kind,
        node: Some(node),
        peer: None,
        sent_us: None,
        label: String::new(),
        view: None,
        hash: 0,
    }
}

fn view(at_us: u64, node: NodeId, role: Role, term: u64) -> TraceEvent {
    let mut e = event(at_us, TraceKind::View, node);
    e.view = Some(NodeView {
        role,
        term,
        commit: at_us / 1000,
        log_len: at_us / 1000,
    });
    e.label = format!("{role:?} term {term}");
    e
}

fn record(trace: Vec<TraceEvent>, ops: Vec<HistoryOp>, violations: Vec<Violation>) -> RunRecord {
    RunRecord {
        seed: 7,
        outcome: if violations.is_empty() {
            Outcome::Pass
        } else {
            Outcome::Violation
        },
        violations,
        exceptions: Vec::new(),
        panic: None,
        trace_hash: 0xabc,
        events: trace.len() as u64,
        sim_time_us: 10_000_000,
        liveness_from_us: Some(8_000_000),
        history: History {
            schema_version: 1,
            model: "kv".into(),
            ops,
            notices: Vec::new(),
        },
        marks: BTreeMap::new(),
        mark_at: BTreeMap::new(),
        trace: Some(trace),
        nodes: nodes(),
        inspection: None,
    }
}

fn input<'a>(
    rec: &'a RunRecord,
    schedule: &'a [Timed],
    evidence: Option<&'a serde_json::Value>,
) -> ReportInput<'a> {
    ReportInput {
        protocol: "raft",
        variant: "test",
        bug_id: Some("R99"),
        scenario: "synthetic",
        schedule,
        record: rec,
        evidence,
        repro: "splitbrain run raft --variant test --seed 7",
    }
}

/// 10 simulated seconds of 5 servers gossiping every 25 us: 400,000 messages with long,
/// mostly distinct labels, plus heartbeat timers and a violation at 5 s.
fn busy_run() -> RunRecord {
    let mut trace = Vec::new();
    for s in 0..SERVERS {
        trace.push(view(0, NodeId::server(s), Role::Follower, 0));
    }
    let mut t = 0;
    let mut i = 0u64;
    while t < 10_000_000 {
        let from = NodeId::server((i % SERVERS as u64) as usize);
        let to = NodeId::server(((i + 1) % SERVERS as u64) as usize);
        let mut e = event(t, TraceKind::Deliver, to);
        e.peer = Some(from);
        e.sent_us = Some(t.saturating_sub(1_200));
        e.kind = if i.is_multiple_of(50) {
            TraceKind::Drop
        } else {
            TraceKind::Deliver
        };
        e.label = format!(
            "AppendEntries {{ term: {}, prev: {i}, entries: [{}] }}",
            i / 1000,
            "Put(k, v) ".repeat(20)
        );
        trace.push(e);
        if i.is_multiple_of(10) {
            let mut timer = event(t, TraceKind::Timer, from);
            timer.label = "heartbeat".into();
            trace.push(timer);
        }
        t += 25;
        i += 1;
    }
    record(
        trace,
        Vec::new(),
        vec![Violation {
            checker: "log matching".into(),
            message: "S1 and S2 disagree at index 40".into(),
            at_us: 5_000_000,
        }],
    )
}

#[test]
fn a_long_busy_run_is_thinned_with_a_notice_and_stays_under_5_mb() {
    let rec = busy_run();
    let schedule = [Timed {
        at_us: 1_000_000,
        fault: Fault::Heal,
    }];
    let report = render_html(&input(&rec, &schedule, None), &HtmlOptions::default());
    assert!(
        report.html.len() <= 5_000_000,
        "report is {} bytes",
        report.html.len()
    );
    let t = &report.thinning;
    assert_eq!(t.messages_total, 400_000);
    assert!(
        t.messages_kept < t.messages_total && t.messages_kept >= 10_000,
        "{t:?}"
    );
    assert!(report.html.contains("id=\"thinning\""));
    assert!(report.html.contains(&format!(
        "showing {} of 400000 messages ({} omitted)",
        t.messages_kept,
        400_000 - t.messages_kept
    )));
    assert!(report.html.ends_with("</html>\n"));
    // Deterministic: the same run gives the same bytes.
    let again = render_html(&input(&rec, &schedule, None), &HtmlOptions::default());
    assert!(again.html == report.html);
}

#[test]
fn thinning_keeps_every_message_near_a_violation() {
    let rec = busy_run();
    let opts = DiagramOptions {
        max_messages: 5_000,
        keep_near_violation_us: 10_000,
        ..DiagramOptions::default()
    };
    let d = build(&input(&rec, &[], None), &opts);
    assert_eq!(d.msgs.len(), 5_000);
    let near = |m: &[i64; 7]| m[0] <= 5_010_000 && m[1] >= 4_990_000;
    let total_near = rec
        .trace
        .as_ref()
        .unwrap()
        .iter()
        .filter(|e| matches!(e.kind, TraceKind::Deliver | TraceKind::Drop))
        .filter(|e| e.sent_us.unwrap() <= 5_010_000 && e.at_us >= 4_990_000)
        .count();
    assert_eq!(d.msgs.iter().filter(|m| near(m)).count(), total_near);
    // The rest is spread over the whole run, not bunched at the start.
    assert!(d.msgs.iter().any(|m| m[1] > 9_000_000));
    // In time order, as the page expects.
    assert!(d.msgs.windows(2).all(|w| w[0][1] <= w[1][1]));
}

fn kv_op(client: usize, call_us: u64, ret_us: u64, op: Op, out: Ret) -> HistoryOp {
    HistoryOp {
        client: NodeId::client(client),
        call_us,
        ret_us: Some(ret_us),
        status: OpStatus::Ok,
        op,
        out: Some(out),
    }
}

#[test]
fn a_linearizability_counterexample_shows_the_culprit_its_states_and_the_stuck_point() {
    let put = Op::Put {
        key: "k".into(),
        value: "x".into(),
    };
    let get = Op::Get { key: "k".into() };
    let ops = vec![
        kv_op(0, 1_000, 2_000, put, Ret::Done),
        kv_op(1, 3_000, 4_000, get.clone(), Ret::Value { value: None }),
        kv_op(2, 3_500, 4_500, get, Ret::Value { value: None }),
    ];
    let rec = record(
        Vec::new(),
        ops,
        vec![Violation {
            checker: "linearizability".into(),
            message: "C2 get k -> =nil (called at 3000us) cannot be placed".into(),
            at_us: 4_000,
        }],
    );
    let evidence = json!({
        "checker": "linearizability",
        "involved_ops": [0, 1],
        "detail": {
            "partition": "key \"k\"",
            "culprit": {"client": "C2", "call": 3000, "ret": 4000, "input": "get k",
                        "output": "=nil"},
            "culprit_states": ["k=x"],
            "longest_linearization": [
                {"op": {"client": "C1", "call": 1000, "input": "put k=x", "output": "ok"},
                 "state_after": "k=x"}
            ],
            "minimal_history": []
        }
    });
    let html = render_html(&input(&rec, &[], Some(&evidence)), &HtmlOptions::default()).html;
    assert!(html.contains("<tr class=\"cx-op culprit\" data-op=\"1\">"));
    assert!(html.contains("<tr class=\"cx-op\" data-op=\"0\">"));
    assert!(
        !html.contains("data-op=\"2\">"),
        "C3's read is not involved"
    );
    assert!(html.contains("<ul class=\"cx-states\"><li><code>k=x</code></li></ul>"));
    assert!(html.contains("<li data-op=\"0\">C1 put k=x -&gt; ok"));
    assert!(html.contains("No order works"));
    assert!(html.contains("past 0.004000 s"));
    assert!(html.contains("checker evidence (JSON)"));
    let d = build(
        &input(&rec, &[], Some(&evidence)),
        &DiagramOptions::default(),
    );
    assert_eq!(d.highlights[0].ops, vec![0, 1]);
    assert_eq!(d.highlights[0].stuck_at_us, Some(4_000));
}

#[test]
fn an_invariant_violation_names_the_nodes_entries_and_their_views_at_that_moment() {
    let trace = vec![
        view(0, NodeId::server(0), Role::Follower, 1),
        view(100, NodeId::server(0), Role::Leader, 2),
        view(200, NodeId::server(1), Role::Leader, 2),
        view(900, NodeId::server(1), Role::Follower, 3),
    ];
    let rec = record(
        trace,
        Vec::new(),
        vec![Violation {
            checker: "election safety".into(),
            message: "S1 and S2 were both leader in term 2".into(),
            at_us: 200,
        }],
    );
    let html = render_html(&input(&rec, &[], None), &HtmlOptions::default()).html;
    assert!(html.contains("Named: nodes S1, S2; term 2."));
    assert!(html.contains("<tr><td>S1</td><td>Leader</td><td>2</td>"));
    assert!(html.contains("<tr><td>S2</td><td>Leader</td><td>2</td>"));
    let d = build(&input(&rec, &[], None), &DiagramOptions::default());
    assert_eq!(d.highlights[0].nodes, vec!["S1", "S2"]);
    assert_eq!(d.highlights[0].terms, vec![2]);
}

#[test]
fn hostile_labels_cannot_break_out_of_the_page() {
    let mut e = event(10, TraceKind::Deliver, NodeId::server(0));
    e.peer = Some(NodeId::server(1));
    e.sent_us = Some(5);
    e.label = "</script><script>alert(1)</script>".into();
    let rec = record(
        vec![e],
        Vec::new(),
        vec![Violation {
            checker: "x".into(),
            message: "<img src=x onerror=alert(1)>".into(),
            at_us: 10,
        }],
    );
    let html = render_html(&input(&rec, &[], None), &HtmlOptions::default()).html;
    assert_eq!(
        html.matches("<script").count(),
        2,
        "only the page's own scripts"
    );
    assert!(!html.contains("<img"));
}

#[test]
fn the_page_fetches_nothing() {
    let rec = busy_run();
    let html = render_html(&input(&rec, &[], None), &HtmlOptions::default()).html;
    for needle in [
        "http://", "https://", "src=", "<link", "@import", "url(http",
    ] {
        let hits: Vec<usize> = html.match_indices(needle).map(|(i, _)| i).collect();
        // The SVG namespace is an identifier, not a fetch.
        let real = hits
            .iter()
            .filter(|&&i| !html[i..].starts_with("http://www.w3.org/2000/svg"))
            .count();
        assert_eq!(real, 0, "{needle} in the page");
    }
}
