//! Scalar models: register, CAS register, key-value, mutex (one value per key).
//!
//! After partitioning by key a partition holds one key, so the state is one interned value.
//! A mutex is free (nil) or held (`true`).

use super::observe::{Observers, Seen, ALWAYS, MAX_INDEXED_BYTES};
use super::values::ValueTable;
use super::Spec;
use crate::history::{Input, Operation, Output, Value};
use crate::model::ModelKind;
use crate::table::U64Map;

/// One compiled scalar operation; `u32` fields are value ids.
#[derive(Clone, Copy, Debug)]
enum SOp {
    Read(u32),
    ReadAny,
    Write(u32),
    CasOk(u32, u32),
    CasFail(u32),
    CasAny(u32, u32),
    Append(u32),
    /// A propose of `.0` that returned `.1`: legal on an empty register when `.1 == .0`,
    /// or on a register already holding `.1`.
    Propose(u32, u32),
    /// A propose of `.0` whose result is unknown: fills an empty register.
    ProposeAny(u32),
    Acquire,
    AcquireAny,
    Release,
    ReleaseAny,
    Noop,
}

pub(crate) struct ScalarSpec {
    values: ValueTable,
    ops: Vec<SOp>,
    init: u32,
    held: u32,
    mutex: bool,
    append_memo: U64Map,
    /// Prefix hashes of read values, computed on first use: value id -> index into
    /// `prefixes` (`u32::MAX`: not yet).
    prefix_index: Vec<u32>,
    prefixes: Vec<Vec<u64>>,
    /// What could still observe each state (off for locks), indexed on first use.
    observers: Option<Observers>,
    /// Observed values with their last observer (see `observed_by_value`), on first use.
    observed_values: Option<Option<Vec<(u32, u32)>>>,
}

impl ScalarSpec {
    pub(crate) fn compile(model: ModelKind, ops: &[&Operation]) -> Self {
        // About one value per operation (a write's, a read's), plus nil and `true`.
        let mut values = ValueTable::for_values(ops.len() + 3);
        let nil = values.intern(Value::Nil);
        let held = values.intern(Value::Bool(true));
        let init = values.intern(model.initial_value());
        let mutex = matches!(model, ModelKind::Mutex | ModelKind::KnossosMutex);
        let init = if mutex { nil } else { init };
        let mut spec = ScalarSpec {
            values,
            ops: Vec::new(),
            init,
            held,
            mutex,
            append_memo: U64Map::new(),
            prefix_index: Vec::new(),
            prefixes: Vec::new(),
            observers: None,
            observed_values: None,
        };
        spec.ops = ops.iter().map(|op| spec.compile_op(op)).collect();
        spec
    }

    /// Every operation that observes the state: reads and compares, by search index.
    /// Every operation whose legality or effect depends on the state, by search index:
    /// `None` if some operation's dependence is not described by the values it names (then
    /// every state counts as observed). Exhaustive on purpose: a new kind of operation must
    /// say what it observes.
    fn observations(&self) -> Option<Vec<Seen>> {
        let seen = |op: usize, value: u32, open: bool, failed: bool| Seen {
            op: op as u32,
            value,
            open,
            failed,
        };
        let mut out = Vec::new();
        for (i, op) in self.ops.iter().enumerate() {
            match *op {
                // Legal only in the state it names (a propose also on nil, always observed).
                SOp::Read(x) | SOp::CasOk(x, _) | SOp::Propose(_, x) => {
                    out.push(seen(i, x, false, false));
                }
                SOp::CasFail(x) => out.push(seen(i, x, false, true)),
                // Its effect depends on whether the state is the one named, for good.
                SOp::CasAny(f, _) => out.push(seen(i, f, true, false)),
                // Legal in every state (an append: in every string and nil); the effect
                // depends only on whether the state is nil or a string.
                SOp::ReadAny | SOp::Noop | SOp::Write(_) | SOp::Append(_) | SOp::ProposeAny(_) => {}
                SOp::Acquire | SOp::AcquireAny | SOp::Release | SOp::ReleaseAny => return None,
            }
        }
        Some(out)
    }

