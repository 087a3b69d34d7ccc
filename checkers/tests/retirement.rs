//! Indeterminate operations the memo counts instead of naming: from the point where no
//! remaining operation can observe what one of them would leave, it is interchangeable
//! with the others of its kind. One whose value is still read later is not, and the
//! memo must keep telling it apart (these histories fail when it does not).

use splitbrain_checkers::{
    check_history, read_history_str, CheckOptions, Format, ModelKind, Verdict,
};

/// A one-key kv history: `(client, call, ret, f, value, out)`; `ret == None` is an
/// indeterminate operation; `out` is a get's value or a cas's success.
type Op<'a> = (u32, u64, Option<u64>, &'a str, &'a str, &'a str);

fn history(ops: &[Op]) -> String {
    let lines: Vec<String> = ops
        .iter()
        .map(|&(c, call, ret, f, v, out)| {
            let op = match f {
                "get" => r#"{"f": "get", "key": "k"}"#.to_string(),
                "cas" => format!(r#"{{"f": "cas", "key": "k", "from": {v}, "to": "z"}}"#),
                _ => format!(r#"{{"f": "{f}", "key": "k", "value": "{v}"}}"#),
            };
            let (status, ret, out) = match (ret, f) {
                (None, _) => ("indeterminate", "null".to_string(), "null".to_string()),
                (Some(r), "get") => ("ok", r.to_string(), format!(r#"{{"r": "value", "value": "{out}"}}"#)),
                (Some(r), "cas") => ("ok", r.to_string(), format!(r#"{{"r": "bool", "value": {out}}}"#)),
                (Some(r), _) => ("ok", r.to_string(), r#"{"r": "done"}"#.to_string()),
            };
            format!(
                r#"{{"client": "C{c}", "call_us": {call}, "ret_us": {ret}, "status": "{status}", "op": {op}, "out": {out}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"schema_version": 1, "model": "kv", "ops": [{}]}}"#,
        lines.join(",\n")
    )
}

fn verdicts(text: &str) -> Vec<Verdict> {
    let h =
        read_history_str(text, "h.json", Some(Format::Splitbrain), ModelKind::Kv).expect("reads");
    [0, 2048]
        .into_iter()
        .map(|observe_after_entries| {
            let opts = CheckOptions {
                observe_after_entries,
                ..CheckOptions::default()
            };
            check_history(&h, ModelKind::Kv, &opts).verdict
        })
        .collect()
}

/// Two indeterminate operations of one kind called at 0; the failed compare against nil
/// needs one of them taken first, the put of `c` then overwrites it, and the final get
/// needs the first one taken after that put. Taking the second one first is the only
/// order that works: the configuration that took the first one fails with the same
/// completed operations and state, and must not stand for the one that took the second.
fn interchangeable_only_in_appearance(f: &str, read: &str) -> String {
    history(&[
        (1, 0, None, f, "a", ""),
        (2, 0, None, f, "b", ""),
        (3, 1, Some(2), "cas", "null", "false"),
        (3, 3, Some(4), "put", "c", ""),
        (3, 5, Some(6), "get", "", read),
    ])
}

#[test]
fn an_indeterminate_put_read_later_is_not_counted_with_unread_ones() {
    let h = interchangeable_only_in_appearance("put", "a");
    assert_eq!(verdicts(&h), vec![Verdict::Linearizable; 2]);
}

#[test]
fn an_indeterminate_append_read_later_is_not_counted_with_unread_ones() {
    let h = interchangeable_only_in_appearance("append", "ca");
    assert_eq!(verdicts(&h), vec![Verdict::Linearizable; 2]);
}

#[test]
fn an_unread_value_never_appears() {
    // The same shape, but the final get returns what no order can produce.
    for f in ["put", "append"] {
        let h = interchangeable_only_in_appearance(f, "cb a");
        assert_eq!(verdicts(&h), vec![Verdict::NotLinearizable; 2], "{f}");
    }
}
