//! Linearizability of a run's client history, through the standalone checker. The history is
//! handed over in memory ([`crate::handoff`]) exactly as `check` would read the run's JSON
//! history file, so what the harness judges online is what a user can re-check offline.

use serde_json::json;
use splitbrain_checkers::{decide, explain, CheckOptions, Decision, ModelKind, Verdict};
use splitbrain_sim::{History, Violation};

/// Search steps per independent key; running out makes the run inconclusive, never a pass.
pub const STEP_BUDGET: u64 = 20_000_000;

/// What the checker concluded about a run's history.
pub enum LinResult {
    Linearizable,
    Violation {
        violation: Violation,
        /// `None` when the check was asked for the verdict only.
        evidence: Option<serde_json::Value>,
    },
    Unknown(String),
}

/// The checker's model for a history model name, if it has one.
fn model_of(name: &str) -> Option<ModelKind> {
    match name {
        "kv" => Some(ModelKind::Kv),
        "register" => Some(ModelKind::Register),
        "cas-register" => Some(ModelKind::CasRegister),
        "write-once" => Some(ModelKind::WriteOnce),
        _ => None,
    }
}

/// Checks `history` if its model is one the checker knows; `None` otherwise. A violation
/// comes with its evidence.
pub fn check(history: &History) -> Option<LinResult> {
    check_with(history, true)
}

/// Like [`check`]; with `evidence` false only the verdict is decided (a seed loop that
/// keeps the outcome alone), and a violation's message names the culprit without the
/// minimised sub-history.
pub fn check_with(history: &History, evidence: bool) -> Option<LinResult> {
    let model = model_of(&history.model)?;
    let parsed = match crate::handoff::to_checker(history) {
        Ok(h) => h,
        Err(e) => return Some(LinResult::Unknown(format!("history not checkable: {e}"))),
    };
    let opts = CheckOptions {
        max_steps: STEP_BUDGET,
        evidence,
        ..CheckOptions::default()
    };
    let decision = decide(&parsed, model, &opts);
    Some(match &decision.verdict {
        Verdict::Linearizable => LinResult::Linearizable,
        Verdict::Unknown(why) => LinResult::Unknown(why.clone()),
        Verdict::NotLinearizable if !evidence => brief_violation(history, &parsed, &decision),
        Verdict::NotLinearizable => {
            let ev = explain(&parsed, model, &decision, &opts);
            let detail = serde_json::to_value(&ev).expect("evidence serialises");
            let involved = involved_ops(history, &detail);
            let message = describe(history, &detail);
            let at_us = involved
                .iter()
                .filter_map(|&i| history.ops[i].ret_us)
                .max()
                .unwrap_or(0);
            let evidence =
                json!({"checker": "linearizability", "involved_ops": involved, "detail": detail});
            LinResult::Violation {
                violation: Violation {
                    checker: "linearizability".to_string(),
                    message,
                    at_us,
                },
                evidence: Some(evidence),
            }
        }
    })
}

/// A violation without evidence: the culprit and its part, from the verdict alone.
fn brief_violation(
    history: &History,
    parsed: &splitbrain_checkers::History,
    decision: &Decision,
) -> LinResult {
    let culprit = decision.culprit(parsed);
    let part = decision.failing_part().unwrap_or("the history");
    let message = match &culprit {
        Some(c) => format!(
            "{} {} -> {} (called at {}) cannot be placed in any order of the operations of \
             {part} (evidence not built in the seed loop: `run` this seed for it)",
            c.client,
            c.input,
            c.output,
            splitbrain_api::ms_label(c.call)
        ),
        None => format!("not linearizable in {part}"),
    };
    let at_us = culprit
        .and_then(|c| c.line.checked_sub(1))
        .and_then(|i| history.ops.get(i as usize))
        .and_then(|o| o.ret_us)
        .unwrap_or(0);
    LinResult::Violation {
        violation: Violation {
            checker: "linearizability".to_string(),
            message,
            at_us,
        },
        evidence: None,
    }
}

/// One line: which operation cannot be placed and what it could have seen.
fn describe(history: &History, detail: &serde_json::Value) -> String {
    let culprit = &detail["culprit"];
    // The checker names a client's later lives apart (`C1001`); the user knows it as `C1`.
    let line = culprit["line"].as_u64().unwrap_or(0) as usize;
    let Some(op) = history.ops.get(line.wrapping_sub(1)) else {
        return format!("not linearizable: {}", detail["culprit"]);
    };
    let client = op.client.to_string();
    let output = op.out.as_ref().map_or("?".to_string(), |r| r.label());
    let call_us = culprit["call"].as_u64().unwrap_or(0);
    let called = splitbrain_api::ms_label(call_us);
    let states: Vec<String> = detail["culprit_states"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .take(3)
                .collect()
        })
        .unwrap_or_default();
    format!(
        "{client} {} -> {output} (called at {called}) cannot be placed in any order of the {} operations of {}; it could have seen: {}",
        op.op.label(),
        detail["minimal_history_len"],
        detail["partition"].as_str().unwrap_or("the history"),
        if states.is_empty() { "nothing".to_string() } else { states.join(" | ") }
    )
}

