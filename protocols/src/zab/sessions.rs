//! Sessions on the server side. A client connects with a session id; a session this server's
//! tree does not know is opened by a replicated transaction (the connected server forwards it
//! to the leader and answers once it has delivered it), a live one is answered at once, a
//! closed one is reported expired. A server refuses a client that has seen a later zxid than
//! it has delivered, so a client never goes back in time by moving. Pings and calls from a
//! client keep its session alive: followers pass the sessions they heard from to the leader
//! with their ping replies, and the leader expires a session it has not heard of for
//! `ZabConfig::session_timeout` by proposing its close, a transaction that deletes the
//! session's ephemeral znodes. A new leader gives every live session a fresh timeout. A
//! Connect is numbered by its client: a duplicate or an older one never replaces the watches
//! the connection registered since.

use super::server::ZabServer;
use super::tree::SessionState;
use super::watches::WatchOn;
use super::ZabMsg;
use crate::kv::Cmd;
use splitbrain_api::{Ctx, NodeId};

impl ZabServer {
    #[cold]
    #[inline(never)]
    pub(super) fn on_connect(
        &mut self,
        ctx: &mut Ctx<Self>,
        client: NodeId,
        session: u64,
        seen: u64,
        watches: Vec<(String, WatchOn, u64)>,
        conn: u64,
    ) {
        let Some(leader) = self.serving_leader() else {
            return ctx.send(client, ZabMsg::NotServing { seq: 0, hint: None });
        };
        if self.delivered < seen && self.cfg.bug != super::ZabBug::ReadBeforeOwnWrite {
            self.mark_once(ctx, "behind-client-refused");
            return ctx.send(client, ZabMsg::NotServing { seq: 0, hint: None });
        }
        // A duplicate of the Connect this connection began with, or one of an older
        // connection, carries an older list of watches: re-registering it would drop the
        // watches set since (zab-zk-watches seed 73).
        let known = self.conns.get(&client).copied();
        if known.is_some_and(|c| c > conn) {
            return self.mark_once(ctx, "stale-connect-ignored");
        }
        match self.tree.session_state(session) {
            SessionState::Live => {
                self.heard_from(ctx, session);
                self.clients.insert(client);
                if known != Some(conn) {
                    self.conns.insert(client, conn);
                    self.rewatch(client, watches);
                }
                let notes = self.notes_for(client);
                ctx.send(
                    client,
                    ZabMsg::Session {
                        session,
                        live: true,
                        notes,
                        conn,
                    },
                );
            }
            SessionState::Closed => ctx.send(client, closed(session, conn)),
            SessionState::Unknown => {
                self.drop_watches(client);
                self.conns.insert(client, conn);
                self.connecting.insert(session, client);
                if leader == self.id {
                    self.open_session(ctx, client, session);
                } else {
                    ctx.send(leader, ZabMsg::ForwardSession { client, session });
                }
            }
        }
    }

    /// Leader: proposes opening `session` once (until it is delivered or leadership ends).
    pub(super) fn open_session(&mut self, ctx: &mut Ctx<Self>, client: NodeId, session: u64) {
        if self.established_epoch().is_none()
            || self.tree.session_state(session) != SessionState::Unknown
            || !self.opening.insert(session)
        {
            return;
        }
        self.propose(ctx, Cmd::session(client, session, true));
    }

    #[inline(never)]
    pub(super) fn on_client_ping(
        &mut self,
        ctx: &mut Ctx<Self>,
        client: NodeId,
        session: u64,
        acked: u64,
        conn: u64,
    ) {
        if self.serving_leader().is_none() {
            return;
        }
        match self.tree.session_state(session) {
            SessionState::Live if !self.clients.contains(&client) => {
                // Connected elsewhere, or here before a restart or a new leader: reconnect.
                ctx.send(client, ZabMsg::NotServing { seq: 0, hint: None });
            }
            SessionState::Live => {
                self.heard_from(ctx, session);
                if self.conn_of(client) == conn {
                    self.ack_notes(client, acked);
                }
                let notes = self.notes_for(client);
                let conn = self.conn_of(client);
                ctx.send(
                    client,
                    ZabMsg::ClientPong {
                        session,
                        notes,
                        conn,
                    },
                );
            }
            SessionState::Closed => ctx.send(client, closed(session, conn)),
            SessionState::Unknown => {}
        }
    }

    /// A client of `session` was heard from here.
    pub(super) fn heard_from(&mut self, ctx: &mut Ctx<Self>, session: u64) {
        if self.serving_leader() == Some(self.id) {
            self.session_heard.insert(session, ctx.now());
        } else {
            self.touched.insert(session);
        }
    }

    /// Follower: the sessions heard from since the last ping reply go to the leader.
    pub(super) fn send_touches(&mut self, ctx: &mut Ctx<Self>, leader: NodeId, epoch: u64) {
        if !self.touched.is_empty() {
            let sessions = std::mem::take(&mut self.touched);
            ctx.send(leader, ZabMsg::Touch { epoch, sessions });
        }
    }

