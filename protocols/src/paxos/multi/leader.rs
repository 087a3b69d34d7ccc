//! The leader's phase 2: proposals in batches to a bare majority (`quorum_peers`; a new
//! leader's re-proposals to every acceptor), acceptances counted per slot (a slot is chosen
//! once a majority accepted it in this ballot), heartbeats to every follower that carry the
//! commit point and retransmit what a follower has not acknowledged, confirmation rounds of
//! reads to a bare majority, and catch-up, by chosen slots or by snapshot, of a replica that
//! could not apply the commit point it was told.

use super::server::{MultiServer, MultiTimer};
use super::{MultiMsg, SlotCmd};
use crate::few::Few;
use crate::kv::Cmd;
use crate::paxos::ballot::Ballot;
use crate::paxos::majority;
use crate::paxos::slots::Slots;
use splitbrain_api::{Ctx, NodeId, Time};
use std::rc::Rc;

/// A read waiting for its confirmation round and its index.
pub(super) struct PendingRead {
    pub client: NodeId,
    pub seq: u64,
    pub key: String,
    pub need_round: u64,
    pub index: Option<u64>,
}

/// What an acceptor's `Accepted` reports besides its votes.
pub(super) struct Ack {
    /// The replica's applied index after handling the Accept.
    pub applied: u64,
    /// The confirmation round it acknowledges.
    pub round: u64,
    /// The commit point that Accept carried.
    pub told: u64,
}

/// Leader-only state.
pub(super) struct Leading {
    pub ballot: Ballot,
    /// Every slot below this was chosen before this leader or re-proposed by it: reads wait
    /// until they are applied.
    pub ready_slot: u64,
    pub next_slot: u64,
    /// Proposed in this ballot, not chosen yet: the command, who accepted it, and when it
    /// was last sent (heartbeats retransmit only what is older than one interval).
    pub pending: Slots<(Rc<Cmd>, u32, Time)>,
    pub applied_of: Vec<u64>,
    pub acked_round: Vec<u64>,
    /// When each follower last acknowledged anything in this ballot (from the election on).
    pub last_ack: Vec<Time>,
    pub round: u64,
    pub round_open: bool,
    pub reads: Vec<PendingRead>,
    /// The empty batch every bare heartbeat carries.
    pub no_entries: Rc<[SlotCmd]>,
}

impl Leading {
    pub fn new(ballot: Ballot, next_slot: u64, n: usize, now: Time) -> Leading {
        Leading {
            ballot,
            ready_slot: next_slot,
            next_slot,
            pending: Slots::default(),
            applied_of: vec![0; n],
            acked_round: vec![0; n],
            last_ack: vec![now; n],
            round: 0,
            round_open: false,
            reads: Vec::new(),
            no_entries: Rc::from(Vec::new()),
        }
    }
}

impl MultiServer {
    pub(super) fn lead(&mut self) -> Option<&mut Leading> {
        match &mut self.role {
            super::election::Role::Leader(l) => Some(l),
            _ => None,
        }
    }

    /// The followers a client's proposal or a read round asks: with this leader a bare
    /// majority, the next servers in server order that acknowledged something within the
    /// last two heartbeat intervals (the same ones whatever happened before, unless one falls
    /// silent); every server if too few did. The others learn by heartbeat and catch-up, and
    /// heartbeats resend them a proposal still waiting for a majority.
    pub(super) fn quorum_peers(&self, now: Time) -> Few<NodeId> {
        let n = self.servers.len();
        let everyone = || Few::collect(self.id, self.servers.iter().copied());
        let super::election::Role::Leader(lead) = &self.role else {
            return everyone();
        };
        let me = self.id.index();
        let alive = |i: usize| lead.last_ack[i] + self.cfg.heartbeat + self.cfg.heartbeat >= now;
        let peers = (1..n)
            .map(|k| (me + k) % n)
            .filter(|&i| alive(i))
            .take(majority(n) - 1)
            .map(|i| self.servers[i]);
        let peers = Few::collect(self.id, peers);
        if peers.len() + 1 < majority(n) {
            return everyone();
        }
        peers
    }

    /// Proposes `entries` in this leader's ballot: its own acceptor first, then `to`.
    pub(super) fn propose_to(&mut self, ctx: &mut Ctx<Self>, entries: &[SlotCmd], to: &[NodeId]) {
        let Some(lead) = self.lead() else {
            return;
        };
        let ballot = lead.ballot;
        let now = ctx.now();
        for (slot, cmd) in entries {
            lead.pending.insert(*slot, (Rc::clone(cmd), 0, now));
            lead.next_slot = lead.next_slot.max(slot + 1);
        }
        let mine = match self.acceptor_accept(ctx, ballot, entries) {
            Ok(slots) => slots,
            Err(promised) => return self.on_nack(ctx, ballot, promised),
        };
        ctx.barrier();
        let commit = self.applied;
        let round = self.lead().map_or(0, |l| l.round);
        for batch in entries.chunks(self.cfg.max_batch) {
            let msg = MultiMsg::Accept {
                ballot,
                entries: Rc::from(batch),
                commit,
                round,
            };
            ctx.broadcast(to, &msg);
        }
        let me = self.id;
        self.count_accepts(ctx, me, &mine);
    }

