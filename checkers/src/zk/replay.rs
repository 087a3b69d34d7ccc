//! Replays the write order the zxids claim on the specification's tree and checks every
//! reply against it: each successful write's result, each failed write's error, each read's
//! data, stat and children. Unfinished writes are placed where a stat reveals them or where a
//! read needs them. The result also feeds the real-time, client and watch checks.

use std::collections::BTreeMap;

use super::clients::{describe_call, Index, Kind};
use super::cursor::Cursor;
use super::history::{Call, Notice, Reply, Stat, Status, Step, StepResult, WatchKind, ZkHistory};
use super::short::same_str;
use super::tree::{parent_of, Change, Owner, Tree};
use super::{zxid_label, Found, Guarantee};

/// What the replay established.
pub(crate) struct Replayed {
    /// Per operation: the zxid of a write that took effect (known or placed).
    pub write_zxid: Vec<Option<u64>>,
    /// Writes that took effect at a known zxid, in zxid order: (zxid, op).
    pub order: Vec<(u64, usize)>,
    /// Completed writes by return time, with the highest zxid completed so far.
    by_ret: Vec<(u64, u64)>,
    /// Per path: the changes the write order made to it, in zxid order (only if the history
    /// has watches to check; see [`has_watches`]).
    pub changes: BTreeMap<String, Vec<(u64, WatchKind)>>,
    pub writes: usize,
    pub reads: usize,
    pub placed: usize,
}

impl Replayed {
    /// The highest zxid of a write that completed before `t`, searched from `cursor` (a
    /// client's, asking about its operations in order).
    pub fn completed_before(&self, t: u64, cursor: &mut Cursor) -> Option<u64> {
        let n = cursor.seek(&self.by_ret, |&(ret, _)| ret < t);
        n.checked_sub(1).map(|i| self.by_ret[i].1)
    }
}

/// What sits at one zxid of the replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum What {
    /// A write that took effect (known, or an unfinished one a stat revealed).
    Write(usize),
    /// A session closed (revealed by a parent's pzxid): its ephemeral children go.
    Close,
    /// A reply to check against the tree (a read, or a write's error).
    Observe(usize),
}

pub(crate) fn replay(h: &ZkHistory, ix: &Index, out: &mut Found) -> Replayed {
    let mut st = State::new(h, ix);
    st.tree.record_changes(has_watches(h, ix));
    st.fifo_bound = fifo_bounds(h, ix);
    st.classify(out);
    st.reveal(h);
    let events = st.events();
    st.run(h, ix, &events, out);
    st.finish()
}

struct State<'h> {
    h: &'h ZkHistory<'h>,
    ix: &'h Index<'h>,
    write_zxid: Vec<Option<u64>>,
    /// Per operation: the highest zxid it can have taken effect at by FIFO client order
    /// (the zxid of its client's next write or sync that was answered). It bounds where a
    /// revealed zxid may place an unfinished write; writes hidden before a revealed or known
    /// one sit at some unknown zxid below it and are not held to it.
    fifo_bound: Vec<u64>,
    known: Vec<(u64, usize)>,
    observed: Vec<usize>,
    /// The observed operations by the zxid of their reply: (zxid, op), sorted.
    observed_by_zxid: Vec<(u64, usize)>,
    /// Unfinished writes not yet placed, by every path their steps name (and its parent).
    unfinished: BTreeMap<String, Vec<usize>>,
    placed: BTreeMap<u64, usize>,
    /// What each placed zxid was revealed by: the hint, what the revealing reply says the
    /// znode looked like right after it, and when that reply came back.
    targets: BTreeMap<u64, (Hint, Target, u64)>,
    /// Every hint at each revealed zxid no known write explains, with what it says the
    /// tree looked like right after it, and when the first reply revealing it came back.
    /// One transaction made them all, so a placement must satisfy every one (a NodeDeleted
    /// notification and a parent's cversion at one zxid: the delete and the session
    /// closes hidden before it).
    revealed: BTreeMap<u64, Reveal>,
    /// Session closes no write explains, by zxid: the ephemeral znode a NodeDeleted
    /// notification names (`Gone`), or a parent whose pzxid or NodeChildrenChanged
    /// notification revealed it (`Child`). A deleted znode names the owner exactly, so it
    /// is kept over a parent.
    closes: BTreeMap<u64, Hint>,
    changes: BTreeMap<String, Vec<(u64, WatchKind)>>,
    tree: Tree,
    diverged: bool,
    reads: usize,
    greedy: usize,
}

