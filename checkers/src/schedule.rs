//! The verdict phase: every independent part searched in interleaved slices, ending at the
//! first part that fails.
//!
//! Parts run in rounds. In round `r` every unfinished part gets a slice of
//! `(16 × its operations + 4096) × 2^r` more steps; a part's search is suspended between
//! slices, not restarted. Most parts end within their first slice and free their memory at
//! once. The first part (in part order) found not linearizable in a round decides the
//! verdict (a sequential round stops there; the steps counted are the same either way); a
//! part that ran out of its budget is set aside as unknown without holding the others back.
//! With `parallel`, one round's slices run on the rayon pool; the rounds and everything
//! decided between them are the same, so both modes give identical results.
//!
//! Memory: the whole check (the history, every live part's memo, event list and spec
//! tables) stays within one byte cap. At the start of a round the free bytes are shared out
//! equally among the parts that run in it; a part that reaches its share pauses. If no part
//! ended in that round (so nothing was freed), the largest paused part gives up as unknown.

use rayon::prelude::*;

use crate::budget::{Budget, Exhausted};
use crate::checker::{compile_part, op_value_bytes};
use crate::history::History;
use crate::model::ModelKind;
use crate::partition::Part;
use crate::search::{Failure, Found, Poll, Problem, Search};
use crate::spec::AnySpec;

/// One part's search, alive between slices.
pub(crate) struct Task {
    /// Search operation `i` is `order[i]` in the history.
    pub(crate) order: Vec<usize>,
    problem: Problem,
    pub(crate) spec: AnySpec,
    search: Search,
}

/// How a part starts.
enum Start {
    /// One greedy pass placed every completed operation: linearizable, no search needed.
    Placed,
    Search(Box<Task>),
}

impl Task {
    /// Compiles the part and decides it if one greedy pass linearizes it (see
    /// [`crate::greedy`]); else readies its search.
    fn start(h: &History, model: ModelKind, part: &Part) -> Start {
        let (order, problem, mut spec) = compile_part(h, model, &part.ops);
        let replayed = match &mut spec {
            AnySpec::Scalar(s) => crate::greedy::linearizes(s, &problem),
            AnySpec::Vector(s) => crate::greedy::linearizes(s, &problem),
        };
        if replayed {
            return Start::Placed;
        }
        let task = Task::new(order, problem, spec);
        debug_assert!(
            task.bytes() <= start_bytes(h, part),
            "start_bytes is an upper bound"
        );
        Start::Search(Box::new(task))
    }

    fn new(order: Vec<usize>, problem: Problem, mut spec: AnySpec) -> Self {
        let search = match &mut spec {
            AnySpec::Scalar(s) => Search::new(s, &problem),
            AnySpec::Vector(s) => Search::new(s, &problem),
        };
        Task {
            order,
            problem,
            spec,
            search,
        }
    }

    fn bytes(&self) -> usize {
        let spec = match &self.spec {
            AnySpec::Scalar(s) => crate::spec::Spec::heap_bytes(s),
            AnySpec::Vector(s) => crate::spec::Spec::heap_bytes(s),
        };
        self.search.bytes() + spec + self.order.capacity() * 8 + self.problem.bytes()
    }

    fn run(&mut self, budget: &Budget, slice: u64, limit: usize) -> Poll {
        let end = self.search.steps().saturating_add(slice);
        let (p, s) = (&self.problem, &mut self.search);
        match &mut self.spec {
            AnySpec::Scalar(spec) => s.run(spec, p, budget, end, limit),
            AnySpec::Vector(spec) => s.run(spec, p, budget, end, limit),
        }
    }
}

/// A part found not linearizable, with what evidence needs.
pub(crate) struct Refuted {
    pub(crate) part: usize,
    pub(crate) task: Task,
    pub(crate) failure: Failure,
}

/// What the verdict phase found.
pub(crate) struct Verdicts {
    /// The first part (in part order) of the first round with a failing part.
    pub(crate) refuted: Option<Refuted>,
    /// Parts that ran out of their budget, in part order.
    pub(crate) exhausted: Vec<(usize, Exhausted)>,
    /// Search steps over all parts.
    pub(crate) steps: u64,
}

