//! Evidence for people when a history is not linearizable.
//!
//! The longest partial linearization the search found, the operation it could not place,
//! the states that operation could have observed, and a minimised failing sub-history:
//! first cut at the search's frontier (operations called after every dead end are never
//! needed), then shrunk greedily, one operation at a time, under a step budget: an
//! operation is dropped when the history still fails with it relaxed to indeterminate.

use serde::Serialize;

use crate::budget::Budget;
use crate::checker::run_search;
use crate::history::{History, Output};
use crate::model::ModelKind;
use crate::search::{Failure, Found};
use crate::spec::{AnySpec, Spec};

/// Steps allowed for one check during minimisation.
const MINIMISE_STEPS_PER_TRY: u64 = 5_000;
/// Steps allowed for the whole minimisation.
const MINIMISE_STEPS_TOTAL: u64 = 100_000;
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
    let mut cut: Vec<usize> = ops
        .iter()
        .copied()
        .filter(|&i| h.ops[i].call <= frontier)
        .collect();
    let mut minimised = false;
    if cut.len() <= MINIMISE_MAX_OPS {
        let mut local = History {
            clients: Vec::new(),
            ops: cut.iter().map(|&i| h.ops[i].clone()).collect(),
        };
        let mut alive: Vec<usize> = (0..cut.len()).collect();
        minimised = shrink(&mut local, model, &mut alive, budget);
        cut = alive.iter().map(|&j| cut[j]).collect();
    }
    ev.minimal_history_len = cut.len();
    ev.minimal_history = cut.iter().take(cap).map(|&i| view(h, i)).collect();
    ev.minimised = minimised;
}

/// Greedy shrinking in halving chunks (delta debugging), last operations first. A chunk
/// goes if the history still fails with it *relaxed* to indeterminate (its operations may
/// happen at any time, or never), and it stays relaxed in every later check, so no
/// failure is ever created by deleting, say, the only write of a value a read saw. At the
/// end, relaxing any operation left makes the history (with everything removed still
/// possible) linearizable; and the operations left fail on their own, since removing
/// optional operations only removes ways to linearize. True if it finished within budget.
fn shrink(local: &mut History, model: ModelKind, kept: &mut Vec<usize>, budget: &Budget) -> bool {
    let mut spent = 0u64;
    let mut pool: Vec<usize> = kept.clone();
    let mut size = (kept.len() / 2).max(1);
    loop {
        let mut end = kept.len();
        while end > 0 {
            if spent >= MINIMISE_STEPS_TOTAL || budget.past_deadline() {
                return false;
            }
            let start = end.saturating_sub(size);
            let chunk = kept[start..end].to_vec();
            let saved: Vec<_> = chunk.iter().map(|&j| relax(local, j)).collect();
            let left = MINIMISE_STEPS_TOTAL
                .saturating_sub(spent)
                .min(MINIMISE_STEPS_PER_TRY);
            let (_, outcome, _) = run_search(local, model, &pool, &budget.with_steps(left));
            spent += outcome.steps;
            if let Found::NotLinearizable(f) = outcome.found {
                kept.drain(start..end);
                kept.retain(|&i| local.ops[i].call <= f.frontier);
                pool.retain(|&i| local.ops[i].call <= f.frontier);
                end = start.min(kept.len());
            } else {
                for (&j, old) in chunk.iter().zip(saved) {
                    (local.ops[j].ret, local.ops[j].output) = old;
                }
                end = start;
            }
        }
        if size == 1 {
            return true;
        }
        size = (size / 2).max(1);
    }
}

/// Makes an operation indeterminate; returns what it was.
fn relax(local: &mut History, j: usize) -> (Option<u64>, Output) {
    let op = &mut local.ops[j];
    let old = (op.ret, op.output.clone());
    (op.ret, op.output) = (None, Output::Unknown);
    old
}
