//! Wing & Gong's linearizability search with Lowe's memoisation, over flat arrays.
//!
//! In each configuration (linearized set, state) the candidates are the operations called
//! before the first return of an operation not yet linearized (the *window*). The search
//! linearizes one (the model must accept it and the new configuration must be new to the
//! cache) and repeats; when no candidate is left it backtracks, using explicit stacks.
//!
//! Reductions, each sound on its own:
//! - A legal read-only operation (a read, a failed compare) is linearized at once, with no
//!   alternative explored: any completion without it here stays valid with it here.
//! - Other candidates are tried in order of return time, the likeliest order in real
//!   systems (the effect happens shortly before the reply), so linearizable histories go
//!   nearly straight through.
//! - Indeterminate operations have no return: they may be linearized anywhere after their
//!   call, or never, so the search succeeds once every *completed* operation is placed. One
//!   that would leave the state unchanged is never tried, and among identical pending ones
//!   only the earliest untaken is tried (they are interchangeable).

mod cache;
mod driver;
mod links;
mod reach;

use crate::budget::Exhausted;
use crate::spec::Spec;
use crate::table::mix;
use cache::{trim, Cache, LinSet, OptSet, Refused, Taken, RETIRED_BITS};
pub(crate) use driver::{search, Poll, Search};
use links::{Links, NIL};
use reach::OptionalBases;

/// Reads called after the window that the reachability check also looks at: operations
/// called later are all still pending, so their constraints hold just the same.
const FUTURE_READS: usize = 3;

/// Backtracks after which the unreachable-read pruning starts (see `Walk::prune_reads`).
const PRUNE_AFTER_BACKTRACKS: u32 = 64;

/// Memo keys of the classes of unobservable states (`UNOBSERVED_STATES - class`), above
/// any state id.
const UNOBSERVED_STATES: u32 = u32::MAX;

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

impl Problem {
    /// Bytes held, by capacity.
    pub(crate) fn bytes(&self) -> usize {
        self.calls.capacity() * 8
            + self.rets.capacity() * 16
            + (self.class.capacity() + self.rank.capacity()) * 4
    }
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
    /// The linearized completed operations (the indeterminate ones count as members).
    bits: LinSet,
    /// The linearized indeterminate operations, numbered by `opt_index`.
    opts: OptSet,
    opt_index: Vec<u32>,
    hash: u64,
    cache: Cache,
    state: u32,
    /// The linearization so far, one frame per operation.
    stack: Vec<Frame>,
    /// Candidate operations of the open configurations, back to back.
    cands: Vec<u32>,
    /// The open configurations, innermost last.
    levels: Vec<Level>,
    /// Each operation's place in the order candidates are tried: by return time (the
    /// indeterminate ones last), then call, then index.
    try_rank: Vec<u32>,
    read_only: Vec<bool>,
    monotone: Vec<bool>,
    has_monotone: bool,
    /// Whether the unreachable-read pruning runs: with monotone operations, once the walk
    /// has backtracked [`PRUNE_AFTER_BACKTRACKS`] times. A walk that seldom backtracks
    /// (most linearizable histories) linearizes in about one descent, which the pruning
    /// could only slow; it is sound to start it at any point.
    prune_reads: bool,
    backtracks: u32,
    /// (call, operation) of the operations that are neither read-only nor monotone
    /// (*resets*), sorted.
    reset_ops: Vec<(u64, u32)>,
    /// (call, operation) of the completed read-only operations, sorted: the first few
    /// called after the window are checked for reachability too.
    future_reads: Vec<(u64, u32)>,
    /// The indeterminate resets that could lead to each read.
    optional_bases: OptionalBases,
    /// The open configurations' pending completed resets, back to back.
    resets: Vec<u32>,
    /// The open configurations' completed read-only operations not legal there.
    reads: Vec<u32>,
    taken: Vec<u32>,
    required_left: usize,
    failure: Option<Failure>,
    /// Leading entries of the failure's `deepest` that equal the stack's (same operations,
    /// so the same states after them): recording a deeper dead end copies only the rest.
    deepest_shared: usize,
    /// Most bytes the memo may reach (set by the driver before each slice).
    mem_limit: usize,
    /// The last linearization was refused because the memo reached `mem_limit`.
    full: bool,
    /// Whether the memo keys unobservable states by class (from `observe_after` entries
    /// on: most parts end well before, and indexing what observes each value costs time;
    /// asking from some point on is as sound as from the start, it only lets more
    /// configurations meet in the memo).
    observe: bool,
    observe_after: usize,
    /// Per indeterminate operation (by `opt_index`): (class, search index) from which it
    /// is retired (see `Spec::retires`; class `NOT_RETIRED` if never). Listed when
    /// `observe` turns on.
    retire: Vec<(u32, u32)>,
    /// The smallest search index from which any indeterminate operation is retired.
    retire_from: u32,
    /// Scratch words for the memo key of the taken indeterminate operations.
    key_words: Vec<u64>,
}

