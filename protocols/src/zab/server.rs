//! A ZAB server: its state, boot and recovery from the simulated disk, the message dispatch
//! and the periodic tick (election notifications, pings, retransmissions, timeouts).
//!
//! Every handler changes state first, then `flush`es (one persist of the epochs, the log and
//! the snapshot; sends pushed afterwards leave once it is synced), then sends. A reply that
//! asserts durable state (ACKEPOCH, ACKNEWLEADER, ACK) goes after `barrier`, which also waits
//! for an earlier handler's write that is not synced yet.

use super::log::{Log, Snapshot};
use super::small_map::SmallMap;
use super::tree::DataTree;
use super::{Vote, ZabConfig, ZabMsg};
use crate::kv::Kv;
use rand::Rng;
use splitbrain_api::{Ctx, NodeId, NodeView, Process, Role, Time};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ZabTimer {
    Tick,
}

/// What survives a crash once synced: the two epochs of the paper, the history and the
/// snapshot it continues. The log is held by value: a copy of a `Log` shares its entries
/// (constant time, no allocation), and the server appends to its own copy right after.
#[derive(Clone, Debug)]
pub struct ZabDurable {
    pub accepted_epoch: u64,
    pub current_epoch: u64,
    pub snapshot: Rc<Snapshot>,
    pub log: Log,
}

/// The phase of the protocol this server is in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// Fast leader election.
    Looking,
    /// Following `leader`; `synced` once NEWLEADER of the current epoch was applied.
    Following { leader: NodeId, synced: bool },
    /// Leading (see `Leading` for the stage).
    Leading,
}

/// What the invariants learn from one step: deliveries (prev, zxid, chain) in order and the
/// leader's new proposals (zxid, chain).
#[derive(Default)]
pub struct StepReport {
    pub delivered: Vec<(u64, u64, u64)>,
    pub proposed: Vec<(u64, u64)>,
    /// The epoch this server became the established leader of in this step.
    pub established: Option<u64>,
}

impl StepReport {
    /// Empty for the next step, keeping the lists' room (a server steps tens of thousands
    /// of times per run).
    fn clear(&mut self) {
        self.delivered.clear();
        self.proposed.clear();
        self.established = None;
    }
}

/// One ZAB server.
pub struct ZabServer {
    pub(super) id: NodeId,
    pub(super) servers: Vec<NodeId>,
    pub(super) cfg: ZabConfig,
    // Durable.
    pub(super) accepted_epoch: u64,
    pub(super) current_epoch: u64,
    pub(super) log: Log,
    pub(super) snapshot: Rc<Snapshot>,
    pub(super) dirty: bool,
    // Volatile.
    pub(super) phase: Phase,
    /// Last zxid delivered to the state machine, and the chain of the history up to it.
    pub(super) delivered: u64,
    pub(super) delivered_chain: u64,
    /// Where the last delivery stopped in the log: a guess at the index of the entry after
    /// `delivered` (checked before use, see [`Log::first_after_from`]).
    pub(super) delivery_cursor: usize,
    /// The transactions delivered since `snapshot` (the next one replays them).
    pub(super) since_snapshot: Vec<super::log::Txn>,
    pub(super) kv: Kv,
    pub(super) tree: DataTree,
    pub(super) election: super::election::Election,
    pub(super) lead: Option<super::discovery::Leading>,
    /// Last word from the leader (follower) and when a follower gives up on it.
    pub(super) contact: Time,
    pub(super) patience_us: u64,
    /// Clients this server owes a reply, with their request id.
    pub(super) waiters: SmallMap<NodeId, u64>,
    /// Leader: the latest request id of each client proposed while leading (a retry of a
    /// request still in flight is not proposed again).
    pub(super) proposed_seq: SmallMap<NodeId, u64>,
    /// Clients waiting for their session to be opened (session -> client).
    pub(super) connecting: BTreeMap<u64, NodeId>,
    /// Follower: sessions heard from since the last report to the leader (sorted).
    pub(super) touched: super::sessions::SessionIds,
    /// Leader: when each live session was last heard of; sessions being opened or closed.
    pub(super) session_heard: SmallMap<u64, Time>,
    pub(super) opening: BTreeSet<u64>,
    pub(super) closing: BTreeSet<u64>,
    /// One-shot watches left here ((path, what) -> clients) and each client's notifications
    /// not yet acknowledged (last number, notes).
    pub(super) watches: BTreeMap<(String, super::watches::WatchOn), BTreeSet<NodeId>>,
    pub(super) outbox: BTreeMap<NodeId, (u64, Vec<super::watches::Note>)>,
    /// Each connected client's connection number (from its connect), echoed in every answer.
    pub(super) conns: SmallMap<NodeId, u64>,
    /// Clients connected here since this server last started or lost its leader.
    pub(super) clients: BTreeSet<NodeId>,
    /// The epoch this server acknowledged in discovery and the leader it came from (a second
    /// leader offering the same epoch is refused).
    pub(super) promised: Option<(u64, NodeId)>,
    pub(super) report: StepReport,
    pub(super) marked: Vec<&'static str>,
}

