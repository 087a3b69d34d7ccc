//! Evidence for people when a history is not linearizable.
//!
//! The longest partial linearization the search found, the operation it could not place,
//! the states that operation could have observed, and a minimised failing sub-history:
//! first cut at the search's frontier (operations called after every dead end are never
//! needed), then shrunk greedily, one operation at a time, under a step budget.

use serde::Serialize;

use crate::budget::Budget;
use crate::checker::run_search;
use crate::history::History;
use crate::model::ModelKind;
use crate::search::{Failure, Found};
use crate::spec::{AnySpec, Spec};

/// Steps allowed for one check during minimisation.
const MINIMISE_STEPS_PER_TRY: u64 = 20_000;
/// Steps allowed for the whole minimisation.
const MINIMISE_STEPS_TOTAL: u64 = 400_000;
/// Larger cut histories are reported as cut, not shrunk further.
const MINIMISE_MAX_OPS: usize = 400;

/// One operation, rendered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OpView {
    /// Index in the checked history's operations.
    pub index: usize,
    pub client: String,
    pub call: u64,
    /// `null` for an indeterminate operation.
    pub ret: Option<u64>,
    pub input: String,
    pub output: String,
    /// Source line of the call (0 = unknown).
    pub line: u32,
    /// 0-based position of the completion among the source's events, if known.
    pub ret_event: Option<u32>,
}

/// A step of a partial linearization: the operation and the state after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LinearizedStep {
    pub op: OpView,
    pub state_after: String,
}

/// Why a history is not linearizable, for reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The independent part that failed (`all`, `key "3"`, `lock 1`, ...).
    pub partition: String,
    /// Length of the longest partial linearization found.
    pub longest_linearization_len: usize,
    /// Its last steps (at most the evidence cap), ending where the search got stuck.
    pub longest_linearization: Vec<LinearizedStep>,
    /// The operation that cannot be placed: its return was reached before it could be.
    pub culprit: OpView,
    /// States the culprit could have observed at its dead ends.
    pub culprit_states: Vec<String>,
    /// A failing sub-history, as small as the minimisation budget allowed.
    pub minimal_history: Vec<OpView>,
    /// Operations in the failing sub-history (may exceed the list when truncated).
    pub minimal_history_len: usize,
    /// True if the shrinking ran to the end (every remaining operation is needed).
    pub minimised: bool,
}

/// Renders an operation of `h`.
pub fn view(h: &History, index: usize) -> OpView {
    let op = &h.ops[index];
    OpView {
        index,
        client: h.client_name(op.client).to_string(),
        call: op.call,
        ret: op.ret,
        input: op.input.to_string(),
        output: op.output.to_string(),
        line: op.source.call_line,
        ret_event: op.source.ret_event,
    }
}

pub(crate) fn render(
    h: &History,
    label: &str,
    order: &[usize],
    f: &Failure,
    spec: &AnySpec,
    cap: usize,
) -> Evidence {
    let describe = |s: u32| match spec {
        AnySpec::Scalar(sp) => sp.describe(s),
        AnySpec::Vector(sp) => sp.describe(s),
    };
    let skip = f.deepest.len().saturating_sub(cap);
    let steps = f.deepest[skip..]
        .iter()
        .map(|&(op, s)| LinearizedStep {
            op: view(h, order[op as usize]),
            state_after: describe(s),
        })
        .collect();
    Evidence {
        partition: label.to_string(),
        longest_linearization_len: f.deepest.len(),
        longest_linearization: steps,
        culprit: view(h, order[f.culprit as usize]),
        culprit_states: f.culprit_states.iter().map(|&s| describe(s)).collect(),
        minimal_history: Vec::new(),
        minimal_history_len: 0,
        minimised: false,
    }
}

/// Fills in the minimal failing sub-history of the failing part `ops`.
/// `frontier` is the failed search's [`Failure::frontier`].
pub(crate) fn minimise(
    h: &History,
    model: ModelKind,
    ops: &[usize],
    frontier: u64,
    ev: &mut Evidence,
    budget: &Budget,
    cap: usize,
) {
    let mut spent = 0u64;
    let mut current = ops.to_vec();
    current.retain(|&i| h.ops[i].call <= frontier);
    let mut minimised = false;
    if current.len() <= MINIMISE_MAX_OPS {
        minimised = shrink(h, model, &mut current, budget, &mut spent);
    }
    ev.minimal_history_len = current.len();
    ev.minimal_history = current.iter().take(cap).map(|&i| view(h, i)).collect();
    ev.minimised = minimised;
}

/// Runs a bounded check of `ops`; the frontier if it fails.
fn failing_frontier(
    h: &History,
    model: ModelKind,
    ops: &[usize],
    budget: &Budget,
    spent: &mut u64,
) -> Option<u64> {
    let left = MINIMISE_STEPS_TOTAL.saturating_sub(*spent);
    let (_, outcome, _) = run_search(
        h,
        model,
        ops,
        &budget.with_steps(left.min(MINIMISE_STEPS_PER_TRY)),
    );
    *spent += outcome.steps;
    match outcome.found {
        Found::NotLinearizable(f) => Some(f.frontier),
        _ => None,
    }
}

/// Greedy one-at-a-time removal, last operation first. True if it finished.
fn shrink(
    h: &History,
    model: ModelKind,
    current: &mut Vec<usize>,
    budget: &Budget,
    spent: &mut u64,
) -> bool {
    let mut i = current.len();
    while i > 0 {
        i -= 1;
        if *spent >= MINIMISE_STEPS_TOTAL || budget.past_deadline() {
            return false;
        }
        let mut candidate = current.clone();
        candidate.remove(i);
        if let Some(frontier) = failing_frontier(h, model, &candidate, budget, spent) {
            candidate.retain(|&j| h.ops[j].call <= frontier);
            *current = candidate;
            i = i.min(current.len());
        }
    }
    true
}