/// The state of one part between rounds.
enum Slot {
    Waiting,
    Live(Box<Task>),
    Ended,
}

/// Checks every part; `history_bytes` of the cap are already taken by the history.
pub(crate) fn run_parts(
    h: &History,
    model: ModelKind,
    parts: &[Part],
    budget: &Budget,
    history_bytes: usize,
    parallel: bool,
) -> Verdicts {
    let mut slots: Vec<Slot> = parts.iter().map(|_| Slot::Waiting).collect();
    let mut v = Verdicts {
        refuted: None,
        exhausted: Vec::new(),
        steps: 0,
    };
    let start_costs: Vec<usize> = parts.iter().map(|p| start_bytes(h, p)).collect();
    for round in 0u32.. {
        if slots.iter().all(|s| matches!(s, Slot::Ended)) {
            break;
        }
        let held: usize = slots.iter().map(slot_bytes).sum();
        let free = budget.max_memory_bytes.saturating_sub(history_bytes + held);
        let admitted = admit(&slots, &start_costs, free);
        let active = admitted.iter().filter(|&&a| a).count();
        if active == 0 {
            // Nothing runs and the first waiting part cannot start within the cap.
            let i = slots.iter().position(|s| matches!(s, Slot::Waiting));
            let i = i.expect("a part that is neither live nor ended is waiting");
            slots[i] = Slot::Ended;
            v.exhausted
                .push((i, Exhausted::Memory(budget.max_memory_bytes)));
            v.exhausted.sort_unstable_by_key(|&(part, _)| part);
            continue;
        }
        let starting: usize = (0..parts.len())
            .filter(|&i| admitted[i] && matches!(slots[i], Slot::Waiting))
            .map(|i| start_costs[i])
            .sum();
        let share = free.saturating_sub(starting) / active;
        let step = |(i, slot): (usize, &mut Slot)| -> Option<(usize, Poll)> {
            if !admitted[i] {
                return None; // Ended, or waiting for memory to start.
            }
            if budget.past_deadline() {
                let found = Found::OutOfBudget(Exhausted::Deadline);
                return Some((i, Poll::Done(found)));
            }
            let mut task = match std::mem::replace(slot, Slot::Ended) {
                Slot::Live(t) => t,
                _ => match Task::start(h, model, &parts[i]) {
                    Start::Placed => return Some((i, Poll::Done(Found::Linearizable))),
                    Start::Search(t) => t,
                },
            };
            let slice = (16 * parts[i].ops.len() as u64 + 4096).saturating_mul(1 << round.min(40));
            let limit = task.bytes() + share;
            let poll = task.run(budget, slice, limit);
            *slot = Slot::Live(task);
            Some((i, poll))
        };
        let before: Vec<u64> = slots.iter().map(slot_steps).collect();
        let polls: Vec<(usize, Poll)> = if parallel {
            slots.par_iter_mut().enumerate().filter_map(step).collect()
        } else {
            // The first refuted part decides: the parts after it need not run.
            let mut polls = Vec::new();
            for (i, slot) in slots.iter_mut().enumerate() {
                let Some(poll) = step((i, slot)) else {
                    continue;
                };
                let refuted = matches!(poll.1, Poll::Done(Found::NotLinearizable(_)));
                polls.push(poll);
                if refuted {
                    break;
                }
            }
            polls
        };
        if let Some(part) = settle(&mut slots, polls, &mut v, budget.max_memory_bytes) {
            // Steps as of the round's start for the parts after the refuted one, whether
            // or not this round ran them: the same count sequential and parallel.
            let after = |(i, s): (usize, &Slot)| if i > part { before[i] } else { slot_steps(s) };
            v.steps += slots.iter().enumerate().map(after).sum::<u64>();
            return v;
        }
    }
    v.steps += slots.iter().map(slot_steps).sum::<u64>();
    v
}