impl ZabServer {
    pub fn new(id: NodeId, servers: Vec<NodeId>, cfg: ZabConfig) -> ZabServer {
        let snapshot = Rc::new(Snapshot::default());
        ZabServer {
            id,
            servers,
            cfg,
            accepted_epoch: 0,
            current_epoch: 0,
            log: Log::after(&snapshot),
            snapshot,
            dirty: false,
            phase: Phase::Looking,
            delivered: 0,
            delivered_chain: 0,
            delivery_cursor: 0,
            since_snapshot: Vec::new(),
            kv: Kv::default(),
            tree: DataTree::default(),
            election: super::election::Election::default(),
            lead: None,
            contact: Time::ZERO,
            patience_us: 0,
            waiters: SmallMap::new(),
            proposed_seq: SmallMap::new(),
            connecting: BTreeMap::new(),
            touched: super::sessions::SessionIds::new(),
            session_heard: SmallMap::new(),
            opening: BTreeSet::new(),
            closing: BTreeSet::new(),
            watches: BTreeMap::new(),
            outbox: BTreeMap::new(),
            conns: SmallMap::new(),
            clients: BTreeSet::new(),
            promised: None,
            report: StepReport::default(),
            marked: Vec::new(),
        }
    }

    // Read access for the cluster invariants.
    pub fn report(&self) -> &StepReport {
        &self.report
    }
    pub fn log(&self) -> &Log {
        &self.log
    }
    pub fn delivered(&self) -> u64 {
        self.delivered
    }
    /// The epoch this server leads as an established leader, if it does.
    pub fn established_epoch(&self) -> Option<u64> {
        self.lead
            .as_ref()
            .filter(|l| l.established)
            .map(|l| l.epoch)
    }

    pub(super) fn quorum(&self) -> usize {
        self.servers.len() / 2 + 1
    }

    pub(super) fn log_mut(&mut self) -> &mut Log {
        self.dirty = true;
        &mut self.log
    }

    pub(super) fn my_vote(&self) -> Vote {
        Vote {
            epoch: self.current_epoch,
            zxid: self.log.last_zxid(),
            id: self.id,
        }
    }

    /// Persists epochs, log and snapshot if any changed; later sends wait for the disk.
    /// Inlined test, out-of-line persist: most of the calls (every step ends with one) find
    /// nothing changed.
    #[inline]
    pub(super) fn flush(&mut self, ctx: &mut Ctx<Self>) {
        if self.dirty {
            self.persist(ctx);
        }
    }

    #[inline(never)]
    fn persist(&mut self, ctx: &mut Ctx<Self>) {
        self.dirty = false;
        ctx.persist(ZabDurable {
            accepted_epoch: self.accepted_epoch,
            current_epoch: self.current_epoch,
            snapshot: self.snapshot.clone(),
            log: self.log.clone(),
        });
    }

