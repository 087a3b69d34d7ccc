//! Log replication (§5.3): AppendEntries with the consistency check, truncation only on a
//! real conflict, fast backup; commitment by counting replicas of a current-term entry
//! (§5.4.2); applying; snapshots and InstallSnapshot (§7, Figure 13).

use super::log::{backup_next_index, quorum, quorum_match, CmdKind, Entry, Log};
use super::server::{mark_once, RaftServer, State};
use super::snapshot::Snapshot;
use super::{RaftBug, RaftMsg};
use crate::kv::Applied;
use splitbrain_api::{Ctx, NodeId, Ret};
use std::rc::Rc;

/// The outcome of the consistency check and append on a follower.
struct Accepted {
    success: bool,
    match_index: u64,
    conflict_term: Option<u64>,
    conflict_index: u64,
}

impl RaftServer {
    /// Sends AppendEntries to every follower (`force`: even those with one outstanding).
    pub(super) fn broadcast_append(&mut self, ctx: &mut Ctx<Self>, force: bool) {
        for i in 0..self.servers.len() {
            let peer = self.servers[i];
            let busy = self.lead.as_ref().is_some_and(|l| l.inflight[i]);
            if peer != self.id && (force || !busy) {
                self.send_append(ctx, peer);
            }
        }
    }

    /// AppendEntries from `next[peer]` (at most `max_batch` entries), or the snapshot when
    /// the entries it needs were compacted away.
    pub(super) fn send_append(&mut self, ctx: &mut Ctx<Self>, peer: NodeId) {
        if self.lead.is_none() {
            return;
        }
        // Entries leave only once durable here: the leader counts its own log in the quorum.
        self.barrier(ctx);
        let Some(lead) = self.lead.as_mut() else {
            return;
        };
        let p = peer.index();
        lead.inflight[p] = true;
        let next = lead.next[p];
        let round = lead.round;
        if next <= self.log.base_index() {
            let msg = RaftMsg::InstallSnapshot {
                term: self.term,
                snapshot: self.snapshot.clone(),
                round,
            };
            ctx.send(peer, msg);
            return;
        }
        let prev_index = next - 1;
        let prev_term = self
            .log
            .term_at(prev_index)
            .expect("next is within the log");
        let entries = self.log.slice(next, self.cfg.max_batch);
        if entries.len() > 1 && !lead.marked_batch {
            lead.marked_batch = true;
            ctx.mark("batched-append");
        }
        let msg = RaftMsg::AppendEntries {
            term: self.term,
            prev_index,
            prev_term,
            entries,
            commit: self.commit,
            round,
        };
        ctx.send(peer, msg);
    }

    pub(super) fn on_append_entries(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: RaftMsg) {
        let RaftMsg::AppendEntries {
            term,
            prev_index,
            prev_term,
            entries,
            commit,
            round,
        } = msg
        else {
            return;
        };
        if term < self.term {
            let reply = self.append_reply(false, 0, None, 0, prev_index, round);
            ctx.send(from, reply);
            return;
        }
        self.observe_term(ctx, term);
        self.heard_leader(ctx, from);
        let a = self.accept(ctx, prev_index, prev_term, &entries);
        if a.success {
            // The ack asserts entries up to match_index are durable; an earlier handler may
            // have appended them without its write being synced yet (a duplicate arriving
            // meanwhile: raft-swarm seed 8821).
            self.barrier(ctx);
        }
        let reply = self.append_reply(
            a.success,
            a.match_index,
            a.conflict_term,
            a.conflict_index,
            prev_index,
            round,
        );
        self.flush(ctx);
        ctx.send(from, reply);
        if a.success {
            // Figure 2: commitIndex = min(leaderCommit, index of last new entry).
            let upto = commit.min(a.match_index).min(self.log.last_index());
            if upto > self.commit {
                self.commit = upto;
                self.apply_committed(ctx);
            }
        }
    }

