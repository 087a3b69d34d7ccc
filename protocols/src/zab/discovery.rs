//! Phases 1 and 2 of ZAB. Discovery: followers send their acceptedEpoch; once a quorum has,
//! the leader picks an epoch above all of them, and each follower accepts it durably (never a
//! lower one, never the same one from another leader) and reports its history. The leader
//! goes on only if its own history is at least as recent, in (currentEpoch, last zxid), as
//! every history of that quorum; otherwise it steps down. Synchronisation: each follower is
//! brought to the leader's history by DIFF, TRUNC or SNAP, takes the epoch as currentEpoch
//! durably and acknowledges NEWLEADER; with a quorum of those the leader is established and
//! its whole history committed.

use super::log::{sync_plan, Log, Snapshot, SyncPlan, Txn};
use super::server::{Phase, ZabServer};
use super::small_map::SmallMap;
use super::{ZabBug, ZabMsg};
use splitbrain_api::{Ctx, NodeId, Time};
use std::collections::BTreeMap;
use std::rc::Rc;

/// What a Sync carries: TRUNC point, snapshot, the zxid its transactions follow, and them.
type SyncBody = (Option<u64>, Option<Rc<Snapshot>>, u64, Vec<Txn>);

/// Where a leader is in phases 1 to 3.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Stage {
    /// Collecting FOLLOWERINFO.
    Discovery,
    /// Epoch chosen; collecting ACKEPOCH.
    AckEpoch,
    /// Followers being synchronised; waiting for a quorum of ACKNEWLEADER.
    Sync,
    Broadcast,
}

/// A follower as its leader sees it.
pub(super) struct Peer {
    pub synced: bool,
    /// Highest zxid it acknowledged holding durably.
    pub acked: u64,
    /// Highest zxid sent to it: new proposals go only to a peer that has been sent all
    /// before them; a peer behind catches up one batch per acknowledgement.
    pub sent: u64,
    pub heard: Time,
}

impl Peer {
    /// A peer that has processed everything sent to it but is behind the leader's `last`
    /// zxid: it gets the next batch.
    pub fn needs_next_batch(&self, last: u64) -> bool {
        self.synced && self.acked >= self.sent && self.acked < last
    }
}

/// Leader-only state.
pub(super) struct Leading {
    pub stage: Stage,
    pub established: bool,
    pub epoch: u64,
    pub started: Time,
    pub infos: BTreeMap<NodeId, u64>,
    /// ACKEPOCH histories (currentEpoch, last zxid), this leader's own included.
    pub histories: BTreeMap<NodeId, (u64, u64)>,
    pub peers: SmallMap<NodeId, Peer>,
    pub commit: u64,
}

impl Leading {
    pub fn stage_label(&self) -> &'static str {
        match self.stage {
            Stage::Discovery => "discovery",
            Stage::AckEpoch => "waiting for ACKEPOCH",
            Stage::Sync => "synchronising",
            Stage::Broadcast => "broadcast",
        }
    }
}

