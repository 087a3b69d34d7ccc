//! Phase 3 of ZAB: the established leader gives each client request the next zxid of its
//! epoch, logs it durably and proposes it; a follower accepts a proposal only from its leader,
//! in its current epoch and right after what it holds, logs it durably and acknowledges; the
//! leader commits a zxid once a quorum holds it, and everyone delivers committed transactions
//! in zxid order. Lost messages are made good by the leader's tick: a follower behind gets the
//! proposals after what it acknowledged, the others a ping that carries the commit point.
//!
//! Client requests: the connected server forwards them to the leader and answers the client
//! once it has delivered the transaction itself, so the answer reflects its own state.

use super::log::{epoch_of, zxid, Batch, Snapshot, Txn};
use super::server::{Phase, ZabServer};
use super::snapshot::{apply, Applied, State};
use super::tree::{Events, WatchEvent};
use super::{ReadMode, ZabBug, ZabMsg};
use crate::kv::{self, Cmd};
use splitbrain_api::{Ctx, NodeId, Op, Ret};
use std::rc::Rc;

impl ZabServer {
    /// The leader's tick: establishment deadline, quorum contact, pings and retransmissions.
    pub(super) fn lead_tick(&mut self, ctx: &mut Ctx<Self>) {
        let now = ctx.now();
        let quorum = self.quorum();
        let timeout = self.cfg.leader_timeout;
        let Some(lead) = self.lead.as_ref() else {
            return;
        };
        if !lead.established {
            if now.saturating_sub(lead.started) > timeout + timeout {
                self.mark_once(ctx, "establish-timeout");
                self.start_looking(ctx);
            }
            return;
        }
        let fresh = lead
            .peers
            .values()
            .filter(|p| p.synced && now.saturating_sub(p.heard) <= timeout)
            .count();
        if fresh + 1 < quorum {
            self.mark_once(ctx, "leader-lost-quorum");
            return self.start_looking(ctx);
        }
        let epoch = lead.epoch;
        let commit = lead.commit;
        let peers: Vec<(NodeId, u64)> = lead
            .peers
            .iter()
            .filter(|(_, p)| p.synced)
            .map(|(&id, p)| (id, p.acked))
            .collect();
        for (peer, acked) in peers {
            if acked >= self.log.last_zxid() {
                ctx.send(peer, ZabMsg::Ping { epoch, commit });
            } else {
                self.mark_once(ctx, "proposal-retransmitted");
                self.resend_from(ctx, peer, acked);
            }
        }
        self.expire_sessions(ctx);
    }

    /// Sends `peer` the next batch after `acked` (a SNAP if that was compacted away).
    fn resend_from(&mut self, ctx: &mut Ctx<Self>, peer: NodeId, acked: u64) {
        let now = ctx.now();
        if acked < self.log.base_zxid() {
            return self.send_snap(ctx, peer, now);
        }
        let txns = self.log.batch_above(acked, self.cfg.max_batch);
        let Some(end) = txns.last().map(|t| t.zxid) else {
            return;
        };
        let lead = self.lead.as_mut().expect("leading");
        let epoch = lead.epoch;
        if let Some(p) = lead.peers.get_mut(&peer) {
            p.sent = end;
        }
        ctx.send(
            peer,
            ZabMsg::Proposal {
                epoch,
                prev: acked,
                txns,
            },
        );
    }

    /// A peer that has processed everything sent to it but is behind gets the next batch.
    pub(super) fn catch_up(&mut self, ctx: &mut Ctx<Self>, peer: NodeId) {
        let Some(p) = self.lead.as_ref().and_then(|l| l.peers.get(&peer)) else {
            return;
        };
        if p.needs_next_batch(self.log.last_zxid()) {
            let acked = p.acked;
            self.resend_from(ctx, peer, acked);
        }
    }

