//! Wing & Gong's linearizability search with Lowe's memoisation, over flat arrays.
//!
//! The search walks the event list: at a call it tries to linearize that operation next
//! (the model must accept it, and the resulting (linearized set, state) pair must be new to
//! the cache); at a return whose operation is not yet linearized it backtracks, using an
//! explicit stack. Indeterminate operations have no return event: they may be linearized
//! anywhere after their call, or never, so the search succeeds once every *completed*
//! operation is linearized. Two reductions keep indeterminate operations cheap: one that
//! would leave the state unchanged is never tried (skipping it loses nothing), and among
//! identical pending ones only the earliest untaken is tried (they are interchangeable).

mod cache;
mod links;

use crate::budget::{Budget, Exhausted};
use crate::spec::Spec;
use crate::table::mix;
use cache::Cache;
use links::{Links, NIL};

/// Most distinct states kept for the culprit operation.
const MAX_CULPRIT_STATES: usize = 16;

/// One partition's operations as the search sees them.
pub(crate) struct Problem {
    pub(crate) calls: Vec<u64>,
    /// `None` for indeterminate operations.
    pub(crate) rets: Vec<Option<u64>>,
    /// Symmetry class of each indeterminate operation (identical input and output).
    pub(crate) class: Vec<u32>,
    /// Rank of each indeterminate operation within its class, in call order.
    pub(crate) rank: Vec<u32>,
    pub(crate) classes: usize,
}

/// What the search found.
pub(crate) enum Found {
    /// Every completed operation was placed.
    Linearizable,
    NotLinearizable(Failure),
    OutOfBudget(Exhausted),
}

/// The deepest dead end of a failed search.
#[derive(Clone, Debug, Default)]
pub(crate) struct Failure {
    /// The longest partial linearization: (operation, state after it).
    pub(crate) deepest: Vec<(u32, u32)>,
    /// The operation whose return was reached without it being placeable.
    pub(crate) culprit: u32,
    /// Distinct states the search was in when it got stuck at the culprit's return.
    pub(crate) culprit_states: Vec<u32>,
    /// The latest return time any branch got stuck at: operations called after it are
    /// never reached, so dropping them keeps the history non-linearizable.
    pub(crate) frontier: u64,
}

pub(crate) struct Outcome {
    pub(crate) found: Found,
    pub(crate) steps: u64,
}

/// Mutable search state, kept together so the loop body stays small.
struct Walk {
    links: Links,
    bits: Vec<u64>,
    zobrist: Vec<u64>,
    hash: u64,
    cache: Cache,
    state: u32,
    /// (operation, state before it, forced): a forced frame is a legal read-only
    /// operation, which leaves no alternative worth exploring at its position.
    stack: Vec<(u32, u32, bool)>,
    read_only: Vec<bool>,
    taken: Vec<u32>,
    required_left: usize,
    failure: Option<Failure>,
}

/// Runs the search. Deterministic for a given problem and step budget.
pub(crate) fn search<S: Spec>(spec: &mut S, p: &Problem, budget: &Budget) -> Outcome {
    let n = p.calls.len();
    let width = n.div_ceil(64).max(1);
    let mut w = Walk {
        links: Links::new(&p.calls, &p.rets),
        bits: vec![0; width],
        zobrist: (0..n as u64).map(|i| mix(i ^ 0x5eed_f0b5)).collect(),
        hash: 0,
        cache: Cache::new(width),
        state: spec.init(),
        stack: Vec::with_capacity(n),
        taken: vec![0; p.classes],
        read_only: (0..n as u32).map(|i| spec.read_only(i)).collect(),
        required_left: p.rets.iter().filter(|r| r.is_some()).count(),
        failure: None,
    };
    let mut steps = 0u64;
    let outcome = |found, steps| Outcome { found, steps };
    if w.required_left == 0 {
        return outcome(Found::Linearizable, steps);
    }
    // `arrived`: a new configuration, whose read-only operations are tried first.
    let (mut arrived, mut node) = (true, w.links.first());
    loop {
        steps += 1;
        if let Err(e) = budget.check(steps) {
            return outcome(Found::OutOfBudget(e), steps);
        }
        if arrived {
            match w.read_pass(spec, p, &mut steps) {
                Pass::Forced if w.required_left == 0 => return outcome(Found::Linearizable, steps),
                Pass::Forced => continue,
                Pass::Nothing => (arrived, node) = (false, w.links.first()),
                Pass::Dead => match w.backtrack(p) {
                    Some(op) => (arrived, node) = (false, w.links.next(w.links.call_node(op))),
                    None => return outcome(w.fail(), steps),
                },
            }
            continue;
        }
        if !w.links.is_ret(node) {
            let op = w.links.op(node);
            let skip = w.read_only[op as usize] && p.rets[op as usize].is_some();
            if !skip && w.try_linearize(spec, p, op) {
                if w.required_left == 0 {
                    return outcome(Found::Linearizable, steps);
                }
                arrived = true;
            } else {
                node = w.links.next(node);
            }
            continue;
        }
        w.note_stuck(p, w.links.op(node));
        match w.backtrack(p) {
            Some(op) => node = w.links.next(w.links.call_node(op)),
            None => return outcome(w.fail(), steps),
        }
    }
}

