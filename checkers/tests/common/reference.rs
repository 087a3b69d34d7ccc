//! An independent, slow, obviously-correct reference: the models over plain `Value`s and
//! a brute-force linearizability oracle that tries every order.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use splitbrain_checkers::{History, Input, Micro, ModelKind, Output, Value};

/// A model state: registers by key, a set, or a queue.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct State {
    pub cells: BTreeMap<Value, Value>,
    pub set: BTreeSet<Value>,
    pub queue: VecDeque<Value>,
}

fn cell(model: ModelKind, s: &State, key: &Value) -> Value {
    s.cells.get(key).cloned().unwrap_or_else(|| match model {
        ModelKind::Mutex | ModelKind::KnossosMutex => Value::Nil,
        m => m.initial_value(),
    })
}

fn lock_key(lock: u64) -> Value {
    Value::Int(lock as i64)
}

/// The state after `input` produced `output` in `s`, or `None` if it could not have.
pub fn apply(model: ModelKind, s: &State, input: &Input, output: &Output) -> Option<State> {
    let mut n = s.clone();
    match input {
        Input::Read { key } => match output {
            Output::Value(v) => (*v == cell(model, s, key)).then_some(n),
            _ => Some(n),
        },
        Input::Write { key, value } => {
            n.cells.insert(key.clone(), value.clone());
            Some(n)
        }
        Input::Cas { key, from, to } => {
            let matches = cell(model, s, key) == *from;
            match output {
                Output::Bool(false) => (!matches).then_some(n),
                Output::Bool(true) | Output::Done if !matches => None,
                _ => {
                    if matches {
                        n.cells.insert(key.clone(), to.clone());
                    }
                    Some(n)
                }
            }
        }
        Input::Append { key, value } => {
            let joined = match (cell(model, s, key), value) {
                (Value::Nil, Value::Str(b)) => b.clone(),
                (Value::Str(a), Value::Str(b)) => format!("{a}{b}"),
                _ => return None,
            };
            n.cells.insert(key.clone(), Value::Str(joined));
            Some(n)
        }
        Input::Propose { key, value } => {
            let after = match cell(model, s, key) {
                Value::Nil => value.clone(),
                held => held,
            };
            let legal = !matches!(output, Output::Value(v) if *v != after);
            n.cells.insert(key.clone(), after);
            legal.then_some(n)
        }
        Input::Acquire { lock } | Input::Release { lock } => {
            let acquire = matches!(input, Input::Acquire { .. });
            apply_lock(model, n, *lock, acquire, output)
        }
        Input::Txn(micros) => apply_txn(model, n, micros, output),
        Input::Add { value } => {
            n.set.insert(value.clone());
            Some(n)
        }
        Input::ReadSet => match output {
            Output::Set(vs) => (vs.iter().cloned().collect::<BTreeSet<_>>() == s.set).then_some(n),
            _ => Some(n),
        },
        Input::Enqueue { value } => {
            n.queue.push_back(value.clone());
            Some(n)
        }
        Input::Dequeue => match output {
            Output::Value(Value::Nil) => s.queue.is_empty().then_some(n),
            Output::Value(v) => (n.queue.pop_front().as_ref() == Some(v)).then_some(n),
            _ => {
                n.queue.pop_front();
                Some(n)
            }
        },
    }
}

fn apply_lock(
    model: ModelKind,
    mut n: State,
    lock: u64,
    acquire: bool,
    output: &Output,
) -> Option<State> {
    let held = Value::Bool(true);
    let is_held = cell(model, &n, &lock_key(lock)) == held;
    let possible = if acquire { !is_held } else { is_held };
    let after = if acquire { held } else { Value::Nil };
    match output {
        Output::Bool(false) => Some(n),
        Output::Bool(true) | Output::Done if !possible => None,
        _ => {
            if possible {
                n.cells.insert(lock_key(lock), after);
            }
            Some(n)
        }
    }
}

fn apply_txn(model: ModelKind, mut n: State, micros: &[Micro], output: &Output) -> Option<State> {
    let seen = match output {
        Output::Txn(v) => v.clone(),
        _ => vec![None; micros.len()],
    };
    for (m, want) in micros
        .iter()
        .zip(seen.iter().chain(std::iter::repeat(&None)))
    {
        match m {
            Micro::Read { key } => {
                if want.as_ref().is_some_and(|w| *w != cell(model, &n, key)) {
                    return None;
                }
            }
            Micro::Write { key, value } => {
                n.cells.insert(key.clone(), value.clone());
            }
        }
    }
    Some(n)
}

/// Runs `input` in `s` and returns what it would output.
pub fn run(model: ModelKind, s: &State, input: &Input) -> (State, Output) {
    let out = match input {
        Input::Read { key } => Output::Value(cell(model, s, key)),
        Input::Cas { key, from, .. } => Output::Bool(cell(model, s, key) == *from),
        Input::Acquire { lock } => {
            Output::Bool(cell(model, s, &lock_key(*lock)) != Value::Bool(true))
        }
        Input::Release { lock } => {
            Output::Bool(cell(model, s, &lock_key(*lock)) == Value::Bool(true))
        }
        Input::Txn(micros) => {
            let mut t = s.clone();
            let mut seen = Vec::new();
            for m in micros {
                match m {
                    Micro::Read { key } => seen.push(Some(cell(model, &t, key))),
                    Micro::Write { key, value } => {
                        t.cells.insert(key.clone(), value.clone());
                        seen.push(None);
                    }
                }
            }
            Output::Txn(seen)
        }
        Input::ReadSet => Output::Set(s.set.iter().cloned().collect()),
        Input::Dequeue => Output::Value(s.queue.front().cloned().unwrap_or(Value::Nil)),
        _ => Output::Done,
    };
    let next = apply(model, s, input, &out).unwrap_or_else(|| s.clone());
    (next, out)
}

/// Brute force: is there an order of all completed operations (and any subset of the
/// indeterminate ones) that respects real time and the model?
pub fn linearizable(h: &History, model: ModelKind) -> bool {
    let n = h.ops.len();
    assert!(n <= 16, "the oracle is exponential");
    search(h, model, &State::default(), 0, n)
}

fn search(h: &History, model: ModelKind, s: &State, done: u32, n: usize) -> bool {
    let pending_required = (0..n).filter(|&i| done & (1 << i) == 0 && h.ops[i].ret.is_some());
    let deadline = pending_required.filter_map(|i| h.ops[i].ret).min();
    let Some(deadline) = deadline else {
        return true;
    };
    for i in 0..n {
        let op = &h.ops[i];
        if done & (1 << i) != 0 || op.call > deadline {
            continue;
        }
        if let Some(next) = apply(model, s, &op.input, &op.output) {
            if search(h, model, &next, done | (1 << i), n) {
                return true;
            }
        }
    }
    false
}
