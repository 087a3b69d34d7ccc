//! Full linearizability of a ZooKeeper history, reported apart from the verdict.
//!
//! ZooKeeper's reads are answered by whichever server the client is connected to, from its
//! own copy, which may lag behind the leader: they are *not* linearizable, by design. This
//! check asks the stronger question anyway, so a student can see the difference: it hands
//! the znodes' data to the linearizability checker (one key per path: create, set-data and
//! delete as writes, get-data and exists-of-nothing as reads, errors as what they imply) and
//! explains the answer in words. Paths touched by ephemeral or sequential creates or by a
//! `multi` other than a checked set-data of one znode are left out (their changes are not
//! all client operations). The run's pass/fail
//! verdict is the ordering checker's, never this.

use serde::{Deserialize, Serialize};
use splitbrain_api::{NodeId, Op, Ret, ZkError};
use splitbrain_checkers::{decide, CheckOptions, History, Input, ModelKind, Operation};
use splitbrain_checkers::{Output, Source, Value, Verdict};
use splitbrain_sim::{History as RunHistory, OpStatus};
use std::collections::{BTreeMap, BTreeSet};

/// What the linearizability checker said about a ZooKeeper history, for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ZkLinearizability {
    /// `Some(true)`: linearizable; `Some(false)`: not; `None`: undecided within the budget.
    pub linearizable: Option<bool>,
    /// Operations checked (on paths with a plain data history).
    pub checked_ops: usize,
    /// The explanation, in words a student understands.
    pub text: String,
}

/// The answer alone, as an exploration keeps it for each seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Answer {
    Linearizable,
    NotLinearizable,
    /// The checker ran out of its budget.
    Undecided,
}

impl ZkLinearizability {
    pub fn answer(&self) -> Answer {
        match self.linearizable {
            Some(true) => Answer::Linearizable,
            Some(false) => Answer::NotLinearizable,
            None => Answer::Undecided,
        }
    }
}

/// Why a ZooKeeper history need not be linearizable, for people: what ZooKeeper promises
/// instead (the verdict) and what `sync` does and does not buy.
pub const EXPECTED: &str = "a server answers reads from its own copy, which may lag behind \
     the leader, so a read can miss a write that already completed. ZooKeeper promises only \
     its ordering guarantees (the verdict). A sync before a read narrows the gap but does not \
     close it: a write that completes after the sync began may still be missed.";

/// Checks the znodes' data for linearizability and explains the answer.
pub fn check(run: &RunHistory) -> ZkLinearizability {
    let h = to_register_history(run);
    let opts = CheckOptions {
        max_steps: crate::linearizability::STEP_BUDGET,
        evidence: false,
        ..CheckOptions::default()
    };
    let decision = decide(&h, ModelKind::Kv, &opts);
    let checked_ops = h.ops.len();
    let (linearizable, text) = match &decision.verdict {
        Verdict::Linearizable => (
            Some(true),
            format!(
                "Linearizable: the {checked_ops} data operations could also have happened one at \
                 a time in an order that respects real time. ZooKeeper does not promise this; \
                 this run simply had no stale read."
            ),
        ),
        Verdict::NotLinearizable => {
            let culprit = decision.culprit(&h).map_or(String::new(), |c| {
                format!(
                    " {} {} -> {} (called at {}) cannot be placed in any such order.",
                    c.client,
                    c.input,
                    c.output,
                    splitbrain_api::ms_label(c.call)
                )
            });
            (
                Some(false),
                format!(
                    "Not linearizable.{culprit} This is expected of ZooKeeper and not a bug: \
                     {EXPECTED}"
                ),
            )
        }
        Verdict::Unknown(why) => (None, format!("Undecided: {why}")),
    };
    ZkLinearizability {
        linearizable,
        checked_ops,
        text,
    }
}