/// Bytes per operation that starting a part may take, an upper bound: its event list,
/// problem, spec tables and walk arrays (measured: about 240 on key-value parts of 10,000
/// operations, 315-350 on parts of a few hundred of the shared histories) and the
/// temporaries of compiling it.
const START_BYTES_PER_OP: usize = 512;
/// Bytes that starting any part may take besides its operations' (small tables' minimum
/// sizes).
const START_BYTES_FIXED: usize = 8 << 10;

/// An upper bound of the bytes that starting part `p` takes (compiling it, replaying it or
/// readying its search), its values' strings included.
fn start_bytes(h: &History, p: &Part) -> usize {
    let values: usize = p.ops.iter().map(|&i| op_value_bytes(&h.ops[i])).sum();
    START_BYTES_FIXED + START_BYTES_PER_OP * p.ops.len() + values
}

/// Which parts run this round: every live part, and the waiting ones (in part order) whose
/// start fits in half the `free` bytes after those before them; the other half is left
/// for the live parts to grow. When no part is live, the first waiting part may take all
/// of `free`. A part that is not admitted waits for a round with more memory free.
fn admit(slots: &[Slot], start_costs: &[usize], free: usize) -> Vec<bool> {
    let live = slots.iter().any(|s| matches!(s, Slot::Live(_)));
    let mut starting = 0usize;
    let mut admitted = vec![false; slots.len()];
    for (i, slot) in slots.iter().enumerate() {
        admitted[i] = match slot {
            Slot::Ended => false,
            Slot::Live(_) => true,
            Slot::Waiting => {
                let cost = start_costs[i];
                let alone = !live && starting == 0 && cost <= free;
                let fits = alone || starting + cost <= free / 2;
                if fits {
                    starting += cost;
                }
                fits
            }
        };
    }
    admitted
}

/// Steps taken by a live part's search (0 for a part waiting or ended).
fn slot_steps(s: &Slot) -> u64 {
    match s {
        Slot::Live(t) => t.search.steps(),
        _ => 0,
    }
}

fn slot_bytes(s: &Slot) -> usize {
    match s {
        Slot::Live(t) => t.bytes(),
        _ => 0,
    }
}

/// Applies one round's results in part order, up to the first refuted part; returns that
/// part if there is one (the check is decided; results of later parts are ignored).
fn settle(
    slots: &mut [Slot],
    polls: Vec<(usize, Poll)>,
    v: &mut Verdicts,
    cap: usize,
) -> Option<usize> {
    let mut ended_any = false;
    let mut pressed: Vec<usize> = Vec::new();
    for (i, poll) in polls {
        if let Some(r) = &v.refuted {
            debug_assert!(i > r.part);
            break;
        }
        let found = match poll {
            Poll::Done(found) => found,
            Poll::Paused => continue,
            Poll::Pressed => {
                pressed.push(i);
                continue;
            }
        };
        let ended = std::mem::replace(&mut slots[i], Slot::Ended);
        ended_any = true;
        let Slot::Live(task) = ended else {
            if let Found::OutOfBudget(e) = found {
                v.exhausted.push((i, e)); // Out of time before it started.
            }
            continue;
        };
        v.steps += task.search.steps();
        match found {
            Found::Linearizable => {}
            Found::OutOfBudget(e) => v.exhausted.push((i, e)),
            Found::NotLinearizable(failure) if v.refuted.is_none() => {
                v.refuted = Some(Refuted {
                    part: i,
                    task: *task,
                    failure,
                });
            }
            Found::NotLinearizable(_) => {}
        }
    }
    if let Some(r) = &v.refuted {
        return Some(r.part);
    }
    if !ended_any {
        let largest = pressed
            .iter()
            .copied()
            .max_by_key(|&i| (slot_bytes(&slots[i]), usize::MAX - i));
        if let Some(i) = largest {
            if let Slot::Live(task) = std::mem::replace(&mut slots[i], Slot::Ended) {
                v.steps += task.search.steps();
            }
            v.exhausted.push((i, Exhausted::Memory(cap)));
            v.exhausted.sort_unstable_by_key(|&(part, _)| part);
        }
    }
    None
}
