//! Replays the write order the zxids claim on the specification's tree and checks every
//! reply against it: each successful write's result, each failed write's error, each read's
//! data, stat and children. Unfinished writes are placed where a stat reveals them or where a
//! read needs them. The result also feeds the real-time, client and watch checks.

use std::collections::{BTreeMap, BTreeSet};

use super::clients::{describe_call, Index};
use super::history::{Call, Notice, Reply, Stat, Status, Step, StepResult, WatchKind, ZkHistory};
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
    /// Per path: the changes the write order made to it, in zxid order.
    pub changes: BTreeMap<String, Vec<(u64, WatchKind)>>,
    pub writes: usize,
    pub reads: usize,
    pub placed: usize,
}

impl Replayed {
    /// The highest zxid of a write that completed before `t`.
    pub fn completed_before(&self, t: u64) -> Option<u64> {
        let n = self.by_ret.partition_point(|&(ret, _)| ret < t);
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
    let mut st = State::new(h);
    st.classify(out);
    st.reveal(h);
    let events = st.events(h);
    st.run(h, ix, &events, out);
    st.finish(h)
}

struct State<'h> {
    h: &'h ZkHistory,
    write_zxid: Vec<Option<u64>>,
    known: Vec<(u64, usize)>,
    observed: Vec<usize>,
    /// Unfinished writes not yet placed, by every path their steps name (and its parent).
    unfinished: BTreeMap<String, Vec<usize>>,
    placed: BTreeMap<u64, usize>,
    closes: BTreeMap<u64, String>,
    changes: BTreeMap<String, Vec<(u64, WatchKind)>>,
    tree: Tree,
    diverged: bool,
    reads: usize,
    greedy: usize,
}

