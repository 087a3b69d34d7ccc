//! The client-facing service of a Raft server: writes (and log reads) become log entries
//! with their session ids (thesis §6.3); reads use ReadIndex (thesis §6.4): the commit index
//! once the leader's term has a committed entry, confirmed by a quorum-acknowledged
//! heartbeat round that started after the read arrived, served once applied.

use super::log::{quorum_match, Cmd, Entry};
use super::server::{mark_once, PendingRead, RaftServer, State};
use super::{RaftBug, RaftMsg, ReadMode};
use splitbrain_api::{Ctx, NodeId, Op};

impl RaftServer {
    pub(super) fn on_client_request(
        &mut self,
        ctx: &mut Ctx<Self>,
        client: NodeId,
        seq: u64,
        op: Op,
    ) {
        if self.state != State::Leader {
            let hint = self.leader;
            ctx.send(client, RaftMsg::NotLeader { seq, hint });
            return;
        }
        match op {
            Op::Get { key } if self.cfg.reads == ReadMode::ReadIndex => {
                self.on_read(ctx, client, seq, key.into())
            }
            op => self.on_write(ctx, client, seq, op),
        }
    }

    /// A command through the log, at most once per (client, seq).
    fn on_write(&mut self, ctx: &mut Ctx<Self>, client: NodeId, seq: u64, op: Op) {
        if let Some((last, ret)) = self.kv.session(client) {
            if seq == last {
                mark_once(&mut self.marked, ctx, "dedup-hit");
                let ret = ret.clone();
                ctx.send(client, RaftMsg::ClientReply { seq, ret });
                return;
            }
            if seq < last {
                return; // the client has moved on; nobody waits for this answer
            }
        }
        self.waiters.insert(client, seq);
        if self
            .log
            .find_request(self.applied + 1, client, seq)
            .is_some()
        {
            // Already in this leader's log: it commits with this term's entries.
            mark_once(&mut self.marked, ctx, "retry-pending");
            return;
        }
        let term = self.term;
        self.log_mut().push(Entry {
            term,
            cmd: Cmd::client(client, seq, op),
        });
        self.dirty = true;
        self.flush(ctx);
        self.advance_commit(ctx);
        self.broadcast_append(ctx, false);
    }

    fn on_read(&mut self, ctx: &mut Ctx<Self>, client: NodeId, seq: u64, key: String) {
        if self.cfg.bug == RaftBug::StaleLeaderRead {
            // Planted bug R05: local state, leadership never confirmed.
            let ret = self.kv.read(&key);
            ctx.send(client, RaftMsg::ClientReply { seq, ret });
            return;
        }
        let commit = self.commit;
        let term_committed = self.term_committed();
        let lead = self.lead.as_mut().expect("leader");
        // One operation per client at a time: a retry or a newer read replaces the old one,
        // which bounds the list on a leader that cannot confirm its rounds.
        lead.reads.retain(|r| r.client != client);
        lead.reads.push(PendingRead {
            client,
            seq,
            key,
            need_round: lead.round + 1,
            index: term_committed.then_some(commit),
        });
        if !lead.round_open {
            self.start_round(ctx);
        }
    }

    /// Whether this leader's term has a committed entry, so its commit index is at least
    /// every earlier leader's (thesis §6.4 step 1). R06 skips the wait (and the no-op).
    fn term_committed(&self) -> bool {
        if self.cfg.bug == RaftBug::NoNoopRead {
            return true;
        }
        self.lead
            .as_ref()
            .is_some_and(|l| self.commit >= l.term_start)
    }

    /// A heartbeat round that confirms leadership for the reads that arrived before it.
    fn start_round(&mut self, ctx: &mut Ctx<Self>) {
        let lead = self.lead.as_mut().expect("leader");
        lead.round += 1;
        lead.round_open = true;
        mark_once(&mut self.marked, ctx, "read-index");
        self.broadcast_append(ctx, true);
        self.confirm_round(ctx);
    }

    /// The highest round a quorum acknowledged; serves what it confirmed.
    pub(super) fn confirm_round(&mut self, ctx: &mut Ctx<Self>) {
        let Some(lead) = self.lead.as_mut() else {
            return;
        };
        if lead.reads.is_empty() && !lead.round_open {
            return;
        }
        let mut acked = [0u64; 32];
        let n = self.servers.len();
        for (i, a) in acked.iter_mut().enumerate().take(n) {
            *a = if i == self.id.index() {
                lead.round
            } else {
                lead.acked_round[i]
            };
        }
        let confirmed = quorum_match(&mut acked[..n]);
        if lead.round_open && confirmed >= lead.round {
            lead.round_open = false;
        }
        self.serve_reads(ctx);
        let lead = self.lead.as_mut().expect("leader");
        let waiting = lead.reads.iter().any(|r| r.need_round > lead.round);
        if !lead.round_open && waiting {
            self.start_round(ctx);
        }
    }

    /// Answers every read whose round is confirmed and whose index is applied.
    pub(super) fn serve_reads(&mut self, ctx: &mut Ctx<Self>) {
        let commit = self.commit;
        let applied = self.applied;
        let term_committed = self.term_committed();
        let Some(lead) = self.lead.as_mut() else {
            return;
        };
        if lead.reads.is_empty() {
            return;
        }
        let confirmed = if lead.round_open {
            lead.round - 1
        } else {
            lead.round
        };
        let kv = &self.kv;
        lead.reads.retain_mut(|r| {
            if r.index.is_none() && term_committed {
                r.index = Some(commit);
            }
            let ready = r.need_round <= confirmed && r.index.is_some_and(|i| i <= applied);
            if ready {
                let ret = kv.read(&r.key);
                ctx.send(r.client, RaftMsg::ClientReply { seq: r.seq, ret });
            }
            !ready
        });
    }
}
