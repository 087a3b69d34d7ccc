//! The ZooKeeper data tree as a sequential specification: znodes with data and stat, the
//! rules of every write (errors in ZooKeeper's order of checks, sequence numbers from the
//! parent's `cversion`, ephemeral owners) and the reads. It is written from the ZooKeeper
//! documentation, apart from any implementation, so that a server's bug shows as a reply the
//! specification would not give.

use std::collections::BTreeSet;

use super::history::{Mode, Stat, Step, StepResult, WatchKind, ZkError};
use super::nodes::Nodes;

/// Who owns an ephemeral znode: a session the history named, or the session (unknown id)
/// a client had when it created the znode.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Owner {
    Session(u64),
    ClientSession { client: u32, life: u32 },
}

/// One znode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Znode {
    pub data: String,
    pub czxid: u64,
    pub mzxid: u64,
    pub pzxid: u64,
    pub version: u32,
    pub cversion: u32,
    pub owner: Option<Owner>,
    /// The children's names, sorted: a vector, as replies are compared with it far more
    /// often than children come and go (and a sequential child goes at the end).
    pub children: Vec<String>,
}

impl Znode {
    fn new(data: String, zxid: u64, owner: Option<Owner>) -> Znode {
        Znode {
            data,
            czxid: zxid,
            mzxid: zxid,
            pzxid: zxid,
            version: 0,
            cversion: 0,
            owner,
            children: Vec::new(),
        }
    }

    /// True if `stat` is this znode's stat. An owner known only as a client's session
    /// matches any session id.
    pub fn stat_matches(&self, stat: &Stat) -> bool {
        let owner_ok = match (self.owner, stat.ephemeral_owner) {
            (None, None) => true,
            (Some(Owner::Session(s)), Some(t)) => s == t,
            (Some(Owner::ClientSession { .. }), Some(_)) => true,
            _ => false,
        };
        owner_ok
            && (self.czxid, self.mzxid, self.pzxid) == (stat.czxid, stat.mzxid, stat.pzxid)
            && (self.version, self.cversion) == (stat.version, stat.cversion)
    }

    pub fn describe(&self) -> String {
        format!(
            "data {:?} version {} cversion {} czxid {} mzxid {} pzxid {}",
            self.data,
            self.version,
            self.cversion,
            super::zxid_label(self.czxid),
            super::zxid_label(self.mzxid),
            super::zxid_label(self.pzxid)
        )
    }
}

/// A change a write made, for watches: `kind` happened to `path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub path: String,
    pub kind: WatchKind,
}

/// The data tree. Writes can be rolled back (a failed `multi`, a trial) through an undo log.
#[derive(Clone, Debug)]
pub struct Tree {
    nodes: Nodes<Znode>,
    undo: Vec<Undo>,
    /// Whether writes report their changes ([`Tree::record_changes`]).
    recording: bool,
}

/// One change to put back, holding only what changed: a write is tried, and undone, for
/// most replies the replay checks, and copying a parent with many children (a lock's
/// waiters) per step cost more than the rest of the check.
#[derive(Clone, Debug)]
enum Undo {
    /// A znode was created at `path`, a child of its parent, whose `Parent` was.
    Created(String, Parent),
    /// The znode at `path` was deleted, and left its parent, whose `Parent` was.
    Deleted(String, Znode, Parent),
    /// The znode's data, version and mzxid were.
    Data {
        path: String,
        data: String,
        version: u32,
        mzxid: u64,
    },
}

/// A parent's count and zxid of changes of children, before a child came or went.
#[derive(Clone, Copy, Debug)]
struct Parent {
    cversion: u32,
    pzxid: u64,
}

impl Default for Tree {
    fn default() -> Tree {
        let mut nodes = Nodes::default();
        nodes.insert("/".to_string(), Znode::new(String::new(), 0, None));
        Tree {
            nodes,
            undo: Vec::new(),
            recording: true,
        }
    }
}

/// The parent path of `path` (`/a/b` -> `/a`, `/a` -> `/`); `None` for the root or a path
/// that does not start with `/`.
pub fn parent_of(path: &str) -> Option<&str> {
    if path == "/" || !path.starts_with('/') {
        return None;
    }
    // A byte loop from the end: paths are short, and `rfind` goes through `memrchr`.
    let cut = path
        .bytes()
        .rposition(|b| b == b'/')
        .expect("starts with /");
    Some(if cut == 0 { "/" } else { &path[..cut] })
}