impl<'h> State<'h> {
    fn new(h: &'h ZkHistory, ix: &'h Index) -> State<'h> {
        State {
            h,
            ix,
            write_zxid: vec![None; h.ops.len()],
            fifo_bound: vec![u64::MAX; h.ops.len()],
            known: Vec::new(),
            observed: Vec::new(),
            observed_by_zxid: Vec::new(),
            unfinished: BTreeMap::new(),
            placed: BTreeMap::new(),
            targets: BTreeMap::new(),
            revealed: BTreeMap::new(),
            closes: BTreeMap::new(),
            changes: BTreeMap::new(),
            tree: Tree::default(),
            diverged: false,
            reads: 0,
            greedy: 0,
        }
    }

    fn classify(&mut self, out: &mut Found) {
        for (i, op) in self.h.ops.iter().enumerate() {
            let steps = self.ix.steps(i);
            match (op.status, op.reply(), steps) {
                (Status::Fail, _, _) => {}
                (_, None, Some(steps)) => {
                    for p in steps.iter().flat_map(step_paths) {
                        self.unfinished.entry(p).or_default().push(i);
                    }
                }
                (_, None, None) => {}
                (_, Some(Reply::Error { .. }), _) => self.observed.push(i),
                (_, Some(r), Some(_)) if fits(&op.op, r) => {
                    self.known.push((r.zxid(), i));
                }
                (_, Some(r), Some(_)) => {
                    let msg = format!("the reply {r:?} does not answer {}", describe_call(&op.op));
                    let at = op.ret_us.unwrap_or(op.call_us);
                    out.add(Guarantee::WritesLinearizable, msg, vec![i], at);
                }
                (_, Some(_), None) => {
                    if !matches!(op.op, Call::Sync { .. }) {
                        self.reads += 1;
                    }
                    self.observed.push(i);
                }
            }
        }
        let ix = self.ix;
        let (client_of, clients) = (&ix.client_of, ix.names.len());
        let observed = self.observed.iter().map(|&i| {
            let z = ix.facts[i].reply_zxid.expect("replied");
            (client_of[i], (z, i))
        });
        self.observed_by_zxid = sorted_by_client(observed, clients);
        let known = self.known.iter().map(|&(z, i)| (client_of[i], (z, i)));
        self.known = sorted_by_client(known, clients);
        let mut keep: Vec<(u64, usize)> = Vec::with_capacity(self.known.len());
        for &(z, i) in &self.known {
            if let Some(&(prev_z, prev)) = keep.last().filter(|(pz, _)| *pz == z) {
                let msg = format!(
                    "two writes claim zxid {}: {} and {}",
                    zxid_label(prev_z),
                    describe_call(&self.h.ops[prev].op),
                    describe_call(&self.h.ops[i].op)
                );
                let at = self.h.ops[i].ret_us.unwrap_or(0);
                out.add(Guarantee::WritesLinearizable, msg, vec![prev, i], at);
                continue;
            }
            keep.push((z, i));
            self.write_zxid[i] = Some(z);
        }
        self.known = keep;
    }

    /// Places unfinished writes at the zxids that stats and notices reveal and no known
    /// write explains.
    fn reveal(&mut self, h: &ZkHistory) {
        // The known zxids, sorted and each once (`classify`).
        let known = ZxidSet::new(self.known.iter().map(|k| k.0));
        // A stat whose zxids are all of known writes (most are) reveals nothing to place.
        let unknown = |z: u64| z != 0 && !known.contains(&z);
        // (A stat's three zxids are often the same: each different one is looked up once.)
        let reveals = |s: &Stat| {
            unknown(s.czxid)
                || (s.mzxid != s.czxid && unknown(s.mzxid))
                || (s.pzxid != s.czxid && s.pzxid != s.mzxid && unknown(s.pzxid))
        };
        let mut stats = Vec::new();
        let mut hints: Vec<(u64, Hint, u64, Target)> = Vec::new();
        for &i in self.observed.iter().chain(self.known.iter().map(|k| &k.1)) {
            let op = &h.ops[i];
            let at = op.ret_us.unwrap_or(u64::MAX);
            let reply = op.reply().expect("replied");
            reply_stats_into(&op.op, reply, &mut stats);
            if !stats.iter().any(|(_, s)| reveals(s)) {
                continue;
            }
            let data = match reply {
                Reply::Data { data, .. } => Some(&**data),
                _ => None,
            };
            let kids = match reply {
                Reply::Children { children, .. } => {
                    let mut v: Vec<String> = children.iter().map(str::to_string).collect();
                    v.sort_unstable();
                    Some(v)
                }
                _ => None,
            };
            for &(path, stat) in &stats {
                hints.extend(
                    stat_hints(path, stat, data, kids.as_deref())
                        .into_iter()
                        .map(|(z, hint, target)| (z, hint, at, target)),
                );
            }
        }
        for n in &h.notices {
            if let Notice::Watch { path, kind, zxid } = &n.notice {
                let hint = notice_hint(path, *kind);
                hints.push((*zxid, hint, n.at_us, Target::default()));
            }
        }
        // Most stats name zxids of known writes, which need no placing: dropped before the
        // sort (they were most of the check's time).
        hints.retain(|(z, ..)| *z != 0 && !known.contains(z));
        hints.sort();
        // Several replies may reveal one zxid; the one that saw the data says the most.
        let mut best: BTreeMap<(u64, Hint), Target> = BTreeMap::new();
        for (z, hint, _, t) in &hints {
            match best.entry((*z, hint.clone())) {
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(t.clone());
                }
                // A later reply without the data must not replace one that saw it (a
                // creation revealed by a read of its data, then by a stat only); the same
                // for the children.
                std::collections::btree_map::Entry::Occupied(mut e) => {
                    if e.get().data.is_none() && t.data.is_some() {
                        e.insert(t.clone());
                    }
                    if e.get().children.is_none() && t.children.is_some() {
                        e.get_mut().children = t.children.clone();
                    }
                }
            }
        }
        for (&(z, ref hint), target) in &best {
            if z != 0 && !known.contains(&z) {
                let r = self.revealed.entry(z).or_default();
                r.checks.push((hint.clone(), target.clone()));
            }
        }
        for &(z, _, at, _) in &hints {
            if let Some(r) = self.revealed.get_mut(&z) {
                r.at = r.at.min(at);
            }
        }
        for (z, hint, at, _) in hints {
            let target = best[&(z, hint.clone())].clone();
            // A deleted znode no unfinished write deletes says a session closed at `z`; a
            // change of the parent's children at `z` is that close, not some unfinished
            // create or delete under it (zab-recipe-scalable-lock seed 184).
            let closed = matches!(self.closes.get(&z), Some(Hint::Gone(_)));
            if z == 0 || known.contains(&z) || self.placed.contains_key(&z) || closed {
                continue;
            }
            if let Some(i) = self.candidate(&hint, at, |c| z <= self.fifo_bound[c]) {
                self.place(i, z);
                self.targets.insert(z, (hint, target, at));
            } else if matches!(hint, Hint::Gone(_))
                || (matches!(hint, Hint::Child(_)) && !self.closes.contains_key(&z))
            {
                self.closes.insert(z, hint);
            }
        }
    }

    /// The first unfinished write (by call) whose steps could have made `hint`, called
    /// before `before`.
    fn candidate(&self, hint: &Hint, before: u64, ok: impl Fn(usize) -> bool) -> Option<usize> {
        let path = hint.path();
        let ops = self.unfinished.get(path)?;
        ops.iter().copied().find(|&i| {
            let op = &self.h.ops[i];
            self.write_zxid[i].is_none()
                && op.call_us < before
                && self
                    .ix
                    .steps(i)
                    .is_some_and(|s| s.iter().any(|s| hint.made_by(s)))
                && ok(i)
        })
    }

    fn place(&mut self, i: usize, z: u64) {
        self.take(i, z);
        self.placed.insert(z, i);
    }

    /// True if unfinished write `c` may still be put at `z`: it is not placed, or only
    /// tentatively, at a later zxid a stat revealed and the replay has not reached (the
    /// write at that zxid is then searched for again when the replay gets there).
    fn movable(&self, c: usize, z: u64) -> bool {
        match self.write_zxid[c] {
            None => true,
            Some(at) => at > z && self.placed.get(&at) == Some(&c),
        }
    }

    /// Puts unfinished write `c` at `z`, releasing a tentative placement elsewhere.
    fn take(&mut self, c: usize, z: u64) {
        if let Some(at) = self.write_zxid[c] {
            if self.placed.get(&at) == Some(&c) {
                self.placed.remove(&at);
            }
        }
        self.write_zxid[c] = Some(z);
    }

    /// Every write (known and placed), close and observation, in (zxid, what) order: merged
    /// from the lists, each already in that order, rather than sorted.
    fn events(&self) -> Vec<(u64, What)> {
        let known: Vec<(u64, What)> = self
            .known
            .iter()
            .map(|&(z, i)| (z, What::Write(i)))
            .collect();
        let placed: Vec<(u64, What)> = self
            .placed
            .iter()
            .map(|(&z, &i)| (z, What::Write(i)))
            .collect();
        let closes: Vec<(u64, What)> = self.closes.keys().map(|&z| (z, What::Close)).collect();
        let changes = merged(&merged(&known, &placed), &closes);
        with_observations(changes, &self.observed_by_zxid)
    }

    fn run(&mut self, h: &ZkHistory, ix: &Index, events: &[(u64, What)], out: &mut Found) {
        let mut ch = Vec::new();
        for &(z, what) in events {
            if self.diverged {
                return;
            }
            ch.clear();
            match what {
                What::Write(i) => self.write(h, ix, i, z, &mut ch, out),
                What::Close => self.close(h, ix, z, &mut ch),
                What::Observe(i) => self.observe(h, ix, i, z, &mut ch, out),
            }
            for c in ch.drain(..) {
                self.changes.entry(c.path).or_default().push((z, c.kind));
            }
        }
    }

    fn close(&mut self, h: &ZkHistory, ix: &Index, z: u64, ch: &mut Vec<Change>) {
        if let Some(chosen) = self.close_search(h, ix, z) {
            for m in chosen {
                self.apply_hidden(ix, m, z, ch);
            }
            return;
        }
        let owner = match &self.closes[&z] {
            Hint::Gone(path) => self.tree.get(path).and_then(|n| n.owner),
            Hint::Child(parent) => self.tree.get(parent).and_then(|p| {
                p.children
                    .iter()
                    .find_map(|c| self.tree.get(&child_path(parent, c)).and_then(|n| n.owner))
            }),
            _ => None,
        };
        if let Some(owner) = owner {
            self.tree.close_session(owner, z, ch);
        }
    }

    fn write(
        &mut self,
        h: &ZkHistory,
        ix: &Index,
        i: usize,
        z: u64,
        ch: &mut Vec<Change>,
        out: &mut Found,
    ) {
        let op = &h.ops[i];
        let steps = ix.steps(i).expect("a write");
        let Some(reply) = op.reply() else {
            return self.write_revealed(h, ix, i, z, ch);
        };
        let owner = Some(ix.owner[i]);
        let fits = |got: &Applied| results_fit(steps, reply, got);
        let (got, kept) = self.tree.apply_if(steps, z, owner, ch, fits);
        if kept {
            return;
        }
        let fits_now = |t: &mut Tree| results_fit(steps, reply, &t.trial(steps, z, owner));
        if got.is_err() && self.fix(h, ix, i, z, ch, fits_now) {
            let again = self.tree.apply(steps, z, owner, ch);
            if results_fit(steps, reply, &again) {
                return;
            }
        }
        if self.hidden_before(h, ix, i, z, ch) {
            return;
        }
        let spec = match &got {
            Ok(r) => format!("gives {r:?}"),
            Err((s, e)) => format!("fails step {s} with {e:?}"),
        };
        let msg = format!(
            "{}'s {} took effect as zxid {} and returned {}, but after the writes before it the \
             tree {spec}",
            ix.name(i),
            describe_call(&op.op),
            zxid_label(z),
            short(reply)
        );
        out.add(
            Guarantee::WritesLinearizable,
            msg,
            vec![i],
            op.ret_us.unwrap_or(0),
        );
        self.diverged = true;
    }

    /// An unfinished write placed at the zxid `z` a stat or notice revealed. The stat may
    /// reveal only the last of several unfinished writes (a znode at version 4 whose
    /// versions 2 and 3 no reply showed): the unfinished writes that could have come before
    /// it (at most [`MAX_HIDDEN`], tried within [`HIDDEN_TRIALS`]) are applied first, and the
    /// write at `z` is any unfinished one that makes what the revealing reply saw. None fits:
    /// the placement was a wrong guess and nothing is placed.
    fn write_revealed(
        &mut self,
        h: &ZkHistory,
        ix: &Index,
        i: usize,
        z: u64,
        ch: &mut Vec<Change>,
    ) {
        let (hint, target, at) = self.targets.get(&z).cloned().expect("placed with a target");
        // An earlier revealed zxid may have taken `i` already.
        let own = self.placed.remove(&z) == Some(i);
        if own {
            self.write_zxid[i] = None;
        }
        // Every hint at `z` first (seed 318 of zab-recipe-scalable-lock: a NodeDeleted
        // notification placed an unfinished delete, and the parent's cversion at the same
        // zxid showed an expired session's close hidden before it); then the one that placed
        // the write alone, as a wrong hint from an earlier misplacement must not stop it.
        let all = self.revealed.get(&z).filter(|r| r.checks.len() > 1);
        let mut chosen = all.and_then(|r| self.revealed_search(h, ix, (i, own), z, &hint, r));
        if chosen.is_none() {
            let alone = Reveal {
                checks: vec![(hint.clone(), target)],
                at,
            };
            chosen = self.revealed_search(h, ix, (i, own), z, &hint, &alone);
        }
        let Some(chosen) = chosen else { return };
        let (&last, before) = chosen.split_last().expect("a final write");
        for &m in before {
            self.apply_hidden(ix, m, z, ch);
        }
        // A session's close may be what a change of children or a deletion revealed
        // (zab-recipe-election seed 577: the children a get-children listed at the
        // revealed zxid rule out the unfinished create): nothing is placed at `z` then.
        let Move::Write(last) = last else {
            return self.apply_hidden(ix, last, z, ch);
        };
        let steps = ix.steps(last).expect("a write");
        let got = self.tree.apply(steps, z, Some(ix.owner[last]), ch);
        debug_assert!(got.is_ok());
        self.place(last, z);
    }

    /// The writes and session closes that make what `r` says zxid `z` left: some hidden
    /// ones (from the unfinished writes and sessions under the hints' paths), then an
    /// unfinished write that makes `primary` (`i` first if `own`, the write placed at `z`).
    fn revealed_search(
        &self,
        h: &ZkHistory,
        ix: &Index,
        (i, own): (usize, bool),
        z: u64,
        primary: &Hint,
        r: &Reveal,
    ) -> Option<Vec<Move>> {
        let paths = r.paths();
        let pool = self.unfinished_under(h, &paths, z, r.at);
        let finals: Vec<Move> = std::iter::once(i)
            .filter(|_| own)
            .chain(pool.iter().copied().filter(|&c| c != i))
            .filter(|&c| z <= self.fifo_bound[c])
            .filter(|&c| {
                let steps = ix.steps(c).expect("a write");
                steps.iter().any(|s| primary.made_by(s))
            })
            .map(Move::Write)
            .chain(self.closes_revealing(ix, primary, z))
            .collect();
        let mut moves: Vec<Move> = pool.iter().map(|&c| Move::Write(c)).collect();
        moves.extend(self.closes_under(ix, &paths, z, &pool));
        self.search_hidden(ix, z, &moves, &finals, r)
    }

    /// The session closes that could have made `hint` at `z`: a deletion or a change of
    /// children.
    fn closes_revealing(&self, ix: &Index, hint: &Hint, z: u64) -> Vec<Move> {
        match hint {
            Hint::Gone(p) | Hint::Child(p) => {
                self.closes_under(ix, std::slice::from_ref(p), z, &[])
            }
            Hint::Created(_) | Hint::Modified(_) => Vec::new(),
        }
    }

    /// The session closes that make what `r` says zxid `z` left, when it names a count (a
    /// parent's cversion): some hidden writes and closes, then the close of the owner of
    /// the znode the close at `z` was revealed by (or of one of the parent's children).
    fn close_search(&self, h: &ZkHistory, ix: &Index, z: u64) -> Option<Vec<Move>> {
        let r = self.revealed.get(&z)?;
        if r.checks.iter().all(|(_, t)| t.count.is_none()) {
            return None;
        }
        let named = self.closes[&z].path().to_string();
        let finals = self.closes_under(ix, &[named], z, &[]);
        let paths = r.paths();
        let writes = self.unfinished_under(h, &paths, z, r.at);
        let mut moves: Vec<Move> = writes.iter().map(|&c| Move::Write(c)).collect();
        moves.extend(self.closes_under(ix, &paths, z, &writes));
        self.search_hidden(ix, z, &moves, &finals, r)
    }

    /// True if every read (or failed write) answered at `z` agrees with `t`, the tree after
    /// the writes up to `z`.
    fn reads_agree(&self, h: &ZkHistory, ix: &Index, t: &Tree, z: u64) -> bool {
        let from = self.observed_by_zxid.partition_point(|&(oz, _)| oz < z);
        let at_z = self.observed_by_zxid[from..]
            .iter()
            .take_while(|&&(oz, _)| oz == z);
        let mut t = t.clone();
        at_z.into_iter().all(|&(_, i)| {
            let op = &h.ops[i];
            let reply = op.reply().expect("replied");
            matches!(op.op, Call::Sync { .. })
                || observation_fits(&mut t, &op.op, ix.steps(i), reply, ix.owner[i]).is_ok()
        })
    }

    /// Unfinished writes indexed under `paths` that may still be put at `z`, called before
    /// `before`, each once.
    fn unfinished_under(&self, h: &ZkHistory, paths: &[String], z: u64, before: u64) -> Vec<usize> {
        let mut pool = Vec::new();
        for p in paths {
            for &c in self.unfinished.get(p).map_or(&[][..], |v| v.as_slice()) {
                if self.movable(c, z) && h.ops[c].call_us < before && !pool.contains(&c) {
                    pool.push(c);
                }
            }
        }
        pool
    }

    /// Up to [`MAX_HIDDEN`] moves of `pool`, then one of `finals`, after which every check
    /// of `r` holds; fewest first.
    fn search_hidden(
        &self,
        ix: &Index,
        z: u64,
        pool: &[Move],
        finals: &[Move],
        r: &Reveal,
    ) -> Option<Vec<Move>> {
        let mut search = Hidden {
            ix,
            z,
            pool,
            finals,
            fits: &|t: &Tree, _: &Applied| r.checks.iter().all(|(hint, tg)| tg.fits(t, hint, z)),
            budget: HIDDEN_TRIALS,
        };
        let mut chosen = Vec::new();
        (0..=MAX_HIDDEN)
            .any(|d| search.find(&self.tree, d, &mut chosen))
            .then_some(chosen)
    }

    /// A write whose own result shows unfinished writes no reply revealed before it (a
    /// set-data that returned version 3 where the known writes leave version 1): those
    /// that explain the result (at most [`MAX_HIDDEN`]) are applied before it.
    fn hidden_before(
        &mut self,
        h: &ZkHistory,
        ix: &Index,
        i: usize,
        z: u64,
        ch: &mut Vec<Change>,
    ) -> bool {
        let op = &h.ops[i];
        let (Some(reply), Some(steps)) = (op.reply(), ix.steps(i)) else {
            return false;
        };
        let before = op.ret_us.unwrap_or(u64::MAX);
        let paths: Vec<String> = steps.iter().flat_map(step_paths).collect();
        let writes = self.unfinished_under(h, &paths, z, before);
        let mut pool: Vec<Move> = writes.iter().map(|&c| Move::Write(c)).collect();
        pool.extend(self.closes_under(ix, &paths, z, &writes));
        let fits = |_: &Tree, got: &Applied| results_fit(steps, reply, got);
        // Of the explanations, one the reads answered at `z` agree with (of two hidden
        // writes and a session close, zab-recipe-scalable-lock seed 886 read that the
        // session's znode was gone), else any.
        let looked = |t: &Tree, got: &Applied| fits(t, got) && self.reads_agree(h, ix, t, z);
        let mut chosen = None;
        for fits in [&looked as &dyn Fn(&Tree, &Applied) -> bool, &fits] {
            let mut search = Hidden {
                ix,
                z,
                pool: &pool,
                finals: &[Move::Write(i)],
                fits,
                budget: HIDDEN_TRIALS,
            };
            let mut found = Vec::new();
            if (1..=MAX_HIDDEN).any(|d| search.find(&self.tree, d, &mut found)) {
                chosen = Some(found);
                break;
            }
        }
        let Some(chosen) = chosen else { return false };
        let (_, hidden) = chosen.split_last().expect("the write itself");
        for &m in hidden {
            self.apply_hidden(ix, m, z, ch);
        }
        let got = self.tree.apply(steps, z, Some(ix.owner[i]), ch);
        debug_assert!(got.is_ok());
        true
    }

    fn observe(
        &mut self,
        h: &ZkHistory,
        ix: &Index,
        i: usize,
        z: u64,
        ch: &mut Vec<Change>,
        out: &mut Found,
    ) {
        let op = &h.ops[i];
        let reply = op.reply().expect("replied");
        if matches!(op.op, Call::Sync { .. }) {
            return;
        }
        let steps = ix.steps(i);
        if let Ok(()) = observation_fits(&mut self.tree, &op.op, steps, reply, ix.owner[i]) {
            return;
        }
        if self.fix(h, ix, i, z, ch, |t| {
            observation_fits(t, &op.op, steps, reply, ix.owner[i]).is_ok()
        }) {
            return;
        }
        let want = observation_fits(&mut self.tree, &op.op, steps, reply, ix.owner[i]).unwrap_err();
        let is_write = op.op.is_write();
        let (g, what) = if is_write {
            (Guarantee::WritesLinearizable, "failed with")
        } else {
            (Guarantee::ReadReflectsPrefix, "returned")
        };
        let msg = format!(
            "{}'s {} {what} {} at zxid {}, but the tree after the writes up to {} {want}",
            ix.name(i),
            describe_call(&op.op),
            short(reply),
            zxid_label(z),
            zxid_label(z)
        );
        out.add(g, msg, vec![i], op.ret_us.unwrap_or(0));
    }

    /// Tries unfinished writes and ends of sessions no reply revealed (the closing
    /// transactions of expired sessions, which no client calls), at most [`MAX_HIDDEN`] of
    /// them in some order, fewest first, that make `fits` true of the tree; keeps the first
    /// such sequence.
    fn fix(
        &mut self,
        h: &ZkHistory,
        ix: &Index,
        i: usize,
        z: u64,
        ch: &mut Vec<Change>,
        fits: impl Fn(&mut Tree) -> bool,
    ) -> bool {
        let op = &h.ops[i];
        let before = op.ret_us.unwrap_or(u64::MAX);
        let paths = call_paths(&op.op);
        let mut pool: Vec<Move> = Vec::new();
        for p in &paths {
            for &c in self.unfinished.get(p).map_or(&[][..], |v| v.as_slice()) {
                let m = Move::Write(c);
                if self.movable(c, z) && h.ops[c].call_us < before && !pool.contains(&m) {
                    pool.push(m);
                }
            }
        }
        pool.extend(self.closes_under(ix, &paths, z, &[]));
        let mut search = Hidden {
            ix,
            z,
            pool: &pool,
            finals: &pool,
            fits: &|t: &Tree, _: &Applied| fits(&mut t.clone()),
            budget: HIDDEN_TRIALS,
        };
        let mut chosen = Vec::new();
        if !(0..MAX_HIDDEN).any(|d| search.find(&self.tree, d, &mut chosen)) {
            return false;
        }
        for m in chosen {
            self.apply_hidden(ix, m, z, ch);
        }
        true
    }

    /// Applies a move a search chose before zxid `z`: an unfinished write taken to have
    /// happened there, or a session's end.
    fn apply_hidden(&mut self, ix: &Index, m: Move, z: u64, ch: &mut Vec<Change>) {
        match m {
            Move::Write(c) => {
                let steps = ix.steps(c).expect("a write");
                let got = self.tree.apply(steps, z, Some(ix.owner[c]), ch);
                debug_assert!(got.is_ok());
                self.take(c, z);
                self.greedy += 1;
            }
            Move::Close(o) => self.tree.close_session(o, z, ch),
        }
    }

    /// The sessions owning ephemeral znodes at or just under `paths`, as moves, those whose
    /// client was told it expired first. A session whose close a NodeDeleted notification
    /// places after `z` did not close at `z` (a session closes once): of two expired
    /// sessions that could have made a sequential name, the one closing later is not taken
    /// (zab-recipe-scalable-lock seed 697).
    /// The sessions of the ephemeral creates among `writes` (hidden writes a search may
    /// take) are added: a session may have made a znode and closed, both unseen.
    fn closes_under(&self, ix: &Index, paths: &[String], z: u64, writes: &[usize]) -> Vec<Move> {
        let later: Vec<Owner> = self
            .closes
            .range(z.saturating_add(1)..)
            .filter_map(|(_, hint)| match hint {
                Hint::Gone(p) => self.tree.get(p).and_then(|n| n.owner),
                _ => None,
            })
            .collect();
        let mut owners: Vec<Owner> = Vec::new();
        for p in paths {
            let Some(n) = self.tree.get(p) else { continue };
            let kids = n.children.iter().map(|c| child_path(p, c));
            for path in std::iter::once(p.clone()).chain(kids) {
                if let Some(o) = self.tree.get(&path).and_then(|n| n.owner) {
                    if !owners.contains(&o) {
                        owners.push(o);
                    }
                }
            }
        }
        for &c in writes {
            let steps = ix.steps(c).unwrap_or_default();
            let ephemeral = steps
                .iter()
                .any(|s| matches!(s, Step::Create { mode, .. } if mode.is_ephemeral()));
            if ephemeral && !owners.contains(&ix.owner[c]) {
                owners.push(ix.owner[c]);
            }
        }
        owners.retain(|o| !later.contains(o));
        owners.sort_by_key(|o| (!ix.expired(*o), *o));
        owners.into_iter().map(Move::Close).collect()
    }

    fn finish(mut self) -> Replayed {
        let placed: Vec<(u64, usize)> = self.placed.iter().map(|(&z, &i)| (z, i)).collect();
        let order = merged(&self.known, &placed);
        let (client_of, facts) = (&self.ix.client_of, &self.ix.facts);
        let returned = self
            .known
            .iter()
            .filter_map(|&(z, i)| facts[i].ret_us.map(|r| (client_of[i], (r, z))));
        let mut by_ret = sorted_by_client(returned, self.ix.names.len());
        let mut high = 0;
        for e in &mut by_ret {
            high = high.max(e.1);
            e.1 = high;
        }
        let placed = self.placed.len() + self.greedy;
        for (_, v) in self.changes.iter_mut() {
            v.sort_unstable();
        }
        Replayed {
            write_zxid: std::mem::take(&mut self.write_zxid),
            order,
            by_ret,
            changes: std::mem::take(&mut self.changes),
            writes: self.known.len(),
            reads: self.reads,
            placed,
        }
    }
}