    /// Leader: a follower heard from these sessions.
    #[inline(never)]
    pub(super) fn on_touch(&mut self, ctx: &mut Ctx<Self>, epoch: u64, sessions: SessionIds) {
        if self.established_epoch() != Some(epoch) {
            return;
        }
        let now = ctx.now();
        for &s in sessions.iter() {
            self.session_heard.insert(s, now);
        }
    }

    /// Leader's tick: proposes closing every live session not heard of for the timeout.
    pub(super) fn expire_sessions(&mut self, ctx: &mut Ctx<Self>) {
        let now = ctx.now();
        let timeout = self.cfg.session_timeout;
        let live: Vec<(u64, NodeId)> = self.tree.live_sessions().collect();
        for (session, client) in live {
            let heard = *self.session_heard.get_or_insert(session, now);
            if now.saturating_sub(heard) > timeout && self.closing.insert(session) {
                self.mark_once(ctx, "session-expired");
                self.propose(ctx, Cmd::session(client, session, false));
            }
        }
    }

    /// A session transaction was delivered here: answer the client waiting to connect.
    pub(super) fn session_delivered(
        &mut self,
        ctx: &mut Ctx<Self>,
        client: NodeId,
        session: u64,
        open: bool,
    ) {
        if !open {
            self.session_heard.remove(&session);
            self.drop_watches(client);
            // Its connection here ends with it, as a ZooKeeper server closes an expired
            // session's socket: no call of it is answered any more (zab-recipe-ready seed 286
            // answered an exists after the close had dropped the watch it set), and the
            // client hears at once.
            let no_newer = self.tree.client_session(client).is_none();
            if no_newer && self.clients.remove(&client) {
                ctx.send(client, closed(session, self.conn_of(client)));
            }
            return;
        }
        if self.serving_leader() == Some(self.id) {
            self.session_heard.insert(session, ctx.now());
        }
        if let Some(client) = self.connecting.remove(&session) {
            let live = self.tree.session_state(session) == SessionState::Live;
            self.clients.insert(client);
            let notes = Vec::new();
            let conn = self.conn_of(client);
            ctx.send(
                client,
                ZabMsg::Session {
                    session,
                    live,
                    notes,
                    conn,
                },
            );
        }
    }
}

fn closed(session: u64, conn: u64) -> ZabMsg {
    ZabMsg::Session {
        session,
        live: false,
        notes: Vec::new(),
        conn,
    }
}

/// The sessions a TOUCH reports, sorted and without repeats: a follower's few clients, held
/// inline up to [`SessionIds::INLINE`] (a follower sends one with most ping replies, and a
/// `Vec` would allocate for each). Used, hashed (the same `write` calls as a `Vec<u64>`),
/// compared and printed as the slice of its ids.
#[derive(Clone)]
pub enum SessionIds {
    /// The first `len` ids.
    Inline(usize, [u64; SessionIds::INLINE]),
    Heap(Vec<u64>),
}

impl SessionIds {
    pub const INLINE: usize = 3;

    pub const fn new() -> SessionIds {
        SessionIds::Inline(0, [0; SessionIds::INLINE])
    }

    /// Adds `id` in order, unless it is there.
    pub fn insert(&mut self, id: u64) {
        let Err(at) = self.binary_search(&id) else {
            return;
        };
        match self {
            SessionIds::Inline(len, ids) if *len < SessionIds::INLINE => {
                ids.copy_within(at..*len, at + 1);
                ids[at] = id;
                *len += 1;
            }
            SessionIds::Inline(len, ids) => {
                let mut all = Vec::with_capacity(2 * SessionIds::INLINE);
                all.extend_from_slice(&ids[..*len]);
                all.insert(at, id);
                *self = SessionIds::Heap(all);
            }
            SessionIds::Heap(all) => all.insert(at, id),
        }
    }

    pub fn clear(&mut self) {
        *self = SessionIds::new();
    }
}

impl Default for SessionIds {
    fn default() -> SessionIds {
        SessionIds::new()
    }
}

impl std::ops::Deref for SessionIds {
    type Target = [u64];

    fn deref(&self) -> &[u64] {
        match self {
            SessionIds::Inline(len, ids) => &ids[..*len],
            SessionIds::Heap(all) => all,
        }
    }
}

impl std::hash::Hash for SessionIds {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}

impl PartialEq for SessionIds {
    fn eq(&self, other: &SessionIds) -> bool {
        **self == **other
    }
}

impl Eq for SessionIds {}

impl std::fmt::Debug for SessionIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::SessionIds;
    use std::hash::{DefaultHasher, Hash, Hasher};

    #[test]
    fn session_ids_keep_order_without_repeats_and_hash_as_a_vec() {
        let mut ids = SessionIds::new();
        let mut model: Vec<u64> = Vec::new();
        for id in [5, 2, 9, 2, 7, 1, 9, 3, 8] {
            ids.insert(id);
            if let Err(at) = model.binary_search(&id) {
                model.insert(at, id);
            }
            assert_eq!(*ids, *model);
            let (mut a, mut b) = (DefaultHasher::new(), DefaultHasher::new());
            ids.hash(&mut a);
            model.hash(&mut b);
            assert_eq!(a.finish(), b.finish());
            assert_eq!(format!("{ids:?}"), format!("{model:?}"));
        }
        ids.clear();
        assert!(ids.is_empty());
    }
}
