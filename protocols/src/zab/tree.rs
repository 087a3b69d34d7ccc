//! The ZooKeeper data tree that ZAB replicates: znodes with data, stat and children; `create`
//! (persistent, ephemeral, sequential, ephemeral-sequential), `delete(version)`,
//! `set-data(version)` and all-or-nothing `multi` as transactions applied in zxid order; the
//! reads `exists`, `get-data` and `get-children` against the tree as it stands; errors as
//! ZooKeeper names them. A sequential znode is numbered with its parent's cversion (`%010d`),
//! as ZooKeeper does. Every applied transaction reports the watch events it triggers.

use super::adopt::{Key, Sharing};
use super::paths::PathMap;
use splitbrain_api::zk::{CreateMode, MultiOp, MultiResult, Stat, WatchKind, ZkError};
use splitbrain_api::{NodeId, Op, Ret, Text};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// One znode. Paths and znodes are shared (`Rc`) between a server's tree and the snapshots
/// it takes every few transactions, so a snapshot copies the map's structure, not every
/// znode, and a znode is copied when first changed after a snapshot. The children are a
/// sorted vector: copying one after a snapshot is one allocation, and a sequential child (the
/// common create) goes at its end.
#[derive(Debug, PartialEq, Eq)]
struct Znode {
    /// A `Text`: the data a workload writes is short, so a create, a set-data and a copy
    /// after a snapshot allocate nothing for it.
    data: Text,
    stat: Stat,
    children: Vec<Child>,
}

/// A child of a znode: its full path, the very `Rc` the path map keys it by (a create then
/// allocates one path, not a path and a name), and where its name starts in it. It reads
/// (`Deref`, `Debug`) as its name.
#[derive(Clone, PartialEq, Eq)]
struct Child {
    path: Rc<str>,
    name_at: usize,
}

impl Child {
    fn new(path: &Rc<str>) -> Child {
        let name_at = path.len() - name_of(path).len();
        Child {
            path: path.clone(),
            name_at,
        }
    }
}

impl std::ops::Deref for Child {
    type Target = str;

    fn deref(&self) -> &str {
        &self.path[self.name_at..]
    }
}

impl std::fmt::Debug for Child {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

/// Room for this many more children in a copy: a znode is copied (after a snapshot) to be
/// changed, often by a create under it, which then needs no reallocation. A leaf (most
/// copies: a set-data) is copied without room, which would cost an allocation.
const CHILD_ROOM: usize = 4;

impl Clone for Znode {
    fn clone(&self) -> Znode {
        let children = if self.children.is_empty() {
            Vec::new()
        } else {
            let mut children = Vec::with_capacity(self.children.len() + CHILD_ROOM);
            children.extend(self.children.iter().cloned());
            children
        };
        Znode {
            data: self.data.clone(),
            stat: self.stat.clone(),
            children,
        }
    }
}

impl Znode {
    /// Adds the child at `path`, which is not a child yet, in name order.
    fn add_child(&mut self, path: &Rc<str>) {
        let child = Child::new(path);
        let name = &*child;
        let at = match self.children.last() {
            Some(last) if **last < *name => self.children.len(),
            _ => self.children.partition_point(|c| **c < *name),
        };
        self.children.insert(at, child);
    }

    fn remove_child(&mut self, name: &str) {
        if let Ok(at) = self.children.binary_search_by(|c| (**c).cmp(name)) {
            self.children.remove(at);
        }
    }
}

/// The tree and the session table that makes a retried request take effect once (client ->
/// last request id and its result). The content transactions change is shared (`Rc`) with
/// the snapshots and with the servers that applied the same transactions to the same content
/// ([`super::adopt`]): the first change made to it while shared copies it (a pointer per
/// shard of the path map), then copies the shards and znodes it changes.
#[derive(Clone)]
pub struct DataTree {
    pub(super) content: Rc<Content>,
    sessions: Remembered,
}

/// What transactions change: the znodes, the open and closed sessions and the deletions.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Content {
    nodes: PathMap<Rc<Znode>>,
    /// Sessions open and close rarely, so a copy of the content copies a pointer, and the
    /// first change after it copies the table.
    table: Rc<SessionTable>,
    /// Each path's last deletion: the deleted znode's czxid and the deletion's zxid (a watch
    /// on a deleted znode fires with it; one waiting for a creation that came and went, with
    /// the creation). Behind a pointer, as the table: few transactions delete.
    deleted: Rc<PathMap<Deletion>>,
}

impl Content {
    fn empty() -> Content {
        let root = Znode {
            data: Text::new(),
            stat: new_stat(0, None),
            children: Vec::new(),
        };
        let mut nodes = PathMap::default();
        nodes.insert(Rc::from("/"), Rc::new(root));
        Content {
            nodes,
            table: Rc::default(),
            deleted: Rc::default(),
        }
    }

