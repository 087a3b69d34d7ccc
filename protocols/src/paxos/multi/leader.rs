//! The leader's phase 2: proposals in batches to every acceptor, acceptances counted per slot
//! (a slot is chosen once a majority accepted it in this ballot), heartbeats that carry the
//! commit point, retransmit what a follower has not acknowledged and number the confirmation
//! rounds of reads, and catch-up of lagging replicas by chosen slots or by snapshot.

use super::server::{MultiServer, MultiTimer};
use super::{MultiMsg, SlotCmd};
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
    pub round: u64,
    pub round_open: bool,
    pub reads: Vec<PendingRead>,
    /// The empty batch every bare heartbeat carries.
    pub no_entries: Rc<[SlotCmd]>,
}

impl Leading {
    pub fn new(ballot: Ballot, next_slot: u64, n: usize) -> Leading {
        Leading {
            ballot,
            ready_slot: next_slot,
            next_slot,
            pending: Slots::default(),
            applied_of: vec![0; n],
            acked_round: vec![0; n],
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

    /// Proposes `entries` in this leader's ballot: its own acceptor first, then everyone.
    pub(super) fn propose_all(&mut self, ctx: &mut Ctx<Self>, entries: Vec<SlotCmd>) {
        let Some(lead) = self.lead() else {
            return;
        };
        let ballot = lead.ballot;
        let now = ctx.now();
        for (slot, cmd) in &entries {
            lead.pending.insert(*slot, (Rc::clone(cmd), 0, now));
            lead.next_slot = lead.next_slot.max(slot + 1);
        }
        let mine = match self.acceptor_accept(ctx, ballot, &entries) {
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
            ctx.broadcast(&self.servers, &msg);
        }
        let me = self.id;
        self.count_accepts(ctx, me, &mine);
    }

    /// Counts `from`'s acceptance of `slots`; a slot with a majority is chosen.
    fn count_accepts(&mut self, ctx: &mut Ctx<Self>, from: NodeId, slots: &[u64]) {
        let quorum = majority(self.servers.len());
        let Some(lead) = self.lead() else {
            return;
        };
        let mut newly = Vec::new();
        for slot in slots {
            if let Some((cmd, mask, _)) = lead.pending.get_mut(*slot) {
                *mask |= 1 << from.index();
                if mask.count_ones() as usize >= quorum {
                    newly.push((*slot, Rc::clone(cmd)));
                }
            }
        }
        for (slot, _) in &newly {
            lead.pending.remove(*slot);
        }
        if newly.is_empty() {
            return;
        }
        for (slot, cmd) in newly {
            self.chosen.insert(slot, cmd);
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
        applied: u64,
        round: u64,
    ) {
        let Some(lead) = self.lead() else {
            return;
        };
        if lead.ballot != ballot {
            return;
        }
        let i = from.index();
        lead.applied_of[i] = lead.applied_of[i].max(applied);
        lead.acked_round[i] = lead.acked_round[i].max(round);
        self.count_accepts(ctx, from, slots);
        if slots.is_empty() {
            self.catch_up(ctx, from, applied);
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

    pub(super) fn on_heartbeat_timer(&mut self, ctx: &mut Ctx<Self>) {
        if self.is_leader() {
            self.send_heartbeats(ctx);
        }
    }
}
