//! A Multi-Paxos server's state, its acceptor and its recovery. The acceptor keeps one promise
//! for all slots and one accepted proposal per slot; every change is journalled and persisted
//! before the reply that reports it (the engine holds sends pushed after a persist until the
//! disk syncs), and a reply that depends on an earlier handler's write passes a barrier.
//! Planted bug P01 keeps the acceptor in memory only; P02 forgets the round on restart.

use super::election::Role;
use super::{MultiConfig, MultiMsg, MultiSnapshot};
use crate::kv::{Cmd, Kv};
use crate::paxos::agreement::{DeferredLabel, Vote, Voted, Voter};
use crate::paxos::ballot::Ballot;
use crate::paxos::journal::Journal;
use crate::paxos::slots::Slots;
use crate::paxos::PaxosBug;
use splitbrain_api::{Ctx, NodeId, NodeView, Process, Time};
use std::collections::BTreeMap;
use std::rc::Rc;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum MultiTimer {
    /// No leader heard from: start phase 1 (armed lazily, like Raft's election timer).
    Election,
    Heartbeat,
}

/// One durable acceptor change.
#[derive(Clone, Debug)]
pub enum Change {
    Promise(Ballot),
    Accept(u64, Ballot, Rc<Cmd>),
    /// Slots up to here are in the snapshot: forget their proposals.
    Compact(u64),
}

/// What survives a crash once synced.
#[derive(Clone, Debug)]
pub struct MultiDurable {
    pub round: u64,
    pub acceptor: Journal<Change>,
    pub snapshot: Rc<MultiSnapshot>,
}

/// One Multi-Paxos server: acceptor, replica and (sometimes) leader.
pub struct MultiServer {
    pub(super) id: NodeId,
    pub(super) servers: Vec<NodeId>,
    pub(super) cfg: MultiConfig,
    // Durable.
    pub(super) round: u64,
    pub(super) promised: Ballot,
    pub(super) accepted: Slots<(Ballot, Rc<Cmd>)>,
    journal: Journal<Change>,
    pub(super) snapshot: Rc<MultiSnapshot>,
    // Replica.
    /// Chosen commands known here, from just after the compaction point on.
    pub(super) chosen: Slots<Rc<Cmd>>,
    pub(super) applied: u64,
    pub(super) kv: Kv,
    // Leadership.
    pub(super) role: Role,
    pub(super) leader: Option<NodeId>,
    pub(super) election_deadline: Time,
    pub(super) election_armed: bool,
    /// Clients this server owes a reply, by request id.
    pub(super) waiters: BTreeMap<NodeId, u64>,
    // For the agreement check and coverage.
    fresh_votes: Vec<Vote<Rc<Cmd>>>,
    pub(super) fresh_proposals: Vec<(Option<u64>, u64)>,
    marked: Vec<&'static str>,
}

impl Voted for Rc<Cmd> {
    fn digest(&self) -> u64 {
        self.digest
    }

    fn label(&self) -> String {
        self.deferred_label()()
    }

    fn deferred_label(&self) -> DeferredLabel {
        match &self.kind {
            crate::kv::CmdKind::Noop | crate::kv::CmdKind::Session { .. } => {
                Box::new(|| "no-op".to_string())
            }
            crate::kv::CmdKind::Client { client, seq, op } => {
                let (client, seq, op) = (*client, *seq & 0xffff_ffff, op.clone());
                Box::new(move || format!("`{}` ({client} request {seq})", op.label()))
            }
        }
    }
}

impl MultiServer {
    pub fn new(id: NodeId, servers: Vec<NodeId>, cfg: MultiConfig) -> MultiServer {
        MultiServer {
            id,
            servers,
            cfg,
            round: 0,
            promised: Ballot::ZERO,
            accepted: Slots::default(),
            journal: Journal::default(),
            snapshot: Rc::new(MultiSnapshot::default()),
            chosen: Slots::default(),
            applied: 0,
            kv: Kv::default(),
            role: Role::Follower,
            leader: None,
            election_deadline: Time::ZERO,
            election_armed: false,
            waiters: BTreeMap::new(),
            fresh_votes: Vec::new(),
            fresh_proposals: Vec::new(),
            marked: Vec::new(),
        }
    }

    pub(super) fn mark(&mut self, ctx: &mut Ctx<Self>, name: &'static str) {
        if !self.marked.contains(&name) {
            self.marked.push(name);
            ctx.mark(name);
        }
    }

    pub(super) fn persist(&self, ctx: &mut Ctx<Self>) {
        ctx.persist(MultiDurable {
            round: self.round,
            acceptor: self.journal.clone(),
            snapshot: Rc::clone(&self.snapshot),
        });
    }

    /// Records an acceptor change (not under P01, whose acceptor lives in memory only).
    pub(super) fn journal(&mut self, change: Change) {
        if self.cfg.bug != PaxosBug::VolatileAcceptor {
            self.journal.push(change);
        }
    }

    /// Phase 1b at this acceptor; `Err` carries the higher promise.
    pub(super) fn acceptor_prepare(
        &mut self,
        ctx: &mut Ctx<Self>,
        b: Ballot,
    ) -> Result<(), Ballot> {
        self.round = self.round.max(b.round);
        if b < self.promised {
            return Err(self.promised);
        }
        if b > self.promised {
            self.promised = b;
            self.journal(Change::Promise(b));
            self.persist(ctx);
        }
        Ok(())
    }

