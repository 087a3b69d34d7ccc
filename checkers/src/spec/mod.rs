//! Sequential specifications compiled for the search: states and values as integers.
//!
//! A model is `init` + `step`, as in Porcupine. Before a search, one partition's operations
//! are compiled into a [`Spec`]: values are interned as `u32` ids, so a state is a `u32`
//! and equal states have equal ids (which Lowe's cache relies on). Scalar models keep one
//! value per state; vector models (multi-register, set, queue) intern whole state vectors.

mod observe;
mod scalar;
mod values;
mod vector;

pub(crate) use scalar::ScalarSpec;
pub(crate) use vector::VectorSpec;

use crate::history::{Input, Micro, Operation};
use crate::model::{Family, ModelKind};

/// A compiled sequential specification over the operations of one partition.
pub(crate) trait Spec {
    /// The initial state.
    fn init(&mut self) -> u32;
    /// The state after operation `op` (an index into the compiled operations) runs in
    /// `state` and produces its recorded output, or `None` if that output is impossible.
    fn step(&mut self, state: u32, op: u32) -> Option<u32>;
    /// True if the operation never changes any state it is legal in (a read, a failed
    /// compare). Such an operation, once legal, can be linearized at once without
    /// branching: any completion without it at this point stays valid with it here.
    fn read_only(&self, op: u32) -> bool;
    /// True if the operation only ever extends the state (a string append), so a run of
    /// such operations can only reach states that [`Spec::reachable`] allows.
    fn monotone(&self, _op: u32) -> bool {
        false
    }
    /// False only if no run of [`Spec::monotone`] operations from `state` can make the
    /// read-only operation `op` legal (an exact answer is not required; `true` is safe).
    fn reachable(&mut self, _state: u32, _op: u32) -> bool {
        true
    }
    /// The state a non-monotone, non-read-only operation leaves when it takes effect, if
    /// that is one fixed state (a write, a successful cas); `None` if unknown.
    fn reset_to(&self, _op: u32) -> Option<u32> {
        None
    }
    /// If no operation at or after search index `first_pending` can observe `state`, the
    /// class of such states it belongs to (states of one class admit the same
    /// completions, so the memo may key them as one); `None` otherwise (always safe).
    fn unobservable_class(&mut self, _state: u32, _first_pending: u32) -> Option<u32> {
        None
    }
    /// True if an indeterminate operation taking `state` to `next` may be skipped: `next`
    /// is unobservable from search index `first_pending` on, and no remaining operation
    /// fares better in it than in `state` (so the configuration that does not take the
    /// operation dominates the one that does). `false` is always safe.
    fn idle_change(&mut self, _state: u32, _next: u32, _first_pending: u32) -> bool {
        false
    }
    /// For an indeterminate operation: `Some((class, k))` if from search index `k` on,
    /// whatever state it is taken in, it leads to a state that no operation at or after
    /// `k` can observe, and every operation of `class` is legal in the same states and
    /// leads to states of one unobservable class (see `unobservable_class`). From `k` on
    /// the operations of one class are then interchangeable, so the memo may count how
    /// many of them a configuration took instead of naming them. `None` is always safe;
    /// classes are below 3.
    fn retires(&mut self, _op: u32) -> Option<(u32, u32)> {
        None
    }
    /// A human-readable rendering of a state, for evidence.
    fn describe(&self, state: u32) -> String;
    /// Bytes held by the compiled operations and the tables of states and transitions,
    /// by capacity, with room for the next growth of a hash table (the search's memory
    /// limit counts them).
    fn heap_bytes(&self) -> usize;
}

/// A compiled specification of any family.
pub(crate) enum AnySpec {
    Scalar(ScalarSpec),
    Vector(VectorSpec),
}

/// Compiles `ops` (one partition, in the order the search indexes them) for `model`.
pub(crate) fn compile(model: ModelKind, ops: &[&Operation]) -> AnySpec {
    match model.family() {
        Family::Scalar => AnySpec::Scalar(ScalarSpec::compile(model, ops)),
        Family::Multi | Family::Set | Family::Queue => {
            AnySpec::Vector(VectorSpec::compile(model, ops))
        }
    }
}

/// True if the operation can never change the state, so an indeterminate one can be
/// dropped before the search (it may as well never have happened).
pub(crate) fn is_pure_read(input: &Input) -> bool {
    match input {
        Input::Read { .. } | Input::ReadSet => true,
        Input::Txn(micros) => micros.iter().all(|m| matches!(m, Micro::Read { .. })),
        _ => false,
    }
}
