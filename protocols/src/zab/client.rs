//! ZAB's client: ZooKeeper calls over a session, key-value operations through the shared
//! client library (`crate::kv::KvClient`, unchanged, run with a context of its own).
//!
//! A ZooKeeper call needs a session. The client connects to one server with a session id it
//! draws from its own id, incarnation and session count; a server that does not know the
//! session has the leader open it as a replicated transaction and answers once it has
//! delivered it. The client then sends its calls to that server only and pings it every
//! [`PING_EVERY`] while connected (the server passes the pings on to the leader, which expires
//! a session it has not heard of for `ZabConfig::session_timeout` with a replicated
//! transaction that deletes the session's ephemeral znodes). When the server goes silent for
//! [`MOVE_AFTER`], or refuses a call or a connection (it is not serving, or it has not
//! delivered the highest zxid the client has seen), the client moves to the next server with
//! the same session, never back in zxid. A server that knows the session is closed says so:
//! the client records `expired`, gives up the call in flight (it may or may not have taken
//! effect) and opens a new session. `connected` and `expired` notices go to the history.
//!
//! Watches: a read with `watch` that the server answered leaves a one-shot watch there and
//! here (with the zxid the read reflected). Notifications come numbered with every message
//! from the connected server and are recorded (`watch` notices) before the reply they came
//! with; pings acknowledge them. A notification that answers no watch held here (set before
//! its change) is dropped: its read was given up or retried, or it fired already. A client
//! that moves sends the watches it still holds with its connect, each with its zxid, and
//! numbers its connections: an answer on an earlier connection is ignored (its
//! notifications belong to a stream the client left).

use super::watches::{used_by, watch_left, Note, WatchOn};
use super::ZabMsg;
use crate::kv::{ClientTimer, KvClient};
use splitbrain_api::{
    ClientProcess, Ctx, Dur, Effect, NodeId, NodeView, Notice, Op, Process, Role, Time,
};
use std::collections::BTreeMap;
use std::rc::Rc;

/// The client's timers: the key-value library's own, and the session tick.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ZabClientTimer {
    Kv(ClientTimer),
    Tick,
}

/// Period of the session tick: pings, retries and connection attempts.
pub const PING_EVERY: Dur = Dur::ms(100);
/// Without a word from the connected server for this long, move to another.
pub const MOVE_AFTER: Dur = Dur::ms(300);
/// Without an answer for this long, a call becomes indeterminate.
pub const GIVE_UP_AFTER: Dur = Dur::ms(1_000);

/// The state of the connection.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Conn {
    /// No session wanted yet (no ZooKeeper call so far).
    Idle,
    /// Connect sent to `target` at `since`.
    Connecting { since: Time },
    /// Connected to `target`; `heard` is the last word from it.
    Connected { heard: Time },
}

/// A ZooKeeper call in flight.
struct Call {
    seq: u64,
    /// Shared with the requests that carry it (no copy per send).
    op: Rc<Op>,
    sent_at: Option<Time>,
    give_up_at: Time,
}

/// A ZAB client.
pub struct ZabClient {
    id: NodeId,
    servers: Vec<NodeId>,
    kv: KvClient<ZabMsg>,
    incarnation: u64,
    lives: u64,
    /// The current session id (0: none).
    session: u64,
    conn: Conn,
    target: usize,
    /// The server of the last connection (a move is a connection to another).
    last_server: Option<usize>,
    /// The highest zxid a reply carried.
    seen: u64,
    seq: u64,
    call: Option<Call>,
    ticking: bool,
    /// Watches left and not fired yet, with the zxid of the read that set each.
    watches: BTreeMap<(String, WatchOn), u64>,
    /// The last notification processed from the connected server, and those received after
    /// it but not processed yet (one whose watch may be set by the read in flight waits for
    /// its reply: the links reorder, so a notification can overtake the reply that set it).
    note_n: u64,
    held: Vec<Note>,
    /// The number of the latest connection attempt (answers on another are ignored).
    conn_n: u64,
}

impl ZabClient {
    pub fn new(id: NodeId, servers: Vec<NodeId>) -> ZabClient {
        let target = id.index() % servers.len();
        ZabClient {
            id,
            kv: KvClient::new(id, servers.clone()),
            servers,
            incarnation: 0,
            lives: 0,
            session: 0,
            conn: Conn::Idle,
            target,
            last_server: None,
            seen: 0,
            seq: 0,
            call: None,
            ticking: false,
            watches: BTreeMap::new(),
            note_n: 0,
            held: Vec::new(),
            conn_n: 0,
        }
    }

