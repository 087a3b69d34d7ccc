//! The client library of the replicated services (Raft thesis §6.2-6.3), generic over a
//! protocol's wire messages ([`KvWire`]): remembers the leader, follows redirect hints,
//! retries with the same request id (the replicated session table makes that exactly-once),
//! backs off while no leader is known, and gives up after a bound, leaving the operation
//! indeterminate. It only ever returns a result a server reported after applying (or, for a
//! confirmed read, after confirming); a redirect proves nothing happened there, a timeout
//! proves nothing at all. It remembers the highest zxid a reply carried and sends it with
//! every request, so a ZooKeeper server behind what the client has seen refuses it and the
//! client moves on without going back in time.

use splitbrain_api::{ClientProcess, Ctx, Dur, Message, NodeId, NodeView, Op, Process, Role, Time};
use std::marker::PhantomData;

/// How a protocol's messages carry client requests and replies.
pub trait KvWire: Message + 'static {
    /// The request `seq` of this client, asking for `op`.
    fn request(seq: u64, op: Op) -> Self;
    /// The same, from a client that has seen replies reflecting state up to zxid `seen`
    /// (ZooKeeper: a server behind it must not answer). Services without zxids ignore it.
    fn request_seen(seq: u64, op: Op, seen: u64) -> Self {
        let _ = seen;
        Self::request(seq, op)
    }
    /// What a server's message means to the client, if it is a reply at all.
    fn reply(self) -> Option<WireReply>;
}

/// A server's answer to request `seq`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WireReply {
    /// The operation took effect (or was read) with this result.
    Done { seq: u64, ret: splitbrain_api::Ret },
    /// Not served here; nothing happened. `hint`: the leader the server knows of.
    Redirect { seq: u64, hint: Option<NodeId> },
}

/// Without any answer for this long, try the next server (same request id).
const RETRY_AFTER: Dur = Dur::ms(100);
/// The operation becomes indeterminate after this long.
const GIVE_UP_AFTER: Dur = Dur::ms(1_000);
/// Backoff while nobody knows the leader: doubles from the first to the last value.
const BACKOFF_MIN_US: u64 = 10_000;
const BACKOFF_MAX_US: u64 = 80_000;
/// Redirects followed at once per attempt before backing off (breaks hint ping-pong).
const MAX_QUICK_REDIRECTS: u32 = 3;

/// One engine timer serves both deadlines of the current attempt: it is armed for the
/// earliest and re-armed lazily, so a fast operation costs no timer event at all.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ClientTimer {
    Wake,
}

struct Attempt {
    seq: u64,
    op: Op,
    target: usize,
    redirects: u32,
    backoff_us: u64,
    /// The pending retry is a backoff (resend to `target`), not a timeout.
    backing_off: bool,
    retry_at: Time,
    give_up_at: Time,
}

/// A key-value client speaking the wire messages `M`.
pub struct KvClient<M> {
    id: NodeId,
    servers: Vec<NodeId>,
    leader: Option<usize>,
    seq: u64,
    current: Option<Attempt>,
    /// The highest zxid any reply carried (`Ret::zxid`), sent with every request.
    seen: u64,
    /// When the engine timer fires, if armed.
    wake_at: Option<Time>,
    wire: PhantomData<fn() -> M>,
}

impl<M: KvWire> KvClient<M> {
    pub fn new(id: NodeId, servers: Vec<NodeId>) -> KvClient<M> {
        KvClient {
            id,
            servers,
            leader: None,
            seq: 0,
            current: None,
            seen: 0,
            wake_at: None,
            wire: PhantomData,
        }
    }

    /// Makes sure the timer fires no later than `at`.
    fn wake_by(&mut self, ctx: &mut Ctx<Self>, at: Time) {
        if self.wake_at.is_some_and(|w| w <= at) {
            return;
        }
        self.wake_at = Some(at);
        ctx.set_timer(ClientTimer::Wake, at.saturating_sub(ctx.now()));
    }

    fn retry_in(&mut self, ctx: &mut Ctx<Self>, after: Dur) {
        let at = ctx.now() + after;
        if let Some(a) = self.current.as_mut() {
            a.retry_at = at;
        }
        self.wake_by(ctx, at);
    }

    fn send(&self, ctx: &mut Ctx<Self>) {
        if let Some(a) = &self.current {
            let msg = M::request_seen(a.seq, a.op.clone(), self.seen);
            ctx.send(self.servers[a.target], msg);
        }
    }

