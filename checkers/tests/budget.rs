//! The budget is always honoured: running out of steps or time gives `Unknown`, never a
//! pass, and a time limit stops even a search that would take hours.

use std::time::Duration;

use splitbrain_checkers::{
    check_history, CheckOptions, History, Input, ModelKind, Operation, Output,
};
use splitbrain_checkers::{Source, Value, Verdict};

/// `n` concurrent writes of distinct values, then a read of a value never written: the
/// search must rule out every order of every subset before it can say "violation".
fn hard_history(n: u64) -> History {
    let mut h = History::default();
    for i in 0..n {
        let client = h.client_id(&format!("w{i}"));
        h.ops.push(Operation {
            client,
            input: Input::Write {
                key: Value::Nil,
                value: Value::Int(i as i64),
            },
            output: Output::Done,
            call: i,
            ret: Some(1000 + i),
            source: Source::default(),
        });
    }
    let client = h.client_id("reader");
    h.ops.push(Operation {
        client,
        input: Input::Read { key: Value::Nil },
        output: Output::Value(Value::Int(-1)),
        call: 5000,
        ret: Some(5001),
        source: Source::default(),
    });
    h
}

#[test]
fn a_time_limit_turns_a_hard_search_into_unknown_promptly() {
    let h = hard_history(24);
    let opts = CheckOptions {
        time_limit: Some(Duration::from_millis(50)),
        ..CheckOptions::default()
    };
    // No wall-clock bound is asserted (tests assert no timings): the search over every order
    // of every subset of 24 writes takes hours, so returning at all, for the time limit's
    // reason, shows the limit stopped it.
    let r = check_history(&h, ModelKind::Register, &opts);
    let stopped_by_time =
        matches!(&r.verdict, Verdict::Unknown(why) if why.ends_with("time limit reached"));
    assert!(stopped_by_time, "{:?}", r.verdict);
}

#[test]
fn a_step_limit_turns_a_hard_search_into_unknown() {
    let h = hard_history(24);
    let opts = CheckOptions {
        max_steps: 10_000,
        ..CheckOptions::default()
    };
    let r = check_history(&h, ModelKind::Register, &opts);
    assert!(matches!(r.verdict, Verdict::Unknown(_)), "{:?}", r.verdict);
    assert!(r.steps <= 10_001 + 64, "steps {}", r.steps);
}

#[test]
fn a_small_hard_search_still_finds_the_violation() {
    let h = hard_history(6);
    let r = check_history(&h, ModelKind::Register, &CheckOptions::default());
    assert_eq!(r.verdict, Verdict::NotLinearizable);
    let ev = r.evidence.expect("evidence");
    assert_eq!(ev.culprit.input, "read()");
    assert_eq!(
        ev.minimal_history_len, 1,
        "a read of a value never written fails alone"
    );
}
