//! The run's history as the checker's [`History`](splitbrain_checkers::History), built in
//! memory. It is the history `check` would read back from the run's JSON file (a test holds
//! the two equal), without printing and re-parsing thousands of operations per seed.
//!
//! As in Jepsen, a client that gave up on an operation and went on is a new process from then
//! on: an indeterminate operation may take effect at any later time, so it stays in flight
//! forever and must be its client's last. Later lives get fresh names (`C1` -> `C1001` ->
//! `C2001` ...); operations keep their positions.

use splitbrain_api::{NodeId, Op, Ret};
use splitbrain_checkers::{History, Input, Operation, Output, Source, Value};
use splitbrain_sim::{History as RunHistory, OpStatus};

/// Client ids of a client's later lives start this far above its own (`C1` -> `C1001`).
pub const RETIRED_CLIENT_STRIDE: usize = 1_000;

/// The checker's history for a key-value or register run history; `Err` names an operation
/// the checker's models cannot express (a lock operation in a key-value history). Shape
/// rules (one operation in flight per client, ...) are left to `check_history`, which
/// validates before it searches and answers `Unknown` for an invalid history.
pub fn to_checker(run: &RunHistory) -> Result<History, String> {
    let mut h = History::default();
    h.ops.reserve_exact(run.ops.len());
    // Per run client (by index): its current life and that life's checker id, named on the
    // life's first operation that reaches the checker (each name is built once).
    let mut lives: Vec<Life> = Vec::new();
    for (i, op) in run.ops.iter().enumerate() {
        let index = op.client.index();
        if index >= lives.len() {
            lives.resize(index + 1, Life::default());
        }
        let life = &mut lives[index];
        let named = life.id;
        let client = NodeId::client(index + life.count * RETIRED_CLIENT_STRIDE);
        if op.status == OpStatus::Indeterminate {
            // Later operations belong to the next life, under a new name.
            *life = Life {
                count: life.count + 1,
                id: None,
            };
        }
        let ok = match op.status {
            OpStatus::Ok => true,
            OpStatus::Indeterminate => false,
            OpStatus::Fail => continue, // it definitely did not happen
        };
        let line = i as u32 + 1;
        let ret = if ok {
            Some(
                op.ret_us
                    .ok_or_else(|| format!("operation {i}: an ok operation without ret_us"))?,
            )
        } else {
            None
        };
        let client = named.unwrap_or_else(|| h.client_id(&client.to_string()));
        if op.status == OpStatus::Ok {
            lives[index].id = Some(client);
        }
        h.ops.push(Operation {
            client,
            input: input_of(&op.op)
                .ok_or_else(|| format!("operation {i}: {:?} is not key-value", op.op))?,
            output: if ok {
                output_of(&op.op, op.out.as_ref())
                    .ok_or_else(|| format!("operation {i}: no result"))?
            } else {
                Output::Unknown
            },
            call: op.call_us,
            ret,
            source: Source {
                call_line: line,
                ret_line: if ok { line } else { 0 },
                ret_event: None,
            },
        });
    }
    Ok(h)
}

/// One run client's current life: how many it had before, and the checker id of this one
/// once named.
#[derive(Clone, Copy, Default)]
struct Life {
    count: usize,
    id: Option<u32>,
}

fn text(s: &str) -> Value {
    Value::Str(s.to_string())
}

fn input_of(op: &Op) -> Option<Input> {
    Some(match op {
        Op::Get { key } => Input::Read { key: text(key) },
        Op::Put { key, value } => Input::Write {
            key: text(key),
            value: text(value),
        },
        Op::Append { key, value } => Input::Append {
            key: text(key),
            value: text(value),
        },
        Op::Cas { key, from, to } => Input::Cas {
            key: text(key),
            from: from.as_deref().map_or(Value::Nil, text),
            to: text(to),
        },
        Op::Propose { key, value } => Input::Propose {
            key: text(key),
            value: text(value),
        },
        // Lock and ZooKeeper operations are not key-value operations.
        _ => return None,
    })
}

