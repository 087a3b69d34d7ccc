//! The replica: it learns chosen slots (from the leader's commit point for proposals it
//! accepted in the leader's ballot, and by catch-up otherwise), applies them in slot order to
//! the key-value state machine, snapshots and compacts, and serves clients: writes (and log
//! reads) become slots, exactly once per request id; confirmed reads wait for the leader's
//! initial slots and a heartbeat round a majority acknowledged after the read arrived.

use super::leader::PendingRead;
use super::server::MultiServer;
use super::{MultiMsg, MultiSnapshot, ReadMode, SlotCmd};
use crate::kv::{Applied, Cmd, CmdKind};
use crate::paxos::ballot::Ballot;
use crate::paxos::majority;
use splitbrain_api::{Ctx, NodeId, Op};
use std::rc::Rc;

impl MultiServer {
    /// Phase 2a from a leader (or its heartbeat): accept, learn what its commit point covers,
    /// apply, acknowledge.
    pub(super) fn on_accept(
        &mut self,
        ctx: &mut Ctx<Self>,
        from: NodeId,
        b: Ballot,
        entries: Rc<[SlotCmd]>,
        commit: u64,
        round: u64,
    ) {
        let slots = match self.acceptor_accept(ctx, b, &entries) {
            Ok(slots) => slots,
            Err(promised) => {
                ctx.barrier();
                ctx.send(
                    from,
                    MultiMsg::Nack {
                        ballot: b,
                        promised,
                    },
                );
                return;
            }
        };
        if b >= self.current_ballot()
            && (self.leader != Some(from) || !matches!(self.role, super::election::Role::Follower))
        {
            self.step_down(ctx, Some(from));
        }
        self.reset_election_timer(ctx);
        for slot in self.applied + 1..=commit {
            if let Some((ab, cmd)) = self.accepted.get(slot) {
                if *ab == b && !self.chosen.contains(slot) {
                    self.chosen.insert(slot, Rc::clone(cmd));
                }
            }
        }
        self.apply_chosen(ctx);
        let applied = self.applied;
        ctx.barrier();
        ctx.send(
            from,
            MultiMsg::Accepted {
                ballot: b,
                slots,
                applied,
                round,
                told: commit,
            },
        );
    }

    pub(super) fn on_decided(&mut self, ctx: &mut Ctx<Self>, entries: Vec<SlotCmd>) {
        for (slot, cmd) in entries {
            if slot > self.applied && !self.chosen.contains(slot) {
                self.chosen.insert(slot, cmd);
            }
        }
        self.apply_chosen(ctx);
    }

    pub(super) fn on_snapshot(&mut self, ctx: &mut Ctx<Self>, snapshot: Rc<MultiSnapshot>) {
        if snapshot.index <= self.applied {
            self.mark(ctx, "stale-snapshot-ignored");
            return;
        }
        self.mark(ctx, "snapshot-installed");
        self.applied = snapshot.index;
        self.kv = snapshot.kv.clone();
        self.chosen.drop_below(snapshot.index + 1);
        self.snapshot = snapshot;
        self.compact_acceptor(self.snapshot.index);
        self.persist(ctx);
        self.apply_chosen(ctx);
    }

    /// Applies chosen slots in order; the leader answers the clients it owes.
    pub(super) fn apply_chosen(&mut self, ctx: &mut Ctx<Self>) {
        while let Some(cmd) = self.chosen.get(self.applied + 1).cloned() {
            self.applied += 1;
            ctx.applied(self.applied, cmd.digest);
            self.execute(ctx, &cmd);
        }
        if self.applied >= self.snapshot.index + self.cfg.snapshot_every {
            self.take_snapshot(ctx);
        }
    }

    fn execute(&mut self, ctx: &mut Ctx<Self>, cmd: &Cmd) {
        let CmdKind::Client { client, seq, op } = &cmd.kind else {
            return;
        };
        let ret = match self.kv.apply(*client, *seq, op) {
            Applied::Fresh(ret) => ret,
            Applied::Duplicate(ret) => {
                self.mark(ctx, "dedup-hit");
                ret
            }
            Applied::Stale => return,
        };
        if self.waiters.get(client) == Some(seq) {
            self.waiters.remove(client);
            ctx.send(*client, MultiMsg::ClientReply { seq: *seq, ret });
        }
    }

    /// Snapshot of everything applied; proposals and chosen slots before it are dropped
    /// (a short tail of chosen slots stays for replicas a little behind).
    fn take_snapshot(&mut self, ctx: &mut Ctx<Self>) {
        self.snapshot = Rc::new(MultiSnapshot {
            index: self.applied,
            kv: self.kv.clone(),
        });
        let keep_from = self.applied.saturating_sub(self.cfg.retain) + 1;
        self.chosen.drop_below(keep_from);
        self.compact_acceptor(self.applied);
        self.persist(ctx);
        self.mark(ctx, "snapshot-taken");
    }

