//! A first try before any search: place a part's operations one by one, backing up over
//! the last choices when stuck.
//!
//! Most parts of a real history are linearizable in nearly the order their effects
//! happened, and the search would walk straight through them anyway; but readying a search
//! (event list, memo, stacks) costs more than walking. So before it, one pass tries to place
//! every completed operation: at each point the candidates are the operations called no
//! later than the earliest return of an operation not yet placed (the search's window, so
//! any order the pass builds respects real time); a legal read-only one is placed at once
//! (it changes nothing, so placing it never needs undoing), else the legal one that
//! returned first, its other legal ones kept as alternatives. Indeterminate operations may
//! never have taken effect, so the pass places one only when no completed candidate is
//! legal and the one it places (the first called) makes some completed candidate legal: a
//! write whose reply was lost but whose value was read. When nothing is legal the pass
//! backs up: it undoes placements up to the latest choice with an untried alternative and
//! takes that one instead (concurrent writes that returned in another order than they took
//! effect, as a later read shows). If the pass places every completed operation, that
//! order is a linearization and the part is decided; if it runs out of choices or tries,
//! that proves nothing and the search decides.

use std::collections::VecDeque;

use crate::search::Problem;
use crate::spec::Spec;

/// Operations the pass may try per operation of the part (plus a fixed allowance) before
/// it gives up: a pass over a part with a very wide window, or one that keeps backing up,
/// never costs more than a few search steps per operation.
const TRIES_PER_OP: usize = 64;
const TRIES_FIXED: usize = 4096;

/// True if the pass places every completed operation of `p` in an order that real time
/// allows and `spec` accepts (a linearization); `false` when it gives up.
pub(crate) fn linearizes<S: Spec>(spec: &mut S, p: &Problem) -> bool {
    Pass::new(spec, p).run(spec).unwrap_or(false)
}

/// One placement, undone when the pass backs up over it.
struct Placed {
    op: u32,
    /// An indeterminate operation (from `optional`) rather than a completed one.
    optional: bool,
    /// The state before it.
    before: u32,
    /// This choice's untried alternatives are `alts[alts_from..]` while it is the latest.
    alts_from: usize,
}

/// What the candidates allow in a state.
enum Next {
    /// A legal operation (read-only, or the only legal one) at this position of `pending`,
    /// and the state after it.
    One(usize, u32, u32),
    /// Several legal operations that change the state, in `Pass::legal`, first returned
    /// first.
    Writes,
    /// No candidate is legal.
    Stuck,
}

struct Pass<'a> {
    p: &'a Problem,
    /// Completed operations not yet placed, in call order (the search's numbering).
    pending: VecDeque<u32>,
    /// Indeterminate operations not yet placed, in call order.
    optional: VecDeque<u32>,
    /// Completed operations by return (then call order), and each one's position there.
    by_return: Vec<u32>,
    rank: Vec<u32>,
    /// Every completed operation before this position in `by_return` is placed.
    first_unplaced: usize,
    placed: Vec<bool>,
    state: u32,
    /// The placements since the oldest choice with an untried alternative, oldest first
    /// (with no alternative left, backing up cannot help and nothing is kept).
    trail: Vec<Placed>,
    /// Untried alternatives (operation, state after it) of the choices on the trail, each
    /// choice's in reverse order of preference (the next one is popped from the end).
    alts: Vec<(u32, u32)>,
    /// Scratch: the legal state-changing candidates (return, operation, state after), when
    /// there are several.
    legal: Vec<(u64, u32, u32)>,
    tries_left: usize,
}

impl<'a> Pass<'a> {
    fn new<S: Spec>(spec: &mut S, p: &'a Problem) -> Self {
        let n = p.calls.len();
        let (pending, optional): (VecDeque<u32>, VecDeque<u32>) =
            (0..n as u32).partition(|&op| p.rets[op as usize].is_some());
        let mut by_return: Vec<u32> = pending.iter().copied().collect();
        sort_nearly_sorted(&mut by_return, |op| (ret(p, op), op));
        let mut rank = vec![0; n];
        for (i, &op) in by_return.iter().enumerate() {
            rank[op as usize] = i as u32;
        }
        Pass {
            p,
            pending,
            optional,
            by_return,
            rank,
            first_unplaced: 0,
            placed: vec![false; n],
            state: spec.init(),
            trail: Vec::new(),
            alts: Vec::new(),
            legal: Vec::new(),
            tries_left: TRIES_PER_OP * n + TRIES_FIXED,
        }
    }