/// An ok operation's output; `None` when a read or cas came back without its result.
fn output_of(op: &Op, out: Option<&Ret>) -> Option<Output> {
    Some(match out {
        None if matches!(op, Op::Get { .. } | Op::Cas { .. } | Op::Propose { .. }) => return None,
        None | Some(Ret::Done) => Output::Done,
        Some(Ret::Value { value }) => Output::Value(value.as_deref().map_or(Value::Nil, text)),
        Some(Ret::Bool { value }) => Output::Bool(*value),
        Some(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use splitbrain_checkers::{read_history_str, Format, ModelKind};
    use splitbrain_sim::HistoryOp;

    fn op(client: usize, call: u64, ret: Option<u64>, op: Op, out: Option<Ret>) -> HistoryOp {
        let status = match (ret, &out) {
            (Some(_), Some(_)) => OpStatus::Ok,
            (None, None) => OpStatus::Indeterminate,
            _ => OpStatus::Fail,
        };
        HistoryOp {
            client: NodeId::client(client),
            call_us: call,
            ret_us: ret,
            status,
            op,
            out,
        }
    }

    fn sample() -> RunHistory {
        let k = |s: &str| s.to_string();
        RunHistory {
            schema_version: 1,
            model: "kv".into(),
            notices: Vec::new(),
            ops: vec![
                op(
                    0,
                    0,
                    Some(5),
                    Op::Put {
                        key: k("a").into(),
                        value: k("1").into(),
                    },
                    Some(Ret::Done),
                ),
                op(
                    1,
                    1,
                    Some(9),
                    Op::Get { key: k("a").into() },
                    Some(Ret::Value { value: None }),
                ),
                op(
                    2,
                    2,
                    None,
                    Op::Append {
                        key: k("b").into(),
                        value: k("x").into(),
                    },
                    None,
                ),
                op(
                    0,
                    6,
                    Some(8),
                    Op::Get { key: k("b").into() },
                    Some(Ret::Value {
                        value: Some(k("x")),
                    }),
                ),
                op(
                    1,
                    10,
                    Some(12),
                    Op::Cas {
                        key: k("a").into(),
                        from: None,
                        to: k("2").into(),
                    },
                    Some(Ret::Bool { value: false }),
                ),
                op(
                    0,
                    11,
                    Some(13),
                    Op::Put {
                        key: k("c").into(),
                        value: k("3").into(),
                    },
                    None,
                ),
            ],
        }
    }

    #[test]
    fn the_handoff_equals_reading_the_run_history_file_back() {
        let mut run = sample();
        run.ops[5].status = OpStatus::Fail;
        let text = serde_json::to_string_pretty(&run).unwrap();
        let read = read_history_str(&text, "h", Some(Format::Splitbrain), ModelKind::Kv).unwrap();
        let direct = to_checker(&run).unwrap();
        assert_eq!(direct.clients, read.clients);
        assert_eq!(direct.ops.len(), 5, "the failed operation is dropped");
        for (d, r) in direct.ops.iter().zip(&read.ops) {
            assert_eq!(
                (d.client, &d.input, &d.output),
                (r.client, &r.input, &r.output)
            );
            assert_eq!((d.call, d.ret), (r.call, r.ret));
        }
        assert_eq!(direct.ops[3].source.call_line, 4, "line = run position + 1");
    }

    #[test]
    fn a_client_that_gave_up_and_went_on_gets_a_new_name() {
        let mut run = sample();
        run.ops.push(op(
            2,
            20,
            Some(21),
            Op::Get { key: "b".into() },
            Some(Ret::Value { value: None }),
        ));
        let h = to_checker(&run).unwrap();
        let names: Vec<&str> = h.ops.iter().map(|o| h.client_name(o.client)).collect();
        assert_eq!(names.last(), Some(&"C1003"));
        assert_eq!(names[2], "C3");
    }

    #[test]
    fn an_ok_read_without_its_value_is_refused() {
        let mut run = sample();
        run.ops[1].out = None;
        assert!(to_checker(&run).unwrap_err().contains("operation 1"));
    }
}