    pub(super) fn on_client(&mut self, ctx: &mut Ctx<Self>, client: NodeId, seq: u64, op: Op) {
        if !self.is_leader() {
            let hint = self.leader.filter(|&l| l != self.id);
            ctx.send(client, MultiMsg::NotLeader { seq, hint });
            return;
        }
        match op {
            Op::Get { key } if self.cfg.reads == ReadMode::Confirm => {
                self.on_read(ctx, client, seq, key.into())
            }
            op @ Op::Get { .. } => {
                self.mark(ctx, "read-ordered");
                self.on_write(ctx, client, seq, op)
            }
            op => self.on_write(ctx, client, seq, op),
        }
    }

    fn on_write(&mut self, ctx: &mut Ctx<Self>, client: NodeId, seq: u64, op: Op) {
        if let Some((last, ret)) = self.kv.session(client) {
            if seq == last {
                let ret = ret.clone();
                self.mark(ctx, "dedup-hit");
                ctx.send(client, MultiMsg::ClientReply { seq, ret });
                return;
            }
            if seq < last {
                return;
            }
        }
        self.waiters.insert(client, seq);
        let lead = self.lead().expect("leader");
        let in_flight = lead.pending.values().any(|(c, _, _)| {
            matches!(&c.kind, CmdKind::Client { client: c2, seq: s2, .. } if *c2 == client && *s2 == seq)
        });
        if in_flight {
            return;
        }
        let slot = lead.next_slot;
        let cmd = Cmd::client(client, seq, op);
        self.fresh_proposals.push((None, cmd.digest));
        let peers = self.quorum_peers(ctx.now());
        self.propose_to(ctx, &[(slot, cmd)], &peers);
    }

    fn on_read(&mut self, ctx: &mut Ctx<Self>, client: NodeId, seq: u64, key: String) {
        let applied = self.applied;
        let lead = self.lead().expect("leader");
        let ready = applied + 1 >= lead.ready_slot;
        lead.reads.retain(|r| r.client != client);
        lead.reads.push(PendingRead {
            client,
            seq,
            key,
            need_round: lead.round + 1,
            index: ready.then_some(applied),
        });
        if !lead.round_open {
            self.start_round(ctx);
        }
    }

    fn start_round(&mut self, ctx: &mut Ctx<Self>) {
        let Some(lead) = self.lead() else {
            return;
        };
        lead.round += 1;
        lead.round_open = true;
        self.mark(ctx, "read-round");
        self.mark(ctx, "read-ordered");
        self.send_round(ctx);
        self.confirm_round(ctx);
    }

    /// The highest round a majority acknowledged; serves the reads it confirmed.
    pub(super) fn confirm_round(&mut self, ctx: &mut Ctx<Self>) {
        let me = self.id.index();
        let quorum = majority(self.servers.len());
        let Some(lead) = self.lead() else {
            return;
        };
        if lead.reads.is_empty() && !lead.round_open {
            return;
        }
        // The open round is confirmed once a majority (this leader included) acknowledged it.
        if lead.round_open {
            let round = lead.round;
            let acks = lead.acked_round.iter().enumerate();
            let confirmed_by = acks.filter(|&(i, &r)| i == me || r >= round).count();
            if confirmed_by >= quorum {
                lead.round_open = false;
            }
        }
        self.serve_reads(ctx);
        let Some(lead) = self.lead() else {
            return;
        };
        let waiting = lead.reads.iter().any(|r| r.need_round > lead.round);
        if !lead.round_open && waiting {
            self.start_round(ctx);
        }
    }

    /// Answers every read whose round is confirmed and whose index is applied.
    pub(super) fn serve_reads(&mut self, ctx: &mut Ctx<Self>) {
        let applied = self.applied;
        let Some(lead) = (match &mut self.role {
            super::election::Role::Leader(l) => Some(l),
            _ => None,
        }) else {
            return;
        };
        if lead.reads.is_empty() {
            return;
        }
        let ready = applied + 1 >= lead.ready_slot;
        let confirmed = if lead.round_open {
            lead.round - 1
        } else {
            lead.round
        };
        let kv = &self.kv;
        lead.reads.retain_mut(|r| {
            if r.index.is_none() && ready {
                r.index = Some(applied);
            }
            let done = r.need_round <= confirmed && r.index.is_some_and(|i| i <= applied);
            if done {
                let ret = kv.read(&r.key);
                ctx.send(r.client, MultiMsg::ClientReply { seq: r.seq, ret });
            }
            !done
        });
    }
}