/// `path` followed by `n` as ten digits (`%010d`), without the formatting machinery: the
/// replay makes one for every sequential create it tries. The digits go in as chars (a
/// UTF-8 check of the ten bytes cost as much as writing them).
fn sequential_name(path: &str, n: u32) -> String {
    let mut digits = [b'0'; 10];
    let mut rest = n;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    let mut s = String::with_capacity(path.len() + 10);
    s.push_str(path);
    s.extend(digits.iter().map(|&d| char::from(d)));
    s
}

fn name_of(path: &str) -> &str {
    &path[path.rfind('/').map_or(0, |i| i + 1)..]
}

/// Adds `name` to the sorted `children` (it is not there yet).
fn add_child(children: &mut Vec<String>, name: &str) {
    // A sequential child (most children) sorts last: no search.
    if children.last().is_none_or(|last| last.as_str() < name) {
        children.push(name.to_string());
    } else if let Err(at) = children.binary_search_by(|c| c.as_str().cmp(name)) {
        children.insert(at, name.to_string());
    }
}

/// Removes `name` from the sorted `children`.
fn remove_child(children: &mut Vec<String>, name: &str) {
    if let Ok(at) = children.binary_search_by(|c| c.as_str().cmp(name)) {
        children.remove(at);
    }
}

impl Tree {
    /// Whether the writes applied from now on report their changes (on by default); off,
    /// they leave the changes vectors they are given empty and make no path string per
    /// change (a replay with no watch to check needs none). Closing a session reports its
    /// deletions either way.
    pub fn record_changes(&mut self, on: bool) {
        self.recording = on;
    }

    pub fn get(&self, path: &str) -> Option<&Znode> {
        self.nodes.get(path)
    }

    fn node(&self, path: &str) -> Result<&Znode, ZkError> {
        self.nodes.get(path).ok_or(ZkError::NoNode)
    }

    fn node_mut(&mut self, path: &str) -> &mut Znode {
        self.nodes.get_mut(path).expect("a znode checked above")
    }