/// The Zobrist key of completed operation `i` (the memo's hash of a linearized set is the
/// xor of its members' keys), computed rather than tabled: a part of a few operations
/// then allocates nothing for it.
#[inline]
fn zobrist(i: usize) -> u64 {
    mix(i as u64 ^ 0x5eed_f0b5)
}

/// Per operation, its rank in the order candidates are tried (see `Walk::try_rank`).
fn try_ranks(p: &Problem) -> Vec<u32> {
    let mut by: Vec<(u64, u64, u32)> = (0..p.calls.len())
        .map(|i| (p.rets[i].unwrap_or(u64::MAX), p.calls[i], i as u32))
        .collect();
    // Keys are unique, so the stable sort gives the one order; it is the faster here, as a
    // history's returns come almost in order (it merges the runs they form).
    by.sort();
    let mut rank = vec![0; by.len()];
    for (r, &(_, _, op)) in by.iter().enumerate() {
        rank[op as usize] = r as u32;
    }
    rank
}

/// Class of an indeterminate operation that never retires.
const NOT_RETIRED: u32 = u32::MAX;

/// One linearized operation: the operation, the state before it, whether it was forced (a
/// legal read-only operation, which leaves no alternative worth exploring at its position)
/// and the memo entry of the configuration it led to (closed when it is undone).
#[derive(Clone, Copy, Debug)]
struct Frame {
    op: u32,
    prev: u32,
    forced: bool,
    entry: u32,
}

impl Walk {
    /// The walk at the initial configuration of `p`.
    fn new<S: Spec>(spec: &mut S, p: &Problem) -> Self {
        let n = p.calls.len();
        let mut opt_index = vec![u32::MAX; n];
        let mut optionals = 0;
        for (i, r) in p.rets.iter().enumerate() {
            if r.is_none() {
                opt_index[i] = optionals;
                optionals += 1;
            }
        }
        let mut w = Walk {
            links: Links::new(&p.calls, &p.rets),
            bits: LinSet::with_members(n, (0..n).filter(|&i| p.rets[i].is_none())),
            opts: OptSet::new(optionals as usize),
            opt_index,
            hash: 0,
            cache: Cache::for_ops(n),
            state: spec.init(),
            stack: Vec::with_capacity(n),
            cands: Vec::with_capacity(n.min(256)),
            levels: Vec::with_capacity(n.min(256)),
            taken: vec![0; p.classes],
            try_rank: try_ranks(p),
            read_only: (0..n as u32).map(|i| spec.read_only(i)).collect(),
            monotone: (0..n as u32).map(|i| spec.monotone(i)).collect(),
            has_monotone: false,
            prune_reads: false,
            backtracks: 0,
            reset_ops: Vec::new(),
            optional_bases: OptionalBases::new(p, |_| false),
            future_reads: Vec::new(),
            resets: Vec::new(),
            reads: Vec::new(),
            required_left: p.rets.iter().filter(|r| r.is_some()).count(),
            failure: None,
            deepest_shared: 0,
            mem_limit: usize::MAX,
            full: false,
            observe: false,
            observe_after: 2048,
            retire: Vec::new(),
            retire_from: u32::MAX,
            key_words: Vec::new(),
        };
        w.has_monotone = w.monotone.iter().any(|&m| m);
        w.reset_ops = (0..n)
            .filter(|&i| !w.read_only[i] && !w.monotone[i])
            .map(|i| (p.calls[i], i as u32))
            .collect();
        w.reset_ops.sort_unstable();
        let (read_only, monotone) = (&w.read_only, &w.monotone);
        w.optional_bases = OptionalBases::new(p, |i| !read_only[i] && !monotone[i]);
        w.future_reads = (0..n)
            .filter(|&i| w.read_only[i] && p.rets[i].is_some())
            .map(|i| (p.calls[i], i as u32))
            .collect();
        w.future_reads.sort_unstable();
        w
    }