    /// Whether this content is `other` or equal to it, part by part (a part either shares
    /// is not looked into). `false` may be a difference of layout alone ([`PathMap::same_as`]).
    pub(super) fn same_as(self: &Rc<Content>, other: &Rc<Content>) -> bool {
        Rc::ptr_eq(self, other)
            || (self.nodes.same_as(&other.nodes)
                && self.table == other.table
                && (Rc::ptr_eq(&self.deleted, &other.deleted)
                    || self.deleted.same_as(&other.deleted)))
    }
}

thread_local! {
    /// The empty tree's content, one per thread (an `Rc` stays on its thread): servers that
    /// start empty start from the very same content, so they can share the applies of the
    /// transactions they all deliver ([`super::adopt`]).
    static EMPTY: Rc<Content> = Rc::new(Content::empty());
}

/// As the tree's fields read (the content's parts, then the session table of results).
impl std::fmt::Debug for DataTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataTree")
            .field("nodes", &self.content.nodes)
            .field("sessions", &self.sessions)
            .field("table", &self.content.table)
            .field("deleted", &self.content.deleted)
            .finish()
    }
}

impl PartialEq for DataTree {
    fn eq(&self, other: &DataTree) -> bool {
        self.sessions == other.sessions && self.content == other.content
    }
}

impl Eq for DataTree {}

/// Open ZooKeeper sessions and their clients; each client's current session (0: its last
/// one closed and no new one is open); sessions closed for good.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct SessionTable {
    live: BTreeMap<u64, NodeId>,
    session_of: BTreeMap<NodeId, u64>,
    closed: BTreeSet<u64>,
}

/// A path's last deletion: the deleted znode's czxid and the deletion's zxid.
type Deletion = (u64, u64);

/// The session table: each client's last request id and its result, sorted by client. A
/// vector searched from the front, the result replaced in place: a run has a handful of
/// clients, and every server records a result for every transaction it applies. A result is
/// one `Rc` shared by the servers that adopted it ([`super::adopt`]): recording it is a
/// count, not a copy of the result (and the one it replaces is a count down, not a drop).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Remembered(Vec<(NodeId, u64, Rc<Ret>)>);

impl Remembered {
    fn get(&self, client: NodeId) -> Option<(u64, &Rc<Ret>)> {
        let (_, seq, ret) = self.0.iter().find(|e| e.0 == client)?;
        Some((*seq, ret))
    }

    /// Where `client`'s entry is (`Ok`), or where it would go (`Err`). Inlined, as
    /// `DataTree::record`, its caller, is: the one search of a delivery.
    #[inline(always)]
    fn find(&self, client: NodeId) -> Result<usize, usize> {
        match self.0.iter().position(|e| e.0 >= client) {
            Some(i) if self.0[i].0 == client => Ok(i),
            Some(i) => Err(i),
            None => Err(self.0.len()),
        }
    }

    /// Records `client`'s request `seq` and its result at `at`, where [`Remembered::find`]
    /// found its entry or its place (the table unchanged since).
    #[inline(always)]
    fn set_at(&mut self, at: Result<usize, usize>, client: NodeId, seq: u64, ret: Rc<Ret>) {
        match at {
            Ok(i) => {
                let e = &mut self.0[i];
                e.1 = seq;
                e.2 = ret;
            }
            Err(i) => self.0.insert(i, (client, seq, ret)),
        }
    }
}

/// The entries a failed `multi` puts back: znodes (`None`: there was none) and deletion
/// records as they were before its steps, in the order recorded.
#[derive(Default)]
struct Undo {
    nodes: Vec<(Rc<str>, Option<Rc<Znode>>)>,
    deleted: Vec<(Rc<str>, Option<Deletion>)>,
}

/// What the tree knows of a session.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SessionState {
    Unknown,
    Live,
    Closed,
}

impl Default for DataTree {
    fn default() -> DataTree {
        DataTree {
            content: EMPTY.with(Rc::clone),
            sessions: Remembered::default(),
        }
    }
}

/// A change a transaction made, as the watches that fire on it see it.
pub type WatchEvent = (String, WatchKind);

/// The changes a transaction makes, as watches see them: collected only if `wanted` (a
/// server where no watch is set has no use for them, and each costs a string).
#[derive(Debug, Default)]
pub struct Events {
    wanted: bool,
    list: Vec<WatchEvent>,
}

impl Events {
    /// Events to collect (`wanted`) or to pass over.
    pub fn new(wanted: bool) -> Events {
        Events {
            wanted,
            list: Vec::new(),
        }
    }

    pub fn list(&self) -> &[WatchEvent] {
        &self.list
    }

    pub(super) fn wanted(&self) -> bool {
        self.wanted
    }

    /// Adds copies of `events` (a remembered change's, [`super::adopt`]).
    pub(super) fn extend_from(&mut self, events: &[WatchEvent]) {
        self.list.extend_from_slice(events);
    }

    pub(super) fn into_list(self) -> Vec<WatchEvent> {
        self.list
    }