    fn append_reply(
        &self,
        success: bool,
        match_index: u64,
        conflict_term: Option<u64>,
        conflict_index: u64,
        prev_index: u64,
        round: u64,
    ) -> RaftMsg {
        RaftMsg::AppendReply {
            term: self.term,
            success,
            match_index,
            conflict_term,
            conflict_index,
            prev_index,
            round,
        }
    }

    /// Figure 2 receiver steps 2-4: consistency check at `prev_index`, then append, cutting
    /// the log only where an existing entry conflicts with a new one.
    fn accept(
        &mut self,
        ctx: &mut Ctx<Self>,
        prev_index: u64,
        prev_term: u64,
        entries: &[Entry],
    ) -> Accepted {
        let match_index = prev_index + entries.len() as u64;
        let snap = self.log.base_index();
        let (mut at, new) = if prev_index < snap {
            // The prefix up to our snapshot is committed, hence identical: skip it.
            let skip = ((snap - prev_index) as usize).min(entries.len());
            (snap, &entries[skip..])
        } else {
            match self.log.term_at(prev_index) {
                None => return self.reject(None, self.log.last_index() + 1),
                Some(t) if t != prev_term => {
                    let first = self.log.first_index_of_term(prev_index, t);
                    return self.reject(Some(t), first);
                }
                Some(_) => (prev_index, entries),
            }
        };
        for (k, e) in new.iter().enumerate() {
            at += 1;
            match self.log.term_at(at) {
                Some(t) if t == e.term => continue,
                Some(t) => {
                    if t > e.term {
                        mark_once(&mut self.marked, ctx, "newer-truncated");
                    }
                    mark_once(&mut self.marked, ctx, "conflict-truncated");
                    self.truncate(ctx, at);
                }
                None => {}
            }
            for e in &new[k..] {
                self.log_mut().push(e.clone());
            }
            self.dirty = true;
            break;
        }
        Accepted {
            success: true,
            match_index,
            conflict_term: None,
            conflict_index: 0,
        }
    }

    fn reject(&self, conflict_term: Option<u64>, conflict_index: u64) -> Accepted {
        Accepted {
            success: false,
            match_index: 0,
            conflict_term,
            conflict_index,
        }
    }

    /// Cuts the log from `at`. Cutting a committed entry means safety is already lost (only
    /// a planted bug gets here); the state is clamped so the checkers, not an assertion,
    /// report what follows.
    fn truncate(&mut self, ctx: &mut Ctx<Self>, at: u64) {
        if at <= self.commit {
            mark_once(&mut self.marked, ctx, "committed-truncated");
            self.commit = at - 1;
            self.applied = self.applied.min(self.commit);
        }
        self.log_mut().truncate_from(at);
    }

    pub(super) fn on_append_reply(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: RaftMsg) {
        let RaftMsg::AppendReply {
            term,
            success,
            match_index,
            conflict_term,
            conflict_index,
            prev_index,
            round,
        } = msg
        else {
            return;
        };
        if !self.leader_accepts_reply(ctx, term) {
            return;
        }
        let last = self.log.last_index();
        let p = from.index();
        let lead = self.lead.as_mut().expect("leader");
        lead.inflight[p] = false;
        lead.acked_round[p] = lead.acked_round[p].max(round);
        let before = lead.next[p];
        if success {
            lead.matched[p] = lead.matched[p].max(match_index.min(last));
            lead.next[p] = lead.next[p].max(lead.matched[p] + 1);
        } else if prev_index + 1 == lead.next[p] {
            let mine = self.log.term_at(prev_index);
            if let (Some(t), Some(mine)) = (conflict_term, mine) {
                if t > mine {
                    lead.newer_conflict[p] = Some((prev_index, t));
                    mark_once(&mut self.marked, ctx, "newer-conflict");
                }
            }
            let leader_last = conflict_term.and_then(|t| self.log.last_index_of_term(t));
            let back = backup_next_index(conflict_term, conflict_index, leader_last);
            lead.next[p] = back.clamp(lead.matched[p] + 1, lead.next[p]);
            mark_once(&mut self.marked, ctx, "fast-backup");
        }
        // A rejection that cannot move nextIndex waits for the heartbeat instead of looping.
        let moved = success || lead.next[p] != before;
        self.after_ack(ctx, from, moved);
    }

