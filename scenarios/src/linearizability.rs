//! Linearizability of a run's client history, through the standalone checker. The history is
//! handed over in splitbrain's JSON history format, the same bytes `check` reads from a file,
//! so what the harness judges online is exactly what a user can re-check offline.

use serde_json::json;
use splitbrain_checkers::{
    check_history, read_history_str, CheckOptions, Format, ModelKind, Verdict,
};
use splitbrain_sim::{History, Violation};

/// Search steps per independent key; running out makes the run inconclusive, never a pass.
pub const STEP_BUDGET: u64 = 20_000_000;

/// What the checker concluded about a run's history.
pub enum LinResult {
    Linearizable,
    Violation {
        violation: Violation,
        evidence: serde_json::Value,
    },
    Unknown(String),
}

/// The checker's model for a history model name, if it has one.
fn model_of(name: &str) -> Option<ModelKind> {
    match name {
        "kv" => Some(ModelKind::Kv),
        "register" => Some(ModelKind::Register),
        "cas-register" => Some(ModelKind::CasRegister),
        _ => None,
    }
}

/// Client ids of a client's later lives start this far above its own (`C1` -> `C1001`).
const RETIRED_CLIENT_STRIDE: usize = 1_000;

/// The checker requires an indeterminate operation to be its client's last: it may take
/// effect at any later time, so it stays in flight forever. As in Jepsen, a client that gave
/// up and went on is a new process from then on: its later operations get a fresh client id
/// (`C1` -> `C1001` -> `C2001` ...). Operations keep their positions.
fn retire_after_give_up(history: &History) -> std::borrow::Cow<'_, History> {
    use splitbrain_sim::OpStatus;
    let gave_up_then_went_on = {
        let mut open = std::collections::BTreeSet::new();
        history.ops.iter().any(|op| {
            let again = open.contains(&op.client);
            if op.status == OpStatus::Indeterminate {
                open.insert(op.client);
            }
            again
        })
    };
    if !gave_up_then_went_on {
        return std::borrow::Cow::Borrowed(history);
    }
    let mut lives: std::collections::BTreeMap<usize, usize> = std::collections::BTreeMap::new();
    let mut out = history.clone();
    for op in &mut out.ops {
        let index = op.client.index();
        let life = lives.entry(index).or_insert(0);
        op.client = splitbrain_api::NodeId::client(index + *life * RETIRED_CLIENT_STRIDE);
        if op.status == OpStatus::Indeterminate {
            *life += 1;
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Checks `history` if its model is one the checker knows; `None` otherwise.
pub fn check(history: &History) -> Option<LinResult> {
    let model = model_of(&history.model)?;
    let history = &*retire_after_give_up(history);
    let text = serde_json::to_string(history).expect("histories serialise");
    let parsed = match read_history_str(&text, "run history", Some(Format::Splitbrain), model) {
        Ok(h) => h,
        Err(e) => return Some(LinResult::Unknown(format!("history not checkable: {e}"))),
    };
    let opts = CheckOptions {
        max_steps: STEP_BUDGET,
        ..CheckOptions::default()
    };
    let report = check_history(&parsed, model, &opts);
    Some(match report.verdict {
        Verdict::Linearizable => LinResult::Linearizable,
        Verdict::Unknown(why) => LinResult::Unknown(why),
        Verdict::NotLinearizable => {
            let detail = serde_json::to_value(&report.evidence).expect("evidence serialises");
            let involved = involved_ops(history, &detail);
            let message = describe(&detail);
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
                evidence,
            }
        }
    })
}

/// One line: which operation cannot be placed and what it could have seen.
fn describe(detail: &serde_json::Value) -> String {
    let culprit = &detail["culprit"];
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
        "{} {} -> {} (called at {}us) cannot be placed in any order of the {} operations of {}; it could have seen: {}",
        culprit["client"].as_str().unwrap_or("?"),
        culprit["input"].as_str().unwrap_or("?"),
        culprit["output"].as_str().unwrap_or("?"),
        culprit["call"],
        detail["minimal_history_len"],
        detail["partition"].as_str().unwrap_or("the history"),
        if states.is_empty() { "nothing".to_string() } else { states.join(" | ") }
    )
}

/// Indices into `history.ops` of the minimal failing sub-history and the culprit, matched
/// by client and call time (the checker drops failed operations, so its indices differ).
fn involved_ops(history: &History, detail: &serde_json::Value) -> Vec<usize> {
    let mut views: Vec<&serde_json::Value> = detail["minimal_history"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    views.push(&detail["culprit"]);
    let mut out: Vec<usize> = views
        .iter()
        .filter_map(|v| {
            let client = v["client"].as_str()?;
            let call = v["call"].as_u64()?;
            history
                .ops
                .iter()
                .position(|op| op.call_us == call && op.client.to_string() == client)
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
            evidence,
        }) = check(&h)
        else {
            panic!("expected a violation")
        };
        assert_eq!(violation.checker, "linearizability");
        assert!(violation.message.contains("C2"), "{}", violation.message);
        assert_eq!(evidence["involved_ops"], json!([0, 1]));
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
            ops: Vec::new(),
        };
        assert!(check(&h).is_none());
    }
}