    /// `Some(true)` once every completed operation is placed, `Some(false)` when no choice
    /// is left to back up to, `None` when the tries ran out.
    fn run<S: Spec>(&mut self, spec: &mut S) -> Option<bool> {
        while !self.pending.is_empty() {
            let horizon = self.horizon();
            match self.scan(spec, self.state, horizon)? {
                Next::One(at, op, next) => self.place(op, false, next, self.alts.len(), Some(at)),
                Next::Writes => {
                    let from = self.alts.len();
                    let (_, op, next) = self.legal[0];
                    let rest = self.legal[1..].iter().rev();
                    self.alts.extend(rest.map(|&(_, op, next)| (op, next)));
                    self.place(op, false, next, from, None);
                }
                Next::Stuck => match self.enabler(spec, horizon)? {
                    Some((op, next)) => self.place(op, true, next, self.alts.len(), None),
                    None if self.back_up() => {}
                    None => return Some(false),
                },
            }
        }
        Some(true)
    }

    /// The earliest return of a completed operation not yet placed.
    fn horizon(&mut self) -> u64 {
        while self.placed[self.by_return[self.first_unplaced] as usize] {
            self.first_unplaced += 1;
        }
        ret(self.p, self.by_return[self.first_unplaced])
    }

    /// The completed candidates called by `horizon` (at equal times a call comes before a
    /// return, as in the search) in `state`: a legal read-only one if any, else the legal
    /// one, or the legal ones (into `legal`, first returned first). `None` if the tries
    /// ran out.
    fn scan<S: Spec>(&mut self, spec: &mut S, state: u32, horizon: u64) -> Option<Next> {
        self.legal.clear();
        let mut first = None;
        for (at, &op) in self.pending.iter().enumerate() {
            if self.p.calls[op as usize] > horizon {
                break;
            }
            self.tries_left = self.tries_left.checked_sub(1)?;
            let Some(next) = spec.step(state, op) else {
                continue;
            };
            if spec.read_only(op) {
                return Some(Next::One(at, op, next));
            }
            let legal = (ret(self.p, op), op, next);
            match first {
                None => first = Some((at, legal)),
                Some((_, one)) => {
                    if self.legal.is_empty() {
                        self.legal.push(one);
                    }
                    self.legal.push(legal);
                }
            }
        }
        Some(match first {
            None => Next::Stuck,
            Some((at, (_, op, next))) if self.legal.is_empty() => Next::One(at, op, next),
            Some(_) => {
                self.legal.sort_unstable();
                Next::Writes
            }
        })
    }

    /// The first indeterminate operation called by the horizon that is legal now and after
    /// which some completed candidate is legal, with the state after it.
    fn enabler<S: Spec>(&mut self, spec: &mut S, horizon: u64) -> Option<Option<(u32, u32)>> {
        for i in 0..self.optional.len() {
            let op = self.optional[i];
            if self.p.calls[op as usize] > horizon {
                break;
            }
            self.tries_left = self.tries_left.checked_sub(1)?;
            let Some(next) = spec.step(self.state, op) else {
                continue;
            };
            if !matches!(self.scan(spec, next, horizon)?, Next::Stuck) {
                return Some(Some((op, next)));
            }
        }
        Some(None)
    }

    /// Places `op` (at position `at` of its queue, if known), leading to state `next`; its
    /// untried alternatives are `alts[alts_from..]`.
    fn place(&mut self, op: u32, optional: bool, next: u32, alts_from: usize, at: Option<usize>) {
        let queue = if optional {
            &mut self.optional
        } else {
            self.placed[op as usize] = true;
            &mut self.pending
        };
        let at = at.unwrap_or_else(|| queue.binary_search(&op).expect("an unplaced operation"));
        debug_assert_eq!(queue[at], op);
        queue.remove(at);
        if self.alts.is_empty() {
            self.trail.clear();
        } else {
            self.trail.push(Placed {
                op,
                optional,
                before: self.state,
                alts_from,
            });
        }
        self.state = next;
    }