    /// The term checks every reply to a leader passes (§5.1). R14 skips the last one.
    fn leader_accepts_reply(&mut self, ctx: &mut Ctx<Self>, term: u64) -> bool {
        if term > self.term {
            self.observe_term(ctx, term);
            return false;
        }
        if self.state != State::Leader {
            return false;
        }
        if term < self.term {
            mark_once(&mut self.marked, ctx, "stale-term-reply");
            // Planted bug R14: an acknowledgement from an earlier term is counted.
            return self.cfg.bug == RaftBug::StaleTermReplies;
        }
        true
    }

    /// After any acknowledgement: commit, ReadIndex rounds, and more entries if any.
    fn after_ack(&mut self, ctx: &mut Ctx<Self>, from: NodeId, progressed: bool) {
        self.advance_commit(ctx);
        self.confirm_round(ctx);
        let lagging = self
            .lead
            .as_ref()
            .is_some_and(|l| l.next[from.index()] <= self.log.last_index());
        if lagging && progressed {
            self.send_append(ctx, from);
        }
    }

    /// §5.3, §5.4.2: commit the highest index on a quorum if it holds a current-term entry.
    pub(super) fn advance_commit(&mut self, ctx: &mut Ctx<Self>) {
        let Some(lead) = self.lead.as_ref() else {
            return;
        };
        let mut matches = [0u64; 32];
        let n = self.servers.len();
        for (i, m) in matches.iter_mut().enumerate().take(n) {
            *m = if i == self.id.index() {
                self.log.last_index()
            } else {
                lead.matched[i]
            };
        }
        let candidate = quorum_match(&mut matches[..n]);
        if candidate <= self.commit {
            return;
        }
        let current = self.log.term_at(candidate) == Some(self.term);
        // Planted bug R01: counting replicas commits an entry of an earlier term (Figure 8).
        if !current && self.cfg.bug != RaftBug::Figure8Commit {
            return;
        }
        if !current {
            mark_once(&mut self.marked, ctx, "old-term-commit");
            if self.overwritable(candidate) {
                mark_once(&mut self.marked, ctx, "overwritable-commit");
            }
        }
        let lead = self.lead.as_mut().expect("leader");
        if !lead.marked_term_commit && candidate >= lead.term_start {
            lead.marked_term_commit = true;
            ctx.mark("term-commit");
        }
        self.commit = candidate;
        self.apply_committed(ctx);
    }

    /// Figure 8 (d) one step early: a follower still holds, at or below `index`, an entry of
    /// a term newer than the last entry this leader knows a majority (that follower among
    /// them) to hold, so if this leader vanished now that follower could win and overwrite
    /// `index`.
    fn overwritable(&self, index: u64) -> bool {
        let Some(lead) = self.lead.as_ref() else {
            return false;
        };
        let behind = |newest: u64| {
            (0..self.servers.len())
                .filter(|&i| i != self.id.index())
                .filter(|&i| self.log.term_at(lead.matched[i]).unwrap_or(0) < newest)
                .count()
        };
        lead.newer_conflict
            .iter()
            .enumerate()
            .filter_map(|(f, c)| c.map(|(at, term)| (f, at, term)))
            .any(|(f, at, term)| {
                at <= index && lead.matched[f] < at && behind(term) >= quorum(self.servers.len())
            })
    }

    /// Applies committed entries in order, answers the clients waiting on them, serves reads
    /// that were waiting for them, and snapshots when the log has grown.
    pub(super) fn apply_committed(&mut self, ctx: &mut Ctx<Self>) {
        while self.applied < self.commit {
            let index = self.applied + 1;
            let Some(entry) = self.log.get(index) else {
                break;
            };
            self.applied = index;
            ctx.applied(index, entry.digest());
            if let CmdKind::Client { client, seq, op } = &entry.cmd.kind {
                let outcome = self.kv.apply(*client, *seq, op);
                self.answer(ctx, *client, *seq, outcome);
            }
        }
        self.serve_reads(ctx);
        self.maybe_snapshot();
    }

