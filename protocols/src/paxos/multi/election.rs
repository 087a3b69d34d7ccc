//! Leader election as Paxos phase 1, run once for all later slots: after a randomised timeout
//! with no word from a leader, a server takes a ballot above every round it has seen
//! (persisted first), and once a majority promised it becomes leader. It re-proposes, in its
//! own ballot, the highest-ballot value every promise reported for each slot it does not know
//! to be chosen, and fills the holes among them with no-ops ("Paxos Made Moderately Complex",
//! the scout and commander). Slots up to the highest compaction point reported are chosen
//! already and reach it by catch-up.

use super::leader::Leading;
use super::server::{MultiServer, MultiTimer};
use super::MultiMsg;
use crate::kv::Cmd;
use crate::paxos::acceptor::adopt;
use crate::paxos::ballot::Ballot;
use crate::paxos::{majority, PaxosBug};
use rand::Rng;
use splitbrain_api::{Ctx, Dur, NodeId};
use std::collections::BTreeMap;
use std::rc::Rc;

/// What phase 1 learned about one slot: the highest-ballot proposal reported, and the
/// candidate's own accepted command (which only P03 looks at).
#[derive(Default)]
pub(super) struct Reported {
    pub best: Option<(Ballot, Rc<Cmd>)>,
    pub own: Option<Rc<Cmd>>,
}

/// A candidate's phase 1.
pub(super) struct Scouting {
    pub ballot: Ballot,
    pub promised: u32,
    pub reported: BTreeMap<u64, Reported>,
    pub compacted: u64,
}

/// What a server is doing about leadership.
pub(super) enum Role {
    Follower,
    Candidate(Scouting),
    Leader(Box<Leading>),
}

impl Role {
    /// The harness's role and the ballot to show.
    pub fn view(&self, promised: Ballot) -> (splitbrain_api::Role, Ballot) {
        match self {
            Role::Follower => (splitbrain_api::Role::Follower, promised),
            Role::Candidate(s) => (splitbrain_api::Role::Candidate, s.ballot),
            Role::Leader(l) => (splitbrain_api::Role::Leader, l.ballot),
        }
    }
}

impl MultiServer {
    pub(super) fn is_leader(&self) -> bool {
        matches!(self.role, Role::Leader(_))
    }

    /// Re-arms the leader timeout for a fresh random interval from now.
    pub(super) fn reset_election_timer(&mut self, ctx: &mut Ctx<Self>) {
        let (lo, hi) = self.cfg.election_us;
        let wait = Dur::us(ctx.rng().gen_range(lo..=hi));
        self.election_deadline = ctx.now() + wait;
        if !self.election_armed {
            self.election_armed = true;
            ctx.set_timer(MultiTimer::Election, wait);
        }
    }

    pub(super) fn on_election_timer(&mut self, ctx: &mut Ctx<Self>) {
        self.election_armed = false;
        if self.is_leader() {
            return;
        }
        let now = ctx.now() + Dur::ms(1);
        if now < self.election_deadline {
            self.election_armed = true;
            let rest = self.election_deadline.saturating_sub(ctx.now());
            ctx.set_timer(MultiTimer::Election, rest);
            return;
        }
        self.start_phase1(ctx);
    }

    /// Phase 1a with a fresh ballot; this server's own acceptor promises first.
    fn start_phase1(&mut self, ctx: &mut Ctx<Self>) {
        self.round += 1;
        let node = if self.cfg.bug == PaxosBug::NonUniqueBallots {
            0
        } else {
            self.id.index() as u8
        };
        let ballot = Ballot {
            round: self.round,
            node,
        };
        self.leader = None;
        self.role = Role::Candidate(Scouting {
            ballot,
            promised: 0,
            reported: BTreeMap::new(),
            compacted: 0,
        });
        self.persist(ctx);
        self.reset_election_timer(ctx);
        let from_slot = self.applied + 1;
        ctx.broadcast(&self.servers, &MultiMsg::Prepare { ballot, from_slot });
        if self.acceptor_prepare(ctx, ballot).is_ok() {
            let compacted = self.snapshot.index;
            let accepted = self.accepted_from(from_slot);
            self.on_promise(ctx, self.id, ballot, compacted, accepted);
        }
    }

