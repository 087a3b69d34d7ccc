//! One-shot watches on the server side. A read with `watch` leaves a watch at the connected
//! server: on the znode's creation (`exists` of a missing znode), on its data (`exists` of a
//! present one, `get-data`) or on its children (`get-children`). Delivering a transaction
//! fires the watches its changes trigger, once each, into the client's outbox, numbered per
//! client. Every message to the client (a reply, a pong, a connect answer) carries the
//! outbox, and the client acknowledges what it processed with its pings; so a notification
//! reaches the client before any reply that reflects the change it announces, whatever the
//! network does to single messages. A client that moves re-registers its watches, each with
//! the zxid it was set at: the new server fires at once those whose znode changed since.
//! Messages carry the client's connection number, so a late answer on an earlier connection
//! (numbered differently) is ignored.

use super::server::ZabServer;
use super::tree::WatchEvent;
use splitbrain_api::{NodeId, Op, Ret, WatchKind};

/// What a watch waits for.
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub enum WatchOn {
    /// The znode's creation (it was missing).
    Creation,
    /// A change of its data, or its deletion.
    Data,
    /// A change of its children, or its deletion.
    Children,
}

/// A notification to a client: its number at this server, and what happened.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct Note {
    pub n: u64,
    pub path: String,
    pub kind: WatchKind,
    pub zxid: u64,
}

/// The watch a successful read leaves, if it asked for one.
pub fn watch_left(op: &Op, ret: &Ret) -> Option<(String, WatchOn)> {
    match (op, ret) {
        (Op::Exists { path, watch: true }, Ret::Stat { stat: None, .. }) => {
            Some((path.to_string(), WatchOn::Creation))
        }
        (Op::Exists { path, watch: true }, Ret::Stat { stat: Some(_), .. })
        | (Op::GetData { path, watch: true }, Ret::Data { .. }) => {
            Some((path.to_string(), WatchOn::Data))
        }
        (Op::GetChildren { path, watch: true }, Ret::Children { .. }) => {
            Some((path.to_string(), WatchOn::Children))
        }
        _ => None,
    }
}

/// The watches a change fires.
fn fired_by(kind: WatchKind) -> &'static [WatchOn] {
    match kind {
        WatchKind::NodeCreated => &[WatchOn::Creation],
        WatchKind::NodeDataChanged => &[WatchOn::Data],
        WatchKind::NodeDeleted => &[WatchOn::Data, WatchOn::Children],
        WatchKind::NodeChildrenChanged => &[WatchOn::Children],
    }
}

/// The watches a notification of `kind` used up at the client.
pub fn used_by(kind: WatchKind) -> &'static [WatchOn] {
    fired_by(kind)
}

impl ZabServer {
    pub(super) fn add_watch(&mut self, client: NodeId, path: String, on: WatchOn) {
        self.watches.entry((path, on)).or_default().insert(client);
    }

    fn push_note(&mut self, client: NodeId, path: &str, kind: WatchKind, zxid: u64) {
        let (next, notes) = self.outbox.entry(client).or_default();
        if notes
            .iter()
            .any(|n| n.zxid == zxid && n.path == path && n.kind == kind)
        {
            return;
        }
        *next += 1;
        notes.push(Note {
            n: *next,
            path: path.to_string(),
            kind,
            zxid,
        });
    }

    /// Transaction `zxid` made `events`: the watches they trigger fire. Inlined: most
    /// transactions make no events (none are collected where no watch is set), and those
    /// cost no call.
    #[inline]
    pub(super) fn fire_watches(&mut self, events: &[WatchEvent], zxid: u64) {
        if !events.is_empty() {
            self.fire_watches_on(events, zxid);
        }
    }

    fn fire_watches_on(&mut self, events: &[WatchEvent], zxid: u64) {
        if self.watches.is_empty() {
            // Nothing to fire (and no key to build per event to find that out).
            return;
        }
        for (path, kind) in events {
            for &on in fired_by(*kind) {
                let Some(clients) = self.watches.remove(&(path.clone(), on)) else {
                    continue;
                };
                for client in clients {
                    self.push_note(client, path, *kind, zxid);
                }
            }
        }
    }

