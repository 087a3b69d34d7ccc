//! A first try before any search: place a part's operations one by one, never going back.
//!
//! Most parts of a real history are linearizable in the order their effects happened, and
//! the search would walk straight through them anyway; but readying a search (event list,
//! memo, stacks) costs more than walking. So before it, one greedy pass tries to place
//! every completed operation: at each point the candidates are the operations called no
//! later than the earliest return of an operation not yet placed (the search's window);
//! a legal read-only one is placed at once (it changes nothing), else the legal one that
//! returned first. Indeterminate operations may never have taken effect, so the pass
//! places one only when no completed candidate is legal and the one it places (the first
//! called) makes some completed candidate legal: a write whose reply was lost but whose
//! value was read. If the pass places every completed operation, that order is a
//! linearization and the part is decided; if it gets stuck, that proves nothing and the
//! search decides.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use crate::search::Problem;
use crate::spec::Spec;

/// Operations the pass may try per operation of the part (plus a fixed allowance) before
/// it gives up: a pass over a part with a very wide window never costs more than a few
/// search steps per operation.
const TRIES_PER_OP: usize = 64;
const TRIES_FIXED: usize = 4096;

/// True if one greedy pass places every completed operation of `p` in an order that real
/// time allows and `spec` accepts (a linearization); `false` when it gets stuck.
pub(crate) fn linearizes<S: Spec>(spec: &mut S, p: &Problem) -> bool {
    let n = p.calls.len();
    // Completed operations not yet placed, in call order (the search's numbering).
    let (mut pending, mut optional): (VecDeque<u32>, VecDeque<u32>) =
        (0..n as u32).partition(|&op| p.rets[op as usize].is_some());
    let mut returns: BinaryHeap<Reverse<(u64, u32)>> = pending
        .iter()
        .map(|&op| Reverse((p.rets[op as usize].unwrap_or(u64::MAX), op)))
        .collect();
    let mut placed = vec![false; n];
    let mut tries_left = TRIES_PER_OP * n + TRIES_FIXED;
    let mut state = spec.init();
    while !pending.is_empty() {
        while returns.peek().is_some_and(|r| placed[r.0 .1 as usize]) {
            returns.pop();
        }
        let Some(&Reverse((horizon, _))) = returns.peek() else {
            unreachable!("an operation still pending has its return in the heap");
        };
        let window = Window {
            pending: &pending,
            horizon,
            state,
        };
        if let Some((pos, next)) = choose(spec, p, &window, &mut tries_left) {
            let op = pending.remove(pos).expect("chosen from pending");
            placed[op as usize] = true;
            state = next;
        } else if let Some((pos, next)) = enabler(spec, p, &window, &optional, &mut tries_left) {
            optional.remove(pos);
            state = next;
        } else {
            return false;
        }
    }
    true
}

/// Where the pass stands: the completed operations not yet placed (in call order), the
/// earliest return among them, and the state.
#[derive(Clone, Copy)]
struct Window<'a> {
    pending: &'a VecDeque<u32>,
    horizon: u64,
    state: u32,
}

/// The first indeterminate operation called by the horizon that is legal now and after
/// which some completed candidate is legal, as its position in `optional` and the state
/// after it.
fn enabler<S: Spec>(
    spec: &mut S,
    p: &Problem,
    w: &Window,
    optional: &VecDeque<u32>,
    tries_left: &mut usize,
) -> Option<(usize, u32)> {
    for (pos, &op) in optional.iter().enumerate() {
        if p.calls[op as usize] > w.horizon {
            break;
        }
        *tries_left = tries_left.checked_sub(1)?;
        let Some(next) = spec.step(w.state, op) else {
            continue;
        };
        let after = Window { state: next, ..*w };
        if choose(spec, p, &after, tries_left).is_some() {
            return Some((pos, next));
        }
    }
    None
}

/// The completed operation to place next, as its position in `pending` and the state
/// after it, among those called by the horizon (at equal times a call comes before a
/// return, as in the search): a legal read-only one if any, else the legal one that
/// returned first. `None` if none is legal or the tries ran out.
fn choose<S: Spec>(
    spec: &mut S,
    p: &Problem,
    w: &Window,
    tries_left: &mut usize,
) -> Option<(usize, u32)> {
    let mut best: Option<(u64, usize, u32)> = None;
    for (pos, &op) in w.pending.iter().enumerate() {
        if p.calls[op as usize] > w.horizon {
            break;
        }
        *tries_left = tries_left.checked_sub(1)?;
        let Some(next) = spec.step(w.state, op) else {
            continue;
        };
        if spec.read_only(op) {
            return Some((pos, next));
        }
        let ret = p.rets[op as usize].unwrap_or(u64::MAX);
        if best.is_none_or(|(first, _, _)| ret < first) {
            best = Some((ret, pos, next));
        }
    }
    best.map(|(_, pos, next)| (pos, next))
}