/// Paths whose changes are all plain client writes (no ephemeral or sequential create, no
/// `multi`).
fn plain_paths(run: &RunHistory) -> BTreeSet<&str> {
    let mut all = BTreeSet::new();
    let mut excluded = BTreeSet::new();
    for op in &run.ops {
        match &op.op {
            Op::Create { path, mode, .. } if mode.is_ephemeral() || mode.is_sequential() => {
                excluded.insert(path.as_str());
            }
            Op::Multi { ops } if single_set(ops).is_none() => {
                for s in ops {
                    excluded.insert(step_path(s));
                }
            }
            o => {
                if let Some(p) = data_path(o) {
                    all.insert(p);
                }
            }
        }
    }
    all.retain(|p| !excluded.contains(p));
    all
}

fn step_path(s: &splitbrain_api::MultiOp) -> &str {
    match s {
        splitbrain_api::MultiOp::Create { path, .. }
        | splitbrain_api::MultiOp::Delete { path, .. }
        | splitbrain_api::MultiOp::SetData { path, .. }
        | splitbrain_api::MultiOp::Check { path, .. } => path,
    }
}

fn data_path(op: &Op) -> Option<&str> {
    match op {
        Op::Create { path, .. }
        | Op::Delete { path, .. }
        | Op::Exists { path, .. }
        | Op::GetData { path, .. }
        | Op::SetData { path, .. } => Some(path),
        Op::Multi { ops } => single_set(ops).map(|(path, _)| path),
        _ => None,
    }
}

/// A `multi` that sets one znode's data guarded by checks of that znode only (the
/// workload's conditional write): its path and data. Its data effect is one write.
fn single_set(ops: &[splitbrain_api::MultiOp]) -> Option<(&str, &str)> {
    use splitbrain_api::MultiOp;
    let mut set = None;
    for s in ops {
        match s {
            MultiOp::SetData { path, data, .. } if set.is_none() => set = Some((path, data)),
            MultiOp::Check { .. } => {}
            _ => return None,
        }
    }
    let (path, data) = set?;
    let guarded_here = ops.iter().all(|s| step_path(s) == path.as_str());
    guarded_here.then_some((path.as_str(), data.as_str()))
}

/// The history as key-value operations on the plain paths (value = data, nil = no znode).
fn to_register_history(run: &RunHistory) -> History {
    let plain = plain_paths(run);
    let mut h = History::default();
    // A client that gave up on an operation is a new process afterwards (see `handoff`).
    let mut lives: BTreeMap<NodeId, usize> = BTreeMap::new();
    let mut ids: BTreeMap<(NodeId, usize), u32> = BTreeMap::new();
    for (i, op) in run.ops.iter().enumerate() {
        let Some(path) = data_path(&op.op).filter(|p| plain.contains(p)) else {
            continue;
        };
        let ok = match op.status {
            OpStatus::Ok => true,
            OpStatus::Indeterminate => false,
            OpStatus::Fail => continue,
        };
        let Some((input, output)) = translate(&op.op, op.out.as_ref().filter(|_| ok), path) else {
            continue;
        };
        let life = *lives.entry(op.client).or_insert(0);
        let client = *ids
            .entry((op.client, life))
            .or_insert_with(|| h.client_id(&format!("{}#{life}", op.client)));
        h.ops.push(Operation {
            client,
            input,
            output,
            call: op.call_us,
            ret: if ok { op.ret_us } else { None },
            source: Source {
                call_line: i as u32 + 1,
                ret_line: if ok { i as u32 + 1 } else { 0 },
                ret_event: None,
            },
        });
        if !ok {
            lives.insert(op.client, life + 1);
        }
    }
    h
}

