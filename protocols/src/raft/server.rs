//! A Raft server: its state (Figure 2), boot and recovery, the term rule (§5.1), elections
//! with the election restriction (§5.2, §5.4.1) and optional pre-vote (thesis §9.6).
//! Replication lives in `replicate.rs`, the client-facing service in `service.rs`.
//!
//! Every handler changes state first, then calls `flush` (one persist of term, vote, log and
//! snapshot; the engine holds later sends until it is synced), then sends. That order is how
//! "updated on stable storage before responding to RPCs" (Figure 2) is kept. A reply that
//! asserts durable state (a grant, an append ack) also passes a barrier: it waits for an
//! earlier handler's write that is not synced yet (a duplicate AppendEntries arriving
//! meanwhile: found by `raft-swarm` seed 8821 before the engine had barriers), and leaves at
//! once when everything is already on disk.

use super::log::{quorum, Cmd, Entry, Log};
use super::snapshot::Snapshot;
use super::{RaftBug, RaftConfig, RaftMsg};
use crate::kv::Kv;
use rand::Rng;
use splitbrain_api::{Ctx, Dur, NodeId, NodeView, Process, Role, Time};
use std::collections::BTreeMap;
use std::rc::Rc;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ServerTimer {
    Election,
    Heartbeat,
}

/// What survives a crash once synced: Figure 2's persistent state plus the snapshot (§7).
#[derive(Clone, Debug)]
pub struct RaftDurable {
    pub term: u64,
    pub voted_for: Option<NodeId>,
    pub snapshot: Rc<Snapshot>,
    /// Shared with the server until its next log change (a persist that did not change the
    /// log copies nothing).
    pub log: Rc<Log>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum State {
    Follower,
    PreCandidate,
    Candidate,
    Leader,
}

/// A read waiting for its ReadIndex conditions (thesis §6.4).
pub(super) struct PendingRead {
    pub client: NodeId,
    pub seq: u64,
    pub key: String,
    /// The heartbeat round that must be acknowledged by a quorum (started after arrival).
    pub need_round: u64,
    /// The commit index to wait for (set once the leader's term has a committed entry).
    pub index: Option<u64>,
}

/// Leader-only state (Figure 2 "volatile state on leaders", plus ReadIndex rounds).
pub(super) struct Leading {
    pub next: Vec<u64>,
    pub matched: Vec<u64>,
    /// An AppendEntries or snapshot is outstanding (new entries wait for its reply).
    pub inflight: Vec<bool>,
    pub acked_round: Vec<u64>,
    pub round: u64,
    pub round_open: bool,
    /// Index of this term's first entry (its no-op): the term has a commit once commit >= it.
    pub term_start: u64,
    pub reads: Vec<PendingRead>,
    pub marked_term_commit: bool,
    pub marked_batch: bool,
    /// Per follower, where it reported an entry of a newer term than this leader's entry at
    /// that index, and that term (Figure 8 (c): an orphan of a term between the two).
    pub newer_conflict: Vec<Option<(u64, u64)>>,
}

/// One Raft server.
pub struct RaftServer {
    pub(super) id: NodeId,
    pub(super) servers: Vec<NodeId>,
    pub(super) cfg: RaftConfig,
    // Persistent (Figure 2).
    pub(super) term: u64,
    pub(super) voted_for: Option<NodeId>,
    /// Copied on write: a persist shares it with the disk.
    pub(super) log: Rc<Log>,
    pub(super) snapshot: Rc<Snapshot>,
    // Volatile.
    pub(super) state: State,
    pub(super) leader: Option<NodeId>,
    pub(super) last_leader_seen: Option<NodeId>,
    pub(super) leader_contact: Time,
    pub(super) commit: u64,
    pub(super) applied: u64,
    pub(super) kv: Kv,
    pub(super) votes: u32,
    pub(super) dirty: bool,
    /// When the election timer really expires (local clock); the engine timer is armed once
    /// and re-armed for the rest when it fires early, so a heartbeat costs no timer event.
    pub(super) election_deadline: Time,
    pub(super) election_armed: bool,
    /// Clients this server owes a reply, by request id (it appended their request).
    pub(super) waiters: BTreeMap<NodeId, u64>,
    pub(super) lead: Option<Leading>,
    /// Coverage marks this incarnation already reported (each is reported once).
    pub(super) marked: Vec<&'static str>,
}

/// Reports coverage mark `name` once per server incarnation: exploration only asks whether a
/// state was reached, and frequent marks would cost a trace entry each.
pub(super) fn mark_once(
    marked: &mut Vec<&'static str>,
    ctx: &mut Ctx<RaftServer>,
    name: &'static str,
) {
    if !marked.contains(&name) {
        marked.push(name);
        ctx.mark(name);
    }
}

impl RaftServer {
    pub fn new(id: NodeId, servers: Vec<NodeId>, cfg: RaftConfig) -> RaftServer {
        assert!(servers.len() <= 32, "vote sets are 32-bit masks");
        RaftServer {
            id,
            servers,
            cfg,
            term: 0,
            voted_for: None,
            log: Rc::new(Log::default()),
            snapshot: Rc::new(Snapshot::default()),
            state: State::Follower,
            leader: None,
            last_leader_seen: None,
            leader_contact: Time::ZERO,
            commit: 0,
            applied: 0,
            kv: Kv::default(),
            votes: 0,
            dirty: false,
            election_deadline: Time::ZERO,
            election_armed: false,
            waiters: BTreeMap::new(),
            lead: None,
            marked: Vec::new(),
        }
    }