    /// Undoes placements up to the latest choice with an untried alternative and places
    /// that instead; false if there is none.
    fn back_up(&mut self) -> bool {
        while let Some(last) = self.trail.pop() {
            self.state = last.before;
            let op = last.op;
            if last.optional {
                let at = self.optional.binary_search(&op).unwrap_err();
                self.optional.insert(at, op);
            } else {
                let at = self.pending.binary_search(&op).unwrap_err();
                self.pending.insert(at, op);
                self.placed[op as usize] = false;
                let rank = self.rank[op as usize] as usize;
                self.first_unplaced = self.first_unplaced.min(rank);
            }
            if self.alts.len() > last.alts_from {
                let (op, next) = self.alts.pop().expect("an alternative");
                self.place(op, false, next, last.alts_from, None);
                return true;
            }
        }
        false
    }
}

/// The return time of operation `op` (`u64::MAX` for an indeterminate one).
/// Sorts `v`, which is usually almost sorted already: operations in call order come nearly
/// in return order too (each client's operations are sequential, so only concurrent ones
/// swap). Insertion sort moves each item past the few it overtakes; if that turns out to
/// be many, the rest goes to the library's sort.
fn sort_nearly_sorted<T: Copy, K: Ord>(v: &mut [T], key: impl Fn(T) -> K) {
    let mut moves_left = 8 * v.len() + 64;
    for i in 1..v.len() {
        let x = v[i];
        let k = key(x);
        let mut j = i;
        while j > 0 && key(v[j - 1]) > k {
            if moves_left == 0 {
                v[j] = x;
                v.sort_unstable_by_key(|&y| key(y));
                return;
            }
            moves_left -= 1;
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = x;
    }
}

fn ret(p: &Problem, op: u32) -> u64 {
    p.rets[op as usize].unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::{linearizes, sort_nearly_sorted};
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
    /// both writes and the later read of `b` need `a` first. The pass gets stuck at the
    /// last read, backs up to the choice between the writes and takes `a` first.
    #[test]
    fn a_stuck_pass_backs_up_to_the_other_order_of_concurrent_writes() {
        let mut h = History::default();
        op(&mut h, Some(1), 0, 0, Some(10));
        op(&mut h, Some(2), 0, 1, Some(5));
        op(&mut h, None, 1, 2, Some(8));
        op(&mut h, None, 2, 9, Some(12));
        assert!(greedy(&h));
        assert_eq!(verdict(&h), Verdict::Linearizable);
    }

    /// Two concurrent writes and, after both, reads of each value in turn: no order of the
    /// writes gives both reads, so the pass backs up over every choice and gives up (and
    /// the search finds the history not linearizable).
    #[test]
    fn a_pass_out_of_choices_gives_up() {
        let mut h = History::default();
        op(&mut h, Some(1), 0, 0, Some(10));
        op(&mut h, Some(2), 0, 1, Some(11));
        op(&mut h, None, 1, 12, Some(13));
        op(&mut h, None, 2, 14, Some(15));
        assert!(!greedy(&h));
        assert_eq!(verdict(&h), Verdict::NotLinearizable);
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

    #[test]
    fn nearly_sorted_and_shuffled_input_both_sort() {
        let mut x = 0x9e37_79b9_u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for len in [0, 1, 2, 50, 3000] {
            // Nearly sorted (neighbours swap), then shuffled (the fallback takes over).
            let mut near: Vec<(u64, u32)> = (0..len as u32)
                .map(|i| (u64::from(i) + next() % 4, i))
                .collect();
            let mut shuffled: Vec<(u64, u32)> =
                (0..len as u32).map(|i| (next() % 100, i)).collect();
            for v in [&mut near, &mut shuffled] {
                let mut want = v.clone();
                want.sort();
                sort_nearly_sorted(v, |x| x);
                assert_eq!(*v, want);
            }
        }
    }
}
