//! The search budget: a step limit plus an optional wall-clock deadline.
//!
//! This is the one place in the checker core that reads the wall clock. That is allowed
//! here because a checker runs outside any simulated world, on a recorded history: its
//! time limit is the user's patience, not simulated time, and it only ever turns a result
//! into `Unknown`. Step limits are deterministic; a deadline is not, so prefer steps.

use std::time::{Duration, Instant};

/// The crate's only wall-clock read. Allowed (despite the workspace lint) because checkers
/// run outside any simulated world: see the module documentation.
#[allow(clippy::disallowed_methods)]
fn wall_now() -> Instant {
    Instant::now() // Not a simulation path: an offline checker's optional deadline on a recorded history; no world reads it.
}

/// Limits for one search. Running out yields `Unknown`, never a pass.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Budget {
    max_steps: u64,
    deadline: Option<Instant>,
    /// Most bytes the whole check may hold (history, memos, event lists, spec tables).
    pub(crate) max_memory_bytes: usize,
    /// Memo entries a search records before it asks which states are unobservable.
    pub(crate) observe_after: usize,
}

/// Why a search stopped early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exhausted {
    Steps(u64),
    Deadline,
    /// The memo outgrew its byte limit.
    Memory(usize),
}

impl Budget {
    /// A budget of `max_steps` search steps (per partition) and an optional time limit
    /// counted from now.
    pub(crate) fn new(max_steps: u64, time_limit: Option<Duration>) -> Self {
        let deadline = time_limit.map(|d| wall_now() + d);
        Budget {
            max_steps,
            deadline,
            max_memory_bytes: usize::MAX,
            observe_after: 2048,
        }
    }

    /// The same budget with a memo size limit.
    pub(crate) fn with_memory_bytes(self, max_memory_bytes: usize) -> Self {
        Budget {
            max_memory_bytes,
            ..self
        }
    }

    /// The same budget asking which states are unobservable after `entries` memo entries.
    pub(crate) fn with_observe_after(self, entries: usize) -> Self {
        Budget {
            observe_after: entries,
            ..self
        }
    }

    /// The same deadline with a different step limit.
    pub(crate) fn with_steps(self, max_steps: u64) -> Self {
        Budget { max_steps, ..self }
    }

    /// Checked by the search on every step. The clock is read only when `clock_due` (the
    /// search asks every few thousand steps), since reading it costs more than a step.
    #[inline]
    pub(crate) fn check(&self, steps: u64, clock_due: bool) -> Result<(), Exhausted> {
        if steps > self.max_steps {
            return Err(Exhausted::Steps(self.max_steps));
        }
        if clock_due && self.past_deadline() {
            return Err(Exhausted::Deadline);
        }
        Ok(())
    }

    /// True if the deadline has passed.
    pub(crate) fn past_deadline(&self) -> bool {
        self.deadline.is_some_and(|d| wall_now() >= d)
    }
}

/// Measures elapsed wall time for reports (`time_us`). Same justification as above: it
/// times the checker itself, never anything inside a simulated world.
#[derive(Clone, Copy, Debug)]
pub struct Stopwatch(Instant);

impl Stopwatch {
    /// Starts timing now.
    pub fn start() -> Self {
        Stopwatch(wall_now())
    }

    /// Microseconds since start.
    pub fn elapsed_us(&self) -> u64 {
        u64::try_from(self.0.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// Nanoseconds since start (for timing files checked in microseconds).
    pub fn elapsed_ns(&self) -> u64 {
        u64::try_from(self.0.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_limit_is_exact() {
        let b = Budget::new(10, None);
        assert_eq!(b.check(10, true), Ok(()));
        assert_eq!(b.check(11, false), Err(Exhausted::Steps(10)));
    }

    #[test]
    fn a_passed_deadline_is_reported() {
        let b = Budget::new(u64::MAX, Some(Duration::ZERO));
        assert_eq!(b.check(1, false), Ok(()));
        assert_eq!(b.check(1, true), Err(Exhausted::Deadline));
        assert!(b.past_deadline());
    }
}