    /// The session id this client holds or is opening (0: none).
    pub fn session(&self) -> u64 {
        self.session
    }

    /// Key-value operations (none in a ZooKeeper run): out of line and cold, so that the
    /// library's handlers stay out of the ZooKeeper path's code.
    #[cold]
    #[inline(never)]
    fn kv_step(
        &mut self,
        ctx: &mut Ctx<Self>,
        f: impl FnOnce(&mut KvClient<ZabMsg>, &mut Ctx<KvClient<ZabMsg>>),
    ) {
        nested(ctx, &mut self.kv, ZabClientTimer::Kv, f);
    }

    fn tick_soon(&mut self, ctx: &mut Ctx<Self>) {
        if !self.ticking {
            self.ticking = true;
            ctx.set_timer(ZabClientTimer::Tick, PING_EVERY);
        }
    }

    #[cold]
    #[inline(never)]
    fn connect(&mut self, ctx: &mut Ctx<Self>) {
        if self.session == 0 {
            self.lives += 1;
            let client = self.id.index() as u64 + 1;
            self.session = client << 32 | (self.incarnation & 0xffff) << 16 | (self.lives & 0xffff);
        }
        self.conn = Conn::Connecting { since: ctx.now() };
        self.conn_n += 1;
        let msg = ZabMsg::Connect {
            session: self.session,
            seen: self.seen,
            watches: self
                .watches
                .iter()
                .map(|((path, on), &at)| (path.clone(), *on, at))
                .collect(),
            conn: self.conn_n,
        };
        ctx.send(self.servers[self.target], msg);
        self.tick_soon(ctx);
    }

    /// Leaves the current server: the next tick connects to the next one.
    fn move_on(&mut self) {
        self.target = (self.target + 1) % self.servers.len();
        self.conn = Conn::Connecting { since: Time::ZERO };
    }

    fn send_call(&mut self, ctx: &mut Ctx<Self>) {
        let Conn::Connected { .. } = self.conn else {
            return;
        };
        if let Some(c) = self.call.as_mut() {
            c.sent_at = Some(ctx.now());
            let msg = ZabMsg::ClientRequest {
                seq: c.seq,
                op: Rc::clone(&c.op),
                seen: self.seen,
            };
            ctx.send(self.servers[self.target], msg);
        }
    }

    fn heard(&mut self, ctx: &mut Ctx<Self>) {
        if let Conn::Connected { heard } = &mut self.conn {
            *heard = ctx.now();
        }
    }

    /// Takes the notifications not received yet and processes what it can, in order.
    /// `answer_at`: the message also answers the call in flight, at that zxid. Most messages
    /// bring none and find none held: that test is inlined, the work is not.
    #[inline]
    fn notes(&mut self, ctx: &mut Ctx<Self>, notes: Vec<Note>, answer_at: Option<u64>) {
        if !notes.is_empty() || !self.held.is_empty() {
            self.take_notes(ctx, notes, answer_at);
        }
    }

    #[inline(never)]
    fn take_notes(&mut self, ctx: &mut Ctx<Self>, notes: Vec<Note>, answer_at: Option<u64>) {
        for n in notes {
            let last = self.held.last().map_or(self.note_n, |h| h.n);
            if n.n > last {
                self.held.push(n);
            }
        }
        self.process_notes(ctx, answer_at);
    }

    /// Processes the held notifications, if any (most messages find none: tested inline).
    #[inline]
    fn process_notes(&mut self, ctx: &mut Ctx<Self>, answer_at: Option<u64>) {
        if !self.held.is_empty() {
            self.process_held(ctx, answer_at);
        }
    }

    /// Processes held notifications in order: each fires the watches it answers (set before
    /// its change); one that answers none (a watch the client never learned it had, its read
    /// given up or retried, or one already fired) is dropped. A notification on a path with a
    /// watch-read in flight whose answer may precede the change (its zxid, if known, is below
    /// the change's) waits, with those after it, for that answer: otherwise it could fire an
    /// older watch at once and the read's answer would register again the watch the server
    /// already used up (zab-zk-watches seed 438).
    #[inline(never)]
    fn process_held(&mut self, ctx: &mut Ctx<Self>, answer_at: Option<u64>) {
        while let Some(n) = self.held.first() {
            let may_be_set = answer_at.is_none_or(|z| z < n.zxid);
            if may_be_set && self.read_in_flight_watches(&n.path) {
                return;
            }
            let n = self.held.remove(0);
            self.note_n = n.n;
            let mut fired = false;
            for &on in used_by(n.kind) {
                let key = (n.path.clone(), on);
                if self.watches.get(&key).is_some_and(|&at| at < n.zxid) {
                    self.watches.remove(&key);
                    fired = true;
                }
            }
            if !fired {
                ctx.mark("stale-note-dropped");
                continue;
            }
            ctx.mark("watch-fired");
            ctx.notify(Notice::Watch {
                path: n.path,
                kind: n.kind,
                zxid: n.zxid,
            });
        }
    }