    // Read access for the cluster invariants.
    pub fn log(&self) -> &Log {
        &self.log
    }
    pub fn term(&self) -> u64 {
        self.term
    }
    pub fn commit_index(&self) -> u64 {
        self.commit
    }
    pub fn is_leader(&self) -> bool {
        self.state == State::Leader
    }

    /// The log for a change (a copy first if a persisted state still shares it).
    pub(super) fn log_mut(&mut self) -> &mut Log {
        Rc::make_mut(&mut self.log)
    }

    /// Persists term, vote, log and snapshot if any changed. Sends pushed after this wait
    /// for the disk.
    pub(super) fn flush(&mut self, ctx: &mut Ctx<Self>) {
        if self.dirty {
            self.dirty = false;
            ctx.persist(RaftDurable {
                term: self.term,
                voted_for: self.voted_for,
                snapshot: self.snapshot.clone(),
                log: self.log.clone(),
            });
        }
    }

    /// Before a send that asserts durable state (an ack, a grant, entries the leader counts
    /// itself for): this handler's changes are persisted, and an earlier handler's unsynced
    /// write is synced before the send leaves (the engine's barrier).
    pub(super) fn barrier(&mut self, ctx: &mut Ctx<Self>) {
        self.flush(ctx);
        ctx.barrier();
    }

    pub(super) fn others(&self) -> impl Iterator<Item = NodeId> + '_ {
        let me = self.id;
        self.servers.iter().copied().filter(move |&s| s != me)
    }

    pub(super) fn arm_election(&mut self, ctx: &mut Ctx<Self>) {
        let (lo, hi) = self.cfg.election_us;
        let after = Dur::us(ctx.rng().gen_range(lo..=hi));
        self.election_deadline = ctx.now() + after;
        if !self.election_armed {
            self.election_armed = true;
            ctx.set_timer(ServerTimer::Election, after);
        }
    }

    fn on_election_timer(&mut self, ctx: &mut Ctx<Self>) {
        self.election_armed = false;
        let now = ctx.now();
        // Within a millisecond counts as expired: on a drifting clock the engine may round a
        // tiny remainder down to no real time at all, and re-arming for it would spin.
        if now + Dur::ms(1) < self.election_deadline {
            self.election_armed = true;
            ctx.set_timer(ServerTimer::Election, self.election_deadline - now);
            return;
        }
        self.on_election_timeout(ctx);
    }