    /// The connection number of `client`'s connection here.
    pub(super) fn conn_of(&self, client: NodeId) -> u64 {
        self.conns.get(&client).copied().unwrap_or(0)
    }

    /// The notifications `client` has not acknowledged yet.
    pub(super) fn notes_for(&self, client: NodeId) -> Vec<Note> {
        self.outbox
            .get(&client)
            .map_or_else(Vec::new, |(_, notes)| notes.clone())
    }

    pub(super) fn ack_notes(&mut self, client: NodeId, upto: u64) {
        if let Some((_, notes)) = self.outbox.get_mut(&client) {
            notes.retain(|n| n.n > upto);
        }
    }

    /// A client (re)connects: its outbox and watches here start again, and each watch it
    /// holds (with the zxid it was set at) either fires at once, its znode having changed
    /// since, or is registered here.
    pub(super) fn rewatch(&mut self, client: NodeId, watches: Vec<(String, WatchOn, u64)>) {
        self.drop_watches(client);
        let mut missed = Vec::new();
        for (path, on, since) in watches {
            match self.changed_since(&path, on, since) {
                Some((kind, zxid)) => missed.push((zxid, path, kind)),
                None => self.add_watch(client, path, on),
            }
        }
        // Notifications go out in zxid order.
        missed.sort();
        for (zxid, path, kind) in missed {
            self.push_note(client, &path, kind, zxid);
        }
    }

    /// A snapshot replaced the tree, which reflected zxid `before`: the watches whose znode
    /// the snapshot shows changed since fire, in zxid order (no transaction of it will).
    pub(super) fn fire_for_snapshot(&mut self, before: u64) {
        let mut missed = Vec::new();
        let watched: Vec<(String, WatchOn)> = self.watches.keys().cloned().collect();
        for (path, on) in watched {
            if let Some((kind, zxid)) = self.changed_since(&path, on, before) {
                let clients = self.watches.remove(&(path.clone(), on)).unwrap_or_default();
                missed.extend(clients.into_iter().map(|c| (zxid, c, path.clone(), kind)));
            }
        }
        missed.sort();
        for (zxid, client, path, kind) in missed {
            self.push_note(client, &path, kind, zxid);
        }
    }

    /// The change a watch on `path` set at zxid `since` has missed here, if any. A creation
    /// that came and went is found too (ZooKeeper misses it: its documented exception).
    fn changed_since(&self, path: &str, on: WatchOn, since: u64) -> Option<(WatchKind, u64)> {
        let stat = self.tree.stat(path);
        let deleted = || (WatchKind::NodeDeleted, self.tree.deleted_at(path));
        match (on, stat) {
            (WatchOn::Creation, Some(s)) => {
                (s.czxid > since).then_some((WatchKind::NodeCreated, s.czxid))
            }
            (WatchOn::Creation, None) => {
                let created = self.tree.deleted_created_at(path);
                (created > since).then_some((WatchKind::NodeCreated, created))
            }
            (_, None) => Some(deleted()),
            (_, Some(s)) if s.czxid > since => Some(deleted()),
            (WatchOn::Data, Some(s)) => {
                (s.mzxid > since).then_some((WatchKind::NodeDataChanged, s.mzxid))
            }
            (WatchOn::Children, Some(s)) => {
                (s.pzxid > since).then_some((WatchKind::NodeChildrenChanged, s.pzxid))
            }
        }
    }

    /// A session closed: its client's watches and outbox here go with it.
    pub(super) fn drop_watches(&mut self, client: NodeId) {
        self.outbox.remove(&client);
        for clients in self.watches.values_mut() {
            clients.remove(&client);
        }
        self.watches.retain(|_, c| !c.is_empty());
    }
}
