//! One-shot watches on the server side. A read with `watch` leaves a watch at the connected
//! server: on the znode's creation (`exists` of a missing znode), on its data (`exists` of a
//! present one, `get-data`) or on its children (`get-children`). Delivering a transaction
//! fires the watches its changes trigger, once each, into the client's outbox, numbered per
//! client. Every message to the client (a reply, a pong, a connect answer) carries the
//! outbox, and the client acknowledges what it processed with its pings; so a notification
//! reaches the client before any reply that reflects the change it announces, whatever the
//! network does to single messages. A client that moves re-registers its watches with the
//! zxid it has seen: the new server fires at once those whose znode changed since.

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
            Some((path.clone(), WatchOn::Creation))
        }
        (Op::Exists { path, watch: true }, Ret::Stat { stat: Some(_), .. })
        | (Op::GetData { path, watch: true }, Ret::Data { .. }) => {
            Some((path.clone(), WatchOn::Data))
        }
        (Op::GetChildren { path, watch: true }, Ret::Children { .. }) => {
            Some((path.clone(), WatchOn::Children))
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

    /// Transaction `zxid` made `events`: the watches they trigger fire.
    pub(super) fn fire_watches(&mut self, events: &[WatchEvent], zxid: u64) {
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

    /// A client (re)connects: its outbox here starts again, and each watch it holds either
    /// fires at once (its znode changed after zxid `seen`) or is registered here.
    pub(super) fn rewatch(&mut self, client: NodeId, watches: Vec<(String, WatchOn)>, seen: u64) {
        self.outbox.remove(&client);
        for (path, on) in watches {
            match self.changed_since(&path, on, seen) {
                Some((kind, zxid)) => self.push_note(client, &path, kind, zxid),
                None => self.add_watch(client, path, on),
            }
        }
    }

    fn changed_since(&self, path: &str, on: WatchOn, seen: u64) -> Option<(WatchKind, u64)> {
        let stat = self.tree.stat(path);
        let deleted = || (WatchKind::NodeDeleted, self.tree.deleted_at(path));
        match (on, stat) {
            (WatchOn::Creation, Some(s)) => {
                (s.czxid > seen).then_some((WatchKind::NodeCreated, s.czxid))
            }
            (WatchOn::Creation, None) => None,
            (_, None) => Some(deleted()),
            (_, Some(s)) if s.czxid > seen => Some(deleted()),
            (WatchOn::Data, Some(s)) => {
                (s.mzxid > seen).then_some((WatchKind::NodeDataChanged, s.mzxid))
            }
            (WatchOn::Children, Some(s)) => {
                (s.pzxid > seen).then_some((WatchKind::NodeChildrenChanged, s.pzxid))
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