    /// Counts `from`'s acceptance of `slots`; a slot with a majority is chosen.
    fn count_accepts(&mut self, ctx: &mut Ctx<Self>, from: NodeId, slots: &[u64]) {
        let quorum = majority(self.servers.len());
        let super::election::Role::Leader(lead) = &mut self.role else {
            return;
        };
        let mut newly = false;
        for &slot in slots {
            let Some((_, mask, _)) = lead.pending.get_mut(slot) else {
                continue;
            };
            *mask |= 1 << from.index();
            if mask.count_ones() as usize >= quorum {
                let (cmd, _, _) = lead.pending.remove(slot).expect("a pending slot");
                self.chosen.insert(slot, cmd);
                newly = true;
            }
        }
        if !newly {
            return;
        }
        self.apply_chosen(ctx);
        self.serve_reads(ctx);
    }

    pub(super) fn on_accepted(
        &mut self,
        ctx: &mut Ctx<Self>,
        from: NodeId,
        ballot: Ballot,
        slots: &[u64],
        ack: Ack,
    ) {
        let now = ctx.now();
        let Some(lead) = self.lead() else {
            return;
        };
        if lead.ballot != ballot {
            return;
        }
        let i = from.index();
        lead.applied_of[i] = lead.applied_of[i].max(ack.applied);
        lead.acked_round[i] = lead.acked_round[i].max(ack.round);
        lead.last_ack[i] = now;
        self.count_accepts(ctx, from, slots);
        // Told that every slot up to `told` is chosen, it could not apply them all: it lacks
        // some. (One merely behind the leader's newest commit point hears it with the next
        // Accept, and needs no copy of slots it accepted.)
        if ack.applied < ack.told {
            self.catch_up(ctx, from, ack.applied);
        }
        self.confirm_round(ctx);
    }

    /// Sends a lagging replica the chosen slots it lacks, or the snapshot if they are gone.
    fn catch_up(&mut self, ctx: &mut Ctx<Self>, to: NodeId, applied: u64) {
        if applied >= self.applied {
            return;
        }
        let first_kept = self.chosen.first().unwrap_or(self.applied + 1);
        if applied + 1 < first_kept {
            self.mark(ctx, "snapshot-sent");
            let snapshot = Rc::clone(&self.snapshot);
            ctx.send(to, MultiMsg::InstallSnapshot { snapshot });
            return;
        }
        let entries: Vec<SlotCmd> = self
            .chosen
            .iter_from(applied + 1)
            .take_while(|(s, _)| *s <= self.applied)
            .take(self.cfg.max_batch * 4)
            .map(|(s, c)| (s, Rc::clone(c)))
            .collect();
        self.mark(ctx, "catch-up");
        ctx.send(to, MultiMsg::Decided { entries });
    }

    /// Heartbeats: the commit point, the current round and, per follower, the proposals it
    /// has not acknowledged yet.
    pub(super) fn send_heartbeats(&mut self, ctx: &mut Ctx<Self>) {
        let commit = self.applied;
        let max_batch = self.cfg.max_batch;
        let me = self.id;
        let heartbeat = self.cfg.heartbeat;
        let now = ctx.now();
        let super::election::Role::Leader(lead) = &mut self.role else {
            return;
        };
        let stale = |sent: Time| sent + heartbeat <= now;
        for peer in self.servers.iter().filter(|&&p| p != me) {
            let bit = 1 << peer.index();
            let mut resend = lead
                .pending
                .iter()
                .filter(|(_, (_, mask, sent))| mask & bit == 0 && stale(*sent))
                .take(max_batch)
                .map(|(s, (c, _, _))| (s, Rc::clone(c)))
                .peekable();
            // A bare heartbeat shares the leader's one empty batch.
            let entries = if resend.peek().is_none() {
                Rc::clone(&lead.no_entries)
            } else {
                resend.collect()
            };
            let msg = MultiMsg::Accept {
                ballot: lead.ballot,
                entries,
                commit,
                round: lead.round,
            };
            ctx.send(*peer, msg);
        }
        for (_, _, sent) in lead.pending.values_mut() {
            if stale(*sent) {
                *sent = now;
            }
        }
        ctx.set_timer(MultiTimer::Heartbeat, heartbeat);
    }

    /// A read's confirmation round: a bare heartbeat with the new round number to a majority
    /// (`quorum_peers`); the periodic heartbeats carry it to everyone.
    pub(super) fn send_round(&mut self, ctx: &mut Ctx<Self>) {
        let peers = self.quorum_peers(ctx.now());
        let commit = self.applied;
        let Some(lead) = self.lead() else {
            return;
        };
        let msg = MultiMsg::Accept {
            ballot: lead.ballot,
            entries: Rc::clone(&lead.no_entries),
            commit,
            round: lead.round,
        };
        ctx.broadcast(&peers, &msg);
    }

    pub(super) fn on_heartbeat_timer(&mut self, ctx: &mut Ctx<Self>) {
        if self.is_leader() {
            self.send_heartbeats(ctx);
        }
    }
}