/// True if some call set a watch or some client heard a watch notification: only then do
/// the watch checks ask what the write order changed ([`Replayed::changes`]).
fn has_watches(h: &ZkHistory, ix: &Index) -> bool {
    ix.facts.iter().any(|f| f.watches)
        || h.notices
            .iter()
            .any(|n| matches!(n.notice, Notice::Watch { .. }))
}

/// Per operation, the highest zxid at which it can have taken effect if its client never
/// learned the outcome: a client's operations take effect in the order it issued them, so an
/// unfinished write comes before every later write or sync of its client that was answered
/// (at or before the zxid of that answer: an error reply carries the zxid before it).
fn fifo_bounds(h: &ZkHistory, ix: &Index) -> Vec<u64> {
    let mut bound = vec![u64::MAX; h.ops.len()];
    for ops in &ix.by_client {
        let mut next = u64::MAX;
        for &i in ops.iter().rev() {
            bound[i] = next;
            let f = &ix.facts[i];
            let orders = f.kind != Kind::Read;
            if let (true, Some(z)) = (orders, f.reply_zxid) {
                next = next.min(z);
            }
        }
    }
    bound
}

/// True if `reply` is the kind of answer `call` gets when it succeeds.
fn fits(call: &Call, reply: &Reply) -> bool {
    matches!(
        (call, reply),
        (Call::Create { .. }, Reply::Created { .. })
            | (Call::Delete { .. }, Reply::Deleted { .. })
            | (Call::SetData { .. }, Reply::Stat { stat: Some(_), .. })
            | (Call::Multi { .. }, Reply::Multi { .. })
    )
}