#[cfg(test)]
mod tests {
    use super::linearizes;
    use crate::checker::compile_part;
    use crate::history::{History, Input, Operation, Output, Source, Value};
    use crate::model::ModelKind;
    use crate::spec::AnySpec;
    use crate::{check_history, CheckOptions, Verdict};

    /// A register operation: `Some(v)` writes `v`, `None` reads and got `seen`.
    fn op(h: &mut History, write: Option<i64>, seen: i64, call: u64, ret: Option<u64>) {
        let client = h.client_id(&format!("c{}", h.ops.len()));
        let (input, output) = match write {
            Some(v) => (
                Input::Write {
                    key: Value::Nil,
                    value: Value::Int(v),
                },
                Output::Done,
            ),
            None => (
                Input::Read { key: Value::Nil },
                Output::Value(Value::Int(seen)),
            ),
        };
        h.ops.push(Operation {
            client,
            input,
            output,
            call,
            ret,
            source: Source::default(),
        });
    }

    fn greedy(h: &History) -> bool {
        let ops: Vec<usize> = (0..h.ops.len()).collect();
        let (_, problem, mut spec) = compile_part(h, ModelKind::Register, &ops);
        match &mut spec {
            AnySpec::Scalar(s) => linearizes(s, &problem),
            AnySpec::Vector(s) => linearizes(s, &problem),
        }
    }

    fn verdict(h: &History) -> Verdict {
        check_history(h, ModelKind::Register, &CheckOptions::default()).verdict
    }

    /// Overlapping writes and reads whose effects happened in return order are placed
    /// without a search, an indeterminate write left out.
    #[test]
    fn places_overlapping_operations_in_return_order() {
        let mut h = History::default();
        op(&mut h, Some(1), 0, 0, Some(10));
        op(&mut h, Some(2), 0, 5, Some(20));
        op(&mut h, None, 1, 8, Some(12));
        op(&mut h, Some(9), 0, 9, None);
        op(&mut h, None, 2, 15, Some(25));
        op(&mut h, Some(3), 0, 21, Some(30));
        op(&mut h, None, 3, 31, Some(32));
        assert!(greedy(&h));
        assert_eq!(verdict(&h), Verdict::Linearizable);
    }

    /// A write whose reply was lost, read afterwards: the pass places it to make the read
    /// legal; an indeterminate write nobody read stays out.
    #[test]
    fn places_an_indeterminate_write_that_was_read() {
        let mut h = History::default();
        op(&mut h, Some(1), 0, 0, Some(10));
        op(&mut h, Some(5), 0, 11, None);
        op(&mut h, Some(6), 0, 12, None);
        op(&mut h, None, 6, 20, Some(21));
        op(&mut h, None, 6, 22, Some(23));
        assert!(greedy(&h));
        assert_eq!(verdict(&h), Verdict::Linearizable);
    }

    /// Write `b` returned first, so the pass places it first; but the read of `a` inside
    /// both writes and the later read of `b` need `a` first. The pass gets stuck, and the
    /// search still finds the linearization.
    #[test]
    fn a_stuck_pass_leaves_the_verdict_to_the_search() {
        let mut h = History::default();
        op(&mut h, Some(1), 0, 0, Some(10));
        op(&mut h, Some(2), 0, 1, Some(5));
        op(&mut h, None, 1, 2, Some(8));
        op(&mut h, None, 2, 9, Some(12));
        assert!(!greedy(&h));
        assert_eq!(verdict(&h), Verdict::Linearizable);
    }

    /// A read of a value nobody wrote: no order places it.
    #[test]
    fn never_places_an_impossible_read() {
        let mut h = History::default();
        op(&mut h, Some(1), 0, 0, Some(10));
        op(&mut h, Some(2), 0, 1, Some(11));
        op(&mut h, None, 7, 12, Some(13));
        assert!(!greedy(&h));
        assert_eq!(verdict(&h), Verdict::NotLinearizable);
    }
}
