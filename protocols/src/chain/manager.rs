//! A replica of the Raft-backed configuration manager: an unchanged Raft server (its key-value
//! service holds the layout, every shard's configuration, under `CONFIG_KEY`) and a driver.
//! Only the driver of the Raft leader acts: it reads the layout through its own Raft server,
//! asks the shared decisions (`driver::Driver`) what should follow, given the reports of the
//! chain nodes, and installs the next layout by compare-and-set.
//!
//! The Raft server runs inside this process with its own `Ctx`; its effects are carried over
//! (timers and messages wrapped), and its replies addressed to this very node go to the driver.

use super::config::{Layout, CONFIG_KEY};
use super::disk::ChainDurable;
use super::driver::{Driver, Heard};
use super::server::ChainServer;
use super::{ChainConfig, ChainMsg, FAIL_AFTER, TICK};
use crate::raft::{RaftMsg, RaftServer};
use crate::zab::{ZabClientTimer, ZabServer};
use splitbrain_api::{Ctx, Effect, NodeId, Op, Process, Ret, Time};

pub type RaftTimer = <RaftServer as Process>::Timer;
pub type RaftDurable = <RaftServer as Process>::Durable;
pub type ZabTimer = <ZabServer as Process>::Timer;
pub type ZabDurable = <ZabServer as Process>::Durable;

/// The driver's request in flight through the local Raft server.
#[derive(Clone, Debug)]
enum Pending {
    Read,
    /// The next layout; whether it bypasses a node cut off from its predecessor.
    Install(Layout, bool),
}

/// The shared decisions, run on the Raft leader's replica: it reads the layout and installs
/// the next one through the local Raft server, one request at a time.
#[derive(Debug)]
struct RaftDriver {
    core: Driver,
    counter: u64,
    pending: Option<(u64, Pending, Time)>,
}

impl RaftDriver {
    /// A request id above every earlier one of this replica: leading again needs a new term.
    fn next_seq(&mut self, term: u64) -> u64 {
        self.counter += 1;
        term << 32 | (self.counter & 0xffff_ffff)
    }

    /// Periodic: what to ask the local Raft server, if anything.
    fn tick(&mut self, now: Time, leader: bool, term: u64) -> Option<(u64, Op)> {
        if !leader {
            self.core.leader_since = None;
            self.pending = None;
            return None;
        }
        self.core.leader_since.get_or_insert(now);
        if let Some((_, _, at)) = &self.pending {
            if now.saturating_sub(*at) < FAIL_AFTER {
                return None;
            }
        }
        let seq = self.next_seq(term);
        self.pending = Some((seq, Pending::Read, now));
        let key = CONFIG_KEY.to_string();
        Some((seq, Op::Get { key: key.into() }))
    }

    /// The local Raft server answered request `seq`; maybe the next request.
    fn on_reply(&mut self, now: Time, term: u64, seq: u64, ret: Ret) -> Option<(u64, Op)> {
        let (want, pending, _) = self.pending.take()?;
        if want != seq {
            self.pending = Some((want, pending, now));
            return None;
        }
        let Pending::Read = pending else {
            return None; // installed (or lost a race): the next tick reads again
        };
        let Ret::Value { value } = ret else {
            return None;
        };
        let cur = value.as_deref().and_then(Layout::decode);
        let (next, bypass) = self.core.next_layout(cur.as_ref(), now)?;
        let seq = self.next_seq(term);
        let op = Op::Cas {
            key: CONFIG_KEY.into(),
            from: value.map(Into::into),
            to: next.encode().into(),
        };
        self.pending = Some((seq, Pending::Install(next, bypass), now));
        Some((seq, op))
    }
}

/// One manager replica.
pub struct ManagerReplica {
    pub(super) id: NodeId,
    pub(super) raft: RaftServer,
    driver: RaftDriver,
}

impl ManagerReplica {
    pub fn new(id: NodeId, managers: &[NodeId], nodes: &[NodeId], cfg: ChainConfig) -> Self {
        ManagerReplica {
            id,
            raft: RaftServer::new(id, managers.to_vec(), cfg.raft),
            driver: RaftDriver {
                core: Driver::new(nodes.to_vec(), cfg),
                counter: 0,
                pending: None,
            },
        }
    }