    /// Before a send that asserts durable state.
    pub(super) fn barrier(&mut self, ctx: &mut Ctx<Self>) {
        self.flush(ctx);
        ctx.barrier();
    }

    pub(super) fn mark_once(&mut self, ctx: &mut Ctx<Self>, name: &'static str) {
        if !self.marked.contains(&name) {
            self.marked.push(name);
            ctx.mark(name);
        }
    }

    /// Hears from the leader: the follower's patience starts again.
    pub(super) fn touch(&mut self, ctx: &mut Ctx<Self>) {
        self.contact = ctx.now();
    }

    pub(super) fn draw_patience(&mut self, ctx: &mut Ctx<Self>) {
        let (lo, hi) = self.cfg.follower_timeout_us;
        self.patience_us = ctx.rng().gen_range(lo..=hi);
    }

    /// The leader of the current epoch this server follows or is, once it serves.
    pub(super) fn serving_leader(&self) -> Option<NodeId> {
        match self.phase {
            Phase::Following {
                leader,
                synced: true,
            } => Some(leader),
            Phase::Leading if self.established_epoch().is_some() => Some(self.id),
            _ => None,
        }
    }

    fn on_tick(&mut self, ctx: &mut Ctx<Self>) {
        ctx.set_timer(ZabTimer::Tick, self.cfg.tick);
        let now = ctx.now();
        match self.phase {
            Phase::Looking => {
                self.decide(ctx, true);
                if self.phase == Phase::Looking {
                    self.notify_all(ctx);
                }
            }
            Phase::Following { .. } => {
                if now.saturating_sub(self.contact).0 > self.patience_us {
                    self.mark_once(ctx, "follower-timeout");
                    self.start_looking(ctx);
                }
            }
            Phase::Leading => self.lead_tick(ctx),
        }
    }
}

impl Process for ZabServer {
    type Msg = ZabMsg;
    type Timer = ZabTimer;
    type Durable = ZabDurable;