    /// Phase 2b at this acceptor for a batch; `Err` carries the higher promise.
    pub(super) fn acceptor_accept(
        &mut self,
        ctx: &mut Ctx<Self>,
        b: Ballot,
        entries: &[(u64, Rc<Cmd>)],
    ) -> Result<Vec<u64>, Ballot> {
        self.round = self.round.max(b.round);
        if b < self.promised {
            return Err(self.promised);
        }
        let mut changed = b > self.promised;
        if changed {
            self.promised = b;
            self.journal(Change::Promise(b));
        }
        let mut slots = Vec::with_capacity(entries.len());
        for (slot, cmd) in entries {
            if *slot <= self.snapshot.index {
                // Chosen and compacted here already: acknowledged, no new vote.
                slots.push(*slot);
                continue;
            }
            self.accepted.insert(*slot, (b, Rc::clone(cmd)));
            self.journal(Change::Accept(*slot, b, Rc::clone(cmd)));
            self.fresh_votes.push(Vote {
                instance: *slot,
                name: None,
                ballot: b,
                value: Rc::clone(cmd),
            });
            slots.push(*slot);
            changed = true;
        }
        // A heartbeat that changes nothing writes nothing (and its reply waits for no sync).
        if changed {
            self.persist(ctx);
        }
        Ok(slots)
    }

    /// The accepted proposals from `from` on, for a promise.
    pub(super) fn accepted_from(&self, from: u64) -> Vec<(u64, Ballot, Rc<Cmd>)> {
        self.accepted
            .iter_from(from)
            .map(|(s, (b, c))| (s, *b, Rc::clone(c)))
            .collect()
    }

    /// Forgets proposals of slots up to `upto` (they are in the durable snapshot).
    pub(super) fn compact_acceptor(&mut self, upto: u64) {
        self.accepted.drop_below(upto + 1);
        self.journal(Change::Compact(upto));
    }

    fn recover(&mut self, d: &MultiDurable) {
        if self.cfg.bug != PaxosBug::NonUniqueBallots {
            self.round = d.round;
        }
        self.snapshot = Rc::clone(&d.snapshot);
        self.kv = d.snapshot.kv.clone();
        self.applied = d.snapshot.index;
        if self.cfg.bug == PaxosBug::VolatileAcceptor {
            return;
        }
        d.acceptor.for_each(|c| match c {
            Change::Promise(b) => self.promised = self.promised.max(*b),
            Change::Accept(s, b, cmd) => {
                self.accepted.insert(*s, (*b, Rc::clone(cmd)));
            }
            Change::Compact(upto) => self.accepted.drop_below(upto + 1),
        });
        self.journal = d.acceptor.recovered();
    }

    fn begin_step(&mut self) {
        self.fresh_votes.clear();
        self.fresh_proposals.clear();
    }
}

impl Process for MultiServer {
    type Msg = MultiMsg;
    type Timer = MultiTimer;
    type Durable = MultiDurable;

    fn on_start(&mut self, ctx: &mut Ctx<Self>, durable: Option<&MultiDurable>) {
        if let Some(d) = durable {
            self.recover(d);
            self.mark(ctx, "recovered");
        }
        self.reset_election_timer(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: MultiMsg) {
        self.begin_step();
        match msg {
            MultiMsg::Prepare { ballot, from_slot } => {
                self.on_prepare(ctx, from, ballot, from_slot)
            }
            MultiMsg::Promise {
                ballot,
                compacted,
                snapshot,
                accepted,
            } => {
                if let Some(snap) = snapshot.filter(|s| s.index > self.applied) {
                    self.on_snapshot(ctx, snap);
                }
                self.on_promise(ctx, from, ballot, compacted, accepted)
            }
            MultiMsg::Accept {
                ballot,
                entries,
                commit,
                round,
            } => self.on_accept(ctx, from, ballot, entries, commit, round),
            MultiMsg::Accepted {
                ballot,
                slots,
                applied,
                round,
                told,
            } => {
                let ack = super::leader::Ack {
                    applied,
                    round,
                    told,
                };
                self.on_accepted(ctx, from, ballot, &slots, ack)
            }
            MultiMsg::Nack { ballot, promised } => self.on_nack(ctx, ballot, promised),
            MultiMsg::Decided { entries } => self.on_decided(ctx, entries),
            MultiMsg::InstallSnapshot { snapshot } => self.on_snapshot(ctx, snapshot),
            MultiMsg::ClientRequest { seq, op } => self.on_client(ctx, from, seq, op),
            MultiMsg::ClientReply { .. } | MultiMsg::NotLeader { .. } => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: MultiTimer) {
        self.begin_step();
        match timer {
            MultiTimer::Election => self.on_election_timer(ctx),
            MultiTimer::Heartbeat => self.on_heartbeat_timer(ctx),
        }
    }

    fn invariants(&self) {
        assert!(
            self.applied >= self.snapshot.index,
            "{}: applied {} behind its own snapshot {}",
            self.id,
            self.applied,
            self.snapshot.index
        );
    }

    fn describe(&self) -> Vec<(&'static str, String)> {
        self.describe_fields()
    }

    fn view(&self) -> NodeView {
        let (role, ballot) = self.role.view(self.promised);
        NodeView {
            role,
            term: ballot.as_term(),
            commit: self.applied,
            log_len: self.accepted.last().unwrap_or(self.applied),
        }
    }
}

impl Voter for MultiServer {
    type Value = Rc<Cmd>;

    fn fresh_votes(&self) -> &[Vote<Rc<Cmd>>] {
        &self.fresh_votes
    }

    fn fresh_proposals(&self) -> &[(Option<u64>, u64)] {
        &self.fresh_proposals
    }

    fn votes_wait_for_disk(&self) -> bool {
        self.cfg.bug != PaxosBug::VolatileAcceptor
    }
}