    /// Leader: the next zxid of this epoch for `cmd`, logged durably, then proposed.
    pub(super) fn propose(&mut self, ctx: &mut Ctx<Self>, cmd: Rc<Cmd>) {
        let lead = self.lead.as_ref().expect("leading");
        let epoch = lead.epoch;
        let last = self.log.last_zxid();
        let counter = if epoch_of(last) == epoch {
            last & 0xffff_ffff
        } else {
            0
        };
        let txn = Txn {
            zxid: zxid(epoch, counter + 1),
            cmd,
        };
        let z = txn.zxid;
        self.log_mut().append(txn.clone());
        let chain = self.log.chain_at(z).expect("just appended");
        self.report.proposed.push((z, chain));
        self.flush(ctx);
        // Peers sent everything up to `last` get it now; the others catch up from their ACKs.
        // Each copy is built where it is sent (an Rc count for the transaction), not cloned
        // from a template message through ZabMsg's clone.
        let lead = self.lead.as_mut().expect("leading");
        for (&id, p) in lead.peers.iter_mut() {
            if p.synced && p.sent == last {
                p.sent = z;
                if id != self.id {
                    let txns = Batch::One(txn.clone());
                    ctx.send(
                        id,
                        ZabMsg::Proposal {
                            epoch,
                            prev: last,
                            txns,
                        },
                    );
                }
            }
        }
    }

    /// Follower: accept proposals from the leader of the current epoch, in zxid order.
    #[inline(never)]
    pub(super) fn on_proposal(
        &mut self,
        ctx: &mut Ctx<Self>,
        from: NodeId,
        epoch: u64,
        prev: u64,
        txns: Batch,
    ) {
        let Phase::Following {
            leader,
            synced: true,
        } = self.phase
        else {
            return;
        };
        let checked = from == leader && epoch == self.current_epoch;
        if !checked && self.cfg.bug != ZabBug::NoEpochCheck {
            // A proposal of another epoch or from a deposed leader is refused (DSN 2011).
            return self.mark_once(ctx, "stale-proposal-refused");
        }
        if from == leader {
            self.touch(ctx);
        }
        if prev <= self.log.last_zxid() {
            match txns {
                // A new proposal (most): its transaction moves into the log, no count taken
                // and none dropped.
                Batch::One(txn) => {
                    if txn.zxid > self.log.last_zxid() {
                        self.log_mut().append(txn);
                    }
                }
                Batch::Many(txns) => {
                    for txn in txns.iter() {
                        if txn.zxid > self.log.last_zxid() {
                            self.log_mut().append(txn.clone());
                        }
                    }
                }
            }
        }
        let last_zxid = self.log.last_zxid();
        self.barrier(ctx);
        ctx.send(from, ZabMsg::Ack { epoch, last_zxid });
        if from == leader {
            self.send_touches(ctx, from, epoch);
        }
    }

    /// Leader: a follower holds everything up to `last` durably.
    #[inline(never)]
    pub(super) fn on_ack(&mut self, ctx: &mut Ctx<Self>, from: NodeId, epoch: u64, last: u64) {
        let now = ctx.now();
        let quorum = self.quorum();
        let my_last = self.log.last_zxid();
        let Some(lead) = self
            .lead
            .as_mut()
            .filter(|l| l.epoch == epoch && l.established)
        else {
            return;
        };
        // One walk over the peers: `from`'s entry is updated where it is found (nothing, if
        // it is not synced), and the synced ones (with this server's own last zxid) are
        // counted as holders and as holders of more than the commit point, which moves only
        // if a quorum holds more than it (most ACKs, ping replies or a quorum reached
        // already, move nothing).
        let commit = lead.commit;
        let (mut held_by, mut above) = (1, usize::from(my_last > commit));
        // `from`'s acknowledged zxid, and whether it needs the next batch (`catch_up`'s
        // test, made on the entry in hand).
        let mut from_entry = None;
        for (&id, p) in lead.peers.iter_mut() {
            if id == from {
                if !p.synced {
                    return;
                }
                p.acked = p.acked.max(last.min(my_last));
                p.heard = now;
                from_entry = Some((p.acked, p.needs_next_batch(my_last)));
            }
            if p.synced {
                held_by += 1;
                above += usize::from(p.acked > commit);
            }
        }
        let Some((acked, behind)) = from_entry else {
            return;
        };
        if held_by < quorum {
            return;
        }
        if above >= quorum {
            let held = lead.peers.values().filter(|p| p.synced).map(|p| p.acked);
            let point = quorum_point(held.chain(std::iter::once(my_last)), quorum)
                .expect("a quorum holds zxids");
            self.commit_upto(ctx, point);
            return self.catch_up(ctx, from);
        }
        // `catch_up` with the entry in hand (nothing changed it since).
        if behind {
            self.resend_from(ctx, from, acked);
        }
    }