    pub(super) fn on_prepare(
        &mut self,
        ctx: &mut Ctx<Self>,
        from: NodeId,
        b: Ballot,
        from_slot: u64,
    ) {
        let reply = match self.acceptor_prepare(ctx, b) {
            Ok(()) => {
                if b > self.current_ballot() {
                    self.step_down(ctx, None);
                }
                MultiMsg::Promise {
                    ballot: b,
                    compacted: self.snapshot.index,
                    snapshot: (self.snapshot.index >= from_slot).then(|| Rc::clone(&self.snapshot)),
                    accepted: self.accepted_from(from_slot),
                }
            }
            Err(promised) => MultiMsg::Nack {
                ballot: b,
                promised,
            },
        };
        ctx.barrier();
        ctx.send(from, reply);
    }

    /// The ballot this server leads or campaigns with (zero as a follower).
    pub(super) fn current_ballot(&self) -> Ballot {
        match &self.role {
            Role::Follower => Ballot::ZERO,
            Role::Candidate(s) => s.ballot,
            Role::Leader(l) => l.ballot,
        }
    }

    pub(super) fn on_promise(
        &mut self,
        ctx: &mut Ctx<Self>,
        from: NodeId,
        b: Ballot,
        compacted: u64,
        accepted: Vec<(u64, Ballot, Rc<Cmd>)>,
    ) {
        let me = self.id;
        let Role::Candidate(scout) = &mut self.role else {
            return;
        };
        if scout.ballot != b || scout.promised & (1 << from.index()) != 0 {
            return;
        }
        scout.promised |= 1 << from.index();
        scout.compacted = scout.compacted.max(compacted);
        for (slot, ballot, cmd) in accepted {
            let entry = scout.reported.entry(slot).or_default();
            if from == me {
                entry.own = Some(Rc::clone(&cmd));
            }
            adopt(&mut entry.best, Some((ballot, cmd)));
        }
        if scout.promised.count_ones() as usize >= majority(self.servers.len()) {
            self.become_leader(ctx);
        }
    }

    /// Phase 1 done: re-propose what the promises reported, no-ops in the holes.
    fn become_leader(&mut self, ctx: &mut Ctx<Self>) {
        let Role::Candidate(scout) = std::mem::replace(&mut self.role, Role::Follower) else {
            unreachable!("only a candidate becomes leader");
        };
        let base = self.applied.max(scout.compacted) + 1;
        let last = scout
            .reported
            .keys()
            .next_back()
            .copied()
            .unwrap_or(0)
            .max(base - 1);
        let mut proposals = Vec::new();
        for slot in base..=last {
            let cmd = match scout.reported.get(&slot) {
                _ if self.cfg.bug == PaxosBug::NoRepropose => Cmd::noop(),
                Some(Reported { own: Some(own), .. }) if self.cfg.bug == PaxosBug::OwnValue => {
                    Rc::clone(own)
                }
                Some(Reported {
                    best: Some((_, cmd)),
                    ..
                }) => Rc::clone(cmd),
                _ => Cmd::noop(),
            };
            proposals.push((slot, cmd));
        }
        if !proposals.is_empty() {
            self.mark(ctx, "reproposed");
        }
        self.leader = Some(self.id);
        self.mark(ctx, "leader-elected");
        self.role = Role::Leader(Box::new(Leading::new(
            scout.ballot,
            last + 1,
            self.servers.len(),
            ctx.now(),
        )));
        let everyone = self.servers.clone();
        self.propose_to(ctx, &proposals, &everyone);
        self.send_heartbeats(ctx);
    }

    /// A refusal: someone promised a higher ballot; stop campaigning or leading.
    pub(super) fn on_nack(&mut self, ctx: &mut Ctx<Self>, b: Ballot, promised: Ballot) {
        self.round = self.round.max(promised.round);
        if b == self.current_ballot() && promised > b {
            self.step_down(ctx, None);
        }
    }

    /// Back to follower; clients waiting here retry elsewhere.
    pub(super) fn step_down(&mut self, ctx: &mut Ctx<Self>, leader: Option<NodeId>) {
        if self.is_leader() {
            self.mark(ctx, "step-down");
            ctx.cancel_timer(MultiTimer::Heartbeat);
            self.waiters.clear();
        }
        if !matches!(self.role, Role::Follower) {
            self.role = Role::Follower;
        }
        self.leader = leader;
        self.reset_election_timer(ctx);
    }
}