    fn compile_op(&mut self, op: &Operation) -> SOp {
        let v = |s: &mut Self, v: &Value| s.values.intern_ref(v);
        match (&op.input, &op.output) {
            (Input::Read { .. }, Output::Value(x)) => SOp::Read(v(self, x)),
            (Input::Read { .. }, _) => SOp::ReadAny,
            (Input::Write { value, .. }, _) => SOp::Write(v(self, value)),
            (Input::Cas { from, to, .. }, Output::Bool(true) | Output::Done) => {
                SOp::CasOk(v(self, from), v(self, to))
            }
            (Input::Cas { from, .. }, Output::Bool(false)) => SOp::CasFail(v(self, from)),
            (Input::Cas { from, to, .. }, _) => SOp::CasAny(v(self, from), v(self, to)),
            (Input::Append { value, .. }, _) => SOp::Append(v(self, value)),
            (Input::Propose { value, .. }, Output::Value(x)) => {
                SOp::Propose(v(self, value), v(self, x))
            }
            (Input::Propose { value, .. }, _) => SOp::ProposeAny(v(self, value)),
            (Input::Acquire { .. }, Output::Bool(true) | Output::Done) => SOp::Acquire,
            (Input::Acquire { .. }, Output::Bool(false)) => SOp::Noop,
            (Input::Acquire { .. }, _) => SOp::AcquireAny,
            (Input::Release { .. }, Output::Bool(true) | Output::Done) => SOp::Release,
            (Input::Release { .. }, Output::Bool(false)) => SOp::Noop,
            (Input::Release { .. }, _) => SOp::ReleaseAny,
            _ => SOp::Noop,
        }
    }

    /// (one past the last operation observing `state`, the same for failed compares).
    fn observed_until(&mut self, state: u32) -> (u32, u32) {
        if self.observers.is_none() {
            let index = match self.observations() {
                Some(seen) => Observers::new(&self.values, &seen),
                None => Observers::disabled(),
            };
            self.observers = Some(index);
        }
        let observers = self.observers.as_mut().expect("indexed above");
        observers.observed_until(&self.values, 0, state)
    }

    /// One past the last operation observing a value that contains the string `x` (0 if
    /// none, `ALWAYS` if one without an end does); `None` if `x` is not a string or the
    /// observed values are too many to search.
    fn observed_containing(&mut self, x: u32) -> Option<u32> {
        let needle = self.values.atom_bytes(x)?.to_vec();
        if self.observed_values.is_none() {
            self.observed_values = Some(self.observed_by_value());
        }
        let by_value = self
            .observed_values
            .as_ref()
            .expect("listed above")
            .as_ref()?;
        let values = &self.values;
        // A string not interned as given (never so for recorded values) counts as
        // containing it.
        let contains = |&&(_, v): &&(u32, u32)| match values.atom_bytes(v) {
            Some(hay) => {
                needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle.as_slice())
            }
            None => values.str_hash_len(v).is_some(),
        };
        Some(
            by_value
                .iter()
                .find(contains)
                .map_or(0, |&(until, _)| until),
        )
    }

    /// Every observed value once, with one past its last observer (`ALWAYS` for one
    /// without an end), latest first; `None` if some observation is not by value, or if
    /// the observed strings are too long to search.
    fn observed_by_value(&self) -> Option<Vec<(u32, u32)>> {
        let mut seen = self.observations()?;
        let total: usize = seen
            .iter()
            .map(|s| {
                self.values
                    .str_hash_len(s.value)
                    .map_or(0, |(_, l)| l as usize)
            })
            .sum();
        if total > MAX_INDEXED_BYTES {
            return None;
        }
        let until = |s: &Seen| if s.open { ALWAYS } else { s.op + 1 };
        seen.sort_unstable_by_key(|s| (s.value, std::cmp::Reverse(until(s))));
        seen.dedup_by_key(|s| s.value);
        let mut out: Vec<(u32, u32)> = seen.iter().map(|s| (until(s), s.value)).collect();
        out.sort_unstable_by_key(|&(u, v)| (std::cmp::Reverse(u), v));
        Some(out)
    }

    fn append(&mut self, state: u32, op: u32, suffix: u32) -> Option<u32> {
        let key = (u64::from(state) << 32) | u64::from(op);
        if let Some(r) = self.append_memo.get(key) {
            return r.checked_sub(1);
        }
        let result = self.values.concat(state, suffix);
        self.append_memo.insert(key, result.map_or(0, |r| r + 1));
        result
    }
}

impl Spec for ScalarSpec {
    fn init(&mut self) -> u32 {
        self.init
    }

    #[inline]
    fn step(&mut self, s: u32, op: u32) -> Option<u32> {
        let free = 0; // `Value::Nil` is interned first.
        match self.ops[op as usize] {
            SOp::Read(x) => (s == x).then_some(s),
            SOp::ReadAny | SOp::Noop => Some(s),
            SOp::Write(x) => Some(x),
            SOp::CasOk(f, t) => (s == f).then_some(t),
            SOp::CasFail(f) => (s != f).then_some(s),
            SOp::CasAny(f, t) => Some(if s == f { t } else { s }),
            SOp::Append(x) => self.append(s, op, x),
            SOp::Propose(p, x) if s == free => (p == x).then_some(x),
            SOp::Propose(_, x) => (s == x).then_some(s),
            SOp::ProposeAny(p) => Some(if s == free { p } else { s }),
            SOp::Acquire => (s == free).then_some(self.held),
            SOp::AcquireAny => Some(self.held),
            SOp::Release => (s == self.held).then_some(free),
            SOp::ReleaseAny => Some(free),
        }
    }