    /// §5.1: a newer term makes this server a follower of that term, with no vote yet.
    pub(super) fn observe_term(&mut self, ctx: &mut Ctx<Self>, term: u64) {
        if term <= self.term {
            return;
        }
        self.term = term;
        self.voted_for = None;
        self.leader = None;
        self.dirty = true;
        if self.state != State::Follower {
            self.become_follower(ctx);
        }
    }

    pub(super) fn become_follower(&mut self, ctx: &mut Ctx<Self>) {
        if self.state == State::Leader {
            ctx.mark("step-down");
            let own_uncommitted = self.lead.as_ref().is_some_and(|l| {
                self.commit < l.term_start && self.log.last_index() >= l.term_start
            });
            if own_uncommitted {
                mark_once(&mut self.marked, ctx, "deposed-uncommitted");
            }
            ctx.cancel_timer(ServerTimer::Heartbeat);
            if let Some(lead) = self.lead.take() {
                for r in lead.reads {
                    // Nothing was read: the client may retry anywhere.
                    ctx.send(
                        r.client,
                        RaftMsg::NotLeader {
                            seq: r.seq,
                            hint: None,
                        },
                    );
                }
            }
            self.arm_election(ctx);
        }
        self.state = State::Follower;
        self.lead = None;
    }

    /// A valid AppendEntries or InstallSnapshot from the leader of the current term.
    pub(super) fn heard_leader(&mut self, ctx: &mut Ctx<Self>, from: NodeId) {
        if self.state != State::Follower {
            self.become_follower(ctx);
        }
        self.leader = Some(from);
        self.last_leader_seen = Some(from);
        self.leader_contact = ctx.now();
        self.arm_election(ctx);
    }

    /// The election restriction (§5.4.1): the candidate's log is at least as up to date.
    fn log_ok(&self, last_index: u64, last_term: u64) -> bool {
        if self.cfg.bug == RaftBug::IndexOnlyElection {
            // Planted bug R15: compares the last index only, ignoring the last term.
            return last_index >= self.log.last_index();
        }
        let my_term = self.log.last_term();
        last_term > my_term || (last_term == my_term && last_index >= self.log.last_index())
    }

    fn vote_count(&self) -> usize {
        self.votes.count_ones() as usize
    }

    fn vote_request(&self, term: u64, pre_vote: bool) -> RaftMsg {
        RaftMsg::RequestVote {
            term,
            last_index: self.log.last_index(),
            last_term: self.log.last_term(),
            pre_vote,
        }
    }

    fn on_election_timeout(&mut self, ctx: &mut Ctx<Self>) {
        if self.state == State::Leader {
            return;
        }
        if self.cfg.pre_vote {
            self.state = State::PreCandidate;
            self.votes = 1 << self.id.index();
            self.arm_election(ctx);
            if self.vote_count() >= quorum(self.servers.len()) {
                self.start_election(ctx);
                return;
            }
            let msg = self.vote_request(self.term + 1, true);
            for to in self.others().collect::<Vec<_>>() {
                ctx.send(to, msg.clone());
            }
            return;
        }
        self.start_election(ctx);
    }

    /// §5.2: new term, vote for self, ask everyone.
    fn start_election(&mut self, ctx: &mut Ctx<Self>) {
        self.term += 1;
        self.voted_for = Some(self.id);
        self.leader = None;
        self.state = State::Candidate;
        self.votes = 1 << self.id.index();
        self.dirty = true;
        self.arm_election(ctx);
        if self.vote_count() >= quorum(self.servers.len()) {
            self.become_leader(ctx);
            return;
        }
        self.flush(ctx);
        let msg = self.vote_request(self.term, false);
        for to in self.others().collect::<Vec<_>>() {
            ctx.send(to, msg.clone());
        }
    }