/// True if a write's reply is what the tree gave.
fn results_fit(
    steps: &[Step],
    reply: &Reply,
    got: &Result<Vec<StepResult<'static>>, (usize, super::history::ZkError)>,
) -> bool {
    let Ok(results) = got else { return false };
    match reply {
        Reply::Created { path, .. } => results == &[StepResult::Created { path: path.clone() }],
        Reply::Deleted { .. } => results == &[StepResult::Deleted],
        Reply::Stat { stat: Some(s), .. } => {
            results == &[StepResult::Stat { stat: s.clone() }] || stat_fits(results, s)
        }
        Reply::Multi { results: r, .. } => r.len() == steps.len() && multi_fits(results, r),
        _ => false,
    }
}

fn stat_fits(results: &[StepResult], s: &Stat) -> bool {
    matches!(results, [StepResult::Stat { stat }] if stat_eq(stat, s))
}

fn multi_fits(spec: &[StepResult], got: &[StepResult]) -> bool {
    spec.len() == got.len()
        && spec.iter().zip(got).all(|(a, b)| match (a, b) {
            (StepResult::Stat { stat: x }, StepResult::Stat { stat: y }) => stat_eq(x, y),
            _ => a == b,
        })
}

/// Stats equal, an owner the tree knows only as "a client's session" matching any id.
fn stat_eq(spec: &Stat, got: &Stat) -> bool {
    let owner_ok = match (spec.ephemeral_owner, got.ephemeral_owner) {
        (Some(0), Some(_)) => true,
        (a, b) => a == b,
    };
    owner_ok
        && (spec.czxid, spec.mzxid, spec.pzxid) == (got.czxid, got.mzxid, got.pzxid)
        && (spec.version, spec.cversion) == (got.version, got.cversion)
}