    fn answer(&mut self, ctx: &mut Ctx<Self>, client: NodeId, seq: u64, outcome: Applied) {
        if self.waiters.get(&client) != Some(&seq) {
            return;
        }
        let ret: Ret = match outcome {
            Applied::Fresh(r) | Applied::Duplicate(r) => r,
            Applied::Stale => return,
        };
        self.waiters.remove(&client);
        ctx.send(client, RaftMsg::ClientReply { seq, ret });
    }

    /// §7: snapshot the state machine every `snapshot_every` applied entries, and drop the
    /// log up to `retain` entries before it.
    fn maybe_snapshot(&mut self) {
        if self.applied < self.snapshot.index + self.cfg.snapshot_every {
            return;
        }
        let index = self.applied;
        let term = self
            .log
            .term_at(index)
            .expect("applied entries are in the log");
        let chain = self
            .log
            .chain_at(index)
            .expect("applied entries are in the log");
        self.snapshot = Rc::new(Snapshot {
            index,
            term,
            chain,
            kv: self.kv.clone(),
        });
        let keep_from = index.saturating_sub(self.cfg.retain);
        let keep_from = keep_from.max(self.log.base_index());
        self.log_mut().compact(keep_from);
        self.dirty = true;
    }

    /// Figure 13 receiver: install a snapshot newer than this server's state; keep the log
    /// after it when the log already holds its last entry.
    pub(super) fn on_install_snapshot(
        &mut self,
        ctx: &mut Ctx<Self>,
        from: NodeId,
        term: u64,
        snapshot: Rc<Snapshot>,
        round: u64,
    ) {
        let reply = |term, match_index| RaftMsg::SnapshotReply {
            term,
            match_index,
            round,
        };
        if term < self.term {
            ctx.send(from, reply(self.term, 0));
            return;
        }
        self.observe_term(ctx, term);
        self.heard_leader(ctx, from);
        let buggy = self.cfg.bug == RaftBug::StaleSnapshot;
        if snapshot.index <= self.commit && !buggy {
            // Already known (a delayed or duplicated copy): installing would go back in time.
            mark_once(&mut self.marked, ctx, "stale-snapshot-ignored");
            self.barrier(ctx);
            ctx.send(from, reply(self.term, snapshot.index));
            return;
        }
        // Planted bug R16 reaches here with an old snapshot and throws the whole log away.
        let keeps_tail = self.log.term_at(snapshot.index) == Some(snapshot.term)
            && self.log.chain_at(snapshot.index) == Some(snapshot.chain);
        if keeps_tail && !buggy {
            self.log_mut().compact(snapshot.index);
        } else {
            self.log = Rc::new(Log::starting_after(
                snapshot.index,
                snapshot.term,
                snapshot.chain,
            ));
        }
        self.kv = snapshot.kv.clone();
        self.commit = snapshot.index;
        self.applied = snapshot.index;
        self.snapshot = snapshot;
        self.dirty = true;
        mark_once(&mut self.marked, ctx, "snapshot-installed");
        self.flush(ctx);
        ctx.send(from, reply(self.term, self.commit));
    }

    pub(super) fn on_snapshot_reply(
        &mut self,
        ctx: &mut Ctx<Self>,
        from: NodeId,
        term: u64,
        match_index: u64,
        round: u64,
    ) {
        if !self.leader_accepts_reply(ctx, term) {
            return;
        }
        let last = self.log.last_index();
        let p = from.index();
        let lead = self.lead.as_mut().expect("leader");
        lead.inflight[p] = false;
        lead.acked_round[p] = lead.acked_round[p].max(round);
        lead.matched[p] = lead.matched[p].max(match_index.min(last));
        lead.next[p] = lead.next[p].max(lead.matched[p] + 1);
        self.after_ack(ctx, from, true);
    }
}