    fn on_request_vote(
        &mut self,
        ctx: &mut Ctx<Self>,
        from: NodeId,
        term: u64,
        last_index: u64,
        last_term: u64,
    ) {
        self.observe_term(ctx, term);
        let up_to_date = self.log_ok(last_index, last_term);
        let free = self.voted_for.is_none() || self.voted_for == Some(from);
        let granted = term == self.term && free && up_to_date;
        if term == self.term && free && !up_to_date {
            mark_once(&mut self.marked, ctx, "vote-denied-log");
        }
        if term == self.term && !free {
            mark_once(&mut self.marked, ctx, "vote-denied-voted");
        }
        if granted {
            // Also when granting again to the same candidate: the first grant's write may
            // not be synced yet, and this reply must not overtake it.
            self.voted_for = Some(from);
            self.dirty = true;
            self.arm_election(ctx);
        }
        let reply = RaftMsg::VoteReply {
            term: self.term,
            granted,
            pre_vote: false,
        };
        if granted && self.cfg.bug == RaftBug::VoteNotDurable {
            // Planted bug R02: the grant leaves before term and vote reach the disk.
            ctx.send(from, reply);
            self.flush(ctx);
            return;
        }
        if granted {
            self.barrier(ctx);
        }
        self.flush(ctx);
        ctx.send(from, reply);
    }

    /// Pre-vote (thesis §9.6): would this server vote for `from` in `term`? Changes nothing.
    fn on_pre_vote(
        &mut self,
        ctx: &mut Ctx<Self>,
        from: NodeId,
        term: u64,
        last_index: u64,
        last_term: u64,
    ) {
        let min_timeout = Dur::us(self.cfg.election_us.0);
        let leader_alive = self.state == State::Leader
            || (self.leader.is_some() && ctx.now() < self.leader_contact + min_timeout);
        let up_to_date = self.log_ok(last_index, last_term);
        let granted = term > self.term && !leader_alive && up_to_date;
        if !granted {
            mark_once(&mut self.marked, ctx, "prevote-denied");
        }
        if !up_to_date {
            mark_once(&mut self.marked, ctx, "vote-denied-log");
        }
        let term = if granted { term } else { self.term };
        ctx.send(
            from,
            RaftMsg::VoteReply {
                term,
                granted,
                pre_vote: true,
            },
        );
    }

    fn on_vote_reply(
        &mut self,
        ctx: &mut Ctx<Self>,
        from: NodeId,
        term: u64,
        granted: bool,
        pre_vote: bool,
    ) {
        if pre_vote {
            if self.state != State::PreCandidate {
                return;
            }
            if granted && term == self.term + 1 {
                self.votes |= 1 << from.index();
                if self.vote_count() >= quorum(self.servers.len()) {
                    self.start_election(ctx);
                }
            } else if !granted && term > self.term {
                self.observe_term(ctx, term);
                self.become_follower(ctx);
            }
            return;
        }
        if term > self.term {
            self.observe_term(ctx, term);
            return;
        }
        if self.state != State::Candidate || !granted {
            return;
        }
        if term < self.term {
            mark_once(&mut self.marked, ctx, "stale-term-reply");
            if self.cfg.bug != RaftBug::StaleTermReplies {
                return;
            }
            // Planted bug R14: a grant for an earlier term counts toward this one.
        }
        self.votes |= 1 << from.index();
        if self.vote_count() >= quorum(self.servers.len()) {
            self.become_leader(ctx);
        }
    }

    /// §5.2, §8: a new leader appends a no-op so that its term gets a committed entry.
    fn become_leader(&mut self, ctx: &mut Ctx<Self>) {
        self.state = State::Leader;
        self.leader = Some(self.id);
        ctx.mark("leader-elected");
        if self.last_leader_seen.is_some_and(|l| l != self.id) {
            ctx.mark("leader-change");
        }
        self.last_leader_seen = Some(self.id);
        ctx.cancel_timer(ServerTimer::Election);
        self.election_armed = false;
        let first_new = self.log.last_index() + 1;
        if self.cfg.bug != RaftBug::NoNoopRead {
            let term = self.term;
            self.log_mut().push(Entry {
                term,
                cmd: Cmd::noop(),
            });
            self.dirty = true;
        }
        let n = self.servers.len();
        self.lead = Some(Leading {
            next: vec![first_new; n],
            matched: vec![0; n],
            inflight: vec![false; n],
            acked_round: vec![0; n],
            round: 0,
            round_open: false,
            term_start: first_new,
            reads: Vec::new(),
            marked_term_commit: false,
            marked_batch: false,
            newer_conflict: vec![None; n],
        });
        self.flush(ctx);
        self.advance_commit(ctx);
        self.broadcast_append(ctx, true);
        ctx.set_timer(ServerTimer::Heartbeat, self.cfg.heartbeat);
    }