/// Checks a read's reply, or a failed write's error, against the tree; `Err` says what the
/// tree has instead. A failed write (`steps`: the call's, `Call::steps`) is tried and rolled
/// back.
fn observation_fits(
    t: &mut Tree,
    call: &Call,
    steps: Option<&[Step]>,
    reply: &Reply,
    owner: Owner,
) -> Result<(), String> {
    if let Some(steps) = steps {
        let Reply::Error { error, step, .. } = reply else {
            return Err("expects a write's result".into());
        };
        return match t.trial(steps, u64::MAX, Some(owner)) {
            Err((s, e)) if e == *error && step.is_none_or(|k| k as usize == s) => Ok(()),
            Err((s, e)) => Err(format!("fails step {s} with {e:?}")),
            Ok(_) => Err("lets the write succeed".into()),
        };
    }
    let path = match call {
        Call::Exists { path, .. }
        | Call::GetData { path, .. }
        | Call::GetChildren { path, .. }
        | Call::Sync { path } => &**path,
        _ => "",
    };
    let node = t.get(path);
    let ok = match (call, reply, node) {
        (Call::Exists { .. }, Reply::Stat { stat: None, .. }, None) => true,
        (Call::Exists { .. }, Reply::Stat { stat: Some(s), .. }, Some(n)) => n.stat_matches(s),
        (Call::GetData { .. }, Reply::Data { data, stat, .. }, Some(n)) => {
            same_str(&n.data, data) && n.stat_matches(stat)
        }
        (Call::GetChildren { .. }, Reply::Children { children, stat, .. }, Some(n)) => {
            children.same_as_sorted(&n.children) && n.stat_matches(stat)
        }
        (
            Call::GetData { .. } | Call::GetChildren { .. },
            Reply::Error {
                error: super::history::ZkError::NoNode,
                ..
            },
            None,
        ) => true,
        _ => false,
    };
    if ok {
        return Ok(());
    }
    Err(match (call, node) {
        (_, None) => format!("has no {path}"),
        (Call::GetChildren { .. }, Some(n)) => {
            format!(
                "has {path} with children [{}] ({})",
                n.children.join(" "),
                n.describe()
            )
        }
        (_, Some(n)) => format!("has {path} with {}", n.describe()),
    })
}

