//! Fast leader election (ZooKeeper's FastLeaderElection, simplified): a looking server votes
//! for the best (current epoch, last zxid, id) it has heard of in its round, tells everyone,
//! and decides once a quorum of the round's votes name the same server. Election is a
//! liveness device only: whether the chosen server may lead is settled by discovery, which
//! needs a quorum's acceptedEpoch and a history at least as recent as theirs.

use super::server::{Phase, ZabServer};
use super::{Vote, ZabMsg};
use splitbrain_api::{Ctx, NodeId};
use std::collections::BTreeMap;

/// A looking server's election state (volatile: a restarted server starts from round 0 and
/// catches up with the first notification of a later round).
#[derive(Default)]
pub(super) struct Election {
    pub round: u64,
    pub vote: Option<Vote>,
    /// The votes of this round, by voter (this server's own included).
    pub votes: BTreeMap<NodeId, Vote>,
}

impl ZabServer {
    /// Leaves any role and starts a new election round voting for itself.
    pub(super) fn start_looking(&mut self, ctx: &mut Ctx<Self>) {
        if self.phase != super::server::Phase::Looking || self.lead.is_some() {
            self.mark_once(ctx, "step-down");
        }
        self.phase = Phase::Looking;
        self.lead = None;
        self.waiters.clear();
        self.proposed_seq.clear();
        self.connecting.clear();
        self.touched.clear();
        self.session_heard.clear();
        self.closing.clear();
        self.opening.clear();
        // Like a ZooKeeper server that loses its leader, it drops its clients: they reconnect
        // and re-register their watches (a later sync may replace the tree without firing).
        self.clients.clear();
        self.watches.clear();
        self.outbox.clear();
        self.conns.clear();
        let me = self.my_vote();
        self.election.round += 1;
        self.election.vote = Some(me);
        self.election.votes = BTreeMap::from([(self.id, me)]);
        self.notify_all(ctx);
    }

    fn notification(&self) -> ZabMsg {
        ZabMsg::Notification {
            round: self.election.round,
            vote: self.election.vote.unwrap_or_else(|| self.my_vote()),
            leading: false,
        }
    }

    pub(super) fn notify_all(&mut self, ctx: &mut Ctx<Self>) {
        let msg = self.notification();
        ctx.broadcast(&self.servers, &msg);
    }

    #[cold]
    #[inline(never)]
    pub(super) fn on_notification(
        &mut self,
        ctx: &mut Ctx<Self>,
        from: NodeId,
        round: u64,
        vote: Vote,
        leading: bool,
    ) {
        let leader = match self.phase {
            Phase::Looking => return self.on_looking_notification(ctx, from, round, vote, leading),
            Phase::Following { leader, .. } => leader,
            Phase::Leading => self.id,
        };
        if !leading {
            // A looking peer: tell it whom we follow so it can join.
            let vote = Vote {
                epoch: self.current_epoch,
                zxid: self.log.last_zxid(),
                id: leader,
            };
            let msg = ZabMsg::Notification {
                round,
                vote,
                leading: true,
            };
            ctx.send(from, msg);
        }
    }

    fn on_looking_notification(
        &mut self,
        ctx: &mut Ctx<Self>,
        from: NodeId,
        round: u64,
        vote: Vote,
        leading: bool,
    ) {
        if leading {
            if vote.id == from {
                if (vote.epoch, vote.zxid) < (self.current_epoch, self.log.last_zxid()) {
                    // A leader whose history is older than ours: joining its discovery would
                    // only make it step down (a quorum member is more recent), again and
                    // again. Stay looking; once it is established without us its epoch is
                    // above ours and we join (and are synchronised, by TRUNC if need be).
                    return self.mark_once(ctx, "older-leader-not-joined");
                }
                self.mark_once(ctx, "joined-leader");
                return self.follow(ctx, from);
            }
            if vote.id == self.id {
                // A follower of ours that has not noticed we are looking: it will time out.
                return;
            }
            // Ask the leader it names; it answers for itself.
            let msg = self.notification();
            return ctx.send(vote.id, msg);
        }
        let mine = self.election.vote.unwrap_or_else(|| self.my_vote());
        if round > self.election.round {
            self.election.round = round;
            let best = vote.max(self.my_vote());
            self.election.vote = Some(best);
            self.election.votes = BTreeMap::from([(self.id, best)]);
            self.notify_all(ctx);
        } else if round < self.election.round {
            let msg = self.notification();
            return ctx.send(from, msg);
        } else if vote > mine {
            self.election.vote = Some(vote);
            self.election.votes.insert(self.id, vote);
            self.notify_all(ctx);
        }
        self.election.votes.insert(from, vote);
        self.decide(ctx, false);
    }

    /// Decides once a quorum of this round's votes name the same server: at once if every
    /// server's vote is in, else at the next tick if that still holds (a better vote may be
    /// on its way; ZooKeeper's finalize wait).
    pub(super) fn decide(&mut self, ctx: &mut Ctx<Self>, waited: bool) {
        let Some(vote) = self.election.vote else {
            return;
        };
        let agree = self.election.votes.values().filter(|v| **v == vote).count();
        if agree < self.quorum() || (!waited && agree < self.servers.len()) {
            return;
        }
        if vote.id == self.id {
            self.lead_discovery(ctx);
        } else {
            self.follow(ctx, vote.id);
        }
    }

    /// Becomes a follower of `leader` and starts discovery with it.
    fn follow(&mut self, ctx: &mut Ctx<Self>, leader: NodeId) {
        self.phase = Phase::Following {
            leader,
            synced: false,
        };
        self.election.vote = None;
        self.touch(ctx);
        self.draw_patience(ctx);
        let msg = ZabMsg::FollowerInfo {
            accepted_epoch: self.accepted_epoch,
        };
        ctx.send(leader, msg);
    }
}
