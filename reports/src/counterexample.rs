//! Which operations, nodes, log entries and moments a violation involves, so the report can
//! highlight them. Derived from the violation's message and the history, or taken from
//! checker evidence when there is some (the shape is documented in the crate docs).

use serde::Serialize;
use serde_json::Value;
use splitbrain_api::{NodeId, NodeView, Op, Ret, Role};
use splitbrain_sim::{OpStatus, RunRecord, TraceKind, Violation};

/// What to highlight for one violation.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Highlight {
    pub checker: String,
    pub message: String,
    pub at_us: u64,
    /// Indices into `record.history.ops` of the operations involved.
    pub ops: Vec<usize>,
    /// Nodes the violation names, in order of mention.
    pub nodes: Vec<String>,
    /// Log indices the message names (`index 5`).
    pub indices: Vec<u64>,
    /// Terms, epochs or ballots the message names (`term 3`).
    pub terms: Vec<u64>,
    /// Linearizability: the operation that cannot be placed.
    pub culprit: Option<usize>,
    /// Linearizability: the moment past which no order works (the culprit's return).
    pub stuck_at_us: Option<u64>,
    /// Linearizability: the states the culprit could have observed.
    pub culprit_states: Vec<String>,
    /// Linearizability: the longest partial linearization the search found (its tail).
    pub linearization: Vec<LinStep>,
    /// Linearizability: the independent part that failed (`key "k1"`).
    pub partition: Option<String>,
    /// Each named server's view at `at_us` (the last one recorded at or before it).
    pub views: Vec<(String, Option<NodeView>)>,
    /// When the story starts: the earliest moment a named node entered a named term as leader
    /// (both leaders' elections belong on screen), if before `at_us`.
    pub context_from_us: Option<u64>,
    /// The evidence as given, for the raw view.
    #[serde(skip)]
    pub raw_evidence: Option<Value>,
}

/// One step of a partial linearization.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinStep {
    /// Index into `record.history.ops`, when the step could be matched.
    pub op: Option<usize>,
    pub label: String,
    pub state_after: String,
}

/// One highlight per recorded violation, in the record's order.
pub fn highlights(record: &RunRecord, evidence: Option<&Value>) -> Vec<Highlight> {
    let evidence_for = evidence_target(record, evidence);
    record
        .violations
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let ev = if evidence_for == Some(i) {
                evidence
            } else {
                None
            };
            highlight(record, v, ev)
        })
        .collect()
}

/// The violation the evidence belongs to: the first linearizability one, else the first.
fn evidence_target(record: &RunRecord, evidence: Option<&Value>) -> Option<usize> {
    evidence?;
    let lin = record
        .violations
        .iter()
        .position(|v| v.checker.contains("linearizab"));
    lin.or(if record.violations.is_empty() {
        None
    } else {
        Some(0)
    })
}

fn highlight(record: &RunRecord, v: &Violation, evidence: Option<&Value>) -> Highlight {
    let words = words(&v.message);
    let mut h = Highlight {
        checker: v.checker.clone(),
        message: v.message.clone(),
        at_us: v.at_us,
        nodes: named_nodes(record, &words),
        indices: numbers_after(&words, &["index", "indices", "slot", "instance"]),
        terms: numbers_after(&words, &["term", "epoch", "ballot", "view"]),
        ..Highlight::default()
    };
    if v.checker == "mutual exclusion" {
        if let Some(&lock) = numbers_after(&words, &["lock"]).first() {
            h.ops = lock_winners(record, lock);
        }
    }
    if v.checker.contains("linearizab") && evidence.is_none() {
        h.culprit = culprit_from_message(record, &v.message, &h.nodes);
        h.ops.extend(h.culprit);
    }
    if let Some(ev) = evidence {
        apply_evidence(record, ev, &mut h);
    }
    h.stuck_at_us = h
        .culprit
        .and_then(|c| record.history.ops.get(c))
        .map(|op| op.ret_us.unwrap_or(op.call_us));
    h.ops.sort_unstable();
    h.ops.dedup();
    h.views = views_at(record, &h.nodes, v.at_us);
    h.context_from_us = leaders_since(record, &h.nodes, &h.terms, v.at_us);
    h
}