    /// True if the call in flight is a read that leaves a watch on `path`.
    fn read_in_flight_watches(&self, path: &str) -> bool {
        self.call.as_ref().is_some_and(|c| match &*c.op {
            Op::Exists { path: p, watch }
            | Op::GetData { path: p, watch }
            | Op::GetChildren { path: p, watch } => *watch && p == path,
            _ => false,
        })
    }

    #[cold]
    #[inline(never)]
    fn on_session(
        &mut self,
        ctx: &mut Ctx<Self>,
        from: NodeId,
        session: u64,
        live: bool,
        notes: Vec<Note>,
        conn: u64,
    ) {
        if session != self.session || self.servers[self.target] != from {
            return;
        }
        if live && conn != self.conn_n {
            return;
        }
        if !live {
            ctx.notify(Notice::Expired { session });
            ctx.mark("session-expired-seen");
            self.session = 0;
            self.watches.clear();
            self.held.clear();
            if self.call.take().is_some() {
                ctx.give_up();
            }
            return self.connect(ctx);
        }
        if let Conn::Connecting { .. } = self.conn {
            self.conn = Conn::Connected { heard: ctx.now() };
            self.note_n = 0;
            self.held.clear();
            ctx.notify(Notice::Connected { session });
            self.notes(ctx, notes, None);
            if self.last_server.is_some_and(|s| s != self.target) {
                ctx.mark("client-moved");
            }
            self.last_server = Some(self.target);
            self.send_call(ctx);
        }
    }

    #[inline(never)]
    fn on_tick(&mut self, ctx: &mut Ctx<Self>) {
        let now = ctx.now();
        if self.call.as_ref().is_some_and(|c| now >= c.give_up_at) {
            self.call = None;
            ctx.give_up();
            self.process_notes(ctx, None);
        }
        match self.conn {
            Conn::Idle => {}
            Conn::Connecting { since } => {
                if now.saturating_sub(since) >= PING_EVERY {
                    if since != Time::ZERO {
                        self.target = (self.target + 1) % self.servers.len();
                    }
                    self.connect(ctx);
                }
            }
            Conn::Connected { heard } => {
                if now.saturating_sub(heard) > MOVE_AFTER {
                    self.move_on();
                    self.connect(ctx);
                } else {
                    let (session, acked, conn) = (self.session, self.note_n, self.conn_n);
                    let ping = ZabMsg::ClientPing {
                        session,
                        acked,
                        conn,
                    };
                    ctx.send(self.servers[self.target], ping);
                    let stale = self.call.as_ref().is_some_and(|c| {
                        c.sent_at
                            .is_none_or(|t| now.saturating_sub(t) >= PING_EVERY)
                    });
                    if stale {
                        self.send_call(ctx);
                    }
                }
            }
        }
        ctx.set_timer(ZabClientTimer::Tick, PING_EVERY);
    }

    fn on_reply(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: ZabMsg) {
        let mine = self.call.as_ref().map(|c| c.seq);
        match msg {
            ZabMsg::ZkReply {
                seq,
                ret,
                notes,
                conn,
            } => {
                let current = self.servers[self.target] == from && conn == self.conn_n;
                if !current || !matches!(self.conn, Conn::Connected { .. }) {
                    return;
                }
                self.heard(ctx);
                let answer_at = (mine == Some(seq)).then(|| ret.zxid().unwrap_or(0));
                self.notes(ctx, notes, answer_at);
                if mine != Some(seq) {
                    return;
                }
                let call = self.call.take().expect("mine");
                // Shared with the server's session table: the history takes a copy.
                let ret = Rc::unwrap_or_clone(ret);
                if let Some(w) = watch_left(&call.op, &ret) {
                    self.watches.insert(w, ret.zxid().unwrap_or(0));
                }
                self.seen = self.seen.max(ret.zxid().unwrap_or(0));
                ctx.complete(ret);
                self.process_notes(ctx, None);
            }
            ZabMsg::NotServing { seq, .. } if seq == 0 || mine == Some(seq) => {
                if self.servers[self.target] == from && self.conn != Conn::Idle {
                    self.move_on();
                }
            }
            other => self.kv_step(ctx, |kv, c| kv.on_message(c, from, other)),
        }
    }
}

