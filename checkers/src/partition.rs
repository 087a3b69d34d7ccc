//! P-compositionality: a history is linearizable iff each independent part is.
//!
//! Scalar models split by key (or lock); transactions split by connected groups of keys
//! (union-find). Sets and queues stay whole. Parts are ordered by their smallest key, so
//! the split, and everything that follows from it, is deterministic.

use std::collections::BTreeMap;

use crate::history::{History, Input, Micro, Value};
use crate::model::{Family, ModelKind};
use crate::table::Interner;

/// One independent part of a history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Part {
    /// What the part's human label says (see [`Part::label`]).
    pub(crate) label: Label,
    /// Indices into [`History::ops`], in history order.
    pub(crate) ops: Vec<usize>,
}

/// A part's label, formatted only when it is shown (most parts never are).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Label {
    Text(String),
    /// `key K`, K the key of the part's first operation.
    Key,
    /// `lock L`, L the lock of the part's first operation.
    Lock,
}

impl Part {
    /// A human label: `key "3"`, `lock 1`, `keys :x :y` or `all`.
    pub(crate) fn label(&self, h: &History) -> String {
        let key = || {
            self.ops
                .first()
                .map_or(Value::Nil, |&i| scalar_key(&h.ops[i].input).into_owned())
        };
        match &self.label {
            Label::Text(t) => t.clone(),
            Label::Key => format!("key {}", key()),
            Label::Lock => format!("lock {}", key()),
        }
    }
}

/// Splits the operations `keep` (indices into `h.ops`) into independent parts.
pub(crate) fn split(h: &History, model: ModelKind, keep: &[usize]) -> Vec<Part> {
    match model.family() {
        Family::Scalar => by_key(h, keep),
        Family::Multi => by_component(h, keep),
        Family::Set | Family::Queue => vec![Part {
            label: Label::Text("all".into()),
            ops: keep.to_vec(),
        }],
    }
}

/// The key an operation works on (a lock as its number); borrowed where the input has it.
fn scalar_key(input: &Input) -> std::borrow::Cow<'_, Value> {
    use std::borrow::Cow;
    match input {
        Input::Read { key }
        | Input::Write { key, .. }
        | Input::Cas { key, .. }
        | Input::Append { key, .. }
        | Input::Propose { key, .. } => Cow::Borrowed(key),
        Input::Acquire { lock } | Input::Release { lock } => Cow::Owned(Value::Int(*lock as i64)),
        _ => Cow::Owned(Value::Nil),
    }
}

fn by_key(h: &History, keep: &[usize]) -> Vec<Part> {
    // Keys found by hash (a history of many small parts meets each key a few times), then
    // the groups put in key order once.
    let mut keys = Interner::new();
    let mut found: Vec<Vec<usize>> = Vec::new();
    for &i in keep {
        let k = keys.intern(scalar_key(&h.ops[i].input)) as usize;
        if k == found.len() {
            found.push(Vec::new());
        }
        found[k].push(i);
    }
    let mut order: Vec<u32> = (0..found.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| keys.resolve(a).cmp(keys.resolve(b)));
    let groups = order
        .into_iter()
        .map(|k| (keys.resolve(k), std::mem::take(&mut found[k as usize])));
    let lock = keep.first().is_some_and(|&i| {
        matches!(
            h.ops[i].input,
            Input::Acquire { .. } | Input::Release { .. }
        )
    });
    let single = keys.len() == 1;
    groups
        .map(|(k, ops)| {
            let label = match (k.as_ref(), lock, single) {
                (Value::Nil, _, true) => Label::Text("all".to_string()),
                (_, true, _) => Label::Lock,
                (_, false, _) => Label::Key,
            };
            Part { label, ops }
        })
        .collect()
}

fn txn_keys(input: &Input) -> Vec<&Value> {
    match input {
        Input::Txn(micros) => micros
            .iter()
            .map(|m| match m {
                Micro::Read { key } | Micro::Write { key, .. } => key,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn by_component(h: &History, keep: &[usize]) -> Vec<Part> {
    let mut slot_of: BTreeMap<&Value, usize> = BTreeMap::new();
    for &i in keep {
        for k in txn_keys(&h.ops[i].input) {
            let n = slot_of.len();
            slot_of.entry(k).or_insert(n);
        }
    }
    let mut parent: Vec<usize> = (0..slot_of.len()).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for &i in keep {
        let slots: Vec<usize> = txn_keys(&h.ops[i].input)
            .iter()
            .map(|k| slot_of[k])
            .collect();
        for w in slots.windows(2) {
            let (a, b) = (find(&mut parent, w[0]), find(&mut parent, w[1]));
            parent[a.max(b)] = a.min(b);
        }
    }
    // Group by the smallest key of each component (BTreeMap order = key order).
    let mut label_keys: BTreeMap<usize, Vec<&Value>> = BTreeMap::new();
    for (k, &s) in &slot_of {
        label_keys.entry(find(&mut parent, s)).or_default().push(k);
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut empty = Vec::new();
    for &i in keep {
        match txn_keys(&h.ops[i].input).first() {
            Some(k) => groups
                .entry(find(&mut parent, slot_of[k]))
                .or_default()
                .push(i),
            None => empty.push(i),
        }
    }
    let mut parts: Vec<(Vec<&Value>, Vec<usize>)> = groups
        .into_iter()
        .map(|(root, ops)| (label_keys.remove(&root).unwrap_or_default(), ops))
        .collect();
    parts.sort();
    if let Some(first) = parts.first_mut() {
        // Empty transactions constrain nothing; keep them with the first part.
        first.1.extend(empty);
        first.1.sort_unstable();
    }
    parts
        .into_iter()
        .map(|(keys, ops)| {
            let names: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
            Part {
                label: Label::Text(format!("keys {}", names.join(" "))),
                ops,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Operation, Output, Source};

    fn op(input: Input) -> Operation {
        Operation {
            client: 0,
            input,
            output: Output::Unknown,
            call: 0,
            ret: None,
            source: Source::default(),
        }
    }

    fn s(x: &str) -> Value {
        Value::Str(x.into())
    }

    #[test]
    fn kv_ops_split_by_key_in_key_order() {
        let h = History {
            clients: vec!["c".into()],
            ops: vec![
                op(Input::Read { key: s("b") }),
                op(Input::Write {
                    key: s("a"),
                    value: s("1"),
                }),
                op(Input::Read { key: s("b") }),
            ],
        };
        let parts = split(&h, ModelKind::Kv, &[0, 1, 2]);
        assert_eq!(
            parts.iter().map(|p| p.ops.clone()).collect::<Vec<_>>(),
            vec![vec![1], vec![0, 2]]
        );
        assert_eq!(parts[0].label(&h), "key \"a\"");
    }

    #[test]
    fn transactions_sharing_a_key_stay_together() {
        let r = |k: &str| Micro::Read { key: s(k) };
        let h = History {
            clients: vec!["c".into()],
            ops: vec![
                op(Input::Txn(vec![r("x"), r("y")])),
                op(Input::Txn(vec![r("z")])),
                op(Input::Txn(vec![r("y")])),
            ],
        };
        let parts = split(&h, ModelKind::MultiRegister, &[0, 1, 2]);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].ops, vec![0, 2]);
        assert_eq!(parts[1].ops, vec![1]);
    }
}
