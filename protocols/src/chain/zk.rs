//! The ZooKeeper backend's plumbing: a ZooKeeper server of the chain's world (this crate's ZAB
//! server, unchanged, run with a context of its own like the Raft manager's replica) and a
//! ZooKeeper session held inside a chain node or a chain client (this crate's ZooKeeper client
//! library, unchanged, likewise nested).
//!
//! What the session's client says back (a call's result, a watch that fired, the session's
//! expiry) is handed to its holder as [`ZkEvent`]s instead of the run's history: the history
//! holds the chain's own key-value operations only.

use super::disk::ChainDurable;
use super::manager::{ChainTimerOf, ZabDurable};
use super::server::ChainServer;
use super::ChainMsg;
use crate::zab::{ZabClient, ZabClientTimer, ZabConfig, ZabServer};
use splitbrain_api::{ClientProcess, Ctx, Effect, NodeId, Notice, Op, Process, Ret};

/// The chain's znodes: the parent, the members' ephemeral znodes and the layout.
pub const CHAIN_PATH: &str = "/chain";
pub const MEMBERS_PATH: &str = "/chain/members";
pub const CONFIG_PATH: &str = "/chain/config";

/// The member znode of chain node `node`.
pub fn member_path(node: NodeId) -> String {
    format!("{MEMBERS_PATH}/{node}")
}

/// One ZooKeeper server of the chain's world.
pub struct ZkReplica {
    pub(super) id: NodeId,
    pub(super) zab: ZabServer,
}

impl ZkReplica {
    pub fn new(id: NodeId, servers: &[NodeId]) -> ZkReplica {
        let cfg = ZabConfig::new(crate::zab::ZabBug::None, crate::zab::ReadMode::Broadcast);
        ZkReplica {
            id,
            zab: ZabServer::new(id, servers.to_vec(), cfg),
        }
    }

    /// Runs `f` on the ZAB server with a context of its own and carries its effects over.
    fn with_zab(
        &mut self,
        ctx: &mut Ctx<ChainServer>,
        f: impl FnOnce(&mut ZabServer, &mut Ctx<ZabServer>),
    ) {
        let mut effects: Vec<Effect<ZabServer>> = Vec::new();
        {
            let (id, now) = (ctx.id(), ctx.now());
            f(
                &mut self.zab,
                &mut Ctx::new(id, now, ctx.rng(), &mut effects),
            );
        }
        for effect in effects {
            match effect {
                Effect::Send { to, msg } => ctx.send(to, ChainMsg::Zab(msg)),
                Effect::SetTimer { timer, after } => ctx.set_timer(ChainTimerOf::Zab(timer), after),
                Effect::CancelTimer { timer } => ctx.cancel_timer(ChainTimerOf::Zab(timer)),
                Effect::Persist { durable } => ctx.persist(ChainDurable::Zk(durable)),
                Effect::Barrier => ctx.barrier(),
                Effect::Mark { name } => ctx.mark(name),
                Effect::Applied { index, digest } => ctx.applied(index, digest),
                Effect::Write { .. }
                | Effect::Complete { .. }
                | Effect::Fail
                | Effect::GiveUp
                | Effect::Notify { .. } => {
                    panic!("{}: a ZooKeeper server's effect out of place", self.id)
                }
            }
        }
    }

    pub fn on_start(&mut self, ctx: &mut Ctx<ChainServer>, durable: Option<&ZabDurable>) {
        self.with_zab(ctx, |z, c| z.on_start(c, durable));
    }

    pub fn on_message(&mut self, ctx: &mut Ctx<ChainServer>, from: NodeId, msg: ChainMsg) {
        if let ChainMsg::Zab(m) = msg {
            self.with_zab(ctx, |z, c| z.on_message(c, from, m));
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx<ChainServer>, timer: ChainTimerOf) {
        match timer {
            ChainTimerOf::Zab(t) => self.with_zab(ctx, |z, c| z.on_timer(c, t)),
            other => panic!("{}: a ZooKeeper server got timer {other:?}", self.id),
        }
    }
}

/// What a session's client said back to its holder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZkEvent {
    /// The call returned (a ZooKeeper error is a return too).
    Done(Ret),
    /// The call did not take effect, or the client stopped waiting (it may have): either way
    /// the holder tries again from what it reads.
    Lost,
    /// A watch on `path` fired.
    Watch(String),
    /// The session expired: its ephemeral znodes and watches are gone; a new one opens.
    Expired,
    /// The client's incarnation, to keep on disk (session ids of a restarted holder stay new).
    Incarnation(u64),
}