    /// Leader: everything up to `z` is committed; deliver it and tell the followers.
    pub(super) fn commit_upto(&mut self, ctx: &mut Ctx<Self>, z: u64) {
        let lead = self.lead.as_mut().expect("leading");
        lead.commit = z;
        let epoch = lead.epoch;
        // Delivery changes no peer: the synced ones are told once it is done.
        self.deliver_upto(ctx, z);
        let lead = self.lead.as_ref().expect("leading");
        for (&id, p) in lead.peers.iter() {
            if p.synced && id != self.id {
                ctx.send(id, ZabMsg::Commit { epoch, zxid: z });
            }
        }
    }

    /// Follower: COMMIT (or a PING carrying the commit point) from the current leader.
    #[inline(never)]
    pub(super) fn on_commit(
        &mut self,
        ctx: &mut Ctx<Self>,
        from: NodeId,
        epoch: u64,
        z: u64,
        ping: bool,
    ) {
        let Phase::Following {
            leader,
            synced: true,
        } = self.phase
        else {
            return;
        };
        if from != leader || epoch != self.current_epoch {
            return;
        }
        self.touch(ctx);
        self.deliver_upto(ctx, z);
        if ping {
            let last_zxid = self.log.last_zxid();
            self.barrier(ctx);
            ctx.send(from, ZabMsg::Ack { epoch, last_zxid });
            self.send_touches(ctx, from, epoch);
        }
    }

    /// Delivers the held transactions up to `z` in zxid order, answering waiting clients.
    /// Inline: most calls (pings, commits already delivered) only make the first test.
    #[inline]
    pub(super) fn deliver_upto(&mut self, ctx: &mut Ctx<Self>, z: u64) {
        let upto = z.min(self.log.last_zxid());
        if upto <= self.delivered {
            // Nothing to deliver (most pings), and no snapshot due: one is taken right after
            // the delivery that makes it due.
            return;
        }
        self.deliver_held(ctx, upto);
    }

    /// Delivers the log's entries after `delivered` up to `upto` (held, above `delivered`).
    #[inline(never)]
    fn deliver_held(&mut self, ctx: &mut Ctx<Self>, upto: u64) {
        let mut next = self
            .log
            .first_after_from(self.delivered, self.delivery_cursor);
        while let Some((txn, chain)) = self.log.entry_upto(next, upto) {
            next += 1;
            let mut events = Events::new(!self.watches.is_empty());
            let applied = apply(
                &mut self.kv,
                &mut self.tree,
                &txn,
                self.delivered,
                &mut events,
                self.servers.len() as u32 - 1,
            );
            self.after_apply(ctx, applied, events.list(), txn.zxid);
            ctx.applied(txn.zxid, txn.cmd.digest);
            self.report
                .delivered
                .push((self.delivered, txn.zxid, chain));
            self.delivered = txn.zxid;
            self.delivered_chain = chain;
            self.since_snapshot.push(txn);
        }
        self.delivery_cursor = next;
        self.maybe_snapshot(ctx);
    }

    /// What delivering transaction `z` did here: watches fire, a waiting client is answered,
    /// a session opened or closed.
    #[inline]
    fn after_apply(
        &mut self,
        ctx: &mut Ctx<Self>,
        applied: Applied,
        events: &[WatchEvent],
        z: u64,
    ) {
        match applied {
            Applied::Zk {
                client,
                seq,
                recorded,
            } => {
                self.fire_watches(events, z);
                // The result is copied out only where the client waits for it.
                if recorded && self.waiters.remove_if_eq(&client, &seq) {
                    let ret = self.tree.shared_result_of(client);
                    self.zk_reply(ctx, client, seq, ret);
                }
            }
            Applied::Kv {
                client,
                seq,
                applied: kv::Applied::Fresh(ret) | kv::Applied::Duplicate(ret),
            } => {
                if self.waiters.remove_if_eq(&client, &seq) {
                    self.kv_reply(ctx, client, seq, ret);
                }
            }
            Applied::Session {
                client,
                session,
                open,
            } => {
                self.fire_watches(events, z);
                self.session_delivered(ctx, client, session, open);
            }
            Applied::Kv { .. } | Applied::Noop => {}
        }
    }