impl ZabServer {
    /// Won the election: lead discovery, counting this server's own acceptedEpoch.
    pub(super) fn lead_discovery(&mut self, ctx: &mut Ctx<Self>) {
        self.mark_once(ctx, "leader-elected");
        self.phase = Phase::Leading;
        self.election.vote = None;
        self.lead = Some(Leading {
            stage: Stage::Discovery,
            established: false,
            epoch: 0,
            started: ctx.now(),
            infos: BTreeMap::from([(self.id, self.accepted_epoch)]),
            histories: BTreeMap::new(),
            peers: SmallMap::new(),
            commit: 0,
        });
        self.try_choose_epoch(ctx);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn on_follower_info(&mut self, ctx: &mut Ctx<Self>, from: NodeId, accepted: u64) {
        let Some(lead) = self.lead.as_mut() else {
            return;
        };
        if lead.stage == Stage::Discovery {
            lead.infos.insert(from, accepted);
            return self.try_choose_epoch(ctx);
        }
        let epoch = lead.epoch;
        self.barrier(ctx);
        ctx.send(from, ZabMsg::NewEpoch { epoch });
    }

    /// With a quorum of acceptedEpochs: a new epoch above all of them, accepted here durably
    /// before anyone hears of it.
    fn try_choose_epoch(&mut self, ctx: &mut Ctx<Self>) {
        let quorum = self.quorum();
        let mine = (self.current_epoch, self.log.last_zxid());
        let lead = self.lead.as_mut().expect("leading");
        if lead.infos.len() < quorum {
            return;
        }
        let epoch = lead
            .infos
            .values()
            .max()
            .copied()
            .unwrap_or(0)
            .max(self.accepted_epoch)
            + 1;
        lead.epoch = epoch;
        lead.stage = Stage::AckEpoch;
        lead.histories.insert(self.id, mine);
        let to: Vec<NodeId> = lead
            .infos
            .keys()
            .copied()
            .filter(|&p| p != self.id)
            .collect();
        self.accepted_epoch = epoch;
        self.dirty = true;
        self.barrier(ctx);
        for peer in to {
            ctx.send(peer, ZabMsg::NewEpoch { epoch });
        }
    }

    /// Follower: accept a new epoch from our prospective leader, durably, then report. An
    /// epoch below our acceptedEpoch is refused; the one we accepted already (from another
    /// prospective leader, or before a restart) is acknowledged as not fresh, as ZooKeeper's
    /// learners do: that leader may synchronise us but not count us, so two leaders of one
    /// epoch still cannot both gather a quorum, and a leader established in an epoch we once
    /// accepted from someone else can take us back (refusing it, we would join and be refused
    /// again for as long as it leads).
    #[cold]
    #[inline(never)]
    pub(super) fn on_new_epoch(&mut self, ctx: &mut Ctx<Self>, from: NodeId, epoch: u64) {
        let Phase::Following { leader, .. } = self.phase else {
            return;
        };
        if leader != from {
            return;
        }
        if epoch < self.accepted_epoch {
            // It cannot take us. We look again once our patience with it runs out (looking
            // at once would have us join it again at once, for as long as it leads).
            return self.mark_once(ctx, "epoch-rejected");
        }
        let fresh = epoch > self.accepted_epoch || self.promised == Some((epoch, from));
        if !fresh {
            self.mark_once(ctx, "epoch-acked-again");
        }
        self.touch(ctx);
        if epoch > self.accepted_epoch {
            self.accepted_epoch = epoch;
            self.dirty = true;
        }
        self.promised = Some((epoch, from));
        let msg = ZabMsg::AckEpoch {
            epoch,
            current_epoch: self.current_epoch,
            last_zxid: self.log.last_zxid(),
            fresh,
        };
        self.barrier(ctx);
        ctx.send(from, msg);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn on_ack_epoch(
        &mut self,
        ctx: &mut Ctx<Self>,
        from: NodeId,
        epoch: u64,
        history: (u64, u64),
        fresh: bool,
    ) {
        let quorum = self.quorum();
        let now = ctx.now();
        let Some(lead) = self.lead.as_mut().filter(|l| l.epoch == epoch) else {
            return;
        };
        match lead.stage {
            Stage::Discovery => {}
            Stage::AckEpoch if !fresh => {}
            Stage::AckEpoch => {
                lead.histories.insert(from, history);
                if lead.histories.len() < quorum {
                    return;
                }
                let mine = lead.histories[&self.id];
                if lead.histories.values().any(|h| *h > mine) {
                    // Someone in the quorum has a more recent history: it should lead.
                    self.mark_once(ctx, "leader-abdicated");
                    return self.start_looking(ctx);
                }
                if lead
                    .histories
                    .iter()
                    .all(|(&p, h)| p == self.id || h.1 < mine.1)
                {
                    // Coverage: what it delivers on establishing, only it holds now.
                    ctx.mark("leads-unshared-history");
                }
                lead.stage = Stage::Sync;
                let followers: Vec<(NodeId, u64)> = lead
                    .histories
                    .iter()
                    .filter(|(&p, _)| p != self.id)
                    .map(|(&p, h)| (p, h.1))
                    .collect();
                self.current_epoch = epoch;
                self.dirty = true;
                self.barrier(ctx);
                for (peer, last) in followers {
                    self.send_sync(ctx, peer, last, now);
                }
            }
            Stage::Sync | Stage::Broadcast => {
                self.barrier(ctx);
                self.send_sync(ctx, from, history.1, now);
            }
        }
    }

    /// Sends `peer` (whose last zxid is `last`) what brings it to our history, then NEWLEADER.
    pub(super) fn send_sync(&mut self, ctx: &mut Ctx<Self>, peer: NodeId, last: u64, now: Time) {
        let mut plan = sync_plan(&self.log, last);
        if self.cfg.bug == ZabBug::DiffWithoutTrunc && matches!(plan, SyncPlan::Trunc { .. }) {
            // Z01: treat the follower's last zxid as if our log held it.
            plan = SyncPlan::Diff { after: last };
        }
        let msg = self.sync_msg(plan);
        let lead = self.lead.as_mut().expect("leading");
        lead.peers.insert(
            peer,
            Peer {
                synced: false,
                acked: 0,
                sent: 0,
                heard: now,
            },
        );
        let name = match plan {
            SyncPlan::Diff { .. } => "sync-diff",
            SyncPlan::Trunc { .. } => "sync-trunc",
            SyncPlan::Snap => "sync-snap",
        };
        self.mark_once(ctx, name);
        ctx.send(peer, msg);
    }

    fn sync_msg(&self, plan: SyncPlan) -> ZabMsg {
        let epoch = self.lead.as_ref().expect("leading").epoch;
        let (trunc_to, snapshot, prev) = match plan {
            SyncPlan::Diff { after } => (None, None, after),
            SyncPlan::Trunc { to } => (Some(to), None, to),
            SyncPlan::Snap => (None, Some(self.snapshot.clone()), self.snapshot.zxid),
        };
        ZabMsg::Sync {
            epoch,
            trunc_to,
            snapshot,
            prev,
            txns: self.log.txns_above(prev, usize::MAX),
        }
    }

    #[cold]
    #[inline(never)]
    pub(super) fn on_sync_failed(&mut self, ctx: &mut Ctx<Self>, from: NodeId, epoch: u64) {
        if self.lead.as_ref().is_some_and(|l| l.epoch == epoch) {
            let now = ctx.now();
            self.mark_once(ctx, "sync-failed");
            self.send_snap(ctx, from, now);
        }
    }

    pub(super) fn send_snap(&mut self, ctx: &mut Ctx<Self>, peer: NodeId, now: Time) {
        let msg = self.sync_msg(SyncPlan::Snap);
        if let Some(p) = self.lead.as_mut().and_then(|l| l.peers.get_mut(&peer)) {
            p.synced = false;
            p.heard = now;
        }
        self.mark_once(ctx, "sync-snap");
        ctx.send(peer, msg);
    }

    /// Follower: apply the leader's synchronisation and NEWLEADER, durably, then acknowledge.
    #[cold]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_sync(
        &mut self,
        ctx: &mut Ctx<Self>,
        from: NodeId,
        epoch: u64,
        trunc_to: Option<u64>,
        snapshot: Option<Rc<super::log::Snapshot>>,
        prev: u64,
        txns: Vec<super::log::Txn>,
    ) {
        let Phase::Following { leader, .. } = self.phase else {
            return;
        };
        if leader != from || epoch != self.accepted_epoch || self.promised != Some((epoch, from)) {
            return;
        }
        self.touch(ctx);
        let (trunc_to, snapshot, prev, txns) = if epoch == self.current_epoch {
            self.sync_again(ctx, snapshot, prev, txns)
        } else {
            (trunc_to, snapshot, prev, txns)
        };
        if let Some(snap) = snapshot {
            let before = self.delivered;
            self.install_snapshot(snap);
            // A follower still serving (a SNAP for one that fell behind the log).
            self.fire_for_snapshot(before);
        } else if let Some(to) = trunc_to {
            assert!(
                to >= self.delivered,
                "{}: TRUNC below a delivered transaction",
                self.id
            );
            if self.log_mut().truncate_after(to) > 0 {
                self.mark_once(ctx, "truncated");
            }
        }
        if self.log.last_zxid() != prev {
            return ctx.send(from, ZabMsg::SyncFailed { epoch });
        }
        for txn in txns {
            self.log_mut().append(txn);
        }
        self.current_epoch = epoch;
        self.dirty = true;
        self.phase = Phase::Following {
            leader,
            synced: true,
        };
        let ack = ZabMsg::AckNewLeader {
            epoch,
            last_zxid: self.log.last_zxid(),
        };
        if self.cfg.bug == ZabBug::AckBeforeDurable {
            // Z02: the acknowledgement leaves before the synced history is on disk.
            ctx.send(from, ack);
            return self.flush(ctx);
        }
        self.barrier(ctx);
        ctx.send(from, ack);
    }

    /// A Sync of the epoch this follower already synchronised in (a duplicate, one delayed
    /// past later proposals or a restart, or the answer to an AckEpoch sent again). Only one
    /// leader per epoch synchronises anyone and its log only grows, so both our log and the
    /// message are prefixes of that leader's history: the longer one wins. If ours holds
    /// everything the message does, we keep it and acknowledge it as it is (truncating would
    /// go back below delivered or acknowledged transactions: zab-zk-watches seed 906, a
    /// duplicated Sync{trunc_to 0} arriving after the follower delivered); otherwise we take
    /// the message's transactions after our last, or its snapshot if we are behind it.
    fn sync_again(
        &mut self,
        ctx: &mut Ctx<Self>,
        snapshot: Option<Rc<Snapshot>>,
        prev: u64,
        mut txns: Vec<Txn>,
    ) -> SyncBody {
        let last = self.log.last_zxid();
        let end = txns.last().map_or(prev, |t| t.zxid);
        if snapshot.as_ref().is_some_and(|s| s.zxid > last) {
            return (None, snapshot, prev, txns);
        }
        if end <= last {
            self.mark_once(ctx, "sync-already-held");
            return (None, None, last, Vec::new());
        }
        if prev <= last {
            txns.retain(|t| t.zxid > last);
            return (None, None, last, txns);
        }
        (None, None, prev, txns)
    }

    fn install_snapshot(&mut self, snap: Rc<super::log::Snapshot>) {
        let state = snap.state();
        self.kv = state.kv.clone();
        self.tree = state.tree.clone();
        self.delivered = snap.zxid;
        self.delivered_chain = snap.chain;
        self.since_snapshot.clear();
        self.log = Log::after(&snap);
        self.snapshot = snap;
        self.dirty = true;
    }

    #[cold]
    #[inline(never)]
    pub(super) fn on_ack_new_leader(
        &mut self,
        ctx: &mut Ctx<Self>,
        from: NodeId,
        epoch: u64,
        last: u64,
    ) {
        let now = ctx.now();
        let quorum = self.quorum();
        let Some(lead) = self.lead.as_mut().filter(|l| l.epoch == epoch) else {
            return;
        };
        let Some(peer) = lead.peers.get_mut(&from) else {
            return;
        };
        peer.synced = true;
        peer.acked = peer.acked.max(last);
        peer.sent = peer.sent.max(last);
        peer.heard = now;
        let synced = lead.peers.values().filter(|p| p.synced).count() + 1;
        if !lead.established && synced >= quorum {
            lead.established = true;
            lead.stage = Stage::Broadcast;
            self.report.established = Some(epoch);
            self.mark_once(ctx, "leader-established");
            let last = self.log.last_zxid();
            self.commit_upto(ctx, last);
        } else if lead.established {
            let commit = lead.commit;
            ctx.send(
                from,
                ZabMsg::Commit {
                    epoch,
                    zxid: commit,
                },
            );
            self.catch_up(ctx, from);
        }
    }
}