/// The paths a step names, and their parents (where a sequential name's node appears).
fn step_paths(step: &Step) -> Vec<String> {
    let path = match step {
        Step::Create { path, .. }
        | Step::Delete { path, .. }
        | Step::SetData { path, .. }
        | Step::Check { path, .. } => path,
    };
    let mut v = vec![path.to_string()];
    v.extend(parent_of(path).map(str::to_string));
    v
}

/// The paths a call reads or writes, its own first.
fn call_paths(call: &Call) -> Vec<String> {
    match call {
        Call::Exists { path, .. }
        | Call::GetData { path, .. }
        | Call::GetChildren { path, .. }
        | Call::Sync { path } => {
            let mut v = vec![path.to_string()];
            if let Call::GetChildren { .. } = call {
                v.push(path.to_string());
            }
            v
        }
        _ => call
            .steps()
            .unwrap_or_default()
            .iter()
            .flat_map(step_paths)
            .collect(),
    }
}

/// The stats a reply reports, with the path each belongs to, into `v` (cleared first, so
/// that a loop over many replies reuses it).
fn reply_stats_into<'a>(call: &'a Call, reply: &'a Reply, v: &mut Vec<(&'a str, &'a Stat)>) {
    v.clear();
    match (call, reply) {
        (Call::Exists { path, .. }, Reply::Stat { stat: Some(s), .. })
        | (Call::SetData { path, .. }, Reply::Stat { stat: Some(s), .. })
        | (Call::GetData { path, .. }, Reply::Data { stat: s, .. })
        | (Call::GetChildren { path, .. }, Reply::Children { stat: s, .. }) => v.push((&**path, s)),
        (Call::Multi { ops }, Reply::Multi { results, .. }) => {
            for (step, r) in ops.iter().zip(results) {
                if let (Step::SetData { path, .. }, StepResult::Stat { stat }) = (step, r) {
                    v.push((&**path, stat));
                }
            }
        }
        _ => {}
    }
}

/// Everything the replies and notices say about one revealed zxid.
#[derive(Clone, Debug)]
struct Reveal {
    /// Each hint, with what it says the tree looked like right after the zxid.
    checks: Vec<(Hint, Target)>,
    /// When the first reply or notice revealing it came back.
    at: u64,
}

impl Default for Reveal {
    fn default() -> Reveal {
        Reveal {
            checks: Vec::new(),
            at: u64::MAX,
        }
    }
}

impl Reveal {
    /// The paths under which the writes that could explain the hints are indexed, each once.
    fn paths(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for (hint, _) in &self.checks {
            if !v.iter().any(|p| p == hint.path()) {
                v.push(hint.path().to_string());
            }
        }
        v
    }
}

/// What an unexplained zxid in a stat or notice says happened. Ordered from the most
/// telling: of several hints at one zxid, the first placed decides, and a change of children
/// says least (it may be any create or delete under the parent; zab-recipe-scalable-lock
/// seed 51 took an unfinished create for the delete a NodeDeleted notification named at the
/// same zxid).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Hint {
    /// `path` was created by it.
    Created(String),
    /// `path`'s data was set by it.
    Modified(String),
    /// `path` was deleted by it.
    Gone(String),
    /// A child of `path` was created or deleted by it.
    Child(String),
}

impl Hint {
    /// The path under which the unfinished writes that could explain it are indexed.
    fn path(&self) -> &str {
        match self {
            Hint::Created(p) | Hint::Modified(p) | Hint::Child(p) | Hint::Gone(p) => match self {
                Hint::Created(_) => parent_of(p).unwrap_or(p),
                _ => p,
            },
        }
    }

    fn made_by(&self, step: &Step) -> bool {
        match (self, step) {
            (Hint::Created(p), Step::Create { path, mode, .. }) => {
                path == p
                    || (mode.is_sequential()
                        && p.len() == path.len() + 10
                        && p.starts_with(&**path)
                        && p[path.len()..].bytes().all(|b| b.is_ascii_digit()))
            }
            (Hint::Modified(p), Step::SetData { path, .. }) => path == p,
            (Hint::Gone(p), Step::Delete { path, .. }) => path == p,
            (Hint::Child(p), Step::Create { path, .. } | Step::Delete { path, .. }) => {
                parent_of(path) == Some(p.as_str())
            }
            _ => false,
        }
    }
}