/// Runs a handler of `inner` (a process wrapped inside `O`) with a context of its own and
/// carries its effects over to `ctx`, its timers wrapped by `timer`. Recipe programs that
/// drive a [`ZabClient`] use it the same way.
pub fn nested<I: Process, O: Process<Msg = I::Msg, Durable = I::Durable>>(
    ctx: &mut Ctx<O>,
    inner: &mut I,
    timer: impl Fn(I::Timer) -> O::Timer,
    f: impl FnOnce(&mut I, &mut Ctx<I>),
) {
    let mut effects = Vec::new();
    let (id, now) = (ctx.id(), ctx.now());
    f(inner, &mut Ctx::new(id, now, ctx.rng(), &mut effects));
    for e in effects {
        match e {
            Effect::Send { to, msg } => ctx.send(to, msg),
            Effect::SetTimer { timer: t, after } => ctx.set_timer(timer(t), after),
            Effect::CancelTimer { timer: t } => ctx.cancel_timer(timer(t)),
            Effect::Persist { durable } => ctx.persist(durable),
            Effect::Write { change } => ctx.write_change(change),
            Effect::Barrier => ctx.barrier(),
            Effect::Complete { ret } => ctx.complete(ret),
            Effect::Fail => ctx.fail(),
            Effect::GiveUp => ctx.give_up(),
            Effect::Notify { notice } => ctx.notify(notice),
            Effect::Mark { name } => ctx.mark(name),
            Effect::Applied { index, digest } => ctx.applied(index, digest),
        }
    }
}

impl Process for ZabClient {
    type Msg = ZabMsg;
    type Timer = ZabClientTimer;
    /// The incarnation (the key-value library's): session ids and request ids of a restarted
    /// client stay above those of its earlier lives.
    type Durable = u64;

    fn on_start(&mut self, ctx: &mut Ctx<Self>, durable: Option<&u64>) {
        self.incarnation = durable.map_or(0, |i| i + 1);
        self.seq = self.incarnation << 32;
        self.kv_step(ctx, |kv, c| kv.on_start(c, durable));
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: ZabMsg) {
        match msg {
            ZabMsg::Session {
                session,
                live,
                notes,
                conn,
            } => self.on_session(ctx, from, session, live, notes, conn),
            ZabMsg::ClientPong {
                session,
                notes,
                conn,
            } => {
                let connected = matches!(self.conn, Conn::Connected { .. });
                let current = self.servers[self.target] == from && conn == self.conn_n;
                if connected && session == self.session && current {
                    self.heard(ctx);
                    self.notes(ctx, notes, None);
                }
            }
            other => self.on_reply(ctx, from, other),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: ZabClientTimer) {
        match timer {
            ZabClientTimer::Kv(t) => self.kv_step(ctx, |kv, c| kv.on_timer(c, t)),
            ZabClientTimer::Tick => self.on_tick(ctx),
        }
    }

    fn invariants(&self) {
        self.kv.invariants();
    }

    fn view(&self) -> NodeView {
        NodeView {
            role: Role::Member,
            ..NodeView::default()
        }
    }

    fn describe(&self) -> Vec<(&'static str, String)> {
        if self.conn == Conn::Idle {
            return self.kv.describe();
        }
        let conn = match self.conn {
            Conn::Idle => "idle".to_string(),
            Conn::Connecting { .. } => format!("connecting to {}", self.servers[self.target]),
            Conn::Connected { .. } => format!("connected to {}", self.servers[self.target]),
        };
        let call = self
            .call
            .as_ref()
            .map_or("none".to_string(), |c| c.op.label());
        vec![
            ("session", format!("{:#x} {conn}", self.session)),
            ("pending", call),
        ]
    }
}

impl ClientProcess for ZabClient {
    fn on_invoke(&mut self, ctx: &mut Ctx<Self>, op: Op) {
        if !op.is_zookeeper() {
            return self.kv_step(ctx, |kv, c| kv.on_invoke(c, op));
        }
        self.seq += 1;
        self.call = Some(Call {
            seq: self.seq,
            op: Rc::new(op),
            sent_at: None,
            give_up_at: ctx.now() + GIVE_UP_AFTER,
        });
        match self.conn {
            Conn::Idle => self.connect(ctx),
            Conn::Connecting { .. } => {}
            Conn::Connected { .. } => self.send_call(ctx),
        }
    }
}