    fn push(&mut self, path: &str, kind: WatchKind) {
        if self.wanted {
            self.list.push((path.to_string(), kind));
        }
    }

    /// An empty list collecting as this one does (a `multi`'s staged events).
    fn staging(&self) -> Events {
        Events::new(self.wanted)
    }

    fn append(&mut self, staged: &mut Events) {
        self.list.append(&mut staged.list);
    }
}

fn new_stat(z: u64, owner: Option<u64>) -> Stat {
    Stat {
        czxid: z,
        mzxid: z,
        pzxid: z,
        version: 0,
        cversion: 0,
        ephemeral_owner: owner,
    }
}

/// The parent of `path` (`/a/b` -> `/a`, `/a` -> `/`); `None` for the root or a bad path.
pub fn parent_of(path: &str) -> Option<&str> {
    if !path.starts_with('/') || path == "/" || path.ends_with('/') {
        return None;
    }
    // A byte loop from the end: paths are short, and `rfind` goes through `memrchr`.
    let cut = path
        .bytes()
        .rposition(|b| b == b'/')
        .expect("starts with /");
    Some(if cut == 0 { "/" } else { &path[..cut] })
}

/// `path` followed by `n` as ten digits, ZooKeeper's sequential suffix (`%010d`). Built on
/// the stack when it fits in a `Text` inline (no allocation for the usual short names).
fn sequential_name(path: &str, n: u32) -> Text {
    let len = path.len() + 10;
    if len > Text::INLINE {
        let mut s = String::with_capacity(len);
        s.push_str(path);
        s.push_str(std::str::from_utf8(&decimal_digits(n)).expect("ASCII digits"));
        return Text::from(s);
    }
    let mut buf = [0u8; Text::INLINE];
    buf[..path.len()].copy_from_slice(path.as_bytes());
    buf[path.len()..len].copy_from_slice(&decimal_digits(n));
    Text::from(std::str::from_utf8(&buf[..len]).expect("a path and ASCII digits"))
}

/// `n` as ten decimal digits with leading zeros, written from the last (division by the
/// constant 10 is a multiply), not a division by a power of ten per place.
fn decimal_digits(n: u32) -> [u8; 10] {
    let mut digits = [b'0'; 10];
    let mut rest = n;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    digits
}

/// The last segment of `path` (`/a/b` -> `b`), found by a byte loop from the end as in
/// `parent_of` (not `rfind`, which goes through `memrchr`).
fn name_of(path: &str) -> &str {
    let from = path.bytes().rposition(|b| b == b'/').map_or(0, |i| i + 1);
    &path[from..]
}

fn version_ok(stat: &Stat, version: Option<u32>) -> bool {
    version.is_none_or(|v| v == stat.version)
}

impl DataTree {
    /// The remembered result of `client`'s request `seq`, if it was its latest.
    pub fn session(&self, client: NodeId) -> Option<(u64, &Ret)> {
        let (seq, ret) = self.sessions.get(client)?;
        Some((seq, ret))
    }

    pub fn session_state(&self, session: u64) -> SessionState {
        if self.content.table.live.contains_key(&session) {
            SessionState::Live
        } else if self.content.table.closed.contains(&session) {
            SessionState::Closed
        } else {
            SessionState::Unknown
        }
    }

    /// The stat of the znode at `path`, if there is one.
    pub fn stat(&self, path: &str) -> Option<&Stat> {
        self.content.nodes.get(path).map(|n| &n.stat)
    }

    /// The zxid of the last deletion of `path` (0: never deleted).
    pub fn deleted_at(&self, path: &str) -> u64 {
        self.content.deleted.get(path).map_or(0, |d| d.1)
    }

    /// The czxid of the last znode deleted at `path` (0: never deleted).
    pub fn deleted_created_at(&self, path: &str) -> u64 {
        self.content.deleted.get(path).map_or(0, |d| d.0)
    }