/// The zxids a stat reveals, with what the znode looked like right after each: the last
/// data change (`mzxid`) left `version` (and `data`, when the reply carried it), the last
/// change of children (`pzxid`) left `cversion` (and the children, when the reply listed
/// them: nothing changed them since).
fn stat_hints(
    path: &str,
    s: &Stat,
    data: Option<&str>,
    kids: Option<&[String]>,
) -> Vec<(u64, Hint, Target)> {
    let p = || path.to_string();
    // A znode never changed since its creation still holds the data it was created with.
    let created = Target {
        count: None,
        data: if s.mzxid == s.czxid {
            data.map(str::to_string)
        } else {
            None
        },
        children: None,
    };
    let mut v = vec![(s.czxid, Hint::Created(p()), created)];
    if s.mzxid != s.czxid {
        let t = Target {
            count: Some(s.version),
            data: data.map(str::to_string),
            children: None,
        };
        v.push((s.mzxid, Hint::Modified(p()), t));
    }
    if s.pzxid != s.czxid {
        let t = Target {
            count: Some(s.cversion),
            data: None,
            children: kids.map(<[String]>::to_vec),
        };
        v.push((s.pzxid, Hint::Child(p()), t));
    }
    v
}

/// The path of child `name` of `parent`.
fn child_path(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

/// A set of zxids for membership tests, in a bitmap of counters per epoch: a run's zxids
/// count up nearly without gaps, and the replay asks about every zxid of every stat (a
/// binary search of the list took most of `reveal`). An epoch whose zxids are too sparse
/// for a bitmap (a hand-written history) keeps them in a sorted list.
struct ZxidSet {
    /// By epoch, ascending.
    epochs: Vec<(u64, Counters)>,
}

enum Counters {
    /// Bit `c - first` is set for each counter `c` in the set.
    Bits {
        first: u64,
        bits: Vec<u64>,
    },
    Sorted(Vec<u64>),
}

impl ZxidSet {
    /// The set of `zxids`, given sorted.
    fn new(zxids: impl Iterator<Item = u64>) -> ZxidSet {
        let mut by_epoch: Vec<(u64, Vec<u64>)> = Vec::new();
        for z in zxids {
            let (epoch, counter) = (z >> 32, z & 0xffff_ffff);
            match by_epoch.last_mut() {
                Some((e, counters)) if *e == epoch => counters.push(counter),
                _ => by_epoch.push((epoch, vec![counter])),
            }
        }
        let epochs = by_epoch
            .into_iter()
            .map(|(epoch, counters)| {
                let (first, last) = (counters[0], counters[counters.len() - 1]);
                let words = (last - first) / 64 + 1;
                if words > counters.len() as u64 + 16 {
                    return (epoch, Counters::Sorted(counters));
                }
                let mut bits = vec![0u64; words as usize];
                for c in counters {
                    let k = c - first;
                    bits[(k / 64) as usize] |= 1 << (k % 64);
                }
                (epoch, Counters::Bits { first, bits })
            })
            .collect();
        ZxidSet { epochs }
    }

    fn contains(&self, z: &u64) -> bool {
        let (epoch, counter) = (z >> 32, z & 0xffff_ffff);
        let Ok(e) = self.epochs.binary_search_by_key(&epoch, |(e, _)| *e) else {
            return false;
        };
        match &self.epochs[e].1 {
            Counters::Bits { first, bits } => counter.checked_sub(*first).is_some_and(|k| {
                bits.get((k / 64) as usize)
                    .is_some_and(|w| w >> (k % 64) & 1 == 1)
            }),
            Counters::Sorted(counters) => counters.binary_search(&counter).is_ok(),
        }
    }
}

/// `items`, each with its client and in the order of the history's operations, sorted: what
/// `sort_unstable` gives. A client's items nearly always come sorted already (its replies
/// never go back in zxid, its operations return one after another), so each client's run
/// is sorted only if it is not, and the runs are merged: a fraction of a sort's comparisons.
fn sorted_by_client<T: Ord + Copy>(
    items: impl Iterator<Item = (u32, T)>,
    clients: usize,
) -> Vec<T> {
    // Each merge copies everything merged so far: past a few clients, one sort is cheaper.
    const MERGED_CLIENTS: usize = 8;
    if clients > MERGED_CLIENTS {
        let mut all: Vec<T> = items.map(|(_, item)| item).collect();
        all.sort_unstable();
        return all;
    }
    let mut runs: Vec<Vec<T>> = (0..clients).map(|_| Vec::new()).collect();
    for (c, item) in items {
        runs[c as usize].push(item);
    }
    let mut all: Vec<T> = Vec::new();
    for mut run in runs {
        if !run.is_sorted() {
            run.sort_unstable();
        }
        all = if all.is_empty() {
            run
        } else {
            merged(&all, &run)
        };
    }
    all
}

/// The `changes` (writes and closes, sorted) and the observations (`(zxid, op)`, sorted)
/// as events, sorted. The observations, most events, go straight into place rather than
/// through a merge of two lists: each sorts after the writes and closes at its zxid.
fn with_observations(changes: Vec<(u64, What)>, observed: &[(u64, usize)]) -> Vec<(u64, What)> {
    let mut events = Vec::with_capacity(changes.len() + observed.len());
    // An index into the changes rather than a peekable iterator (twice the instructions).
    let mut next = 0;
    for &(z, i) in observed {
        while let Some(&change) = changes.get(next).filter(|&&(cz, _)| cz <= z) {
            events.push(change);
            next += 1;
        }
        events.push((z, What::Observe(i)));
    }
    events.extend_from_slice(&changes[next..]);
    events
}

/// The items of two sorted lists, sorted: what sorting their concatenation gives. A loop
/// over the two slices, and the rest of one copied whole when the other ends (the replay
/// merges every operation of the history a few times; peeked iterators cost twice as much).
/// The slices are taken apart by pattern, which needs no bounds check per item.
fn merged<T: Ord + Copy>(a: &[T], b: &[T]) -> Vec<T> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a, b);
    while let ([x, rest_a @ ..], [y, rest_b @ ..]) = (a, b) {
        if x <= y {
            out.push(*x);
            a = rest_a;
        } else {
            out.push(*y);
            b = rest_b;
        }
    }
    out.extend_from_slice(a);
    out.extend_from_slice(b);
    out
}

/// At most this many unfinished writes no reply revealed are assumed before a revealed one.
const MAX_HIDDEN: usize = 4;
/// Trial applications allowed per revealed zxid when searching for hidden writes.
const HIDDEN_TRIALS: usize = 4096;

/// What the tree gave a write: its results, or the failing step and its error.
type Applied = Result<Vec<StepResult<'static>>, (usize, super::history::ZkError)>;

/// What a revealing reply says a znode looked like right after the revealed write:
/// `version` (a data change) or `cversion` (a change of children), and the data.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Target {
    count: Option<u32>,
    data: Option<String>,
    /// The children, sorted (a get-children reply whose pzxid is the revealed zxid).
    children: Option<Vec<String>>,
}