    /// Takes a snapshot once `snapshot_every` transactions were delivered since the last:
    /// a copy of the state every few, else one that replays them from the last (`snapshot`).
    fn maybe_snapshot(&mut self, ctx: &mut Ctx<Self>) {
        if (self.since_snapshot.len() as u64) < self.cfg.snapshot_every {
            return;
        }
        let (zxid, chain) = (self.delivered, self.delivered_chain);
        let snapshot = if self.snapshot.next_is_copy() {
            self.since_snapshot.clear();
            let state = State {
                kv: self.kv.clone(),
                tree: self.tree.clone(),
            };
            Snapshot::copy(zxid, chain, state)
        } else {
            let room = self.cfg.snapshot_every as usize;
            let txns = std::mem::replace(&mut self.since_snapshot, Vec::with_capacity(room));
            Snapshot::replaying(self.snapshot.clone(), txns, zxid, chain)
        };
        self.snapshot = Rc::new(snapshot);
        let retain = self.cfg.retain as usize;
        if let Some(cut) = self.log.compaction_point(self.delivered, retain) {
            self.log_mut().compact_to(cut);
        }
        self.dirty = true;
        self.mark_once(ctx, "snapshot-taken");
    }

    /// The remembered result of `client`'s request `seq` if it was applied here already.
    fn remembered(&self, client: NodeId, seq: u64) -> Option<Ret> {
        let kv = self.kv.session(client).filter(|(s, _)| *s == seq);
        let tree = self.tree.session(client).filter(|(s, _)| *s == seq);
        kv.or(tree).map(|(_, r)| r.clone())
    }

    /// The latest request id of `client` applied here.
    fn applied_seq(&self, client: NodeId) -> u64 {
        let kv = self.kv.session(client).map_or(0, |(s, _)| s);
        let tree = self.tree.session(client).map_or(0, |(s, _)| s);
        kv.max(tree)
    }

    #[inline(never)]
    pub(super) fn on_client_request(
        &mut self,
        ctx: &mut Ctx<Self>,
        client: NodeId,
        seq: u64,
        op: Rc<Op>,
        seen: u64,
    ) {
        if let Some(session) = self.tree.client_session(client) {
            self.heard_from(ctx, session);
        }
        if op.is_zookeeper() && !self.clients.contains(&client) {
            // A ZooKeeper call over a connection this server does not hold: reconnect.
            return ctx.send(client, ZabMsg::NotServing { seq, hint: None });
        }
        if let Some(ret) = self.remembered(client, seq) {
            self.mark_once(ctx, "dedup-hit");
            return if op.is_zookeeper() {
                self.zk_reply(ctx, client, seq, Rc::new(ret))
            } else {
                self.kv_reply(ctx, client, seq, ret)
            };
        }
        let Some(leader) = self.serving_leader() else {
            let hint = None;
            return ctx.send(client, ZabMsg::NotServing { seq, hint });
        };
        if matches!(
            *op,
            Op::Exists { .. } | Op::GetData { .. } | Op::GetChildren { .. }
        ) {
            return self.local_read(ctx, client, seq, &op, seen);
        }
        if let (ReadMode::Local, Op::Get { key }) = (self.cfg.reads, &*op) {
            let ret = self.kv.read(key);
            if leader != self.id {
                self.mark_once(ctx, "follower-read");
            }
            let ret = Box::new(ret);
            return ctx.send(client, ZabMsg::ClientReply { seq, ret });
        }
        self.waiters.insert(client, seq);
        if leader == self.id {
            // The client keeps its operation (to resend it): the command takes a copy.
            self.propose_request(ctx, client, seq, Rc::unwrap_or_clone(op));
        } else {
            ctx.send(leader, ZabMsg::Forward { client, seq, op });
        }
    }

    /// A data-tree read, answered from this server's own state: only if it has delivered
    /// everything the client has seen (ZooKeeper's FIFO client order and "never back in
    /// time" across servers); otherwise the client is sent on.
    fn local_read(&mut self, ctx: &mut Ctx<Self>, client: NodeId, seq: u64, op: &Op, seen: u64) {
        if self.delivered < seen {
            if self.cfg.bug == ZabBug::ReadBeforeOwnWrite {
                // Z08: answers from a state that may lack the client's own last write.
                self.mark_once(ctx, "read-behind-client");
            } else {
                self.mark_once(ctx, "behind-client-refused");
                let hint = None;
                return ctx.send(client, ZabMsg::NotServing { seq, hint });
            }
        }
        let ret = self.tree.read(op, self.delivered);
        if let Some((path, on)) = super::watches::watch_left(op, &ret) {
            self.add_watch(client, path, on);
        }
        self.zk_reply(ctx, client, seq, Rc::new(ret));
    }