    fn restore(&mut self, d: &RaftDurable) {
        self.term = d.term;
        self.voted_for = d.voted_for;
        self.log = d.log.clone();
        self.snapshot = d.snapshot.clone();
        self.kv = d.snapshot.kv.clone();
        self.commit = d.snapshot.index;
        self.applied = d.snapshot.index;
    }
}

impl Process for RaftServer {
    type Msg = RaftMsg;
    type Timer = ServerTimer;
    type Durable = RaftDurable;

    fn on_start(&mut self, ctx: &mut Ctx<Self>, durable: Option<&RaftDurable>) {
        if let Some(d) = durable {
            self.restore(d);
            ctx.mark("recovered");
        }
        self.arm_election(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: RaftMsg) {
        match msg {
            RaftMsg::RequestVote {
                term,
                last_index,
                last_term,
                pre_vote: false,
            } => self.on_request_vote(ctx, from, term, last_index, last_term),
            RaftMsg::RequestVote {
                term,
                last_index,
                last_term,
                pre_vote: true,
            } => self.on_pre_vote(ctx, from, term, last_index, last_term),
            RaftMsg::VoteReply {
                term,
                granted,
                pre_vote,
            } => self.on_vote_reply(ctx, from, term, granted, pre_vote),
            RaftMsg::AppendEntries { .. } => self.on_append_entries(ctx, from, msg),
            RaftMsg::AppendReply { .. } => self.on_append_reply(ctx, from, msg),
            RaftMsg::InstallSnapshot {
                term,
                snapshot,
                round,
            } => self.on_install_snapshot(ctx, from, term, snapshot, round),
            RaftMsg::SnapshotReply {
                term,
                match_index,
                round,
            } => self.on_snapshot_reply(ctx, from, term, match_index, round),
            RaftMsg::ClientRequest { seq, op } => self.on_client_request(ctx, from, seq, op),
            RaftMsg::ClientReply { .. } | RaftMsg::NotLeader { .. } => {}
        }
        self.flush(ctx);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: ServerTimer) {
        match timer {
            ServerTimer::Election => self.on_election_timer(ctx),
            ServerTimer::Heartbeat => {
                if self.state == State::Leader {
                    self.broadcast_append(ctx, true);
                    ctx.set_timer(ServerTimer::Heartbeat, self.cfg.heartbeat);
                }
            }
        }
        self.flush(ctx);
    }

    fn invariants(&self) {
        assert!(
            self.applied <= self.commit,
            "{}: applied {} > commit {}",
            self.id,
            self.applied,
            self.commit
        );
        assert!(
            self.commit <= self.log.last_index(),
            "{}: commit {} beyond the log's end {}",
            self.id,
            self.commit,
            self.log.last_index()
        );
        assert!(
            self.log.base_index() <= self.applied,
            "{}: snapshot beyond applied",
            self.id
        );
        if matches!(self.state, State::Leader | State::Candidate) {
            assert_eq!(
                self.voted_for,
                Some(self.id),
                "{}: a candidate or leader votes for itself in its term",
                self.id
            );
        }
        assert_eq!(self.lead.is_some(), self.state == State::Leader);
    }

    fn view(&self) -> NodeView {
        let role = match self.state {
            State::Leader => Role::Leader,
            State::Candidate => Role::Candidate,
            State::Follower | State::PreCandidate => Role::Follower,
        };
        NodeView {
            role,
            term: self.term,
            commit: self.commit,
            log_len: self.log.last_index(),
        }
    }
}
