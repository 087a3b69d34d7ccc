//! The history model: what clients asked, what they were told, and when.
//!
//! A [`History`] is plain data that any recorder can produce. Each [`Operation`] has a
//! client, an [`Input`], an [`Output`], a call time and an optional return time. An
//! operation without a return time is *indeterminate* (the client crashed or timed out):
//! it may take effect at any point after its call, or never. [`History::validate`] checks
//! the shape rules the checker relies on and names the offending operation.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// A scalar value as it appears in histories: keys, register contents, strings.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// Absent / null / nil.
    Nil,
    Bool(bool),
    Int(i64),
    Str(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => write!(f, "{s:?}"),
        }
    }
}

/// One step inside a multi-register transaction.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Micro {
    Read { key: Value },
    Write { key: Value, value: Value },
}

/// What a client asked for. `key` is [`Value::Nil`] for single-register models.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Input {
    /// Register read or key-value `get`.
    Read { key: Value },
    /// Register write or key-value `put`.
    Write { key: Value, value: Value },
    /// Compare-and-set: if the value is `from`, set it to `to`.
    Cas { key: Value, from: Value, to: Value },
    /// Key-value append (a missing key acts as the empty string).
    Append { key: Value, value: Value },
    /// Write-once register: if the register is empty, set it to `value`; either way the
    /// output is the value the register holds afterwards (the value chosen).
    Propose { key: Value, value: Value },
    /// Mutex acquire of lock `lock`.
    Acquire { lock: u64 },
    /// Mutex release of lock `lock`.
    Release { lock: u64 },
    /// Multi-register transaction, applied atomically in order.
    Txn(Vec<Micro>),
    /// Set insert.
    Add { value: Value },
    /// Read of the whole set.
    ReadSet,
    /// FIFO queue enqueue.
    Enqueue { value: Value },
    /// FIFO queue dequeue (returns [`Value::Nil`] when empty).
    Dequeue,
}

/// What a client was told.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Output {
    /// Nothing is known about the result (indeterminate, or a read whose value was lost).
    Unknown,
    /// The operation completed and returns nothing of interest.
    Done,
    /// A read / get / dequeue result.
    Value(Value),
    /// A CAS (true = swapped, false = compare failed) or acquire (true = acquired).
    Bool(bool),
    /// Transaction read results, one per micro-op; `None` = unconstrained.
    Txn(Vec<Option<Value>>),
    /// A set read result.
    Set(Vec<Value>),
}

/// Where an operation came from in its source file, for error messages and evidence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Source {
    /// 1-based line of the call event (0 = unknown).
    pub call_line: u32,
    /// 1-based line of the return event (0 = unknown or none).
    pub ret_line: u32,
    /// 0-based position of the completion among all events of the file, if any.
    pub ret_event: Option<u32>,
}

/// One client operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    /// Index into [`History::clients`].
    pub client: u32,
    pub input: Input,
    pub output: Output,
    /// Call time (any monotone unit: microseconds, or event position).
    pub call: u64,
    /// Return time; `None` means indeterminate (never returned).
    pub ret: Option<u64>,
    pub source: Source,
}

impl Operation {
    /// True if the operation never returned: it may or may not have taken effect.
    pub fn is_indeterminate(&self) -> bool {
        self.ret.is_none()
    }
}

/// A whole client history.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    /// Client names, indexed by [`Operation::client`].
    pub clients: Vec<String>,
    pub ops: Vec<Operation>,
}

/// A history that breaks one of the shape rules.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("operation {index} (line {line}): field `{field}`: {message}")]
pub struct HistoryError {
    /// Index of the offending operation in [`History::ops`].
    pub index: usize,
    /// Source line of the offending operation (0 = unknown).
    pub line: u32,
    pub field: &'static str,
    pub message: String,
}

impl History {
    /// Index of the client named `name`, adding it if new.
    pub fn client_id(&mut self, name: &str) -> u32 {
        if let Some(i) = self.clients.iter().position(|c| c == name) {
            return i as u32;
        }
        self.clients.push(name.to_string());
        (self.clients.len() - 1) as u32
    }

