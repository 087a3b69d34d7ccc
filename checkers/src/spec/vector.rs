//! Vector models: multi-register (transactions), set and FIFO queue.
//!
//! A state is a vector of value ids, interned as a whole so it is still one `u32`. Every
//! transition is memoised, since the search revisits the same (state, operation) pairs.

use super::Spec;
use crate::history::{Input, Micro, Operation, Output, Value};
use crate::model::{Family, ModelKind};
use crate::table::{Interner, U64Map};

/// "Any value" marker in compiled transaction reads.
const ANY: u32 = u32::MAX;

#[derive(Clone, Debug)]
enum VOp {
    /// Micro-ops: (is_write, key slot, value id or ANY for an unconstrained read).
    Txn(Vec<(bool, u32, u32)>),
    Add(u32),
    ReadSet(Vec<u32>),
    Enqueue(u32),
    /// Dequeue returning this value id; the nil id means "the queue was empty".
    Dequeue(u32),
    DequeueAny,
    Noop,
}

pub(crate) struct VectorSpec {
    family: Family,
    values: Interner<Value>,
    states: Interner<Vec<u32>>,
    keys: Vec<Value>,
    ops: Vec<VOp>,
    init_value: u32,
    memo: U64Map,
    scratch: Vec<u32>,
    /// Words held by the interned state vectors.
    state_words: usize,
}

impl VectorSpec {
    pub(crate) fn compile(model: ModelKind, ops: &[&Operation]) -> Self {
        let mut values = Interner::new();
        values.intern(Value::Nil);
        let init_value = values.intern(model.initial_value());
        let mut spec = VectorSpec {
            family: model.family(),
            values,
            states: Interner::new(),
            keys: Vec::new(),
            ops: Vec::new(),
            init_value,
            memo: U64Map::new(),
            scratch: Vec::new(),
            state_words: 0,
        };
        spec.ops = ops.iter().map(|op| spec.compile_op(op)).collect();
        spec
    }

    fn key_slot(&mut self, key: &Value) -> u32 {
        match self.keys.iter().position(|k| k == key) {
            Some(i) => i as u32,
            None => {
                self.keys.push(key.clone());
                (self.keys.len() - 1) as u32
            }
        }
    }

    fn compile_op(&mut self, op: &Operation) -> VOp {
        match (&op.input, &op.output) {
            (Input::Txn(micros), out) => {
                let reads = match out {
                    Output::Txn(rs) => rs.as_slice(),
                    _ => &[],
                };
                let compiled = micros
                    .iter()
                    .enumerate()
                    .map(|(i, m)| match m {
                        Micro::Read { key } => {
                            let seen = reads.get(i).and_then(|r| r.as_ref());
                            let v = seen.map_or(ANY, |v| self.values.intern(v.clone()));
                            (false, self.key_slot(key), v)
                        }
                        Micro::Write { key, value } => {
                            (true, self.key_slot(key), self.values.intern(value.clone()))
                        }
                    })
                    .collect();
                VOp::Txn(compiled)
            }
            (Input::Add { value }, _) => VOp::Add(self.values.intern(value.clone())),
            (Input::ReadSet, Output::Set(vs)) => {
                let mut ids: Vec<u32> = vs.iter().map(|v| self.values.intern(v.clone())).collect();
                ids.sort_unstable();
                ids.dedup();
                VOp::ReadSet(ids)
            }
            (Input::Enqueue { value }, _) => VOp::Enqueue(self.values.intern(value.clone())),
            (Input::Dequeue, Output::Value(v)) => VOp::Dequeue(self.values.intern(v.clone())),
            (Input::Dequeue, _) => VOp::DequeueAny,
            _ => VOp::Noop,
        }
    }

    /// Computes a transition into `self.scratch`; false if the output is impossible.
    fn apply(&mut self, state: u32, op: u32) -> bool {
        let cur = self.states.resolve(state);
        self.scratch.clear();
        self.scratch.extend_from_slice(cur);
        let s = &mut self.scratch;
        match &self.ops[op as usize] {
            VOp::Txn(micros) => {
                for &(write, slot, v) in micros {
                    let cell = &mut s[slot as usize];
                    if write {
                        *cell = v;
                    } else if v != ANY && *cell != v {
                        return false;
                    }
                }
                true
            }
            VOp::Add(v) => {
                if let Err(pos) = s.binary_search(v) {
                    s.insert(pos, *v);
                }
                true
            }
            VOp::ReadSet(expect) => s == expect,
            VOp::Enqueue(v) => {
                s.push(*v);
                true
            }
            VOp::Dequeue(0) => s.is_empty(),
            VOp::Dequeue(v) => {
                if s.first() != Some(v) {
                    return false;
                }
                s.remove(0);
                true
            }
            VOp::DequeueAny => {
                if !s.is_empty() {
                    s.remove(0);
                }
                true
            }
            VOp::Noop => true,
        }
    }
}

impl Spec for VectorSpec {
    fn init(&mut self) -> u32 {
        let init = match self.family {
            Family::Multi => vec![self.init_value; self.keys.len()],
            _ => Vec::new(),
        };
        self.states.intern(init)
    }

    fn step(&mut self, state: u32, op: u32) -> Option<u32> {
        let key = (u64::from(state) << 32) | u64::from(op);
        if let Some(r) = self.memo.get(key) {
            return r.checked_sub(1);
        }
        let result = if self.apply(state, op) {
            let before = self.states.len();
            let id = self.states.intern(self.scratch.clone());
            if self.states.len() > before {
                self.state_words += self.scratch.len();
            }
            Some(id)
        } else {
            None
        };
        self.memo.insert(key, result.map_or(0, |r| r + 1));
        result
    }

    fn read_only(&self, op: u32) -> bool {
        match &self.ops[op as usize] {
            VOp::Txn(micros) => micros.iter().all(|m| !m.0),
            VOp::ReadSet(_) | VOp::Dequeue(0) | VOp::Noop => true,
            _ => false,
        }
    }

    fn heap_bytes(&self) -> usize {
        self.values.bytes()
            + self.states.bytes()
            + self.state_words * 4
            + self.memo.bytes()
            + self.ops.capacity() * std::mem::size_of::<VOp>()
    }

    fn describe(&self, state: u32) -> String {
        let ids = self.states.resolve(state);
        let vals = ids.iter().map(|&v| self.values.resolve(v).to_string());
        match self.family {
            Family::Multi => {
                let pairs: Vec<String> = self
                    .keys
                    .iter()
                    .zip(vals)
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                format!("{{{}}}", pairs.join(" "))
            }
            Family::Set => format!("#{{{}}}", vals.collect::<Vec<_>>().join(" ")),
            _ => format!("[{}]", vals.collect::<Vec<_>>().join(" ")),
        }
    }
}