    /// Bytes the walk holds (memo included), by capacity.
    fn bytes(&self) -> usize {
        let v4 = |c: usize| c * 4;
        self.cache.bytes()
            + self.links.bytes()
            + self.opts_bytes()
            + self.stack.capacity() * std::mem::size_of::<Frame>()
            + v4(self.cands.capacity() + self.resets.capacity() + self.reads.capacity())
            + self.levels.capacity() * std::mem::size_of::<Level>()
            + self.read_only.capacity()
            + self.try_rank.capacity() * 4
            + self.monotone.capacity()
            + (self.reset_ops.capacity() + self.future_reads.capacity()) * 16
            + v4(self.taken.capacity() + self.opt_index.capacity())
            + self.optional_bases.bytes()
            + self.retire.capacity() * 8
            + self.key_words.capacity() * 8
            + self
                .failure
                .as_ref()
                .map_or(0, |f| f.deepest.capacity() * 8)
    }

    fn opts_bytes(&self) -> usize {
        self.bits.bytes() + self.opts.bytes()
    }
}

/// An open configuration: where its lists start in the arenas, the next candidate to
/// try, and the operation whose return bounds its window (the culprit if all fail).
#[derive(Clone, Copy, Debug)]
struct Level {
    cands: u32,
    cursor: u32,
    culprit: u32,
    reads: u32,
    resets: u32,
}

/// What entering a configuration found.
enum Enter {
    /// A legal read-only operation was linearized: a new configuration.
    Forced,
    /// The candidates are listed on a new level.
    Listed,
    /// A legal read-only operation leads to a configuration explored before (and failed),
    /// so this one fails too.
    Dead,
    /// The memo is full: nothing changed, the configuration is to be entered again.
    Full,
}

impl Walk {
    fn fail(&mut self) -> Found {
        Found::NotLinearizable(self.failure.take().unwrap_or_default())
    }

    /// Lists the current configuration's candidates, or forces a read-only operation.
    fn enter<S: Spec>(&mut self, spec: &mut S, p: &Problem, steps: &mut u64) -> Enter {
        let start = self.cands.len();
        let (reads, resets) = (self.reads.len(), self.resets.len());
        let mut node = self.links.first();
        while !self.links.is_ret(node) {
            *steps += 1;
            let op = self.links.op(node);
            node = self.links.next(node);
            let i = op as usize;
            let optional = p.rets[i].is_none();
            if !optional && !self.read_only[i] && !self.monotone[i] {
                self.resets.push(op); // Indeterminate ones: `optional_bases`.
            }
            if optional && self.taken[p.class[i] as usize] != p.rank[i] {
                continue;
            }
            if optional || !self.read_only[i] {
                self.cands.push(op); // Stepped when tried: most are never tried.
                continue;
            }
            if let Some(next) = spec.step(self.state, op) {
                self.truncate(start, reads, resets);
                return match self.linearize(spec, p, op, next, true) {
                    Ok(()) => Enter::Forced,
                    Err(Refused::Seen) => Enter::Dead,
                    Err(Refused::Full) => Enter::Full,
                };
            }
            self.reads.push(op);
        }
        let first_ret = self.links.op(node);
        let level = Level {
            cands: start as u32,
            cursor: start as u32,
            culprit: first_ret,
            reads: reads as u32,
            resets: resets as u32,
        };
        if self.prune_reads {
            if let Some(g) = self.unreachable_read(spec, p, &level, self.state) {
                self.truncate(start, reads, resets);
                self.note_stuck(p, g, self.state); // As if the walk had reached `g`'s return.
                return Enter::Dead;
            }
        }
        let rank = &self.try_rank;
        self.cands[start..].sort_unstable_by_key(|&op| rank[op as usize]);
        if self.has_monotone {
            self.prefer_needed_optionals(spec, p, &level);
        }
        self.levels.push(level);
        Enter::Listed
    }