    fn on_start(&mut self, ctx: &mut Ctx<Self>, durable: Option<&ZabDurable>) {
        self.report.clear();
        if let Some(d) = durable {
            self.accepted_epoch = d.accepted_epoch;
            self.current_epoch = d.current_epoch;
            self.snapshot = d.snapshot.clone();
            self.log = d.log.clone();
            let state = d.snapshot.state();
            self.kv = state.kv.clone();
            self.tree = state.tree.clone();
            self.delivered = d.snapshot.zxid;
            self.delivered_chain = d.snapshot.chain;
            ctx.mark("recovered");
        }
        ctx.set_timer(ZabTimer::Tick, self.cfg.tick);
        self.start_looking(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: ZabMsg) {
        // A dispatch only: each handler is a function of its own (`inline(never)`, the rare
        // ones `cold`), so a message runs its handler's code alone, and this frame is a
        // match's, not one holding every handler's registers and locals.
        self.report.clear();
        match msg {
            ZabMsg::Notification {
                round,
                vote,
                leading,
            } => self.on_notification(ctx, from, round, vote, leading),
            ZabMsg::FollowerInfo { accepted_epoch } => {
                self.on_follower_info(ctx, from, accepted_epoch)
            }
            ZabMsg::NewEpoch { epoch } => self.on_new_epoch(ctx, from, epoch),
            ZabMsg::AckEpoch {
                epoch,
                current_epoch,
                last_zxid,
                fresh,
            } => self.on_ack_epoch(ctx, from, epoch, (current_epoch, last_zxid), fresh),
            ZabMsg::Sync {
                epoch,
                trunc_to,
                snapshot,
                prev,
                txns,
            } => self.on_sync(ctx, from, epoch, trunc_to, snapshot, prev, txns),
            ZabMsg::SyncFailed { epoch } => self.on_sync_failed(ctx, from, epoch),
            ZabMsg::AckNewLeader { epoch, last_zxid } => {
                self.on_ack_new_leader(ctx, from, epoch, last_zxid)
            }
            ZabMsg::Proposal { epoch, prev, txns } => {
                self.on_proposal(ctx, from, epoch, prev, txns)
            }
            // ACK, COMMIT and PING (most messages) hold only numbers: forgetting one (it owns
            // nothing) spares it a call of ZabMsg's drop glue after its handler.
            ZabMsg::Ack { epoch, last_zxid } => {
                std::mem::forget(msg);
                self.on_ack(ctx, from, epoch, last_zxid)
            }
            ZabMsg::Commit { epoch, zxid } => {
                std::mem::forget(msg);
                self.on_commit(ctx, from, epoch, zxid, false)
            }
            ZabMsg::Ping { epoch, commit } => {
                std::mem::forget(msg);
                self.on_commit(ctx, from, epoch, commit, true)
            }
            ZabMsg::Forward { client, seq, op } => {
                self.on_forward(ctx, client, seq, Rc::unwrap_or_clone(op))
            }
            ZabMsg::ClientRequest { seq, op, seen } => {
                self.on_client_request(ctx, from, seq, op, seen)
            }
            ZabMsg::Connect {
                session,
                seen,
                watches,
                conn,
            } => self.on_connect(ctx, from, session, seen, watches, conn),
            ZabMsg::ClientPing {
                session,
                acked,
                conn,
            } => self.on_client_ping(ctx, from, session, acked, conn),
            ZabMsg::Touch { epoch, sessions } => self.on_touch(ctx, epoch, sessions),
            ZabMsg::ForwardSession { client, session } => {
                if self.serving_leader() == Some(self.id) {
                    self.open_session(ctx, client, session);
                }
            }
            ZabMsg::ClientReply { .. }
            | ZabMsg::ZkReply { .. }
            | ZabMsg::NotServing { .. }
            | ZabMsg::Session { .. }
            | ZabMsg::ClientPong { .. } => {}
        }
        self.flush(ctx);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, _timer: ZabTimer) {
        self.report.clear();
        self.on_tick(ctx);
        self.flush(ctx);
    }

    fn invariants(&self) {
        assert!(
            self.current_epoch <= self.accepted_epoch,
            "{}: currentEpoch {} above acceptedEpoch {}",
            self.id,
            self.current_epoch,
            self.accepted_epoch
        );
        assert!(
            self.delivered <= self.log.last_zxid(),
            "{}: delivered beyond its history",
            self.id
        );
    }

    fn view(&self) -> NodeView {
        let role = match self.phase {
            Phase::Leading if self.established_epoch().is_some() => Role::Leader,
            Phase::Leading | Phase::Looking => Role::Candidate,
            Phase::Following { .. } => Role::Follower,
        };
        NodeView {
            role,
            term: self.current_epoch,
            commit: self.delivered,
            log_len: self.log.last_zxid(),
        }
    }

    fn describe(&self) -> Vec<(&'static str, String)> {
        use super::log::zxid_label;
        let phase = match self.phase {
            Phase::Looking => format!("looking (round {})", self.election.round),
            Phase::Following { leader, synced } => {
                format!(
                    "following {leader}{}",
                    if synced { "" } else { " (syncing)" }
                )
            }
            Phase::Leading => match &self.lead {
                Some(l) => format!("leading epoch {} ({})", l.epoch, l.stage_label()),
                None => "leading".to_string(),
            },
        };
        vec![
            ("phase", phase),
            ("acceptedEpoch", self.accepted_epoch.to_string()),
            ("currentEpoch", self.current_epoch.to_string()),
            ("last zxid", zxid_label(self.log.last_zxid())),
            ("delivered", zxid_label(self.delivered)),
        ]
    }
}