    fn read_only(&self, op: u32) -> bool {
        match self.ops[op as usize] {
            SOp::Read(_) | SOp::ReadAny | SOp::CasFail(_) | SOp::Noop => true,
            // Another proposer's value came back: legal only once the register holds it.
            SOp::Propose(p, x) => p != x,
            _ => false,
        }
    }

    fn monotone(&self, op: u32) -> bool {
        matches!(self.ops[op as usize], SOp::Append(_))
    }

    fn reset_to(&self, op: u32) -> Option<u32> {
        match self.ops[op as usize] {
            SOp::Write(x) | SOp::CasOk(_, x) | SOp::CasAny(_, x) | SOp::Propose(_, x) => Some(x),
            _ => None,
        }
    }

    /// Appends only extend a string, so a read of `x` stays possible only while the state
    /// is nil or a prefix of `x` (compared by polynomial hash: a mismatch is certain).
    fn reachable(&mut self, state: u32, op: u32) -> bool {
        let SOp::Read(x) = self.ops[op as usize] else {
            return true;
        };
        if state == x || state == 0 {
            return true;
        }
        let (Some((h, len)), Some((_, xlen))) =
            (self.values.str_hash_len(state), self.values.str_hash_len(x))
        else {
            return false;
        };
        if len > xlen {
            return false;
        }
        let slot = x as usize;
        if slot >= self.prefix_index.len() {
            self.prefix_index.resize(slot + 1, u32::MAX);
        }
        let idx = match self.prefix_index[slot] {
            u32::MAX => {
                self.prefixes.push(self.values.prefix_hashes(x));
                self.prefix_index[slot] = (self.prefixes.len() - 1) as u32;
                self.prefixes.len() - 1
            }
            i => i as usize,
        };
        self.prefixes[idx].get(len as usize) == Some(&h)
    }

    fn unobservable_class(&mut self, state: u32, first_pending: u32) -> Option<u32> {
        let (until, _) = self.observed_until(state);
        (until <= first_pending).then(|| u32::from(self.values.str_hash_len(state).is_none()))
    }

    /// A state no remaining failed compare names (nor a string it starts) is no worse
    /// than an unobservable one: before the next write, reads and successful compares fail
    /// in the unobservable state anyway, failed compares pass in both, and appends extend
    /// both (a string or nil takes appends, like an unobservable string).
    fn idle_change(&mut self, state: u32, next: u32, first_pending: u32) -> bool {
        let Some(class) = self.unobservable_class(next, first_pending) else {
            return false;
        };
        let (_, failed_until) = self.observed_until(state);
        let appendable = state == 0 || self.values.str_hash_len(state).is_some();
        failed_until <= first_pending && (class == 1 || appendable)
    }

    /// A write retires once its value is unobservable (class 0 for strings, which take
    /// appends, 1 for other values); an append retires once no remaining operation
    /// observes a value containing what it appends (class 2): whatever string it extends,
    /// no observed value can start with the result.
    fn retires(&mut self, op: u32) -> Option<(u32, u32)> {
        match self.ops[op as usize] {
            SOp::Write(v) if v != 0 => {
                let (until, _) = self.observed_until(v);
                let class = u32::from(self.values.str_hash_len(v).is_none());
                (until != ALWAYS).then_some((class, until))
            }
            SOp::Append(x) => {
                let until = self.observed_containing(x)?;
                (until != ALWAYS).then_some((2, until))
            }
            _ => None,
        }
    }

    fn heap_bytes(&self) -> usize {
        let prefixes: usize = self.prefixes.iter().map(|p| p.capacity() * 8).sum();
        self.values.bytes()
            + self.append_memo.bytes()
            + self.ops.capacity() * std::mem::size_of::<SOp>()
            + self.prefix_index.capacity() * 4
            + prefixes
            + self.observers.as_ref().map_or(0, Observers::bytes)
            + self
                .observed_values
                .as_ref()
                .and_then(Option::as_ref)
                .map_or(0, |v| v.capacity() * 8)
    }

    fn describe(&self, state: u32) -> String {
        if self.mutex {
            return if state == self.held { "held" } else { "free" }.to_string();
        }
        self.values.value(state).to_string()
    }
}