    /// Every open session with its client.
    pub fn live_sessions(&self) -> impl Iterator<Item = (u64, NodeId)> + '_ {
        self.content.table.live.iter().map(|(&s, &c)| (s, c))
    }

    /// The open session of `client`, if it has one.
    pub fn client_session(&self, client: NodeId) -> Option<u64> {
        self.content
            .table
            .session_of
            .get(&client)
            .copied()
            .filter(|&s| s != 0)
    }

    /// Applies a session transaction at `z`: an open of a session never seen makes it the
    /// client's; a close deletes the session's ephemeral znodes, and the session stays closed.
    pub fn apply_session(
        &mut self,
        client: NodeId,
        session: u64,
        open: bool,
        z: u64,
        events: &mut Events,
        sharing: Option<Sharing<'_>>,
    ) {
        // The change reads nothing but the content, the command and `z`.
        let key = Key { before: 0, zxid: z };
        self.change_once(sharing, key, events, |tree, events| {
            tree.change_session(client, session, open, z, events);
            None
        });
    }

    fn change_session(
        &mut self,
        client: NodeId,
        session: u64,
        open: bool,
        z: u64,
        events: &mut Events,
    ) {
        if open {
            if self.session_state(session) == SessionState::Unknown {
                let table = Rc::make_mut(&mut self.content_mut().table);
                table.live.insert(session, client);
                table.session_of.insert(client, session);
            }
            return;
        }
        if !self.content.table.live.contains_key(&session) {
            return;
        }
        let table = Rc::make_mut(&mut self.content_mut().table);
        table.live.remove(&session);
        table.closed.insert(session);
        if table.session_of.get(&client) == Some(&session) {
            table.session_of.insert(client, 0);
        }
        let gone = self
            .content
            .nodes
            .paths_where(|n| n.stat.ephemeral_owner == Some(session));
        for path in gone {
            self.delete(&path, None, z, events)
                .expect("an ephemeral znode has no children");
        }
    }

    /// Answers a read (`exists`, `get-data`, `get-children`) from the tree as it stands after
    /// transaction `zxid`.
    pub fn read(&self, op: &Op, zxid: u64) -> Ret {
        let err = |error| Ret::Error {
            error,
            zxid,
            step: None,
        };
        match op {
            Op::Exists { path, .. } => Ret::Stat {
                stat: self.content.nodes.get(path).map(|n| n.stat.clone()),
                zxid,
            },
            Op::GetData { path, .. } => match self.content.nodes.get(path) {
                Some(n) => Ret::Data {
                    data: Text::from(n.data.as_str()),
                    stat: n.stat.clone(),
                    zxid,
                },
                None => err(ZkError::NoNode),
            },
            Op::GetChildren { path, .. } => match self.content.nodes.get(path) {
                Some(n) => Ret::Children {
                    children: n.children.iter().map(|c| Text::from(&**c)).collect(),
                    stat: n.stat.clone(),
                    zxid,
                },
                None => err(ZkError::NoNode),
            },
            other => panic!("{} is not a read of the data tree", other.label()),
        }
    }

    /// Applies client `client`'s request `seq` as transaction `z` on the tree as it stands
    /// after `before`, once: a retry returns the remembered result, an older request nothing.
    /// The client's id owns the ephemeral znodes it creates.
    pub fn apply(
        &mut self,
        client: NodeId,
        seq: u64,
        op: &Op,
        before: u64,
        z: u64,
        events: &mut Events,
    ) -> crate::kv::Applied {
        use crate::kv::Applied;
        let retry = self.session(client).is_some_and(|(last, _)| last == seq);
        if !self.record(client, seq, op, before, z, events, None) {
            return Applied::Stale;
        }
        let ret = self.result_of(client);
        if retry {
            Applied::Duplicate(ret)
        } else {
            Applied::Fresh(ret)
        }
    }

    /// [`DataTree::apply`] without handing the result back (every server applies every
    /// transaction, and only the one the client waits on answers): `true` if the session
    /// table now holds the result of `seq` ([`DataTree::result_of`]), applied now or before;
    /// `false` for an older request, or a client whose session closed. Inlined into its
    /// callers (delivery): as a call of its own, its frame costs tens of instructions per
    /// transaction applied. `sharing`: the command's memo, for a server of an ensemble
    /// ([`super::adopt`]).
    // The request's fields, where it applies and the memo: a struct would only be unpacked.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn record(
        &mut self,
        client: NodeId,
        seq: u64,
        op: &Op,
        before: u64,
        z: u64,
        events: &mut Events,
        sharing: Option<Sharing<'_>>,
    ) -> bool {
        // The client's entry is looked for once: the change below touches the content
        // only, so the entry (or its place) is still where it was found when recorded.
        let at = self.sessions.find(client);
        if let Ok(i) = at {
            let last = self.sessions.0[i].1;
            if seq <= last {
                return seq == last;
            }
        }
        // The change reads the content (the owner of the client's ephemerals is in its
        // session table, so a server adopting the change needs no look-up of its own), the
        // command, `before` and `z`. A sync's result is shared as well.
        let key = Key { before, zxid: z };
        let ret = self.change_once(sharing, key, events, |tree, events| {
            let owner = tree.owner_of(client)?;
            Some(Rc::new(tree.execute(op, owner, before, z, events)))
        });
        match ret {
            Some(ret) => {
                self.sessions.set_at(at, client, seq, ret);
                true
            }
            None => false,
        }
    }

    /// The owner of the ephemeral znodes `client` creates: its open session, or its id for
    /// a client without sessions (unit tests); `None` for a client whose session closed,
    /// which can change nothing until it opens a new one.
    fn owner_of(&self, client: NodeId) -> Option<u64> {
        match self.content.table.session_of.get(&client) {
            None => Some(u64::from(client.raw())),
            Some(0) => None,
            Some(&s) => Some(s),
        }
    }

    /// The result of `client`'s latest request in the session table.
    pub fn result_of(&self, client: NodeId) -> Ret {
        Ret::clone(&self.shared_result_of(client))
    }

    /// The same, shared with the table: a reply carries it without a copy.
    pub fn shared_result_of(&self, client: NodeId) -> Rc<Ret> {
        let (_, ret) = self.sessions.get(client).expect("recorded");
        Rc::clone(ret)
    }

    // Inlined, as `DataTree::record`, its one caller, is (a frame of its own costs more
    // than its work on most transactions).
    #[inline(always)]
    fn execute(&mut self, op: &Op, session: u64, before: u64, z: u64, events: &mut Events) -> Ret {
        let fail = |error| Ret::Error {
            error,
            zxid: before,
            step: None,
        };
        match op {
            Op::Sync { .. } => Ret::Synced { zxid: z },
            Op::Create { path, data, mode } => {
                match self.create(path, data, *mode, session, z, events) {
                    Ok(path) => Ret::Created { path, zxid: z },
                    Err(e) => fail(e),
                }
            }
            Op::Delete { path, version } => match self.delete(path, *version, z, events) {
                Ok(()) => Ret::Deleted { zxid: z },
                Err(e) => fail(e),
            },
            Op::SetData {
                path,
                data,
                version,
            } => match self.set_data(path, data, *version, z, events) {
                Ok(stat) => Ret::Stat {
                    stat: Some(stat),
                    zxid: z,
                },
                Err(e) => fail(e),
            },
            Op::Multi { ops } => self.multi(ops, session, z, before, events),
            other => panic!("{} is not a transaction of the data tree", other.label()),
        }
    }

    /// All or nothing: the steps are applied to the tree one after another, each seeing the
    /// ones before it; the first that fails puts back every znode and deletion record the
    /// earlier steps changed (an undo log of the few entries touched, not a copy of the tree).
    fn multi(
        &mut self,
        ops: &[MultiOp],
        session: u64,
        z: u64,
        before: u64,
        events: &mut Events,
    ) -> Ret {
        let mut undo = Undo::default();
        let mut staged = events.staging();
        let mut results = Vec::new();
        for (i, step) in ops.iter().enumerate() {
            match self.multi_step(step, session, z, &mut undo, &mut staged) {
                Ok(r) => results.push(r),
                Err(error) => {
                    self.undo(undo);
                    return Ret::Error {
                        error,
                        zxid: before,
                        step: Some(i as u32),
                    };
                }
            }
        }
        events.append(&mut staged);
        Ret::Multi { results, zxid: z }
    }

    /// One step of a `multi`, remembering in `undo` what it is about to change.
    fn multi_step(
        &mut self,
        step: &MultiOp,
        session: u64,
        z: u64,
        undo: &mut Undo,
        staged: &mut Events,
    ) -> Result<MultiResult, ZkError> {
        match step {
            MultiOp::Create { path, data, mode } => {
                self.remember(undo, path, false);
                let made = self.create(path, data, *mode, session, z, staged)?;
                // A sequential create's znode did not exist before (NodeExists otherwise).
                undo.nodes.push((Rc::from(made.as_str()), None));
                Ok(MultiResult::Created {
                    path: made.to_string(),
                })
            }
            MultiOp::Delete { path, version } => {
                self.remember(undo, path, true);
                self.delete(path, *version, z, staged)
                    .map(|()| MultiResult::Deleted)
            }
            MultiOp::SetData {
                path,
                data,
                version,
            } => {
                self.remember(undo, path, false);
                self.set_data(path, data, *version, z, staged)
                    .map(|stat| MultiResult::Stat { stat })
            }
            MultiOp::Check { path, version } => match self.content.nodes.get(path) {
                None => Err(ZkError::NoNode),
                Some(n) if n.stat.version != *version => Err(ZkError::BadVersion),
                Some(_) => Ok(MultiResult::Checked),
            },
        }
    }

    /// Records in `undo` the znodes at `path` and at its parent as they are now, and (for a
    /// delete) the path's deletion record.
    fn remember(&self, undo: &mut Undo, path: &str, deleting: bool) {
        for p in std::iter::once(path).chain(parent_of(path)) {
            undo.nodes
                .push((Rc::from(p), self.content.nodes.get(p).cloned()));
        }
        if deleting {
            let was = self.content.deleted.get(path).copied();
            undo.deleted.push((Rc::from(path), was));
        }
    }

    /// Puts back what a failed `multi`'s earlier steps changed, latest first.
    fn undo(&mut self, undo: Undo) {
        for (path, was) in undo.nodes.into_iter().rev() {
            match was {
                Some(node) => drop(self.content_mut().nodes.insert(path, node)),
                None => drop(self.content_mut().nodes.remove(&path)),
            }
        }
        for (path, was) in undo.deleted.into_iter().rev() {
            let deleted = Rc::make_mut(&mut self.content_mut().deleted);
            match was {
                Some(d) => drop(deleted.insert(path, d)),
                None => drop(deleted.remove(&path)),
            }
        }
    }

    fn create(
        &mut self,
        path: &str,
        data: &str,
        mode: CreateMode,
        session: u64,
        z: u64,
        events: &mut Events,
    ) -> Result<Text, ZkError> {
        let parent_path = parent_of(path).ok_or(ZkError::NoNode)?;
        // Most creates of a busy tree fail here, so this is looked at before the parent: a
        // znode that exists has a parent, and not an ephemeral one, so the error is the same.
        if !mode.is_sequential() && self.content.nodes.contains(path) {
            return Err(ZkError::NodeExists);
        }
        let parent = self.content.nodes.get(parent_path).ok_or(ZkError::NoNode)?;
        if parent.stat.ephemeral_owner.is_some() {
            return Err(ZkError::NoChildrenForEphemerals);
        }
        let made = if mode.is_sequential() {
            let name = sequential_name(path, parent.stat.cversion);
            if self.content.nodes.contains(&name) {
                return Err(ZkError::NodeExists);
            }
            name
        } else {
            Text::from(path)
        };
        let key: Rc<str> = Rc::from(made.as_str());
        let parent = self.znode_mut(parent_path).expect("checked above");
        parent.add_child(&key);
        parent.stat.cversion += 1;
        parent.stat.pzxid = z;
        let owner = mode.is_ephemeral().then_some(session);
        let node = Znode {
            data: Text::from(data),
            stat: new_stat(z, owner),
            children: Vec::new(),
        };
        self.content_mut().nodes.insert(key, Rc::new(node));
        events.push(&made, WatchKind::NodeCreated);
        events.push(parent_path, WatchKind::NodeChildrenChanged);
        Ok(made)
    }

    fn delete(
        &mut self,
        path: &str,
        version: Option<u32>,
        z: u64,
        events: &mut Events,
    ) -> Result<(), ZkError> {
        let parent_path = parent_of(path).ok_or(ZkError::NoNode)?;
        let node = self.content.nodes.get(path).ok_or(ZkError::NoNode)?;
        if !version_ok(&node.stat, version) {
            return Err(ZkError::BadVersion);
        }
        if !node.children.is_empty() {
            return Err(ZkError::NotEmpty);
        }
        let czxid = node.stat.czxid;
        let content = self.content_mut();
        let (key, _) = content.nodes.remove(path).expect("found above");
        Rc::make_mut(&mut content.deleted).insert(key, (czxid, z));
        let parent = self
            .znode_mut(parent_path)
            .expect("a znode's parent exists");
        parent.remove_child(name_of(path));
        parent.stat.cversion += 1;
        parent.stat.pzxid = z;
        events.push(path, WatchKind::NodeDeleted);
        events.push(parent_path, WatchKind::NodeChildrenChanged);
        Ok(())
    }

    fn set_data(
        &mut self,
        path: &str,
        data: &str,
        version: Option<u32>,
        z: u64,
        events: &mut Events,
    ) -> Result<Stat, ZkError> {
        let node = self.content.nodes.get(path).ok_or(ZkError::NoNode)?;
        if !version_ok(&node.stat, version) {
            return Err(ZkError::BadVersion);
        }
        let node = self.znode_mut(path).expect("checked above");
        node.data = Text::from(data);
        node.stat.version += 1;
        node.stat.mzxid = z;
        events.push(path, WatchKind::NodeDataChanged);
        Ok(node.stat.clone())
    }

    /// The znode at `path` to change, copied first if a snapshot (or a `multi`'s undo log)
    /// still holds it.
    fn znode_mut(&mut self, path: &str) -> Option<&mut Znode> {
        self.content_mut().nodes.get_mut(path).map(Rc::make_mut)
    }

    /// The content to change, copied first if a snapshot or another server shares it.
    fn content_mut(&mut self) -> &mut Content {
        Rc::make_mut(&mut self.content)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::Applied;

    fn c(i: usize) -> NodeId {
        NodeId::client(i)
    }

    /// Applies `op` for client C1 as a fresh request at zxid `z`; returns its result.
    fn tx(t: &mut DataTree, seq: u64, op: Op, z: u64) -> Ret {
        match t.apply(c(0), seq, &op, z - 1, z, &mut Events::new(true)) {
            Applied::Fresh(r) => r,
            other => panic!("{other:?}"),
        }
    }

    fn create(path: &str, mode: CreateMode) -> Op {
        Op::Create {
            path: path.into(),
            data: "d".into(),
            mode,
        }
    }

    fn error_of(r: &Ret) -> Option<ZkError> {
        match r {
            Ret::Error { error, .. } => Some(*error),
            _ => None,
        }
    }

    #[test]
    fn create_needs_a_parent_refuses_duplicates_and_ephemeral_parents() {
        let mut t = DataTree::default();
        let r = tx(&mut t, 1, create("/a/b", CreateMode::Persistent), 1);
        assert_eq!(error_of(&r), Some(ZkError::NoNode));
        assert_eq!(
            tx(&mut t, 2, create("/a", CreateMode::Persistent), 2),
            Ret::Created {
                path: "/a".into(),
                zxid: 2
            }
        );
        let r = tx(&mut t, 3, create("/a", CreateMode::Persistent), 3);
        assert_eq!(error_of(&r), Some(ZkError::NodeExists));
        tx(&mut t, 4, create("/e", CreateMode::Ephemeral), 4);
        let r = tx(&mut t, 5, create("/e/x", CreateMode::Persistent), 5);
        assert_eq!(error_of(&r), Some(ZkError::NoChildrenForEphemerals));
    }

    #[test]
    fn sequential_names_come_from_the_parent_cversion() {
        let mut t = DataTree::default();
        tx(&mut t, 1, create("/q", CreateMode::Persistent), 1);
        tx(&mut t, 2, create("/q/x", CreateMode::Persistent), 2);
        let r = tx(
            &mut t,
            3,
            create("/q/n-", CreateMode::EphemeralSequential),
            3,
        );
        assert_eq!(
            r,
            Ret::Created {
                path: "/q/n-0000000001".into(),
                zxid: 3
            }
        );
        let Ret::Data { stat, .. } = t.read(
            &Op::GetData {
                path: "/q/n-0000000001".into(),
                watch: false,
            },
            3,
        ) else {
            panic!("exists")
        };
        assert_eq!(stat.ephemeral_owner, Some(u64::from(c(0).raw())));
        let Ret::Children { children, stat, .. } = t.read(
            &Op::GetChildren {
                path: "/q".into(),
                watch: false,
            },
            3,
        ) else {
            panic!("exists")
        };
        assert_eq!(children, vec!["n-0000000001".to_string(), "x".to_string()]);
        assert_eq!((stat.cversion, stat.pzxid), (2, 3));
    }

    #[test]
    fn versions_guard_set_data_and_delete_and_children_guard_delete() {
        let mut t = DataTree::default();
        tx(&mut t, 1, create("/a", CreateMode::Persistent), 1);
        let set = |v| Op::SetData {
            path: "/a".into(),
            data: "x".into(),
            version: v,
        };
        let r = tx(&mut t, 2, set(Some(3)), 2);
        assert_eq!(error_of(&r), Some(ZkError::BadVersion));
        let Ret::Stat {
            stat: Some(s),
            zxid,
        } = tx(&mut t, 3, set(Some(0)), 3)
        else {
            panic!("set")
        };
        assert_eq!((s.version, s.mzxid, s.czxid, zxid), (1, 3, 1, 3));
        tx(&mut t, 4, create("/a/b", CreateMode::Persistent), 4);
        let del = |v| Op::Delete {
            path: "/a".into(),
            version: v,
        };
        assert_eq!(
            error_of(&tx(&mut t, 5, del(None), 5)),
            Some(ZkError::NotEmpty)
        );
        let del_b = Op::Delete {
            path: "/a/b".into(),
            version: None,
        };
        assert_eq!(tx(&mut t, 6, del_b, 6), Ret::Deleted { zxid: 6 });
        assert_eq!(
            error_of(&tx(&mut t, 7, del(Some(0)), 7)),
            Some(ZkError::BadVersion)
        );
        assert_eq!(tx(&mut t, 8, del(Some(1)), 8), Ret::Deleted { zxid: 8 });
    }

    #[test]
    fn multi_is_all_or_nothing_and_names_the_failing_step() {
        let mut t = DataTree::default();
        let ops = vec![
            MultiOp::Create {
                path: "/m".into(),
                data: "1".into(),
                mode: CreateMode::Persistent,
            },
            MultiOp::Check {
                path: "/m".into(),
                version: 5,
            },
        ];
        let r = tx(&mut t, 1, Op::Multi { ops: ops.clone() }, 1);
        assert_eq!(
            r,
            Ret::Error {
                error: ZkError::BadVersion,
                zxid: 0,
                step: Some(1)
            }
        );
        let gone = t.read(
            &Op::Exists {
                path: "/m".into(),
                watch: false,
            },
            1,
        );
        assert_eq!(
            gone,
            Ret::Stat {
                stat: None,
                zxid: 1
            }
        );
        let mut ok = ops;
        ok[1] = MultiOp::Check {
            path: "/m".into(),
            version: 0,
        };
        let Ret::Multi { results, zxid } = tx(&mut t, 2, Op::Multi { ops: ok }, 2) else {
            panic!("multi")
        };
        assert_eq!(zxid, 2);
        assert_eq!(results[1], MultiResult::Checked);
    }

    #[test]
    fn sequential_names_are_ten_digits_as_zookeeper_writes_them() {
        let long = "/a-path-too-long-to-be-inline/n-";
        for n in [0, 7, 42, 1_000_000, u32::MAX] {
            assert_eq!(sequential_name("/q/n-", n), format!("/q/n-{n:010}"));
            assert_eq!(sequential_name(long, n), format!("{long}{n:010}"));
        }
    }

    #[test]
    fn a_failed_multi_leaves_the_tree_exactly_as_it_was() {
        let mut t = DataTree::default();
        tx(&mut t, 1, create("/p", CreateMode::Persistent), 1);
        tx(&mut t, 2, create("/p/q", CreateMode::Persistent), 2);
        tx(&mut t, 3, create("/d", CreateMode::Persistent), 3);
        let before = t.clone();
        let ops = vec![
            MultiOp::Create {
                path: "/p/s-".into(),
                data: "s".into(),
                mode: CreateMode::Sequential,
            },
            MultiOp::Delete {
                path: "/p/q".into(),
                version: None,
            },
            MultiOp::Delete {
                path: "/d".into(),
                version: Some(0),
            },
            MultiOp::Create {
                path: "/d".into(),
                data: "again".into(),
                mode: CreateMode::Persistent,
            },
            MultiOp::SetData {
                path: "/p".into(),
                data: "x".into(),
                version: None,
            },
            MultiOp::Check {
                path: "/p".into(),
                version: 9,
            },
        ];
        let mut events = Events::new(true);
        let r = t.multi(&ops, 7, 4, 3, &mut events);
        assert_eq!(
            r,
            Ret::Error {
                error: ZkError::BadVersion,
                zxid: 3,
                step: Some(5)
            }
        );
        assert!(events.list().is_empty(), "a failed multi fires no watch");
        assert_eq!(t, before);
    }

    #[test]
    fn each_client_keeps_its_own_entry_in_the_session_table() {
        let mut t = DataTree::default();
        let make =
            |client: usize, seq: u64| create(&format!("/c{client}-{seq}"), CreateMode::Persistent);
        let mut z = 0;
        // Clients arrive out of order (each new one goes in its place), then each sends a
        // second request, which replaces its own entry only.
        for seq in 1..=2 {
            for client in [3, 0, 2, 1] {
                z += 1;
                let applied = t.apply(
                    c(client),
                    seq,
                    &make(client, seq),
                    z - 1,
                    z,
                    &mut Events::new(false),
                );
                assert!(matches!(applied, Applied::Fresh(Ret::Created { .. })));
            }
        }
        let created = |client: usize| Ret::Created {
            path: format!("/c{client}-2").into(),
            zxid: 5 + [3, 0, 2, 1].iter().position(|&x| x == client).unwrap() as u64,
        };
        for client in 0..4 {
            assert_eq!(t.session(c(client)), Some((2, &created(client))));
        }
        // An older request changes nothing; a retry of the latest gets its result back.
        let stale = t.apply(c(2), 1, &make(2, 3), z, z + 1, &mut Events::new(false));
        assert_eq!(stale, Applied::Stale);
        let again = t.apply(c(2), 2, &make(2, 2), z, z + 1, &mut Events::new(false));
        assert_eq!(again, Applied::Duplicate(created(2)));
        for client in 0..4 {
            assert_eq!(t.session(c(client)), Some((2, &created(client))));
        }
    }

    #[test]
    fn a_retried_request_is_applied_once() {
        let mut t = DataTree::default();
        let op = create("/s", CreateMode::Sequential);
        let first = t.apply(c(1), 7, &op, 0, 1, &mut Events::new(true));
        let again = t.apply(c(1), 7, &op, 1, 2, &mut Events::new(true));
        let Applied::Fresh(r) = first else { panic!() };
        assert_eq!(again, Applied::Duplicate(r));
        let Ret::Children { children, .. } = t.read(
            &Op::GetChildren {
                path: "/".into(),
                watch: false,
            },
            2,
        ) else {
            panic!()
        };
        assert_eq!(children.len(), 1);
    }

    #[test]
    fn a_closed_session_takes_its_ephemerals_and_its_client_can_change_nothing() {
        let mut t = DataTree::default();
        let mut ev = Events::new(true);
        t.apply_session(c(1), 7, true, 1, &mut ev, None);
        let op = Op::Create {
            path: "/e".into(),
            data: "x".into(),
            mode: CreateMode::Ephemeral,
        };
        let made = t.apply(c(1), 1, &op, 1, 2, &mut ev);
        assert!(matches!(made, Applied::Fresh(Ret::Created { .. })));
        assert_eq!(t.stat("/e").and_then(|s| s.ephemeral_owner), Some(7));
        let mut ev = Events::new(true);
        t.apply_session(c(1), 7, false, 3, &mut ev, None);
        assert!(t.stat("/e").is_none());
        assert!(ev
            .list()
            .contains(&("/e".to_string(), WatchKind::NodeDeleted)));
        assert_eq!(t.deleted_at("/e"), 3);
        assert_eq!(t.deleted_created_at("/e"), 2);
        assert_eq!(t.session_state(7), SessionState::Closed);
        assert!(matches!(
            t.apply(c(1), 2, &op, 3, 4, &mut ev),
            Applied::Stale
        ));
        t.apply_session(c(1), 7, true, 5, &mut ev, None);
        assert_eq!(t.session_state(7), SessionState::Closed, "never reopened");
    }
}