/// Result of trying a configuration's read-only operations.
enum Pass {
    /// One was legal and new: it is linearized, with no alternative to explore.
    Forced,
    /// None is legal: explore the other operations.
    Nothing,
    /// One is legal but its configuration was explored before and failed, so this
    /// configuration fails too.
    Dead,
}

impl Walk {
    fn fail(&mut self) -> Found {
        Found::NotLinearizable(self.failure.take().unwrap_or_default())
    }

    /// Tries the completed read-only operations callable in this configuration.
    fn read_pass<S: Spec>(&mut self, spec: &mut S, p: &Problem, steps: &mut u64) -> Pass {
        let mut node = self.links.first();
        while !self.links.is_ret(node) {
            *steps += 1;
            let op = self.links.op(node);
            let i = op as usize;
            node = self.links.next(node);
            if !self.read_only[i] || p.rets[i].is_none() {
                continue;
            }
            if spec.step(self.state, op).is_none() {
                continue;
            }
            return if self.try_linearize(spec, p, op) {
                Pass::Forced
            } else {
                Pass::Dead
            };
        }
        Pass::Nothing
    }

    /// Tries to place `op` next; on success it is linearized and the walk restarts.
    #[inline]
    fn try_linearize<S: Spec>(&mut self, spec: &mut S, p: &Problem, op: u32) -> bool {
        let i = op as usize;
        let optional = p.rets[i].is_none();
        if optional && self.taken[p.class[i] as usize] != p.rank[i] {
            return false;
        }
        let Some(next) = spec.step(self.state, op) else {
            return false;
        };
        if optional && next == self.state {
            return false;
        }
        let (word, bit) = (i / 64, 1u64 << (i % 64));
        self.bits[word] |= bit;
        self.hash ^= self.zobrist[i];
        if !self.cache.insert(&self.bits, next, self.hash) {
            self.bits[word] &= !bit;
            self.hash ^= self.zobrist[i];
            return false;
        }
        let forced = !optional && self.read_only[i];
        self.stack.push((op, self.state, forced));
        self.state = next;
        self.links.lift(op);
        if optional {
            self.taken[p.class[i] as usize] += 1;
        } else {
            self.required_left -= 1;
        }
        true
    }

    /// Undoes linearizations back to the most recent one that had alternatives; returns
    /// its operation.
    fn backtrack(&mut self, p: &Problem) -> Option<u32> {
        loop {
            let (op, forced) = self.pop(p)?;
            if !forced {
                return Some(op);
            }
        }
    }

    /// Undoes the most recent linearization.
    fn pop(&mut self, p: &Problem) -> Option<(u32, bool)> {
        let (op, prev, forced) = self.stack.pop()?;
        let i = op as usize;
        self.links.unlift(op);
        self.bits[i / 64] &= !(1u64 << (i % 64));
        self.hash ^= self.zobrist[i];
        self.state = prev;
        if p.rets[i].is_none() {
            self.taken[p.class[i] as usize] -= 1;
        } else {
            self.required_left += 1;
        }
        Some((op, forced))
    }

    /// Records a dead end: the walk reached `culprit`'s return without placing it.
    fn note_stuck(&mut self, p: &Problem, culprit: u32) {
        if culprit == NIL {
            return; // The tail sentinel: unreachable while completed operations remain.
        }
        let ret = p.rets[culprit as usize].unwrap_or(u64::MAX);
        let depth = self.stack.len();
        let f = self.failure.get_or_insert_with(Failure::default);
        f.frontier = f.frontier.max(ret);
        if f.culprit_states.is_empty() || depth > f.deepest.len() {
            f.deepest.clear();
            let afters = self.stack.iter().skip(1).map(|s| s.1).chain([self.state]);
            f.deepest.extend(self.stack.iter().map(|s| s.0).zip(afters));
            f.culprit = culprit;
            f.culprit_states.clear();
            f.culprit_states.push(self.state);
        } else if f.culprit == culprit
            && f.culprit_states.len() < MAX_CULPRIT_STATES
            && !f.culprit_states.contains(&self.state)
        {
            f.culprit_states.push(self.state);
        }
    }
}
