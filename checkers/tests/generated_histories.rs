//! Checks that need no file from outside the repository: the histories are generated here.
//! (The shared Jepsen/Knossos/Porcupine verdict tables are in `shared_histories.rs`.)

use splitbrain_checkers::{
    check_history, read_history_str, CheckOptions, Format, History, ModelKind, Verdict,
};

/// A splitbrain JSON history of `model` with the given operation objects.
fn json_history(model: &str, ops: &[String]) -> String {
    format!(
        "{{\"schema_version\": 1, \"model\": \"{model}\", \"ops\": [\n{}\n]}}",
        ops.join(",\n")
    )
}

/// One completed operation of client `c` called at `t`.
fn op(c: &str, t: u64, op: &str, out: &str) -> String {
    format!(
        "{{\"client\":\"{c}\",\"call_us\":{t},\"ret_us\":{},\"status\":\"ok\",\"op\":{op},\"out\":{out}}}",
        t + 15
    )
}

/// Writes and reads on `keys` keys by three overlapping clients; with `stale`, one read on
/// the last key returns a value that was overwritten before the read began.
fn kv_history(keys: u64, stale: bool) -> History {
    let mut ops = Vec::new();
    let mut t = 0;
    for k in 0..keys {
        for (i, value) in ["a", "b"].iter().enumerate() {
            let client = format!("C{}", i + 1);
            let put = format!("{{\"f\":\"put\",\"key\":\"k{k}\",\"value\":\"{value}\"}}");
            ops.push(op(&client, t, &put, "{\"r\":\"done\"}"));
            t += 20;
        }
        let seen = if stale && k + 1 == keys { "a" } else { "b" };
        let get = format!("{{\"f\":\"get\",\"key\":\"k{k}\"}}");
        let out = format!("{{\"r\":\"value\",\"value\":\"{seen}\"}}");
        ops.push(op("C3", t, &get, &out));
        t += 5;
    }
    let text = json_history("kv", &ops);
    read_history_str(
        &text,
        "generated.json",
        Some(Format::Splitbrain),
        ModelKind::Kv,
    )
    .expect("generated history reads")
}

/// Two clients acquiring one lock; with `both`, both are granted it.
fn mutex_history(both: bool) -> History {
    let acquire = "{\"f\":\"acquire\",\"lock\":7}";
    let granted = |g: bool| format!("{{\"r\":\"bool\",\"value\":{g}}}");
    let ops = [
        op("a", 0, acquire, &granted(true)),
        op("b", 30, acquire, &granted(both)),
    ];
    let text = json_history("mutex", &ops);
    read_history_str(
        &text,
        "generated.json",
        Some(Format::Splitbrain),
        ModelKind::Mutex,
    )
    .expect("generated history reads")
}

#[test]
fn generated_histories_get_the_verdicts_they_were_built_for() {
    let verdict = |h: &History, m| check_history(h, m, &CheckOptions::default()).verdict;
    assert_eq!(
        verdict(&kv_history(6, false), ModelKind::Kv),
        Verdict::Linearizable
    );
    assert!(matches!(
        verdict(&kv_history(6, true), ModelKind::Kv),
        Verdict::NotLinearizable
    ));
    assert_eq!(
        verdict(&mutex_history(false), ModelKind::Mutex),
        Verdict::Linearizable
    );
    assert!(matches!(
        verdict(&mutex_history(true), ModelKind::Mutex),
        Verdict::NotLinearizable
    ));
}

#[test]
fn parallel_and_sequential_checks_give_identical_reports() {
    for (name, h, model) in [
        ("kv, stale read", kv_history(8, true), ModelKind::Kv),
        ("kv, fine", kv_history(8, false), ModelKind::Kv),
        ("mutex, two holders", mutex_history(true), ModelKind::Mutex),
    ] {
        let seq = check_history(&h, model, &CheckOptions::default());
        let parallel = CheckOptions {
            parallel: true,
            ..CheckOptions::default()
        };
        let par = check_history(&h, model, &parallel);
        assert_eq!(format!("{seq:?}"), format!("{par:?}"), "{name}");
    }
}

#[test]
fn an_empty_jepsen_log_reads_as_an_empty_history() {
    let model = ModelKind::PorcupineEtcdCasRegister;
    let h = read_history_str("", "empty.log", Some(Format::Jepsen), model).expect("read");
    assert!(h.ops.is_empty());
    let r = check_history(&h, model, &CheckOptions::default());
    assert_eq!(r.verdict, Verdict::Linearizable);
}