impl<'h> State<'h> {
    fn new(h: &'h ZkHistory) -> State<'h> {
        State {
            h,
            write_zxid: vec![None; h.ops.len()],
            known: Vec::new(),
            observed: Vec::new(),
            unfinished: BTreeMap::new(),
            placed: BTreeMap::new(),
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
            let steps = op.op.steps();
            match (op.status, op.reply(), &steps) {
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
        self.known.sort_unstable();
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
        let known: BTreeSet<u64> = self.known.iter().map(|k| k.0).collect();
        let mut hints: Vec<(u64, Hint, u64)> = Vec::new();
        for &i in self.observed.iter().chain(self.known.iter().map(|k| &k.1)) {
            let op = &h.ops[i];
            let at = op.ret_us.unwrap_or(u64::MAX);
            for (path, stat) in reply_stats(&op.op, op.reply().expect("replied")) {
                hints.extend(
                    stat_hints(path, stat)
                        .into_iter()
                        .map(|(z, hint)| (z, hint, at)),
                );
            }
        }
        for n in &h.notices {
            if let Notice::Watch { path, kind, zxid } = &n.notice {
                hints.push((*zxid, notice_hint(path, *kind), n.at_us));
            }
        }
        hints.sort();
        for (z, hint, at) in hints {
            if z == 0 || known.contains(&z) || self.placed.contains_key(&z) {
                continue;
            }
            if let Some(i) = self.candidate(&hint, at, |_| true) {
                self.place(i, z);
            } else if let Hint::Child(parent) | Hint::Gone(parent) = hint {
                self.closes.entry(z).or_insert(parent);
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
                && op
                    .op
                    .steps()
                    .is_some_and(|s| s.iter().any(|s| hint.made_by(s)))
                && ok(i)
        })
    }

    fn place(&mut self, i: usize, z: u64) {
        self.placed.insert(z, i);
        self.write_zxid[i] = Some(z);
    }

    fn events(&self, h: &ZkHistory) -> Vec<(u64, What)> {
        let mut ev: Vec<(u64, What)> = Vec::with_capacity(h.ops.len());
        ev.extend(self.known.iter().map(|&(z, i)| (z, What::Write(i))));
        ev.extend(self.placed.iter().map(|(&z, &i)| (z, What::Write(i))));
        ev.extend(self.closes.keys().map(|&z| (z, What::Close)));
        ev.extend(self.observed.iter().map(|&i| {
            let z = h.ops[i].reply().expect("replied").zxid();
            (z, What::Observe(i))
        }));
        ev.sort_unstable();
        ev
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
                What::Close => self.close(z, &mut ch),
                What::Observe(i) => self.observe(h, ix, i, z, &mut ch, out),
            }
            for c in ch.drain(..) {
                self.changes.entry(c.path).or_default().push((z, c.kind));
            }
        }
    }

    fn close(&mut self, z: u64, ch: &mut Vec<Change>) {
        let parent = &self.closes[&z];
        let owner = self.tree.get(parent).and_then(|p| {
            p.children.iter().find_map(|c| {
                let child = if parent == "/" {
                    format!("/{c}")
                } else {
                    format!("{parent}/{c}")
                };
                self.tree.get(&child).and_then(|n| n.owner)
            })
        });
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
        let steps = op.op.steps().expect("a write");
        let got = self.tree.apply(&steps, z, Some(ix.owner[i]), ch);
        let Some(reply) = op.reply() else {
            if got.is_err() {
                // A revealed placement that cannot apply was a wrong guess: not placed.
                self.placed.remove(&z);
                self.write_zxid[i] = None;
            }
            return;
        };
        if results_fit(&steps, reply, &got) {
            return;
        }
        let owner = Some(ix.owner[i]);
        let fits_now = |t: &mut Tree| results_fit(&steps, reply, &t.trial(&steps, z, owner));
        if got.is_err() && self.fix(h, ix, i, z, ch, fits_now) {
            let again = self.tree.apply(&steps, z, owner, ch);
            if results_fit(&steps, reply, &again) {
                return;
            }
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
        if let Ok(()) = observation_fits(&mut self.tree, &op.op, reply, ix.owner[i]) {
            return;
        }
        if self.fix(h, ix, i, z, ch, |t| {
            observation_fits(t, &op.op, reply, ix.owner[i]).is_ok()
        }) {
            return;
        }
        let want = observation_fits(&mut self.tree, &op.op, reply, ix.owner[i]).unwrap_err();
        let is_write = op.op.steps().is_some();
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

    /// Tries one unfinished write, or one session's end, that would make `fits` true of
    /// the tree; keeps the first that does.
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
        let mut tried: BTreeSet<usize> = BTreeSet::new();
        for p in &paths {
            for &c in self.unfinished.get(p).map_or(&[][..], |v| v.as_slice()) {
                if self.write_zxid[c].is_some() || h.ops[c].call_us >= before || !tried.insert(c) {
                    continue;
                }
                let steps = h.ops[c].op.steps().expect("a write");
                let mut trial = self.tree.clone();
                let mut tch = Vec::new();
                if trial.apply(&steps, z, Some(ix.owner[c]), &mut tch).is_ok() && fits(&mut trial) {
                    self.tree = trial;
                    ch.extend(tch);
                    self.write_zxid[c] = Some(z);
                    self.greedy += 1;
                    return true;
                }
            }
        }
        let owners: Vec<Owner> = self.tree.owners().into_iter().collect();
        for owner in owners {
            let mut trial = self.tree.clone();
            let mut tch = Vec::new();
            trial.close_session(owner, z, &mut tch);
            if fits(&mut trial) {
                self.tree = trial;
                ch.extend(tch);
                return true;
            }
        }
        false
    }

    fn finish(mut self, h: &ZkHistory) -> Replayed {
        let mut order: Vec<(u64, usize)> = self.known.clone();
        order.extend(self.placed.iter().map(|(&z, &i)| (z, i)));
        order.sort_unstable();
        let mut by_ret: Vec<(u64, u64)> = self
            .known
            .iter()
            .filter_map(|&(z, i)| h.ops[i].ret_us.map(|r| (r, z)))
            .collect();
        by_ret.sort_unstable();
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
    got: &Result<Vec<StepResult>, (usize, super::history::ZkError)>,
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
/// tree has instead. A failed write is tried and rolled back.
fn observation_fits(t: &mut Tree, call: &Call, reply: &Reply, owner: Owner) -> Result<(), String> {
    if let Some(steps) = call.steps() {
        let Reply::Error { error, step, .. } = reply else {
            return Err("expects a write's result".into());
        };
        return match t.trial(&steps, u64::MAX, Some(owner)) {
            Err((s, e)) if e == *error && step.is_none_or(|k| k as usize == s) => Ok(()),
            Err((s, e)) => Err(format!("fails step {s} with {e:?}")),
            Ok(_) => Err("lets the write succeed".into()),
        };
    }
    let path = call_paths(call).into_iter().next().unwrap_or_default();
    let node = t.get(&path);
    let ok = match (call, reply, node) {
        (Call::Exists { .. }, Reply::Stat { stat: None, .. }, None) => true,
        (Call::Exists { .. }, Reply::Stat { stat: Some(s), .. }, Some(n)) => n.stat_matches(s),
        (Call::GetData { .. }, Reply::Data { data, stat, .. }, Some(n)) => {
            n.data == *data && n.stat_matches(stat)
        }
        (Call::GetChildren { .. }, Reply::Children { children, stat, .. }, Some(n)) => {
            let mut got: Vec<&String> = children.iter().collect();
            got.sort_unstable();
            got.len() == n.children.len()
                && got.into_iter().eq(n.children.iter())
                && n.stat_matches(stat)
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
            let kids: Vec<&str> = n.children.iter().map(String::as_str).collect();
            format!(
                "has {path} with children [{}] ({})",
                kids.join(" "),
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
    let mut v = vec![path.clone()];
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
            let mut v = vec![path.clone()];
            if let Call::GetChildren { .. } = call {
                v.push(path.clone());
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

/// The stats a reply reports, with the path each belongs to.
fn reply_stats<'a>(call: &'a Call, reply: &'a Reply) -> Vec<(&'a str, &'a Stat)> {
    let mut v = Vec::new();
    match (call, reply) {
        (Call::Exists { path, .. }, Reply::Stat { stat: Some(s), .. })
        | (Call::SetData { path, .. }, Reply::Stat { stat: Some(s), .. })
        | (Call::GetData { path, .. }, Reply::Data { stat: s, .. })
        | (Call::GetChildren { path, .. }, Reply::Children { stat: s, .. }) => {
            v.push((path.as_str(), s))
        }
        (Call::Multi { ops }, Reply::Multi { results, .. }) => {
            for (step, r) in ops.iter().zip(results) {
                if let (Step::SetData { path, .. }, StepResult::Stat { stat }) = (step, r) {
                    v.push((path.as_str(), stat));
                }
            }
        }
        _ => {}
    }
    v
}

/// What an unexplained zxid in a stat or notice says happened.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Hint {
    /// `path` was created by it.
    Created(String),
    /// `path`'s data was set by it.
    Modified(String),
    /// A child of `path` was created or deleted by it.
    Child(String),
    /// `path` was deleted by it.
    Gone(String),
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
                        && p.starts_with(path.as_str())
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

fn stat_hints(path: &str, s: &Stat) -> Vec<(u64, Hint)> {
    let mut v = vec![(s.czxid, Hint::Created(path.to_string()))];
    if s.mzxid != s.czxid {
        v.push((s.mzxid, Hint::Modified(path.to_string())));
    }
    if s.pzxid != s.czxid {
        v.push((s.pzxid, Hint::Child(path.to_string())));
    }
    v
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