/// One ZooKeeper call as a key-value operation; `None` for what the data alone cannot say
/// (a stat without data, a version error).
fn translate(op: &Op, out: Option<&Ret>, path: &str) -> Option<(Input, Output)> {
    let key = Value::Str(path.to_string());
    let text = |s: &str| Value::Str(s.to_string());
    let read = |value: Value| (Input::Read { key: key.clone() }, Output::Value(value));
    // An update with no answer (the client gave up) may or may not have happened.
    let answered = |done: Output| if out.is_some() { done } else { Output::Unknown };
    let write = |value: Value| {
        let input = Input::Write {
            key: key.clone(),
            value,
        };
        (input, answered(Output::Done))
    };
    let create = |data: &str| Input::Cas {
        key: key.clone(),
        from: Value::Nil,
        to: text(data),
    };
    let no_node = |r: Option<&Ret>| {
        matches!(
            r,
            Some(Ret::Error {
                error: ZkError::NoNode,
                ..
            })
        )
    };
    Some(match (op, out) {
        (Op::Create { data, .. }, Some(Ret::Created { .. }) | None) => {
            (create(data), answered(Output::Bool(true)))
        }
        (
            Op::Create { data, .. },
            Some(Ret::Error {
                error: ZkError::NodeExists,
                ..
            }),
        ) => (create(data), Output::Bool(false)),
        (Op::Delete { .. }, Some(Ret::Deleted { .. }) | None) => write(Value::Nil),
        (Op::SetData { data, .. }, Some(Ret::Stat { .. }) | None) => write(text(data)),
        (Op::Multi { ops }, Some(Ret::Multi { .. }) | None) => write(text(single_set(ops)?.1)),
        (Op::Delete { .. } | Op::SetData { .. } | Op::GetData { .. }, r) if no_node(r) => {
            read(Value::Nil)
        }
        (Op::GetData { .. }, Some(Ret::Data { data, .. })) => read(text(data)),
        (Op::Exists { .. }, Some(Ret::Stat { stat: None, .. })) => read(Value::Nil),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use splitbrain_api::{CreateMode, Stat};
    use splitbrain_sim::HistoryOp;

    fn op(client: usize, call: u64, op: Op, out: Ret) -> HistoryOp {
        HistoryOp {
            client: NodeId::client(client),
            call_us: call,
            ret_us: Some(call + 5),
            status: OpStatus::Ok,
            op,
            out: Some(out),
        }
    }

    /// C1 creates /a = x and sets it to y; C2 then reads /a at zxid `read_zxid`.
    fn history(stale: bool) -> RunHistory {
        let stat = |m: u64, v: u32| Stat {
            czxid: 1,
            mzxid: m,
            pzxid: 1,
            version: v,
            cversion: 0,
            ephemeral_owner: None,
        };
        let (data, st, z) = if stale {
            ("x", stat(1, 0), 1)
        } else {
            ("y", stat(2, 1), 2)
        };
        let ops = vec![
            op(
                0,
                0,
                Op::Create {
                    path: "/a".into(),
                    data: "x".into(),
                    mode: CreateMode::Persistent,
                },
                Ret::Created {
                    path: "/a".into(),
                    zxid: 1,
                },
            ),
            op(
                0,
                10,
                Op::SetData {
                    path: "/a".into(),
                    data: "y".into(),
                    version: None,
                },
                Ret::Stat {
                    stat: Some(stat(2, 1)),
                    zxid: 2,
                },
            ),
            op(
                1,
                20,
                Op::GetData {
                    path: "/a".into(),
                    watch: false,
                },
                Ret::Data {
                    data: data.into(),
                    stat: st,
                    zxid: z,
                },
            ),
        ];
        RunHistory {
            schema_version: splitbrain_sim::HISTORY_SCHEMA_VERSION,
            model: "zookeeper".into(),
            ops,
            notices: Vec::new(),
        }
    }

    /// A stale read at a follower keeps every ZooKeeper guarantee (no violation from the
    /// ordering check) yet is not linearizable, and the report says why that is expected.
    #[test]
    fn a_stale_follower_read_is_not_linearizable_and_that_is_explained_as_expected() {
        let stale = history(true);
        assert_eq!(crate::history_checks::zookeeper_order(&stale), None);
        let r = check(&stale);
        assert_eq!(r.linearizable, Some(false));
        assert_eq!(r.checked_ops, 3);
        assert!(
            r.text.contains("expected of ZooKeeper and not a bug"),
            "{}",
            r.text
        );
        assert!(r.text.contains("C2"), "{}", r.text);
        let fresh = check(&history(false));
        assert_eq!(fresh.linearizable, Some(true), "{}", fresh.text);
    }
}