    /// Moves to the front the indeterminate candidates that bring the state toward what
    /// the most urgent pending read saw (an append it contains next, or a write it starts
    /// from when nothing else can reach it). Tried last, such an operation is found only
    /// after every order of everything else has failed; the order never affects soundness.
    fn prefer_needed_optionals<S: Spec>(&mut self, spec: &mut S, p: &Problem, level: &Level) {
        let end = if level.culprit == NIL {
            u64::MAX
        } else {
            p.rets[level.culprit as usize].unwrap_or(u64::MAX)
        };
        let first_future = self.future_reads.partition_point(|&(c, _)| c <= end);
        let window = self.reads[level.reads as usize..].iter().copied();
        let future = self.future_reads.get(first_future).map(|&(_, op)| op);
        let Some(g) = window
            .chain(future)
            .min_by_key(|&g| (p.rets[g as usize], g))
        else {
            return;
        };
        let state = self.state;
        let direct = spec.reachable(state, g);
        let mut front = Vec::new();
        for &op in &self.cands[level.cands as usize..] {
            if p.rets[op as usize].is_some() || (direct && !self.monotone[op as usize]) {
                continue;
            }
            let helps = spec
                .step(state, op)
                .is_some_and(|next| next != state && spec.reachable(next, g));
            if helps {
                front.push(op);
            }
        }
        if front.is_empty() {
            return;
        }
        let rest: Vec<u32> = self.cands[level.cands as usize..]
            .iter()
            .copied()
            .filter(|op| !front.contains(op))
            .collect();
        self.cands.truncate(level.cands as usize);
        self.cands.extend(front);
        self.cands.extend(rest);
    }

    /// A pending read that can never become legal, if any. Before its return, the state
    /// can only be extended (monotone operations) from either the current state or the
    /// value some pending *reset* sets (a write, a cas); if none of those bases can reach
    /// what the read saw, this configuration fails. Every operation called after the
    /// window is still pending, so the resets to consider are the window's and those in
    /// `reset_ops` called after the window's end but before the read returns. Besides the
    /// window's reads, the first [`FUTURE_READS`] reads called after it are checked.
    /// Also used on a candidate's next `state` before linearizing it: the candidate's
    /// child has the same pending reads and no more pending resets (it may have a later
    /// window end, but resets called before each read's return are all counted here).
    fn unreachable_read<S: Spec>(
        &mut self,
        spec: &mut S,
        p: &Problem,
        level: &Level,
        state: u32,
    ) -> Option<u32> {
        let end = if level.culprit == NIL {
            u64::MAX
        } else {
            p.rets[level.culprit as usize].unwrap_or(u64::MAX)
        };
        let first_future = self.future_reads.partition_point(|&(c, _)| c <= end);
        let in_window = self.reads.len() - level.reads as usize;
        let future = FUTURE_READS.min(self.future_reads.len() - first_future);
        for k in 0..in_window + future {
            let g = match k.checked_sub(in_window) {
                None => self.reads[level.reads as usize + k],
                Some(f) => self.future_reads[first_future + f].1,
            };
            if !self.could_reach(spec, p, level, state, end, g) {
                return Some(g);
            }
        }
        None
    }

    /// Whether read `g` could still become legal before it returns: from `state` by
    /// monotone operations, or from a pending reset's value (one of the window's, or one
    /// called after the window's `end` but before `g` returns).
    fn could_reach<S: Spec>(
        &mut self,
        spec: &mut S,
        p: &Problem,
        level: &Level,
        state: u32,
        end: u64,
        g: u32,
    ) -> bool {
        if spec.reachable(state, g) {
            return true;
        }
        let g_ret = p.rets[g as usize].unwrap_or(u64::MAX);
        let mut base_ok = |r: u32| spec.reset_to(r).is_none_or(|base| spec.reachable(base, g));
        let window = self.resets[level.resets as usize..].iter().copied();
        if window.into_iter().any(&mut base_ok) {
            return true;
        }
        let beyond = self.reset_ops.partition_point(|&(c, _)| c <= end);
        let later = self.reset_ops[beyond..]
            .iter()
            .take_while(|&&(c, _)| c <= g_ret);
        if later.map(|&(_, r)| r).any(&mut base_ok) {
            return true;
        }
        // The window's indeterminate resets: every untaken one called by its end.
        let (opts, opt_index) = (&self.opts, &self.opt_index);
        self.optional_bases
            .of(spec, p, g)
            .iter()
            .any(|&r| p.calls[r as usize] <= end && !opts.has(opt_index[r as usize] as usize))
    }

