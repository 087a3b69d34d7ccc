//! Drives a [`Walk`] in slices: a search can stop after a number of steps or at a memory
//! allowance and go on later from exactly where it stopped, so the checker can interleave
//! the independent parts of a history and end at the first part that fails.

use super::{Enter, Found, Outcome, Problem, Walk};
use crate::budget::{Budget, Exhausted};
use crate::spec::Spec;

/// How often (in steps) the search reads the budget's clock and counts its bytes.
const CLOCK_EVERY_STEPS: u64 = 4096;

/// Where a slice of search stopped.
pub(crate) enum Poll {
    Done(Found),
    /// The slice's steps ran out; `run` again goes on.
    Paused,
    /// The memory allowance was reached; going on needs a larger one.
    Pressed,
}

/// A search that can be run in slices.
pub(crate) struct Search {
    walk: Walk,
    steps: u64,
    /// A new configuration, whose candidates are still to be listed.
    arrived: bool,
    next_clock: u64,
}

impl Search {
    pub(crate) fn new<S: Spec>(spec: &mut S, p: &Problem) -> Self {
        Search {
            walk: Walk::new(spec, p),
            steps: 0,
            arrived: true,
            next_clock: CLOCK_EVERY_STEPS,
        }
    }

    /// Steps taken so far.
    pub(crate) fn steps(&self) -> u64 {
        self.steps
    }

    /// Bytes the search holds (memo, event list, stacks), by capacity.
    pub(crate) fn bytes(&self) -> usize {
        self.walk.bytes()
    }

    /// Runs until the search ends, its step count reaches `slice_end`, or the bytes it
    /// and `spec` hold would pass `limit`. Deterministic for given arguments.
    pub(crate) fn run<S: Spec>(
        &mut self,
        spec: &mut S,
        p: &Problem,
        budget: &Budget,
        slice_end: u64,
        limit: usize,
    ) -> Poll {
        let w = &mut self.walk;
        w.full = false;
        w.observe_after = budget.observe_after;
        w.mem_limit = memo_allowance(w, spec, limit);
        loop {
            if w.required_left == 0 {
                return Poll::Done(Found::Linearizable);
            }
            if self.steps >= slice_end {
                return Poll::Paused;
            }
            self.steps += 1;
            let clock_due = self.steps >= self.next_clock;
            if clock_due {
                self.next_clock = self.steps + CLOCK_EVERY_STEPS;
                w.mem_limit = memo_allowance(w, spec, limit);
                if w.bytes() + spec.heap_bytes() > limit {
                    return Poll::Pressed;
                }
            }
            if let Err(e) = budget.check(self.steps, clock_due) {
                return Poll::Done(Found::OutOfBudget(e));
            }
            if self.arrived {
                self.arrived = match w.enter(spec, p, &mut self.steps) {
                    Enter::Forced => true,
                    Enter::Listed => false,
                    Enter::Full => return Poll::Pressed,
                    Enter::Dead if w.backtrack(p) => false,
                    Enter::Dead => return Poll::Done(w.fail()),
                };
                continue;
            }
            match w.next_candidate(spec, p) {
                Some(true) => self.arrived = true,
                Some(false) if w.full => return Poll::Pressed,
                Some(false) => {}
                None if w.backtrack(p) => {}
                None => return Poll::Done(w.fail()),
            }
        }
    }
}

/// The memo's share of `limit`: what the rest of the walk and the spec leave.
fn memo_allowance<S: Spec>(w: &Walk, spec: &S, limit: usize) -> usize {
    let others = w.bytes() - w.cache.bytes() + spec.heap_bytes();
    limit.saturating_sub(others)
}

/// Runs a whole search at once, within the budget's memory limit.
pub(crate) fn search<S: Spec>(spec: &mut S, p: &Problem, budget: &Budget) -> Outcome {
    let mut s = Search::new(spec, p);
    let found = match s.run(spec, p, budget, u64::MAX, budget.max_memory_bytes) {
        Poll::Done(found) => found,
        Poll::Paused | Poll::Pressed => {
            Found::OutOfBudget(Exhausted::Memory(budget.max_memory_bytes))
        }
    };
    Outcome {
        found,
        steps: s.steps,
    }
}