    /// Applies the steps of one transaction at `zxid`, all or none: the results, or the
    /// failing step and its error. `changes` receives what the transaction changed.
    pub fn apply(
        &mut self,
        steps: &[Step],
        zxid: u64,
        owner: Option<Owner>,
        changes: &mut Vec<Change>,
    ) -> Result<Vec<StepResult<'static>>, (usize, ZkError)> {
        let got = self.apply_undoably(steps, zxid, owner, Some(changes));
        self.undo.clear();
        got
    }

    /// Applies `steps` as [`Tree::apply`] does if `keep` accepts what they give; otherwise
    /// leaves the tree (and `changes`) as they were, as [`Tree::trial`] does. One pass where a
    /// trial followed by the application would take two.
    pub fn apply_if(
        &mut self,
        steps: &[Step],
        zxid: u64,
        owner: Option<Owner>,
        changes: &mut Vec<Change>,
        keep: impl FnOnce(&Result<Vec<StepResult<'static>>, (usize, ZkError)>) -> bool,
    ) -> (Result<Vec<StepResult<'static>>, (usize, ZkError)>, bool) {
        let (mark, seen) = (self.undo.len(), changes.len());
        let got = self.apply_undoably(steps, zxid, owner, Some(&mut *changes));
        let kept = keep(&got);
        if kept {
            self.undo.clear();
        } else {
            self.roll_back_to(mark);
            changes.truncate(seen);
        }
        (got, kept)
    }

    /// What `steps` would give now as transaction `zxid`, leaving the tree as it was (and
    /// recording none of the changes it would make).
    pub fn trial(
        &mut self,
        steps: &[Step],
        zxid: u64,
        owner: Option<Owner>,
    ) -> Result<Vec<StepResult<'static>>, (usize, ZkError)> {
        let mark = self.undo.len();
        let got = self.apply_undoably(steps, zxid, owner, None);
        self.roll_back_to(mark);
        got
    }

    /// `changes`: where the steps' changes go; `None` for a trial, which is rolled back.
    fn apply_undoably(
        &mut self,
        steps: &[Step],
        zxid: u64,
        owner: Option<Owner>,
        changes: Option<&mut Vec<Change>>,
    ) -> Result<Vec<StepResult<'static>>, (usize, ZkError)> {
        let mut changes = changes.filter(|_| self.recording);
        let (mark, seen) = (self.undo.len(), changes.as_ref().map_or(0, |c| c.len()));
        // Not sized ahead: most writes tried fail at their first step, and then allocate
        // nothing.
        let mut results = Vec::new();
        for (i, step) in steps.iter().enumerate() {
            match self.step(step, zxid, owner, &mut changes) {
                Ok(r) => results.push(r),
                Err(e) => {
                    self.roll_back_to(mark);
                    if let Some(c) = changes {
                        c.truncate(seen);
                    }
                    return Err((i, e));
                }
            }
        }
        Ok(results)
    }

    /// Undoes the changes logged above `mark`. Inlined for its usual case, nothing to undo
    /// (a trial that failed at its first step: most replies of failed writes), which then
    /// costs no call.
    #[inline]
    fn roll_back_to(&mut self, mark: usize) {
        if self.undo.len() > mark {
            self.undo_above(mark);
        }
    }

    fn undo_above(&mut self, mark: usize) {
        while self.undo.len() > mark {
            match self.undo.pop().expect("above the mark") {
                Undo::Created(path, was) => {
                    self.nodes.remove(&path);
                    remove_child(
                        &mut self.restore_parent(&path, was).children,
                        name_of(&path),
                    );
                }
                Undo::Deleted(path, n, was) => {
                    add_child(
                        &mut self.restore_parent(&path, was).children,
                        name_of(&path),
                    );
                    self.nodes.insert(path, n);
                }
                Undo::Data {
                    path,
                    data,
                    version,
                    mzxid,
                } => {
                    let n = self.node_mut(&path);
                    (n.data, n.version, n.mzxid) = (data, version, mzxid);
                }
            }
        }
    }

    /// Puts back the parent of `path` as it `was` before `path` came or went.
    fn restore_parent(&mut self, path: &str, was: Parent) -> &mut Znode {
        let p = self.node_mut(parent_of(path).expect("below a parent"));
        (p.cversion, p.pzxid) = (was.cversion, was.pzxid);
        p
    }

    /// Adds (`add`) or removes child `name` of `parent` at `zxid`; returns how the parent
    /// was, for the undo log.
    fn change_child(&mut self, parent: &str, name: &str, add: bool, zxid: u64) -> Parent {
        let p = self.nodes.get_mut(parent).expect("a parent checked above");
        let was = Parent {
            cversion: p.cversion,
            pzxid: p.pzxid,
        };
        p.cversion += 1;
        p.pzxid = zxid;
        if add {
            add_child(&mut p.children, name);
        } else {
            remove_child(&mut p.children, name);
        }
        was
    }

    fn step(
        &mut self,
        step: &Step,
        zxid: u64,
        owner: Option<Owner>,
        changes: &mut Option<&mut Vec<Change>>,
    ) -> Result<StepResult<'static>, ZkError> {
        let mut change = |path: &str, kind| {
            if let Some(c) = changes {
                c.push(Change {
                    path: path.to_string(),
                    kind,
                });
            }
        };
        match step {
            Step::Create { path, data, mode } => {
                let made = self.create(path, data, *mode, zxid, owner)?;
                change(&made, WatchKind::NodeCreated);
                let parent = parent_of(&made).expect("created below a parent");
                change(parent, WatchKind::NodeChildrenChanged);
                Ok(StepResult::Created { path: made.into() })
            }
            Step::Delete { path, version } => {
                self.delete(path, *version, zxid)?;
                change(path, WatchKind::NodeDeleted);
                let parent = parent_of(path).expect("deleted below a parent");
                change(parent, WatchKind::NodeChildrenChanged);
                Ok(StepResult::Deleted)
            }
            Step::SetData {
                path,
                data,
                version,
            } => {
                check_version(self.node(path)?, *version)?;
                let n = self.nodes.get_mut(path).expect("checked above");
                let old = std::mem::replace(&mut n.data, data.to_string());
                self.undo.push(Undo::Data {
                    path: path.to_string(),
                    data: old,
                    version: n.version,
                    mzxid: n.mzxid,
                });
                n.version += 1;
                n.mzxid = zxid;
                let stat = stat_of(n);
                change(path, WatchKind::NodeDataChanged);
                Ok(StepResult::Stat { stat })
            }
            Step::Check { path, version } => {
                check_version(self.node(path)?, Some(*version))?;
                Ok(StepResult::Checked)
            }
        }
    }

    /// ZooKeeper's order of checks: the parent exists, the name is free, the parent is not
    /// ephemeral. A sequential name ends in the parent's `cversion` as ten digits.
    fn create(
        &mut self,
        path: &str,
        data: &str,
        mode: Mode,
        zxid: u64,
        owner: Option<Owner>,
    ) -> Result<String, ZkError> {
        let Some(parent_path) = parent_of(path) else {
            return Err(ZkError::NodeExists); // the root always exists
        };
        let parent = self.node(parent_path)?;
        let made = if mode.is_sequential() {
            let name = sequential_name(path, parent.cversion);
            if self.nodes.contains_key(&name) {
                return Err(ZkError::NodeExists);
            }
            name
        } else {
            // Looked up before a string is made: most creates the replay tries fail here.
            if self.nodes.contains_key(path) {
                return Err(ZkError::NodeExists);
            }
            path.to_string()
        };
        if parent.owner.is_some() {
            return Err(ZkError::NoChildrenForEphemerals);
        }
        let was = self.change_child(parent_path, name_of(&made), true, zxid);
        let owner = if mode.is_ephemeral() { owner } else { None };
        let owner = owner.or_else(|| mode.is_ephemeral().then_some(Owner::Session(0)));
        let node = Znode::new(data.to_string(), zxid, owner);
        self.nodes.insert(made.clone(), node);
        self.undo.push(Undo::Created(made.clone(), was));
        Ok(made)
    }

    fn delete(&mut self, path: &str, version: Option<u32>, zxid: u64) -> Result<(), ZkError> {
        let Some(parent_path) = parent_of(path) else {
            return Err(ZkError::BadVersion); // the root cannot be deleted
        };
        let n = self.node(path)?;
        check_version(n, version)?;
        if !n.children.is_empty() {
            return Err(ZkError::NotEmpty);
        }
        self.node(parent_path)?;
        let was = self.change_child(parent_path, name_of(path), false, zxid);
        let gone = self.nodes.remove(path).expect("checked above");
        self.undo.push(Undo::Deleted(path.to_string(), gone, was));
        Ok(())
    }

    /// Closes a session at `zxid`: every ephemeral znode it owns is deleted.
    pub fn close_session(&mut self, owner: Owner, zxid: u64, changes: &mut Vec<Change>) {
        let mut gone: Vec<String> = self
            .nodes
            .iter()
            .filter(|(_, n)| n.owner == Some(owner))
            .map(|(p, _)| p.clone())
            .collect();
        // In path order, as ZooKeeper's tree and the changes reported expect.
        gone.sort_unstable();
        for path in gone {
            self.delete(&path, None, zxid)
                .expect("an ephemeral znode has no children");
            changes.push(Change {
                path: path.clone(),
                kind: WatchKind::NodeDeleted,
            });
            changes.push(Change {
                path: parent_of(&path).expect("below a parent").to_string(),
                kind: WatchKind::NodeChildrenChanged,
            });
        }
        self.undo.clear();
    }

    /// Every owner of an ephemeral znode now in the tree.
    pub fn owners(&self) -> BTreeSet<Owner> {
        self.nodes.values().filter_map(|n| n.owner).collect()
    }
}