    /// Tries the top level's next candidate: `Some(true)` if it was linearized,
    /// `Some(false)` if its configuration was seen before, `None` if none is left.
    fn next_candidate<S: Spec>(&mut self, spec: &mut S, p: &Problem) -> Option<bool> {
        let level = *self.levels.last()?;
        if level.cursor as usize == self.cands.len() {
            self.levels.pop();
            self.truncate(
                level.cands as usize,
                level.reads as usize,
                level.resets as usize,
            );
            self.note_stuck(p, level.culprit, self.state);
            return None;
        }
        if let Some(top) = self.levels.last_mut() {
            top.cursor += 1;
        }
        let op = self.cands[level.cursor as usize];
        let Some(next) = spec.step(self.state, op) else {
            return Some(false);
        };
        if self.unseen_optional(spec, p, op, next) {
            return Some(false);
        }
        if p.rets[op as usize].is_none() && self.idle_optional(spec, next) {
            return Some(false); // Skipping an optional no-op loses nothing.
        }
        // A state-preserving step keeps the state this level already found every pending
        // read reachable from.
        if self.prune_reads && next != self.state {
            if let Some(g) = self.unreachable_read(spec, p, &level, next) {
                self.note_stuck(p, g, next); // The child would be dead on arrival.
                return Some(false);
            }
        }
        match self.linearize(spec, p, op, next, false) {
            Ok(()) => Some(true),
            Err(Refused::Seen) => Some(false),
            Err(Refused::Full) => {
                if let Some(top) = self.levels.last_mut() {
                    top.cursor -= 1; // Tried again once the memo has room.
                }
                self.full = true;
                Some(false)
            }
        }
    }

    /// True if the last operation linearized is an indeterminate one `w` (of another
    /// class than `op`) and `op` would reach `next` without it too: then `w` went unseen,
    /// and the sibling branch that takes `op` instead of `w` reaches the same state with
    /// the same completed operations and `w` still available, which dominates this one.
    #[inline]
    fn unseen_optional<S: Spec>(&self, spec: &mut S, p: &Problem, op: u32, next: u32) -> bool {
        let Some(f) = self.stack.last() else {
            return false;
        };
        let w = f.op as usize;
        if f.forced || p.rets[w].is_some() {
            return false;
        }
        let same_class = p.rets[op as usize].is_none() && p.class[op as usize] == p.class[w];
        !same_class && spec.step(f.prev, op) == Some(next)
    }

    fn truncate(&mut self, cands: usize, reads: usize, resets: usize) {
        self.cands.truncate(cands);
        self.reads.truncate(reads);
        self.resets.truncate(resets);
    }

    /// Linearizes `op` (leading to `next`) unless the memo prunes that configuration or
    /// has no room for it.
    #[inline]
    fn linearize<S: Spec>(
        &mut self,
        spec: &mut S,
        p: &Problem,
        op: u32,
        next: u32,
        forced: bool,
    ) -> Result<(), Refused> {
        let i = op as usize;
        let optional = p.rets[i].is_none();
        self.flip(i, optional);
        let key = self.memo_state(spec, next);
        let first_pending = self.first_pending();
        let taken = if first_pending < self.retire_from {
            self.opts.key()
        } else {
            taken_key(&self.opts, &self.retire, first_pending, &mut self.key_words)
        };
        let entry = match self
            .cache
            .insert(&self.bits, taken, key, self.hash, self.mem_limit)
        {
            Ok(entry) => entry,
            Err(e) => {
                self.flip(i, optional);
                return Err(e);
            }
        };
        let prev = self.state;
        self.stack.push(Frame {
            op,
            prev,
            forced,
            entry,
        });
        self.state = next;
        self.links.lift(op);
        if optional {
            self.taken[p.class[i] as usize] += 1;
        } else {
            self.required_left -= 1;
        }
        Ok(())
    }

    /// The state as the memo keys it: a state no remaining operation can observe is keyed
    /// by its class (see `spec::observe`), so equivalent configurations meet in the memo.
    #[inline]
    fn memo_state<S: Spec>(&mut self, spec: &mut S, state: u32) -> u32 {
        if !self.observe {
            self.observe = self.cache.len() >= self.observe_after;
            if !self.observe {
                return state;
            }
            self.list_retirements(spec);
        }
        match spec.unobservable_class(state, self.first_pending()) {
            Some(class) => UNOBSERVED_STATES - class,
            None => state,
        }
    }

    /// Lists from when each indeterminate operation retires (see `Spec::retires`).
    fn list_retirements<S: Spec>(&mut self, spec: &mut S) {
        let optionals = self.opts.words().len() * 64;
        self.retire = vec![(NOT_RETIRED, u32::MAX); optionals];
        for (op, &o) in self.opt_index.iter().enumerate() {
            if o == u32::MAX {
                continue;
            }
            if let Some((class, from)) = spec.retires(op as u32) {
                debug_assert!(class < 32 / RETIRED_BITS);
                self.retire[o as usize] = (class, from);
                self.retire_from = self.retire_from.min(from);
            }
        }
    }