/// A ZooKeeper session inside a chain process: one call at a time.
pub struct ZkSession {
    client: ZabClient,
    in_flight: bool,
}

impl ZkSession {
    /// `numbered` names the session's client (its session ids derive from it); `servers` are
    /// the ZooKeeper servers.
    pub fn new(numbered: NodeId, servers: Vec<NodeId>) -> ZkSession {
        ZkSession {
            client: ZabClient::new(numbered, servers),
            in_flight: false,
        }
    }

    pub fn busy(&self) -> bool {
        self.in_flight
    }

    /// The session id held or being opened (0: none).
    pub fn id(&self) -> u64 {
        self.client.session()
    }

    /// Runs `f` on the client with a context of its own: messages and timers carried over
    /// (wrapped), everything it says back returned.
    fn step<O: Process<Msg = ChainMsg>>(
        &mut self,
        ctx: &mut Ctx<O>,
        timer: impl Fn(ZabClientTimer) -> O::Timer,
        f: impl FnOnce(&mut ZabClient, &mut Ctx<ZabClient>),
    ) -> Vec<ZkEvent> {
        let mut effects: Vec<Effect<ZabClient>> = Vec::new();
        {
            let (id, now) = (ctx.id(), ctx.now());
            f(
                &mut self.client,
                &mut Ctx::new(id, now, ctx.rng(), &mut effects),
            );
        }
        let mut events = Vec::new();
        for effect in effects {
            let event = match effect {
                Effect::Send { to, msg } => {
                    ctx.send(to, ChainMsg::Zab(msg));
                    continue;
                }
                Effect::SetTimer { timer: t, after } => {
                    ctx.set_timer(timer(t), after);
                    continue;
                }
                Effect::CancelTimer { timer: t } => {
                    ctx.cancel_timer(timer(t));
                    continue;
                }
                Effect::Mark { name } => {
                    ctx.mark(name);
                    continue;
                }
                Effect::Barrier => {
                    ctx.barrier();
                    continue;
                }
                Effect::Persist { durable } => ZkEvent::Incarnation(durable),
                Effect::Complete { ret } => ZkEvent::Done(ret),
                Effect::Fail | Effect::GiveUp => ZkEvent::Lost,
                Effect::Notify { notice } => match notice {
                    Notice::Watch { path, .. } => ZkEvent::Watch(path),
                    Notice::Expired { .. } => ZkEvent::Expired,
                    Notice::Connected { .. } => continue,
                },
                Effect::Write { .. } | Effect::Applied { .. } => {
                    panic!("a ZooKeeper client's effect out of place")
                }
            };
            events.push(event);
        }
        if events
            .iter()
            .any(|e| matches!(e, ZkEvent::Done(_) | ZkEvent::Lost))
        {
            self.in_flight = false;
        }
        events
    }

    pub fn start<O: Process<Msg = ChainMsg>>(
        &mut self,
        ctx: &mut Ctx<O>,
        timer: impl Fn(ZabClientTimer) -> O::Timer,
        incarnation: Option<u64>,
    ) -> Vec<ZkEvent> {
        self.in_flight = false;
        self.step(ctx, timer, |z, c| z.on_start(c, incarnation.as_ref()))
    }

    /// Makes a call (the session must not be busy).
    pub fn call<O: Process<Msg = ChainMsg>>(
        &mut self,
        ctx: &mut Ctx<O>,
        timer: impl Fn(ZabClientTimer) -> O::Timer,
        op: Op,
    ) -> Vec<ZkEvent> {
        assert!(!self.in_flight, "one ZooKeeper call at a time");
        self.in_flight = true;
        self.step(ctx, timer, |z, c| z.on_invoke(c, op))
    }

    pub fn on_message<O: Process<Msg = ChainMsg>>(
        &mut self,
        ctx: &mut Ctx<O>,
        timer: impl Fn(ZabClientTimer) -> O::Timer,
        from: NodeId,
        msg: crate::zab::ZabMsg,
    ) -> Vec<ZkEvent> {
        self.step(ctx, timer, |z, c| z.on_message(c, from, msg))
    }

    pub fn on_timer<O: Process<Msg = ChainMsg>>(
        &mut self,
        ctx: &mut Ctx<O>,
        timer: impl Fn(ZabClientTimer) -> O::Timer,
        t: ZabClientTimer,
    ) -> Vec<ZkEvent> {
        self.step(ctx, timer, |z, c| z.on_timer(c, t))
    }
}