    /// Runs `f` on the Raft server with a context of its own, then carries its effects over;
    /// replies addressed to this node are the driver's and are handled here.
    fn with_raft(
        &mut self,
        ctx: &mut Ctx<ChainServer>,
        f: impl FnOnce(&mut RaftServer, &mut Ctx<RaftServer>),
    ) {
        let mut effects: Vec<Effect<RaftServer>> = Vec::new();
        {
            let (id, now) = (ctx.id(), ctx.now());
            let mut inner = Ctx::new(id, now, ctx.rng(), &mut effects);
            f(&mut self.raft, &mut inner);
        }
        let mut own = Vec::new();
        for effect in effects {
            match effect {
                Effect::Send { to, msg } if to == self.id => own.push(msg),
                Effect::Send { to, msg } => ctx.send(to, ChainMsg::Raft(msg)),
                Effect::SetTimer { timer, after } => {
                    ctx.set_timer(ChainTimerOf::Raft(timer), after)
                }
                Effect::CancelTimer { timer } => ctx.cancel_timer(ChainTimerOf::Raft(timer)),
                Effect::Persist { durable } => ctx.persist(ChainDurable::Manager(durable)),
                Effect::Write { .. } => {
                    panic!("{}: splitbrain's Raft persists whole states", self.id)
                }
                Effect::Barrier => ctx.barrier(),
                Effect::Mark { name } => ctx.mark(name),
                Effect::Applied { index, digest } => ctx.applied(index, digest),
                Effect::Complete { .. } | Effect::Fail | Effect::GiveUp | Effect::Notify { .. } => {
                    panic!("{}: a Raft server finished a client operation", self.id)
                }
            }
        }
        for msg in own {
            if let RaftMsg::ClientReply { seq, ret } = msg {
                let (now, term) = (ctx.now(), self.raft.term());
                if let Some((s, Pending::Install(c, bypass), _)) = &self.driver.pending {
                    if *s == seq && ret == (Ret::Bool { value: true }) {
                        ctx.mark(if c.shards.iter().all(|c| c.epoch == 1) {
                            "configured"
                        } else {
                            "reconfigured"
                        });
                        if *bypass {
                            ctx.mark("bypassed");
                        }
                    }
                }
                if let Some(req) = self.driver.on_reply(now, term, seq, ret) {
                    self.ask_own_raft(ctx, req);
                }
            }
        }
    }

    fn ask_own_raft(&mut self, ctx: &mut Ctx<ChainServer>, (seq, op): (u64, Op)) {
        let me = self.id;
        self.with_raft(ctx, |r, c| {
            r.on_message(c, me, RaftMsg::ClientRequest { seq, op })
        });
    }

    pub fn on_start(&mut self, ctx: &mut Ctx<ChainServer>, durable: Option<&RaftDurable>) {
        self.with_raft(ctx, |r, c| r.on_start(c, durable));
        ctx.set_timer(ChainTimerOf::Tick, TICK);
    }

    pub fn on_message(&mut self, ctx: &mut Ctx<ChainServer>, from: NodeId, msg: ChainMsg) {
        match msg {
            ChainMsg::Raft(m) => self.with_raft(ctx, |r, c| r.on_message(c, from, m)),
            ChainMsg::Report { seq, boot, shards } => {
                let at = ctx.now();
                let heard = Heard { at, boot, shards };
                self.driver.core.note(from, heard);
                let op = Op::Get {
                    key: CONFIG_KEY.into(),
                };
                let m = RaftMsg::ClientRequest { seq, op };
                self.with_raft(ctx, |r, c| r.on_message(c, from, m));
            }
            _ => {} // chain traffic is not for the manager
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx<ChainServer>, timer: ChainTimerOf) {
        match timer {
            ChainTimerOf::Raft(t) => self.with_raft(ctx, |r, c| r.on_timer(c, t)),
            ChainTimerOf::Tick => {
                ctx.set_timer(ChainTimerOf::Tick, TICK);
                let (now, leader, term) = (ctx.now(), self.raft.is_leader(), self.raft.term());
                if let Some(req) = self.driver.tick(now, leader, term) {
                    self.ask_own_raft(ctx, req);
                }
            }
            other => panic!("{}: a manager replica got timer {other:?}", self.id),
        }
    }
}

/// The chain server's timers: Raft's or ZAB's own, a chain node's ZooKeeper client's, or the
/// periodic tick (driver or node).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ChainTimerOf {
    Raft(RaftTimer),
    Tick,
    Zab(ZabTimer),
    Session(ZabClientTimer),
}
