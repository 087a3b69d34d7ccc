//! What a user relies on from the verdict phase: a hard part does not hide an easy
//! violation behind it, a memory cap reached is reported as `unknown` with its reason,
//! parallel and sequential checks agree, and a busy many-client history is decided.

mod common;

use common::bigkv::{self, Shape};
use splitbrain_checkers::{
    check_history, decide, read_history_str, CheckOptions, Format, History, Input, ModelKind,
    Operation, Output, Source, Value, Verdict,
};

fn s(x: &str) -> Value {
    Value::Str(x.into())
}

fn push(h: &mut History, client: &str, input: Input, output: Output, call: u64, ret: u64) {
    let client = h.client_id(client);
    h.ops.push(Operation {
        client,
        input,
        output,
        call,
        ret: Some(ret),
        source: Source::default(),
    });
}

/// Key "a": `n` concurrent puts, then a read of the put that returned first. It is
/// linearizable (that put last), but the search, which tries puts in order of return,
/// meets it only after ruling out every order that placed it early: hard. Key "b": a read
/// of a value overwritten before the read began, refuted at once.
fn hard_key_ahead_of_a_refuted_one(n: u64) -> History {
    let mut h = History::default();
    for i in 0..n {
        let put = Input::Write {
            key: s("a"),
            value: s(&format!("a{i}")),
        };
        push(&mut h, &format!("w{i}"), put, Output::Done, i, 1000 + i);
    }
    let read_a = Input::Read { key: s("a") };
    push(&mut h, "ra", read_a, Output::Value(s("a0")), 5000, 5001);
    for (t, v) in [(6000, "old"), (6100, "new")] {
        let put = Input::Write {
            key: s("b"),
            value: s(v),
        };
        push(&mut h, "wb", put, Output::Done, t, t + 10);
    }
    let read_b = Input::Read { key: s("b") };
    push(&mut h, "rb", read_b, Output::Value(s("old")), 6200, 6210);
    h
}

#[test]
fn a_hard_linearizable_key_does_not_hide_an_easily_refuted_one() {
    let h = hard_key_ahead_of_a_refuted_one(24);
    let d = decide(&h, ModelKind::Kv, &CheckOptions::default());
    assert_eq!(d.verdict, Verdict::NotLinearizable);
    assert_eq!(d.failing_part(), Some("key \"b\""));
    let culprit = d.culprit(&h).expect("the culprit is named");
    assert_eq!(culprit.index, h.ops.len() - 1, "the stale read of b");
}

#[test]
fn the_hard_key_alone_is_not_called_linearizable_when_it_cannot_be_decided() {
    // Without key "b", the verdict rests on key "a": with a small step budget the check
    // must answer unknown (never a pass, never a violation it did not find).
    let mut h = hard_key_ahead_of_a_refuted_one(24);
    h.ops.truncate(25);
    let opts = CheckOptions {
        max_steps: 20_000,
        ..CheckOptions::default()
    };
    let d = decide(&h, ModelKind::Kv, &opts);
    assert!(
        matches!(&d.verdict, Verdict::Unknown(r) if r.contains("key \"a\"") && r.contains("step limit")),
        "{:?}",
        d.verdict
    );
}

#[test]
fn a_memory_cap_reached_gives_unknown_with_the_reason() {
    let h = hard_key_ahead_of_a_refuted_one(24);
    let mut only_a = h.clone();
    only_a.ops.truncate(25);
    let opts = CheckOptions {
        max_memory_bytes: 256 << 10,
        ..CheckOptions::default()
    };
    let r = check_history(&only_a, ModelKind::Kv, &opts);
    match &r.verdict {
        Verdict::Unknown(reason) => assert!(
            reason.contains("key \"a\"") && reason.contains("memory cap of 256 KiB"),
            "{reason}"
        ),
        other => panic!("expected unknown, got {other:?}"),
    }
    let tiny = CheckOptions {
        max_memory_bytes: 1 << 10,
        ..CheckOptions::default()
    };
    let r = check_history(&h, ModelKind::Kv, &tiny);
    assert!(
        matches!(&r.verdict, Verdict::Unknown(reason) if reason.contains("history alone")),
        "{:?}",
        r.verdict
    );
}

fn busy(ops: u64, violation: Option<u64>) -> History {
    let text = bigkv::generate_json(&Shape::busy(ops, violation)).expect("generated");
    read_history_str(&text, "busy.json", Some(Format::Splitbrain), ModelKind::Kv)
        .expect("generated history reads")
}

#[test]
fn a_busy_fifty_client_ten_key_history_is_decided() {
    // The shape of the 100,000-operation benchmark, smaller: 50 clients on 10 keys, 1%
    // indeterminate, a stale read early, in the middle or late on the last key.
    let lin = decide(&busy(6_000, None), ModelKind::Kv, &CheckOptions::default());
    assert_eq!(lin.verdict, Verdict::Linearizable);
    for at in [100, 500, 900] {
        let h = busy(6_000, Some(at));
        let d = decide(&h, ModelKind::Kv, &CheckOptions::default());
        assert_eq!(
            d.verdict,
            Verdict::NotLinearizable,
            "stale read at {at} per mille"
        );
        assert_eq!(d.failing_part(), Some("key \"k9\""), "at {at} per mille");
    }
}

#[test]
fn parallel_and_sequential_checks_agree_on_hard_and_busy_histories() {
    let cases = [
        ("hard key ahead", hard_key_ahead_of_a_refuted_one(24)),
        ("busy, fine", busy(3_000, None)),
        ("busy, stale read", busy(3_000, Some(500))),
    ];
    for (name, h) in cases {
        let seq = check_history(&h, ModelKind::Kv, &CheckOptions::default());
        let parallel = CheckOptions {
            parallel: true,
            ..CheckOptions::default()
        };
        let par = check_history(&h, ModelKind::Kv, &parallel);
        assert_eq!(format!("{seq:?}"), format!("{par:?}"), "{name}");
    }
}