/// Indices into `history.ops` of the minimal failing sub-history and the culprit: the
/// handoff numbers each operation's line by its position (the checker drops failed
/// operations, so its own indices differ).
fn involved_ops(history: &History, detail: &serde_json::Value) -> Vec<usize> {
    let mut views: Vec<&serde_json::Value> = detail["minimal_history"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    views.push(&detail["culprit"]);
    let mut out: Vec<usize> = views
        .iter()
        .filter_map(|v| {
            let line = v["line"].as_u64()? as usize;
            (1..=history.ops.len()).contains(&line).then(|| line - 1)
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use splitbrain_api::{NodeId, Op, Ret};
    use splitbrain_sim::{HistoryOp, OpStatus};

    fn op(client: usize, call: u64, ret: u64, op: Op, out: Ret) -> HistoryOp {
        HistoryOp {
            client: NodeId::client(client),
            call_us: call,
            ret_us: Some(ret),
            status: OpStatus::Ok,
            op,
            out: Some(out),
        }
    }

    fn kv(ops: Vec<HistoryOp>) -> History {
        History {
            schema_version: 1,
            model: "kv".into(),
            notices: Vec::new(),
            ops,
        }
    }

    #[test]
    fn a_stale_read_after_a_completed_write_is_a_violation_with_its_operations() {
        let put = Op::Put {
            key: "k".into(),
            value: "new".into(),
        };
        let get = Op::Get { key: "k".into() };
        let h = kv(vec![
            op(0, 0, 10, put, Ret::Done),
            op(1, 20, 30, get, Ret::Value { value: None }),
        ]);
        let Some(LinResult::Violation {
            violation,
            evidence: Some(evidence),
        }) = check(&h)
        else {
            panic!("expected a violation with evidence")
        };
        assert_eq!(violation.checker, "linearizability");
        assert!(violation.message.contains("C2"), "{}", violation.message);
        assert_eq!(evidence["involved_ops"], json!([0, 1]));
        let Some(LinResult::Violation {
            violation: brief,
            evidence: None,
        }) = check_with(&h, false)
        else {
            panic!("expected a violation without evidence")
        };
        assert!(brief.message.contains("C2"), "{}", brief.message);
        assert!(
            brief.message.contains("called at 0.020 ms"),
            "{}",
            brief.message
        );
        assert_eq!(brief.at_us, violation.at_us, "{}", brief.message);
    }

    #[test]
    fn concurrent_operations_may_take_either_order() {
        let put = Op::Put {
            key: "k".into(),
            value: "new".into(),
        };
        let get = Op::Get { key: "k".into() };
        let h = kv(vec![
            op(0, 0, 30, put, Ret::Done),
            op(1, 10, 20, get, Ret::Value { value: None }),
        ]);
        assert!(matches!(check(&h), Some(LinResult::Linearizable)));
    }

    #[test]
    fn a_client_that_gave_up_and_went_on_is_checked_as_a_new_process() {
        let put = |v: &str| Op::Put {
            key: "k".into(),
            value: v.into(),
        };
        let get = Op::Get { key: "k".into() };
        let mut gave_up = op(0, 0, 0, put("a"), Ret::Done);
        gave_up.ret_us = None;
        gave_up.status = OpStatus::Indeterminate;
        gave_up.out = None;
        let h = kv(vec![
            gave_up,
            op(
                0,
                20,
                30,
                get.clone(),
                Ret::Value {
                    value: Some("a".into()),
                },
            ),
        ]);
        assert!(matches!(check(&h), Some(LinResult::Linearizable)));
        let stale = kv(vec![
            op(0, 0, 10, put("a"), Ret::Done),
            op(1, 20, 30, get, Ret::Value { value: None }),
        ]);
        assert!(matches!(check(&stale), Some(LinResult::Violation { .. })));
    }

    #[test]
    fn histories_of_other_models_are_left_to_their_own_checks() {
        let h = History {
            schema_version: 1,
            model: "mutex".into(),
            notices: Vec::new(),
            ops: Vec::new(),
        };
        assert!(check(&h).is_none());
    }
}