    /// Like [`History::client_id`], with an index kept by the caller: readers of large
    /// files would otherwise scan the client list once per operation.
    pub fn client_id_indexed(&mut self, index: &mut BTreeMap<String, u32>, name: &str) -> u32 {
        if let Some(&id) = index.get(name) {
            return id;
        }
        let id = self.client_id(name);
        index.insert(name.to_string(), id);
        id
    }

    /// Name of a client, or `?` if the id is out of range.
    pub fn client_name(&self, id: u32) -> &str {
        self.clients.get(id as usize).map_or("?", |s| s.as_str())
    }

    /// Checks the shape rules: known clients, `call <= ret`, and at most one operation in
    /// flight per client (an indeterminate operation stays in flight forever, so it must
    /// be its client's last).
    pub fn validate(&self) -> Result<(), HistoryError> {
        let err = |index: usize, field, message: String| HistoryError {
            index,
            line: self.ops[index].source.call_line,
            field,
            message,
        };
        for (i, op) in self.ops.iter().enumerate() {
            if op.client as usize >= self.clients.len() {
                return Err(err(i, "client", format!("unknown client id {}", op.client)));
            }
            if let Some(ret) = op.ret {
                if ret < op.call {
                    return Err(err(
                        i,
                        "ret",
                        format!("returns at {ret} before its call at {}", op.call),
                    ));
                }
            }
        }
        let Some((earlier, later)) = self.first_overlap() else {
            return Ok(());
        };
        let (a, b) = (&self.ops[earlier], &self.ops[later]);
        let name = self.client_name(a.client);
        let msg = format!(
            "client {name} calls again at {} while operation {earlier} (called at {}) is in \
             flight",
            b.call, a.call
        );
        Err(err(later, "call", msg))
    }