fn check_version(n: &Znode, version: Option<u32>) -> Result<(), ZkError> {
    match version {
        Some(v) if v != n.version => Err(ZkError::BadVersion),
        _ => Ok(()),
    }
}

/// A znode's stat as a reply would give it (an owner known only by client reads as 0).
pub fn stat_of(n: &Znode) -> Stat {
    Stat {
        czxid: n.czxid,
        mzxid: n.mzxid,
        pzxid: n.pzxid,
        version: n.version,
        cversion: n.cversion,
        ephemeral_owner: n.owner.map(|o| match o {
            Owner::Session(s) => s,
            Owner::ClientSession { .. } => 0,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(path: &str, mode: Mode) -> Step<'_> {
        Step::Create {
            path: path.into(),
            data: "d".into(),
            mode,
        }
    }

    #[test]
    fn sequential_names_take_the_parents_cversion_and_errors_come_in_zookeepers_order() {
        let mut t = Tree::default();
        let mut ch = Vec::new();
        let r = t.apply(&[create("/q", Mode::Persistent)], 1, None, &mut ch);
        assert_eq!(r, Ok(vec![StepResult::Created { path: "/q".into() }]));
        t.apply(&[create("/q/x", Mode::Persistent)], 2, None, &mut ch)
            .unwrap();
        let r = t.apply(&[create("/q/n-", Mode::Sequential)], 3, None, &mut ch);
        let made = "/q/n-0000000001".to_string();
        assert_eq!(r, Ok(vec![StepResult::Created { path: made.into() }]));
        let missing = t.apply(&[create("/none/a", Mode::Persistent)], 4, None, &mut ch);
        assert_eq!(missing, Err((0, ZkError::NoNode)));
        let eph = Some(Owner::Session(7));
        t.apply(&[create("/e", Mode::Ephemeral)], 5, eph, &mut ch)
            .unwrap();
        let under = t.apply(&[create("/e", Mode::Persistent)], 6, None, &mut ch);
        assert_eq!(under, Err((0, ZkError::NodeExists)), "NodeExists before...");
        let under = t.apply(&[create("/e/c", Mode::Persistent)], 6, None, &mut ch);
        assert_eq!(under, Err((0, ZkError::NoChildrenForEphemerals)));
        let del = Step::Delete {
            path: "/q".into(),
            version: None,
        };
        assert_eq!(
            t.apply(&[del], 7, None, &mut ch),
            Err((0, ZkError::NotEmpty))
        );
        assert_eq!(t.get("/q").unwrap().pzxid, 3);
        assert_eq!(t.get("/q").unwrap().cversion, 2);
    }

    #[test]
    fn sequential_suffixes_are_ten_digits_as_printf_gives_them() {
        for n in [0, 7, 42, 1_000_000_000, u32::MAX] {
            assert_eq!(sequential_name("/q/n-", n), format!("/q/n-{n:010}"));
        }
    }

    #[test]
    fn a_failed_multi_leaves_no_trace() {
        let mut t = Tree::default();
        let mut ch = Vec::new();
        let steps = [
            create("/a", Mode::Persistent),
            Step::Check {
                path: "/a".into(),
                version: 3,
            },
        ];
        assert_eq!(
            t.apply(&steps, 1, None, &mut ch),
            Err((1, ZkError::BadVersion))
        );
        assert!(t.get("/a").is_none());
        assert_eq!(t.get("/").unwrap().cversion, 0);
        assert!(ch.is_empty());
    }

    #[test]
    fn a_trial_leaves_every_znode_as_it_was() {
        let mut t = Tree::default();
        let mut ch = Vec::new();
        for (z, path) in [(1, "/p"), (2, "/p/q"), (3, "/d")] {
            t.apply(&[create(path, Mode::Persistent)], z, None, &mut ch)
                .unwrap();
        }
        let before = t.nodes.clone();
        let steps = [
            create("/p/s-", Mode::Sequential),
            Step::Delete {
                path: "/p/q".into(),
                version: Some(0),
            },
            Step::Delete {
                path: "/d".into(),
                version: None,
            },
            create("/d", Mode::Persistent),
            Step::SetData {
                path: "/p".into(),
                data: "x".into(),
                version: None,
            },
            Step::SetData {
                path: "/p".into(),
                data: "y".into(),
                version: Some(1),
            },
        ];
        let tried = t.trial(&steps, 4, None);
        assert_eq!(tried.map(|r| r.len()), Ok(steps.len()));
        assert_eq!(t.nodes, before);
        let mut failing = steps.to_vec();
        failing.push(Step::Check {
            path: "/p".into(),
            version: 9,
        });
        assert_eq!(
            t.apply(&failing, 4, None, &mut ch),
            Err((6, ZkError::BadVersion))
        );
        assert_eq!(t.nodes, before);
    }

    #[test]
    fn closing_a_session_deletes_its_ephemeral_znodes() {
        let mut t = Tree::default();
        let mut ch = Vec::new();
        let s = Owner::Session(9);
        t.apply(
            &[create("/l", Mode::EphemeralSequential)],
            1,
            Some(s),
            &mut ch,
        )
        .unwrap();
        ch.clear();
        t.close_session(s, 2, &mut ch);
        assert!(t.get("/l0000000000").is_none());
        assert_eq!(t.get("/").unwrap().pzxid, 2);
        assert_eq!(ch[0].kind, WatchKind::NodeDeleted);
    }
}