/// The earliest time one of `nodes` became leader of one of `terms`, up to `at_us`.
fn leaders_since(record: &RunRecord, nodes: &[String], terms: &[u64], at_us: u64) -> Option<u64> {
    if terms.is_empty() {
        return None;
    }
    record
        .trace
        .as_ref()?
        .iter()
        .take_while(|e| e.at_us <= at_us)
        .filter(|e| e.kind == TraceKind::View)
        .filter(|e| {
            e.view
                .as_ref()
                .is_some_and(|v| v.role == Role::Leader && terms.contains(&v.term))
        })
        .find(|e| e.node.is_some_and(|n| nodes.contains(&n.to_string())))
        .map(|e| e.at_us)
}

/// The message split into words, punctuation dropped (`{S1,C1}` gives `S1`, `C1`).
fn words(message: &str) -> Vec<&str> {
    message
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Node names mentioned in the message that are lanes of this run, first mention first.
fn named_nodes(record: &RunRecord, words: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in words {
        let Some(id) = NodeId::parse(w) else {
            continue;
        };
        let name = id.to_string();
        if name == *w && record.nodes.contains(&id) && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// Numbers that directly follow one of `keys` (case-insensitive).
fn numbers_after(words: &[&str], keys: &[&str]) -> Vec<u64> {
    let mut out = Vec::new();
    for pair in words.windows(2) {
        if keys.iter().any(|k| pair[0].eq_ignore_ascii_case(k)) {
            if let Ok(n) = pair[1].parse::<u64>() {
                if !out.contains(&n) {
                    out.push(n);
                }
            }
        }
    }
    out
}

/// Every client that acquired `lock` (returned true).
fn lock_winners(record: &RunRecord, lock: u64) -> Vec<usize> {
    record
        .history
        .ops
        .iter()
        .enumerate()
        .filter(|(_, op)| {
            op.op == Op::Acquire { lock }
                && op.status == OpStatus::Ok
                && op.out == Some(Ret::Bool { value: true })
        })
        .map(|(i, _)| i)
        .collect()
}

/// The linearizability checker's message names the culprit: `C2 get k -> =nil (called at
/// 0.005000s) cannot be placed...` (older messages: `5000us`).
fn culprit_from_message(record: &RunRecord, message: &str, nodes: &[String]) -> Option<usize> {
    let client = nodes.first()?;
    let after = message.split("called at ").nth(1)?;
    let time = after.split(')').next()?.trim();
    let call: u64 = match time.strip_suffix("us") {
        Some(us) => us.trim().parse().ok()?,
        None => {
            let (secs, micros) = time.strip_suffix('s')?.split_once('.')?;
            secs.parse::<u64>().ok()? * 1_000_000 + micros.parse::<u64>().ok()?
        }
    };
    find_op(record, client, call)
}

/// The operation `client` called at `call_us`. A client that gave up on an operation and went
/// on is checked as a new process (Jepsen's rule): the harness names its later lives
/// `C1001`, `C2001`, ... for `C1`, so those match their client's lane too.
fn find_op(record: &RunRecord, client: &str, call_us: u64) -> Option<usize> {
    let ops = &record.history.ops;
    let at_call: Vec<usize> = (0..ops.len())
        .filter(|&i| ops[i].call_us == call_us)
        .collect();
    if let Some(&i) = at_call
        .iter()
        .find(|&&i| ops[i].client.to_string() == client)
    {
        return Some(i);
    }
    let lane = NodeId::parse(client)
        .filter(|id| id.is_client())
        .map(|id| NodeId::client(id.index() % RETIRED_CLIENT_STRIDE));
    at_call
        .iter()
        .copied()
        .find(|&i| Some(ops[i].client) == lane)
}

/// How far apart the harness numbers a client's lives (`scenarios::linearizability`).
const RETIRED_CLIENT_STRIDE: usize = 1_000;

/// An operation named in evidence (`{"client": "C1", "call": 100, ...}`), in the history.
fn evidence_op(record: &RunRecord, v: &Value) -> Option<usize> {
    find_op(record, v.get("client")?.as_str()?, v.get("call")?.as_u64()?)
}

/// An operation of the run as the operations table writes it: `C1 get k0 -> =x`.
pub fn run_op_text(record: &RunRecord, i: usize) -> String {
    let op = &record.history.ops[i];
    let out = op.out.as_ref().map_or("?".to_string(), |r| r.label());
    format!("{} {} -> {}", op.client, op.op.label(), out)
}

fn op_text(v: &Value) -> String {
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("?").to_string();
    format!("{} {} -> {}", s("client"), s("input"), s("output"))
}

fn apply_evidence(record: &RunRecord, ev: &Value, h: &mut Highlight) {
    h.raw_evidence = Some(ev.clone());
    let n_ops = record.history.ops.len();
    let listed = ev
        .as_array()
        .or_else(|| ev.get("involved_ops").and_then(Value::as_array))
        .or_else(|| ev.get("ops").and_then(Value::as_array));
    for i in listed.into_iter().flatten().filter_map(Value::as_u64) {
        if (i as usize) < n_ops {
            h.ops.push(i as usize);
        }
    }
    let detail = ev.get("detail").unwrap_or(ev);
    if !detail.is_object() {
        return;
    }
    if let Some(c) = detail.get("culprit") {
        h.culprit = evidence_op(record, c);
        h.ops.extend(h.culprit);
        if let Some(op) = h.culprit.map(|i| &record.history.ops[i]) {
            let name = op.client.to_string();
            if !h.nodes.contains(&name) {
                h.nodes.push(name);
            }
        }
    }
    h.partition = detail
        .get("partition")
        .and_then(Value::as_str)
        .map(str::to_string);
    h.culprit_states = detail
        .get("culprit_states")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(value_text).collect())
        .unwrap_or_default();
    for m in detail
        .get("minimal_history")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        h.ops.extend(evidence_op(record, m));
    }
    h.linearization = detail
        .get("longest_linearization")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|step| {
            let op = step.get("op").unwrap_or(&Value::Null);
            let found = evidence_op(record, op);
            LinStep {
                op: found,
                label: found.map_or_else(|| op_text(op), |i| run_op_text(record, i)),
                state_after: step.get("state_after").map(value_text).unwrap_or_default(),
            }
        })
        .collect();
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The last recorded view of each named node at or before `at_us`.
fn views_at(record: &RunRecord, nodes: &[String], at_us: u64) -> Vec<(String, Option<NodeView>)> {
    let Some(trace) = &record.trace else {
        return Vec::new();
    };
    nodes
        .iter()
        .filter(|n| n.starts_with('S'))
        .map(|name| {
            let view = trace
                .iter()
                .take_while(|e| e.at_us <= at_us)
                .filter(|e| e.kind == TraceKind::View)
                .filter(|e| e.node.is_some_and(|id| id.to_string() == *name))
                .filter_map(|e| e.view.clone())
                .last();
            (name.clone(), view)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use splitbrain_sim::{History, HistoryOp, Outcome};
    use std::collections::BTreeMap;

    fn record(ops: Vec<HistoryOp>, violations: Vec<Violation>) -> RunRecord {
        RunRecord {
            seed: 0,
            outcome: Outcome::Violation,
            violations,
            exceptions: Vec::new(),
            panic: None,
            trace_hash: 0,
            events: 0,
            sim_time_us: 1_000,
            liveness_from_us: None,
            history: History {
                schema_version: 1,
                model: "mutex".into(),
                notices: Vec::new(),
                ops,
            },
            marks: BTreeMap::new(),
            mark_at: BTreeMap::new(),
            trace: None,
            nodes: vec![
                NodeId::server(0),
                NodeId::server(1),
                NodeId::client(0),
                NodeId::client(1),
            ],
            inspection: None,
        }
    }

    fn acquire(client: usize, lock: u64, won: bool, call_us: u64) -> HistoryOp {
        HistoryOp {
            client: NodeId::client(client),
            call_us,
            ret_us: Some(call_us + 10),
            status: OpStatus::Ok,
            op: Op::Acquire { lock },
            out: Some(Ret::Bool { value: won }),
        }
    }

    fn violation(checker: &str, message: &str) -> Violation {
        Violation {
            checker: checker.into(),
            message: message.into(),
            at_us: 500,
        }
    }

    #[test]
    fn mutual_exclusion_highlights_exactly_the_winners_of_the_named_lock() {
        let r = record(
            vec![
                acquire(0, 7, true, 1),
                acquire(1, 7, true, 2),
                acquire(1, 6, true, 3),
                acquire(0, 8, false, 4),
            ],
            vec![violation(
                "mutual exclusion",
                "C2 and C1 both acquired lock 7 (returned at 0.011 ms and 0.012 ms): split brain",
            )],
        );
        let h = &highlights(&r, None)[0];
        assert_eq!(h.ops, vec![0, 1]);
        assert_eq!(h.nodes, vec!["C2", "C1"]);
    }

    #[test]
    fn invariant_messages_name_nodes_indices_and_terms() {
        let r = record(
            Vec::new(),
            vec![
                violation(
                    "state machine safety",
                    "S2 applied a different command than S1 at index 5",
                ),
                violation("election safety", "S1 and S2 were both leader in term 3"),
            ],
        );
        let hs = highlights(&r, None);
        assert_eq!(hs[0].nodes, vec!["S2", "S1"]);
        assert_eq!(hs[0].indices, vec![5]);
        assert_eq!(hs[1].terms, vec![3]);
        assert!(hs[1].ops.is_empty());
    }

    #[test]
    fn names_of_nodes_outside_the_run_are_not_lanes() {
        let r = record(
            Vec::new(),
            vec![violation("x", "S9 and S1x and S1 disagree")],
        );
        assert_eq!(highlights(&r, None)[0].nodes, vec!["S1"]);
    }

    #[test]
    fn linearizability_evidence_maps_checker_ops_to_history_indices() {
        let r = record(
            vec![
                acquire(0, 1, true, 100),
                acquire(1, 1, false, 200),
                acquire(0, 2, true, 300),
            ],
            vec![violation("mutual exclusion", "nothing"), {
                violation(
                    "linearizability",
                    "C2 ... (called at 200us) cannot be placed",
                )
            }],
        );
        let ev = json!({
            "checker": "linearizability",
            "involved_ops": [0, 99],
            "detail": {
                "partition": "lock 1",
                "culprit": {"client": "C2", "call": 200, "input": "acquire", "output": "false"},
                "culprit_states": ["free"],
                "longest_linearization": [
                    {"op": {"client": "C1", "call": 100, "input": "acquire", "output": "true"},
                     "state_after": "held by C1"}
                ],
                "minimal_history": [{"client": "C1", "call": 300}]
            }
        });
        let hs = highlights(&r, Some(&ev));
        assert!(
            hs[0].ops.is_empty(),
            "evidence goes to the linearizability violation"
        );
        let h = &hs[1];
        assert_eq!(h.ops, vec![0, 1, 2]);
        assert_eq!(h.culprit, Some(1));
        assert_eq!(h.stuck_at_us, Some(210));
        assert_eq!(h.culprit_states, vec!["free"]);
        assert_eq!(h.linearization[0].op, Some(0));
        assert_eq!(h.linearization[0].state_after, "held by C1");
        assert_eq!(h.partition.as_deref(), Some("lock 1"));
    }

    #[test]
    fn a_bare_list_of_indices_is_evidence_too() {
        let r = record(
            vec![acquire(0, 1, true, 100), acquire(1, 1, true, 200)],
            vec![violation("linearizability", "no order")],
        );
        let h = &highlights(&r, Some(&json!([1])))[0];
        assert_eq!(h.ops, vec![1]);
    }

    #[test]
    fn without_evidence_the_culprit_comes_from_the_checker_message() {
        let r = record(
            vec![acquire(0, 1, true, 100), acquire(1, 1, true, 200)],
            vec![violation(
                "linearizability",
                "C2 acquire lock1 -> true (called at 200us) cannot be placed",
            )],
        );
        let h = &highlights(&r, None)[0];
        assert_eq!(h.culprit, Some(1));
        assert_eq!(h.ops, vec![1]);
    }

    #[test]
    fn a_client_checked_as_a_new_process_after_giving_up_is_found_on_its_lane() {
        let r = record(
            vec![
                acquire(0, 1, false, 100),
                acquire(1, 1, false, 100),
                acquire(0, 1, true, 200),
            ],
            vec![violation("linearizability", "no order")],
        );
        // C1's third life is C2001; C2 called at 100 too.
        let ev = json!({"detail": {"culprit": {"client": "C2001", "call": 100}}});
        let h = &highlights(&r, Some(&ev))[0];
        assert_eq!(h.culprit, Some(0));
        assert_eq!(h.nodes, vec!["C1"]);
        let ev = json!({"detail": {"culprit": {"client": "C1002", "call": 100}}});
        assert_eq!(highlights(&r, Some(&ev))[0].culprit, Some(1));
        let ev = json!({"detail": {"culprit": {"client": "C2", "call": 200}}});
        assert_eq!(
            highlights(&r, Some(&ev))[0].culprit,
            None,
            "C2 called nothing at 200"
        );
    }
}