    fn finish(&mut self) {
        self.current = None;
    }

    fn on_not_leader(&mut self, ctx: &mut Ctx<Self>, from: NodeId, hint: Option<NodeId>) {
        let n = self.servers.len();
        let Some(a) = self.current.as_mut() else {
            return;
        };
        match hint {
            Some(h) if h != from && a.redirects < MAX_QUICK_REDIRECTS => {
                a.redirects += 1;
                a.target = h.index();
                a.backing_off = false;
                self.leader = Some(h.index());
                self.send(ctx);
                self.retry_in(ctx, RETRY_AFTER);
            }
            _ => {
                a.target = hint.map_or((from.index() + 1) % n, |h| h.index());
                a.backing_off = true;
                let wait = a.backoff_us;
                a.backoff_us = (a.backoff_us * 2).min(BACKOFF_MAX_US);
                self.leader = None;
                self.retry_in(ctx, Dur::us(wait));
            }
        }
    }
}

impl<M: KvWire> Process for KvClient<M> {
    type Msg = M;
    type Timer = ClientTimer;
    /// The incarnation: request ids are `incarnation << 32 | n`, so a restarted client's ids
    /// stay above everything its session table entry has seen.
    type Durable = u64;

    fn on_start(&mut self, ctx: &mut Ctx<Self>, durable: Option<&u64>) {
        let incarnation = durable.map_or(0, |i| i + 1);
        self.seq = incarnation << 32;
        ctx.persist(incarnation);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: M) {
        let Some(seq_now) = self.current.as_ref().map(|a| a.seq) else {
            return;
        };
        match msg.reply() {
            Some(WireReply::Done { seq, ret }) if seq == seq_now => {
                self.leader = Some(from.index());
                self.seen = self.seen.max(ret.zxid().unwrap_or(0));
                self.finish();
                ctx.complete(ret);
            }
            Some(WireReply::Redirect { seq, hint }) if seq == seq_now => {
                self.on_not_leader(ctx, from, hint);
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, _timer: ClientTimer) {
        self.wake_at = None;
        // Within a millisecond counts as due: a drifting clock may wake us a hair early.
        let now = ctx.now() + Dur::ms(1);
        let n = self.servers.len();
        let Some(a) = self.current.as_mut() else {
            return;
        };
        if now >= a.give_up_at {
            self.finish();
            ctx.give_up();
            return;
        }
        if now >= a.retry_at {
            if !a.backing_off {
                // No answer at all: maybe lost, maybe slow; same id at the next server.
                a.target = (a.target + 1) % n;
                self.leader = None;
            }
            a.backing_off = false;
            self.send(ctx);
            self.retry_in(ctx, RETRY_AFTER);
        }
        let next = self.current.as_ref().map(|a| a.retry_at.min(a.give_up_at));
        if let Some(at) = next {
            self.wake_by(ctx, at);
        }
    }

    fn invariants(&self) {
        if let Some(a) = &self.current {
            assert!(a.seq == self.seq, "{}: attempt is not the latest", self.id);
        }
    }

    fn view(&self) -> NodeView {
        NodeView {
            role: Role::Member,
            ..NodeView::default()
        }
    }

    /// The operation in flight and the server it is sent to, and the leader it believes in.
    fn describe(&self) -> Vec<(&'static str, String)> {
        let pending = self.current.as_ref().map_or("none".to_string(), |a| {
            format!("{} to {}", a.op.label(), self.servers[a.target])
        });
        let leader = self
            .leader
            .map_or("unknown".to_string(), |i| self.servers[i].to_string());
        vec![("pending", pending), ("believed leader", leader)]
    }
}

impl<M: KvWire> ClientProcess for KvClient<M> {
    fn on_invoke(&mut self, ctx: &mut Ctx<Self>, op: Op) {
        self.seq += 1;
        let target = self.leader.unwrap_or(self.id.index() % self.servers.len());
        let now = ctx.now();
        self.current = Some(Attempt {
            seq: self.seq,
            op,
            target,
            redirects: 0,
            backoff_us: BACKOFF_MIN_US,
            backing_off: false,
            retry_at: now + RETRY_AFTER,
            give_up_at: now + GIVE_UP_AFTER,
        });
        self.send(ctx);
        self.wake_by(ctx, now + RETRY_AFTER);
    }
}