    /// True if an indeterminate operation leading from the current state to `next` may be
    /// skipped: `next` is the current state, or an unobservable one no remaining operation
    /// prefers (see `Spec::idle_change`). The configuration that skips it, with the same
    /// completed operations and one indeterminate operation fewer, dominates.
    #[inline]
    fn idle_optional<S: Spec>(&self, spec: &mut S, next: u32) -> bool {
        next == self.state
            || (self.observe && spec.idle_change(self.state, next, self.first_pending()))
    }

    fn first_pending(&self) -> u32 {
        self.bits.first_missing().min(u32::MAX as usize) as u32
    }

    /// Adds or removes operation `i` from the linearized sets.
    #[inline]
    fn flip(&mut self, i: usize, optional: bool) {
        if optional {
            let o = self.opt_index[i] as usize;
            if self.opts.has(o) {
                self.opts.clear(o);
            } else {
                self.opts.set(o);
            }
        } else if self.bits.has(i) {
            self.bits.clear(i);
            self.hash ^= zobrist(i);
        } else {
            self.bits.set(i);
            self.hash ^= zobrist(i);
        }
    }

    /// Undoes linearizations back to the most recent choice that has alternatives left
    /// on its level, closing the memo entries of the configurations left. False if there
    /// is none: the search has failed.
    fn backtrack(&mut self, p: &Problem) -> bool {
        self.backtracks = self.backtracks.saturating_add(1);
        self.prune_reads = self.has_monotone && self.backtracks >= PRUNE_AFTER_BACKTRACKS;
        while let Some(f) = self.stack.pop() {
            self.deepest_shared = self.deepest_shared.min(self.stack.len());
            let i = f.op as usize;
            self.cache.close(f.entry);
            self.links.unlift(f.op);
            let optional = p.rets[i].is_none();
            self.flip(i, optional);
            self.state = f.prev;
            if optional {
                self.taken[p.class[i] as usize] -= 1;
            } else {
                self.required_left += 1;
            }
            if !f.forced {
                return true;
            }
        }
        false
    }

    /// Records a dead end: the walk reached `culprit`'s return without placing it.
    fn note_stuck(&mut self, p: &Problem, culprit: u32, state: u32) {
        if culprit == NIL {
            return; // The tail sentinel: unreachable while completed operations remain.
        }
        let ret = p.rets[culprit as usize].unwrap_or(u64::MAX);
        let depth = self.stack.len();
        let f = self.failure.get_or_insert_with(Failure::default);
        f.frontier = f.frontier.max(ret);
        if f.culprit_states.is_empty() || depth > f.deepest.len() {
            // Only the entries past the part still shared with the stack are rewritten
            // (rebuilding the whole list at every deeper dead end is quadratic).
            let keep = self.deepest_shared.min(f.deepest.len()).min(depth);
            f.deepest.truncate(keep);
            let afters = self.stack[keep..]
                .iter()
                .skip(1)
                .map(|s| s.prev)
                .chain([state]);
            f.deepest
                .extend(self.stack[keep..].iter().map(|s| s.op).zip(afters));
            // The last entry's state is the dead end's own (maybe a candidate's, not the
            // top operation's), so it is not shared.
            self.deepest_shared = depth.saturating_sub(1);
            f.culprit = culprit;
            f.culprit_states.clear();
            f.culprit_states.push(state);
        } else if f.culprit == culprit
            && f.culprit_states.len() < MAX_CULPRIT_STATES
            && !f.culprit_states.contains(&state)
        {
            f.culprit_states.push(state);
        }
    }
}

/// The memo key of the taken indeterminate operations `opts` in a configuration whose
/// first pending operation is `first_pending`: those retired by then are counted per class
/// instead of named (a count that would overflow its field keeps naming them).
fn taken_key<'a>(
    opts: &OptSet,
    retire: &[(u32, u32)],
    first_pending: u32,
    words: &'a mut Vec<u64>,
) -> Taken<'a> {
    words.clear();
    words.extend_from_slice(opts.words());
    let mut retired = 0u32;
    let field = (1u32 << RETIRED_BITS) - 1;
    for (w, word) in words.iter_mut().enumerate() {
        let mut bits = *word;
        while bits != 0 {
            let b = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let (class, from) = retire[w * 64 + b];
            if class == NOT_RETIRED || from > first_pending {
                continue;
            }
            let shift = class * RETIRED_BITS;
            if (retired >> shift) & field < field {
                retired += 1 << shift;
                *word &= !(1u64 << b);
            }
        }
    }
    let (lo, stretch) = trim(words);
    Taken {
        lo,
        words: stretch,
        retired,
    }
}