impl Target {
    fn fits(&self, t: &Tree, hint: &Hint, z: u64) -> bool {
        let (path, child) = match hint {
            Hint::Modified(p) => (p, false),
            Hint::Child(p) => (p, true),
            Hint::Created(p) => {
                return t.get(p).is_some_and(|n| {
                    n.czxid == z && self.data.as_ref().is_none_or(|d| *d == n.data)
                })
            }
            Hint::Gone(_) => return true,
        };
        let Some(n) = t.get(path) else { return false };
        let count = if child { n.cversion } else { n.version };
        let changed = if child { n.pzxid } else { n.mzxid };
        changed == z
            && self.count.is_none_or(|c| c == count)
            && self.data.as_ref().is_none_or(|d| *d == n.data)
            && self.children.as_ref().is_none_or(|k| *k == n.children)
    }
}

/// The search for unfinished writes hidden before a revealed one: `depth` of them from
/// `pool`, each applying cleanly, then one of `finals` after which `fits` holds.
/// What a search for writes no reply revealed may assume happened.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Move {
    /// An unfinished write.
    Write(usize),
    /// A session's end (its ephemeral znodes go).
    Close(Owner),
}

struct Hidden<'a> {
    ix: &'a Index<'a>,
    z: u64,
    pool: &'a [Move],
    finals: &'a [Move],
    fits: &'a dyn Fn(&Tree, &Applied) -> bool,
    budget: usize,
}

impl Hidden<'_> {
    /// Some `depth` moves of the pool, then one of the finals, after which `fits` holds.
    fn find(&mut self, tree: &Tree, depth: usize, chosen: &mut Vec<Move>) -> bool {
        let pick: &[Move] = if depth == 0 { self.finals } else { self.pool };
        for &m in pick {
            if chosen.contains(&m) || self.budget == 0 {
                continue;
            }
            self.budget -= 1;
            let mut t = tree.clone();
            let got = match m {
                Move::Write(c) => {
                    let steps = self.ix.steps(c).expect("a write");
                    t.apply(steps, self.z, Some(self.ix.owner[c]), &mut Vec::new())
                }
                Move::Close(o) => {
                    let mut gone = Vec::new();
                    t.close_session(o, self.z, &mut gone);
                    if gone.is_empty() {
                        continue;
                    }
                    Ok(Vec::new())
                }
            };
            if got.is_err() {
                continue;
            }
            chosen.push(m);
            if depth == 0 && (self.fits)(&t, &got) || depth > 0 && self.find(&t, depth - 1, chosen)
            {
                return true;
            }
            chosen.pop();
        }
        false
    }
}

fn notice_hint(path: &str, kind: WatchKind) -> Hint {
    let p = path.to_string();
    match kind {
        WatchKind::NodeCreated => Hint::Created(p),
        WatchKind::NodeDataChanged => Hint::Modified(p),
        WatchKind::NodeDeleted => Hint::Gone(p),
        WatchKind::NodeChildrenChanged => Hint::Child(p),
    }
}

/// A reply in a few words.
pub(crate) fn short(reply: &Reply) -> String {
    match reply {
        Reply::Created { path, .. } => format!("created {path}"),
        Reply::Deleted { .. } => "deleted".into(),
        Reply::Stat { stat: None, .. } => "no znode".into(),
        Reply::Stat { stat: Some(s), .. } => format!("version {}", s.version),
        Reply::Data { data, stat, .. } => format!("{data:?} (version {})", stat.version),
        Reply::Children { children, .. } => format!("children [{}]", children.join(" ")),
        Reply::Synced { .. } => "synced".into(),
        Reply::Multi { results, .. } => format!("{} results", results.len()),
        Reply::Error { error, .. } => format!("{error:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::{merged, sorted_by_client, with_observations, What, ZxidSet};

    /// A small deterministic stream of numbers for the tests.
    fn numbers(n: usize, mut x: u64) -> impl Iterator<Item = u64> {
        (0..n).map(move |_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            x >> 33
        })
    }

    /// Per-client runs, sorted or not, few clients or many: the result is what one sort gives.
    #[test]
    fn sorted_by_client_equals_a_sort() {
        for clients in [1usize, 3, 8, 9, 40] {
            let items: Vec<(u32, (u64, usize))> = numbers(3_000, clients as u64)
                .enumerate()
                .map(|(i, x)| ((x % clients as u64) as u32, (x % 500, i)))
                .collect();
            let mut want: Vec<(u64, usize)> = items.iter().map(|&(_, t)| t).collect();
            want.sort_unstable();
            assert_eq!(sorted_by_client(items.into_iter(), clients), want);
        }
    }

    /// Two sorted lists of any lengths, with equal items across them: what one sort gives.
    #[test]
    fn merged_equals_a_sort() {
        let mut x = numbers(400, 5);
        for (n, m) in [(0, 0), (0, 7), (9, 0), (50, 50), (3, 120), (120, 3)] {
            let mut a: Vec<u64> = (&mut x).take(n).map(|v| v % 40).collect();
            let mut b: Vec<u64> = (&mut x).take(m).map(|v| v % 40).collect();
            a.sort_unstable();
            b.sort_unstable();
            let mut want = [a.clone(), b.clone()].concat();
            want.sort_unstable();
            assert_eq!(merged(&a, &b), want, "{n} and {m} items");
        }
    }

    /// Writes, closes and observations at shared and separate zxids: the events are what
    /// sorting them all gives (at one zxid the writes, then the close, then the reads).
    #[test]
    fn observations_go_after_the_changes_at_their_zxid() {
        let mut changes: Vec<(u64, What)> = numbers(60, 3)
            .enumerate()
            .map(|(i, v)| match v % 3 {
                0 => (v % 50, What::Close),
                _ => (v % 50, What::Write(i)),
            })
            .collect();
        changes.sort_unstable();
        changes.dedup();
        let mut observed: Vec<(u64, usize)> = numbers(200, 4)
            .enumerate()
            .map(|(i, v)| (v % 60, 100 + i))
            .collect();
        observed.sort_unstable();
        let mut want = changes.clone();
        want.extend(observed.iter().map(|&(z, i)| (z, What::Observe(i))));
        want.sort_unstable();
        assert_eq!(with_observations(changes, &observed), want);
    }

    /// Dense epochs (bitmaps) and a sparse one (a sorted list): membership as in a sorted list.
    #[test]
    fn zxid_set_holds_exactly_its_zxids() {
        let mut zxids: Vec<u64> = (1..2_000u64)
            .filter(|c| c % 7 != 0)
            .map(|c| 1 << 32 | c)
            .collect();
        zxids.extend(numbers(50, 9).map(|c| 2 << 32 | c));
        zxids.extend((5..300u64).map(|c| 3 << 32 | c));
        zxids.sort_unstable();
        zxids.dedup();
        let set = ZxidSet::new(zxids.iter().copied());
        let probes = (0..2_100u64).flat_map(|c| (0..5u64).map(move |e| e << 32 | c));
        for z in probes
            .chain(zxids.iter().copied())
            .chain(numbers(200, 9).map(|c| 2 << 32 | c))
        {
            assert_eq!(
                set.contains(&z),
                zxids.binary_search(&z).is_ok(),
                "zxid {z:#x}"
            );
        }
    }
}