    /// The first pair of one client's consecutive operations (in (client, call, index) order)
    /// where the second is called while the first is in flight.
    fn first_overlap(&self) -> Option<(usize, usize)> {
        let overlaps = |a: usize, b: usize| {
            let (a, b) = (&self.ops[a], &self.ops[b]);
            a.ret.is_none_or(|r| r > b.call)
        };
        if !self.ops.windows(2).all(|w| w[0].call <= w[1].call) {
            let mut order: Vec<usize> = (0..self.ops.len()).collect();
            order.sort_by_key(|&i| (self.ops[i].client, self.ops[i].call, i));
            return order
                .windows(2)
                .find(|w| self.ops[w[0]].client == self.ops[w[1]].client && overlaps(w[0], w[1]))
                .map(|w| (w[0], w[1]));
        }
        // Calls in order (as recorded runs are): each client's operations are in index order,
        // one pass finds every client's first overlap, and the lowest client's comes first.
        let mut prev: Vec<Option<usize>> = vec![None; self.clients.len()];
        let mut first: Vec<Option<(usize, usize)>> = vec![None; self.clients.len()];
        for (i, op) in self.ops.iter().enumerate() {
            let c = op.client as usize;
            if let Some(p) = prev[c].filter(|&p| first[c].is_none() && overlaps(p, i)) {
                first[c] = Some((p, i));
            }
            prev[c] = Some(i);
        }
        first.into_iter().flatten().next()
    }
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keyed = |f: &mut fmt::Formatter<'_>, name: &str, key: &Value| match key {
            Value::Nil => write!(f, "{name}("),
            k => write!(f, "{name}({k}"),
        };
        let sep = |key: &Value| if *key == Value::Nil { "" } else { ", " };
        match self {
            Input::Read { key } => keyed(f, "read", key).and_then(|_| f.write_str(")")),
            Input::Write { key, value } => {
                keyed(f, "write", key)?;
                write!(f, "{}{value})", sep(key))
            }
            Input::Cas { key, from, to } => {
                keyed(f, "cas", key)?;
                write!(f, "{}{from} -> {to})", sep(key))
            }
            Input::Append { key, value } => {
                keyed(f, "append", key)?;
                write!(f, "{}{value})", sep(key))
            }
            Input::Propose { key, value } => {
                keyed(f, "propose", key)?;
                write!(f, "{}{value})", sep(key))
            }
            Input::Acquire { lock } => write!(f, "acquire({lock})"),
            Input::Release { lock } => write!(f, "release({lock})"),
            Input::Txn(micros) => {
                f.write_str("txn[")?;
                for (i, m) in micros.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    match m {
                        Micro::Read { key } => write!(f, "r {key}")?,
                        Micro::Write { key, value } => write!(f, "w {key} {value}")?,
                    }
                }
                f.write_str("]")
            }
            Input::Add { value } => write!(f, "add({value})"),
            Input::ReadSet => f.write_str("read()"),
            Input::Enqueue { value } => write!(f, "enqueue({value})"),
            Input::Dequeue => f.write_str("dequeue()"),
        }
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Output::Unknown => f.write_str("?"),
            Output::Done => f.write_str("ok"),
            Output::Value(v) => write!(f, "{v}"),
            Output::Bool(b) => write!(f, "{b}"),
            Output::Txn(vs) => {
                let parts: Vec<String> = vs
                    .iter()
                    .map(|v| v.as_ref().map_or("?".to_string(), |v| v.to_string()))
                    .collect();
                write!(f, "[{}]", parts.join(" "))
            }
            Output::Set(vs) => {
                let parts: Vec<String> = vs.iter().map(|v| v.to_string()).collect();
                write!(f, "#{{{}}}", parts.join(" "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(client: u32, call: u64, ret: Option<u64>) -> Operation {
        Operation {
            client,
            input: Input::Read { key: Value::Nil },
            output: Output::Unknown,
            call,
            ret,
            source: Source::default(),
        }
    }

    fn history(ops: Vec<Operation>) -> History {
        History {
            clients: vec!["a".into(), "b".into()],
            ops,
        }
    }

    #[test]
    fn sequential_ops_of_one_client_are_valid() {
        let h = history(vec![op(0, 0, Some(5)), op(0, 5, Some(7)), op(1, 1, None)]);
        assert_eq!(h.validate(), Ok(()));
    }

    #[test]
    fn overlapping_ops_of_one_client_are_rejected() {
        let h = history(vec![op(0, 0, Some(5)), op(0, 4, Some(7))]);
        let e = h.validate().unwrap_err();
        assert_eq!((e.index, e.field), (1, "call"));
    }

    #[test]
    fn an_indeterminate_op_must_be_its_clients_last() {
        let h = history(vec![op(0, 0, None), op(0, 4, Some(7))]);
        assert!(h.validate().is_err());
    }

    /// The one-pass check for histories in call order reports the same first overlap as
    /// sorting by (client, call, index) does.
    #[test]
    fn in_order_overlap_check_agrees_with_the_sorted_one() {
        let mut x = 7u64;
        let mut draw = |m: u64| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % m
        };
        for _ in 0..500 {
            let mut call = 0;
            let ops: Vec<Operation> = (0..draw(12))
                .map(|_| {
                    call += draw(3);
                    let ret = (draw(5) > 0).then(|| call + draw(6));
                    op(draw(2) as u32, call, ret)
                })
                .collect();
            let h = history(ops);
            let mut order: Vec<usize> = (0..h.ops.len()).collect();
            order.sort_by_key(|&i| (h.ops[i].client, h.ops[i].call, i));
            let want = order
                .windows(2)
                .find(|w| {
                    let (a, b) = (&h.ops[w[0]], &h.ops[w[1]]);
                    a.client == b.client && a.ret.is_none_or(|r| r > b.call)
                })
                .map(|w| (w[0], w[1]));
            assert_eq!(h.first_overlap(), want);
        }
    }

    #[test]
    fn return_before_call_is_rejected() {
        let e = history(vec![op(1, 9, Some(3))]).validate().unwrap_err();
        assert_eq!(e.field, "ret");
    }
}