    /// Answers `client`'s ZooKeeper request `seq`, with the client's notifications not yet
    /// acknowledged (processed before the answer).
    fn zk_reply(&mut self, ctx: &mut Ctx<Self>, client: NodeId, seq: u64, ret: Rc<Ret>) {
        let notes = self.notes_for(client);
        let conn = self.conn_of(client);
        let msg = ZabMsg::ZkReply {
            seq,
            ret,
            notes,
            conn,
        };
        ctx.send(client, msg);
    }

    /// Answers `client`'s key-value request `seq`.
    fn kv_reply(&mut self, ctx: &mut Ctx<Self>, client: NodeId, seq: u64, ret: Ret) {
        let ret = Box::new(ret);
        ctx.send(client, ZabMsg::ClientReply { seq, ret });
    }

    /// Leader: a request a follower passed on (skipped if it was applied already).
    #[inline(never)]
    pub(super) fn on_forward(&mut self, ctx: &mut Ctx<Self>, client: NodeId, seq: u64, op: Op) {
        if self.established_epoch().is_none() || self.serving_leader() != Some(self.id) {
            return;
        }
        self.propose_request(ctx, client, seq, op);
    }

    /// Leader: proposes `client`'s request `seq` unless it was applied already or is in
    /// flight (proposed while leading, not yet delivered): a client's retry then waits for
    /// the one proposal, as ZooKeeper's leader does, instead of taking a zxid of its own. A
    /// retry that still reached the log (a new leader does not know what its predecessor
    /// proposed) is answered from the session table when delivered, never applied twice.
    fn propose_request(&mut self, ctx: &mut Ctx<Self>, client: NodeId, seq: u64, op: Op) {
        let in_flight = self.proposed_seq.get(&client).is_some_and(|&s| s >= seq);
        if in_flight || self.applied_seq(client) >= seq {
            return self.mark_once(ctx, "retry-not-proposed");
        }
        self.proposed_seq.insert(client, seq);
        self.propose(ctx, Cmd::client(client, seq, op));
    }
}

/// Quorums this large or smaller are counted in a fixed array (up to 15 servers).
const MAX_QUORUM: usize = 8;

/// The highest zxid at least `quorum` of the `held` zxids reach: the `quorum`-th highest of
/// them (`None` if there are fewer). The `quorum` highest seen so far are kept in order in a
/// fixed array (an insertion each): no copy of all of them, no sort.
fn quorum_point(held: impl Iterator<Item = u64>, quorum: usize) -> Option<u64> {
    if quorum > MAX_QUORUM {
        let mut all: Vec<u64> = held.collect();
        all.sort_unstable_by(|a, b| b.cmp(a));
        return all.get(quorum - 1).copied();
    }
    let mut top = [0u64; MAX_QUORUM];
    let mut seen = 0;
    for h in held {
        let mut i = seen.min(quorum);
        while i > 0 && top[i - 1] < h {
            if i < quorum {
                top[i] = top[i - 1];
            }
            i -= 1;
        }
        if i < quorum {
            top[i] = h;
        }
        seen += 1;
    }
    (quorum > 0 && seen >= quorum).then(|| top[quorum - 1])
}

#[cfg(test)]
mod tests {
    use super::quorum_point;

    #[test]
    fn the_quorum_point_is_the_quorum_th_highest() {
        // A fixed pseudo-random walk of small lists, against sorting them.
        let mut x: u64 = 11;
        for n in 0..20usize {
            for quorum in 1..=12usize {
                let held: Vec<u64> = (0..n)
                    .map(|_| {
                        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                        (x >> 59) % 7
                    })
                    .collect();
                let mut sorted = held.clone();
                sorted.sort_unstable_by(|a, b| b.cmp(a));
                assert_eq!(
                    quorum_point(held.iter().copied(), quorum),
                    sorted.get(quorum - 1).copied(),
                    "{held:?} {quorum}"
                );
            }
        }
    }
}
