//! The write-once register model (Basic Paxos): a propose fills an empty register and every
//! propose returns the value the register holds afterwards.

use splitbrain_checkers::{check_history, read_history_str, CheckOptions, Format, ModelKind};
use splitbrain_checkers::{Input, Verdict};

/// A history of proposals on register `r`: `(client, call, ret, value, returned)`;
/// `returned == None` is an indeterminate proposal.
fn history(ops: &[(u32, u64, u64, &str, Option<&str>)]) -> String {
    let lines: Vec<String> = ops
        .iter()
        .map(|&(c, call, ret, v, out)| match out {
            Some(x) => format!(
                r#"{{"client": "C{c}", "call_us": {call}, "ret_us": {ret}, "status": "ok", "op": {{"f": "propose", "key": "r", "value": "{v}"}}, "out": {{"r": "value", "value": "{x}"}}}}"#
            ),
            None => format!(
                r#"{{"client": "C{c}", "call_us": {call}, "ret_us": null, "status": "indeterminate", "op": {{"f": "propose", "key": "r", "value": "{v}"}}, "out": null}}"#
            ),
        })
        .collect();
    format!(
        r#"{{"schema_version": 1, "model": "write-once", "ops": [{}]}}"#,
        lines.join(",\n")
    )
}

fn verdict(text: &str) -> Verdict {
    let h = read_history_str(
        text,
        "h.json",
        Some(Format::Splitbrain),
        ModelKind::WriteOnce,
    )
    .expect("reads");
    check_history(&h, ModelKind::WriteOnce, &CheckOptions::default()).verdict
}

#[test]
fn every_proposer_learning_the_first_value_is_linearizable() {
    let h = history(&[
        (1, 0, 50, "a", Some("a")),
        (2, 10, 60, "b", Some("a")),
        (3, 70, 80, "c", Some("a")),
    ]);
    assert_eq!(verdict(&h), Verdict::Linearizable);
}

#[test]
fn two_values_chosen_for_one_register_are_refuted() {
    let h = history(&[(1, 0, 50, "a", Some("a")), (2, 10, 60, "b", Some("b"))]);
    assert_eq!(verdict(&h), Verdict::NotLinearizable);
}

#[test]
fn a_value_nobody_proposed_is_refuted() {
    let h = history(&[(1, 0, 50, "a", Some("z"))]);
    assert_eq!(verdict(&h), Verdict::NotLinearizable);
}

#[test]
fn a_later_proposal_cannot_win_over_a_completed_one() {
    // C1's proposal of `a` returned `a` before C2 proposed; C2 must learn `a`, and C3, whose
    // `c` came back although `a` was already chosen, is refuted.
    let ok = history(&[(1, 0, 10, "a", Some("a")), (2, 20, 30, "b", Some("a"))]);
    assert_eq!(verdict(&ok), Verdict::Linearizable);
    let bad = history(&[(1, 0, 10, "a", Some("a")), (3, 20, 30, "c", Some("c"))]);
    assert_eq!(verdict(&bad), Verdict::NotLinearizable);
}

#[test]
fn an_indeterminate_proposal_may_be_the_one_chosen() {
    let h = history(&[(1, 0, 0, "a", None), (2, 100, 110, "b", Some("a"))]);
    assert_eq!(verdict(&h), Verdict::Linearizable);
}

#[test]
fn write_once_accepts_only_propose_and_read() {
    let put = Input::Write {
        key: splitbrain_checkers::Value::Str("r".into()),
        value: splitbrain_checkers::Value::Str("x".into()),
    };
    assert!(!ModelKind::WriteOnce.supports(&put));
    assert!(!ModelKind::Kv.supports(&Input::Propose {
        key: splitbrain_checkers::Value::Nil,
        value: splitbrain_checkers::Value::Nil
    }));
    assert_eq!("write-once".parse::<ModelKind>(), Ok(ModelKind::WriteOnce));
}
