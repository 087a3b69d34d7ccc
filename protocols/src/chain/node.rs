//! A chain node's replica of one shard's chain (van Renesse & Schneider §2-3). Writes enter at the head, which applies each
//! to its copy of the key-value state machine (the shared `Kv`, session table included, so a
//! retried request applies once) and forwards it; every node does the same in order; the
//! tail answers the client and acknowledges back toward the head. A node keeps its whole
//! update history: what it holds beyond the acknowledged point is what a new successor may
//! lack, and a successor's `Hello` (its length) pulls what follows.
//!
//! Configurations come only from the manager (read with each report the node's host sends it,
//! or from the watched ZooKeeper znode; the replica says when it wants one at once).
//! The answer to a report (with ZooKeeper, a renewal that checked the layout's version) renews
//! the node's lease for `LEASE` from the moment the question left;
//! reads are served only under a lease, and a node that becomes tail waits one `LEASE` before
//! it acknowledges anything, so a removed node's last lease has run out before a write it
//! never saw can complete.
//!
//! The history, membership and configuration are persisted (`disk`) before anything that
//! relies on them is sent; a restarted node recovers them and rebuilds its state machine.
//! The replica is a process of its own kind so that its host can run it with a context of its
//! own and carry its effects over (messages of shard `s` > 0 wrapped, its durable state into
//! the node's).

use super::config::Config;
use super::disk::ReplicaDurable;
use super::manager::ChainTimerOf;
use super::{ChainBug, ChainConfig, ChainMsg, ReadPath, ShardReport, LEASE, SUSPECT};
use crate::kv::{Applied, Cmd, CmdKind, Kv};
use crate::paxos::journal::Journal;
use crate::raft::log::mix;
use splitbrain_api::{Ctx, Dur, NodeId, NodeView, Op, Process, Ret, Role, Time};
use std::collections::BTreeMap;
use std::rc::Rc;

/// Updates per catch-up message.
const BATCH: u64 = 32;
/// Updates kept ahead of a gap at most.
const AHEAD_MAX: usize = 256;
/// A head whose updates wait this long without the acknowledged point moving marks a stall.
const STALL: Dur = Dur::ms(1_000);

/// One shard's replica on a chain node.
pub struct ChainNode {
    pub(super) id: NodeId,
    bug: ChainBug,
    reads: ReadPath,
    /// The node's boot id (its host draws it once): a member is named by it.
    pub(super) boot: u64,
    pub(super) config: Option<Rc<Config>>,
    /// The joined epoch of the member this node is in `config` (`None`: not a member).
    pub(super) joined: Option<u64>,
    kv: Kv,
    pub(super) hist: Vec<Rc<Cmd>>,
    /// The same history as the disk keeps it (persisted copies are prefix views).
    journal: Journal<Rc<Cmd>>,
    /// `digests[i]`: the digest of the first `i + 1` updates (a hash chain).
    pub(super) digests: Vec<u64>,
    /// Updates up to here reached the tail.
    pub(super) acked: u64,
    /// Holds everything its predecessor held when it joined (may serve reads).
    pub(super) synced: bool,
    /// Client -> the position of its latest update in the history.
    last_n: BTreeMap<NodeId, u64>,
    /// Head: clients whose retried request waits for its acknowledgement.
    waiters: BTreeMap<NodeId, u64>,
    lease_until: Time,
    /// As a new tail, acknowledges nothing before this.
    pub(super) tail_from: Time,
    craq_reads: BTreeMap<u64, (NodeId, u64)>,
    /// Updates of this epoch that arrived ahead of a gap (links reorder), by position.
    ahead: BTreeMap<u64, Rc<Cmd>>,
    next_qid: u64,
    heard_pred: Time,
    heard_succ: Time,
    marked: Vec<&'static str>,
    /// It saw a newer epoch than its own: its host should report to the manager at once.
    pub(super) want_report: bool,
    /// Head: the acknowledged point and when it last moved (a stall is marked).
    ack_moved: (u64, Time),
}

impl ChainNode {
    pub fn new(id: NodeId, cfg: ChainConfig) -> ChainNode {
        ChainNode {
            id,
            bug: cfg.bug,
            reads: cfg.reads,
            boot: 0,
            config: None,
            joined: None,
            kv: Kv::default(),
            hist: Vec::new(),
            journal: Journal::default(),
            digests: Vec::new(),
            acked: 0,
            synced: false,
            last_n: BTreeMap::new(),
            waiters: BTreeMap::new(),
            lease_until: Time::ZERO,
            tail_from: Time::ZERO,
            craq_reads: BTreeMap::new(),
            ahead: BTreeMap::new(),
            next_qid: 0,
            heard_pred: Time::ZERO,
            heard_succ: Time::ZERO,
            marked: Vec::new(),
            want_report: false,
            ack_moved: (0, Time::ZERO),
        }
    }

    pub(super) fn epoch(&self) -> u64 {
        self.config.as_ref().map_or(0, |c| c.epoch)
    }

    pub(super) fn len(&self) -> u64 {
        self.hist.len() as u64
    }

    /// The hash chain over the first `n` updates.
    pub(super) fn digest_at(&self, n: u64) -> u64 {
        n.checked_sub(1).map_or(0, |i| self.digests[i as usize])
    }

    /// The configuration, when this node is a member of it.
    pub(super) fn membership(&self) -> Option<&Config> {
        self.joined.and(self.config.as_deref())
    }

    pub(super) fn pred(&self) -> Option<NodeId> {
        self.membership()?.predecessor(self.id)
    }

    pub(super) fn succ(&self) -> Option<NodeId> {
        self.membership()?.successor(self.id)
    }

    pub(super) fn is_head(&self) -> bool {
        self.membership().and_then(Config::head) == Some(self.id)
    }

    pub(super) fn is_tail(&self) -> bool {
        self.membership().and_then(Config::tail) == Some(self.id)
    }

    /// Catching up behind the tail, not yet part of the chain.
    pub(super) fn is_joining(&self) -> bool {
        let joining = self.membership().and_then(Config::joining_member);
        joining.is_some_and(|m| m.node == self.id)
    }

    fn mark(&mut self, ctx: &mut Ctx<Self>, name: &'static str) {
        if !self.marked.contains(&name) {
            self.marked.push(name);
            ctx.mark(name);
        }
    }

    fn uses_manager(&self) -> bool {
        self.bug != ChainBug::SelfReconfigure
    }

    /// Under a lease from the manager (C01 and C03 do not ask).
    fn leased(&self, now: Time) -> bool {
        !self.uses_manager() || self.bug == ChainBug::StaleTailRead || now < self.lease_until
    }

    fn recover(&mut self, ctx: &mut Ctx<Self>, d: &ReplicaDurable) {
        self.config = d.config.clone();
        self.joined = d.joined;
        self.journal = d.hist.recovered();
        let mut cmds = Vec::with_capacity(d.hist.len());
        d.hist.for_each(|c| cmds.push(c.clone()));
        for cmd in &cmds {
            self.apply_to_state(cmd);
        }
        self.acked = d.acked.min(self.len());
        self.synced = d.synced;
        let now = ctx.now();
        (self.heard_pred, self.heard_succ) = (now, now);
        if self.is_tail() {
            self.tail_from = now + LEASE;
        }
        if self.len() > 0 {
            self.mark(ctx, "recovered-history");
        }
    }

    /// Persists what the node holds; sends pushed after this leave once it is durable.
    fn save(&self, ctx: &mut Ctx<Self>) {
        let d = ReplicaDurable {
            config: self.config.clone(),
            joined: self.joined,
            hist: self.journal.clone(),
            acked: self.acked,
            synced: self.synced,
        };
        ctx.persist(d);
    }

    /// How it stands in its chain, for its host's next report to the manager.
    pub(super) fn status(&mut self, ctx: &mut Ctx<Self>) -> ShardReport {
        self.want_report = false;
        let silent = ctx.now().saturating_sub(self.heard_succ) > SUSPECT;
        let cut_off = self.succ().filter(|_| silent);
        if cut_off.is_some() {
            self.mark(ctx, "cut-off-reported");
        }
        ShardReport {
            epoch: self.epoch(),
            synced: self.synced,
            joined: self.joined,
            cut_off,
            serving: self.is_tail() && self.synced && ctx.now() >= self.tail_from,
        }
    }

    fn on_tick(&mut self, ctx: &mut Ctx<Self>) {
        self.watch_progress(ctx);
        if self.bug == ChainBug::SelfReconfigure {
            self.suspect(ctx);
        }
        let epoch = self.epoch();
        if let Some(p) = self.pred() {
            let (len, sync) = (self.len(), !self.synced);
            ctx.send(p, ChainMsg::Hello { epoch, len, sync });
        }
        if self.is_tail() {
            self.commit_all(ctx);
        }
    }

    /// Head: marks `stalled` when updates wait for their acknowledgement and the acknowledged
    /// point has not moved for `STALL` (what a partial partition does without help).
    fn watch_progress(&mut self, ctx: &mut Ctx<Self>) {
        let now = ctx.now();
        if !self.is_head() || self.acked >= self.len() || self.acked != self.ack_moved.0 {
            self.ack_moved = (self.acked, now);
        } else if now.saturating_sub(self.ack_moved.1) > STALL {
            self.mark(ctx, "stalled");
        }
    }

    /// As the tail past its wait: everything held is committed; tell the predecessor.
    fn commit_all(&mut self, ctx: &mut Ctx<Self>) {
        if !self.synced || ctx.now() < self.tail_from {
            return;
        }
        self.acked = self.len();
        if let Some(p) = self.pred() {
            let (epoch, n) = (self.epoch(), self.acked);
            ctx.send(p, ChainMsg::Ack { epoch, n });
        }
        self.serve_waiters(ctx);
    }

    /// Whether a message of `epoch` is for this configuration; a newer one sends the node to
    /// the manager first.
    fn current(&mut self, epoch: u64) -> bool {
        if epoch > self.epoch() {
            self.want_report = true;
        }
        epoch == self.epoch()
    }

    fn on_chain_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: ChainMsg) {
        match msg {
            ChainMsg::Request { epoch, seq, op } => self.on_request(ctx, from, epoch, seq, op),
            ChainMsg::Forward {
                epoch,
                from: first,
                cmds,
                upto,
            } => {
                if self.current(epoch) && self.pred() == Some(from) {
                    self.on_forward(ctx, first, cmds, upto);
                }
            }
            ChainMsg::Hello { epoch, len, sync } => {
                if self.current(epoch) && self.succ() == Some(from) {
                    self.on_hello(ctx, from, len, sync);
                }
            }
            ChainMsg::Ack { epoch, n } => {
                if self.current(epoch) && self.succ() == Some(from) {
                    self.on_ack(ctx, n);
                }
            }
            ChainMsg::VersionQuery { epoch, qid, key } => {
                if self.current(epoch) && self.serving_tail(ctx.now()) {
                    let ret = self.kv.read(&key);
                    ctx.send(from, ChainMsg::VersionReply { epoch, qid, ret });
                }
            }
            ChainMsg::VersionReply { epoch, qid, ret } => {
                if self.current(epoch) {
                    if let Some((client, seq)) = self.craq_reads.remove(&qid) {
                        ctx.send(client, ChainMsg::Reply { epoch, seq, ret });
                    }
                }
            }
            ChainMsg::Install { config } => {
                if self.bug == ChainBug::SelfReconfigure && config.epoch > self.epoch() {
                    self.adopt(ctx, config);
                }
            }
            ChainMsg::Raft(_)
            | ChainMsg::Zab(_)
            | ChainMsg::Report { .. }
            | ChainMsg::Shard { .. } => {}
            ChainMsg::Reply { .. } | ChainMsg::Reject { .. } => {}
        }
    }

    /// The manager's configuration of this shard. `lease_from`: it was still current when a
    /// question sent then was answered (the Raft manager's answer to a report, a ZooKeeper
    /// renewal that checked its version), so the node holds a lease for `LEASE` from then.
    pub(super) fn on_config(
        &mut self,
        ctx: &mut Ctx<Self>,
        lease_from: Option<Time>,
        config: Config,
    ) {
        let epoch = config.epoch;
        if epoch > self.epoch() {
            self.adopt(ctx, Rc::new(config));
        }
        if let Some(sent) = lease_from.filter(|_| epoch == self.epoch() && self.joined.is_some()) {
            self.lease_until = self.lease_until.max(sent + LEASE);
        }
    }

    /// Takes on configuration `new`: joins afresh if it names this node as a new member.
    ///
    /// A joining node the manager makes the tail of the very chain it joined behind (the
    /// hand-off) needs no lease wait: the manager hands over only from a tail that was past
    /// its own wait. It serves once its predecessor, in this epoch (so no longer the tail),
    /// vouches that it holds everything, and every update it acknowledges passed that
    /// predecessor in this epoch.
    fn adopt(&mut self, ctx: &mut Ctx<Self>, new: Rc<Config>) {
        let was_member = self.joined.is_some();
        let (was_head, was_tail, old_succ) = (self.is_head(), self.is_tail(), self.succ());
        let (old_pred, was_joining) = (self.pred(), self.is_joining());
        let removed = self
            .config
            .as_ref()
            .is_some_and(|old| old.members.iter().any(|m| !new.members.contains(m)));
        let handoff = was_joining
            && !new.joining
            && self
                .config
                .as_ref()
                .is_some_and(|old| old.epoch + 1 == new.epoch && old.members == new.members);
        let me = new.member(self.id).filter(|m| m.boot == self.boot).copied();
        self.config = Some(new);
        match me {
            Some(m) if self.joined != Some(m.joined) => {
                self.join(m.joined);
                if m.joined > 1 {
                    self.mark(ctx, "joined");
                }
            }
            Some(_) => {}
            None => self.joined = None,
        }
        self.waiters.clear();
        self.craq_reads.clear();
        self.ahead.clear();
        let now = ctx.now();
        self.heard_pred = now;
        self.heard_succ = now;
        if self.joined.is_none() {
            return;
        }
        if self.is_head() {
            self.synced = true; // nobody before it to learn from
            if was_member && !was_head {
                self.mark(ctx, "new-head");
            }
        }
        if self.is_tail() && (!was_tail || removed) && self.uses_manager() {
            self.tail_from = if handoff { now } else { now + LEASE };
            if was_member && !was_tail {
                self.mark(ctx, "new-tail");
            }
            if handoff {
                self.mark(ctx, "handed-off");
            }
        }
        let joined_the_chain = was_joining && !self.is_joining();
        if joined_the_chain || (self.is_joining() && was_member && old_pred != self.pred()) {
            // What it caught up with was vouched for by a predecessor that was the tail (and,
            // until it takes on this epoch, may still acknowledge writes in an older one that
            // never pass this node), or by another predecessor: it holds every acknowledged
            // update only once its predecessor vouches for it again in this epoch (one round
            // trip after a hand-off). chain-swarm seed 3048: a joining node took on the tail's
            // role two epochs later, while its predecessor, cut off from the manager, still
            // acknowledged writes as the tail of the old epoch, and answered a stale read.
            self.synced = false;
        }
        if was_member && old_succ.is_some() && self.succ().is_some() && old_succ != self.succ() {
            self.mark(ctx, "new-successor");
        }
        self.save(ctx);
        if let Some(p) = self.pred() {
            let (epoch, len, sync) = (self.epoch(), self.len(), !self.synced);
            ctx.send(p, ChainMsg::Hello { epoch, len, sync });
        }
    }

    /// Becomes a new member: whatever this node held before belongs to another life.
    fn join(&mut self, joined: u64) {
        self.joined = Some(joined);
        self.kv = Kv::default();
        self.hist.clear();
        self.journal = Journal::default();
        self.digests.clear();
        self.last_n.clear();
        self.acked = 0;
        // Members of the first configuration all start empty: nothing came before them.
        self.synced = joined == 1;
        self.lease_until = Time::ZERO;
    }

    fn reject(&self, ctx: &mut Ctx<Self>, client: NodeId, seq: u64) {
        let epoch = self.epoch();
        ctx.send(client, ChainMsg::Reject { epoch, seq });
    }

    fn on_request(&mut self, ctx: &mut Ctx<Self>, client: NodeId, epoch: u64, seq: u64, op: Op) {
        if epoch > self.epoch() {
            self.want_report = true;
        }
        match op {
            Op::Get { key } => self.on_read(ctx, client, epoch, seq, key.into()),
            op if epoch == self.epoch() && self.is_head() => self.on_write(ctx, client, seq, op),
            _ => self.reject(ctx, client, seq),
        }
    }

    /// Whether this node records request ids (C02: only while it is the tail).
    fn keeps_request_ids(&self) -> bool {
        self.bug != ChainBug::TailOnlyRequestIds || self.is_tail()
    }

    fn on_write(&mut self, ctx: &mut Ctx<Self>, client: NodeId, seq: u64, op: Op) {
        if self.keeps_request_ids() {
            if let Some((last, ret)) = self.kv.session(client) {
                if seq < last {
                    return; // the client has moved on; nobody waits for this answer
                }
                if seq == last {
                    let ret = ret.clone();
                    self.mark(ctx, "dedup-hit");
                    if self.last_n.get(&client).is_some_and(|&n| n <= self.acked) {
                        let epoch = self.epoch();
                        ctx.send(client, ChainMsg::Reply { epoch, seq, ret });
                    } else {
                        self.waiters.insert(client, seq);
                    }
                    return;
                }
            }
        }
        self.append(ctx, vec![Cmd::client(client, seq, op)]);
    }

    /// Applies `cmds` (the next updates) in order, then passes them on, or as the tail
    /// answers their clients and acknowledges.
    fn append(&mut self, ctx: &mut Ctx<Self>, cmds: Vec<Rc<Cmd>>) {
        let first = self.len() + 1;
        let mut answers = Vec::new();
        for cmd in &cmds {
            answers.extend(self.apply(cmd));
        }
        self.save(ctx);
        let epoch = self.epoch();
        if self.is_tail() && self.synced && ctx.now() >= self.tail_from {
            for (client, seq, ret) in answers {
                ctx.send(client, ChainMsg::Reply { epoch, seq, ret });
            }
            self.commit_all(ctx);
        }
        // A tail's successor is a node joining behind it.
        if let Some(s) = self.succ() {
            let upto = self.upto();
            ctx.send(
                s,
                ChainMsg::Forward {
                    epoch,
                    from: first,
                    cmds,
                    upto,
                },
            );
        }
    }

    /// One update to the state machine and the history (and its journal); the client's
    /// answer, if any.
    fn apply(&mut self, cmd: &Rc<Cmd>) -> Option<(NodeId, u64, Ret)> {
        self.journal.push(cmd.clone());
        self.apply_to_state(cmd)
    }

    /// One update to the state machine and the in-memory history.
    fn apply_to_state(&mut self, cmd: &Rc<Cmd>) -> Option<(NodeId, u64, Ret)> {
        let CmdKind::Client { client, seq, op } = &cmd.kind else {
            panic!("{}: a chain carries client updates only", self.id);
        };
        let ret = if self.keeps_request_ids() {
            match self.kv.apply(*client, *seq, op) {
                Applied::Fresh(r) | Applied::Duplicate(r) => Some(r),
                Applied::Stale => None,
            }
        } else {
            Some(self.kv.apply_unrecorded(op))
        };
        let prev = self.digest_at(self.len());
        self.hist.push(cmd.clone());
        self.digests.push(mix(prev, cmd.digest));
        self.last_n.insert(*client, self.len());
        ret.map(|r| (*client, *seq, r))
    }

    fn on_forward(&mut self, ctx: &mut Ctx<Self>, first: u64, cmds: Vec<Rc<Cmd>>, upto: u64) {
        self.heard_pred = ctx.now();
        let len = self.len();
        if first > len + 1 {
            // A gap (reordered links): kept until what comes before arrives; the next Hello
            // asks for it if it was lost.
            if self.ahead.len() < AHEAD_MAX {
                for (i, cmd) in cmds.into_iter().enumerate() {
                    self.ahead.insert(first + i as u64, cmd);
                }
            }
            return;
        }
        let skip = (len + 1 - first) as usize;
        let mut new = cmds.get(skip..).map_or_else(Vec::new, <[_]>::to_vec);
        let mut next = len + 1 + new.len() as u64;
        self.ahead.retain(|&n, _| n >= next);
        while let Some(cmd) = self.ahead.remove(&next) {
            new.push(cmd);
            next += 1;
        }
        if !new.is_empty() {
            self.append(ctx, new);
        }
        if !self.synced {
            if self.len() >= upto {
                self.synced = true;
                self.save(ctx);
                self.mark(ctx, "synced");
                if self.is_tail() {
                    self.commit_all(ctx);
                }
            } else if let Some(p) = self.pred() {
                let (epoch, len) = (self.epoch(), self.len());
                ctx.send(
                    p,
                    ChainMsg::Hello {
                        epoch,
                        len,
                        sync: true,
                    },
                );
            }
        }
    }

    fn on_hello(&mut self, ctx: &mut Ctx<Self>, succ: NodeId, len: u64, sync: bool) {
        self.heard_succ = ctx.now();
        let mine = self.len();
        if len > mine {
            return;
        }
        if len < mine || (sync && self.synced) || self.bug == ChainBug::SelfReconfigure {
            let end = mine.min(len + BATCH);
            let cmds = self.hist[len as usize..end as usize].to_vec();
            if len < mine {
                self.mark(ctx, "resent");
            }
            let epoch = self.epoch();
            let upto = self.upto();
            let msg = ChainMsg::Forward {
                epoch,
                from: len + 1,
                cmds,
                upto,
            };
            ctx.send(succ, msg);
        }
    }

    /// What a successor must hold to be synced: all this node holds, once it is synced
    /// itself (a node still catching up cannot vouch for anything).
    fn upto(&self) -> u64 {
        if self.synced {
            self.len()
        } else {
            u64::MAX
        }
    }

    fn on_ack(&mut self, ctx: &mut Ctx<Self>, n: u64) {
        self.heard_succ = ctx.now();
        let n = n.min(self.len());
        if n <= self.acked {
            return;
        }
        self.acked = n;
        if let Some(p) = self.pred() {
            let epoch = self.epoch();
            ctx.send(p, ChainMsg::Ack { epoch, n });
        }
        self.serve_waiters(ctx);
    }

    /// Head: answers retried requests whose update is now acknowledged.
    fn serve_waiters(&mut self, ctx: &mut Ctx<Self>) {
        if self.waiters.is_empty() || !self.is_head() {
            return;
        }
        let epoch = self.epoch();
        let (kv, last_n, acked) = (&self.kv, &self.last_n, self.acked);
        self.waiters.retain(|&client, &mut seq| {
            if last_n.get(&client).is_none_or(|&n| n > acked) {
                return true;
            }
            if let Some((last, ret)) = kv.session(client) {
                if last == seq {
                    let ret = ret.clone();
                    ctx.send(client, ChainMsg::Reply { epoch, seq, ret });
                }
            }
            false
        });
    }

    /// The tail, synced and past its wait, may acknowledge and answer.
    pub(super) fn serving_tail(&self, now: Time) -> bool {
        self.is_tail() && self.synced && now >= self.tail_from && self.leased(now)
    }

    fn on_read(&mut self, ctx: &mut Ctx<Self>, client: NodeId, epoch: u64, seq: u64, key: String) {
        let now = ctx.now();
        let stale_ok = self.bug == ChainBug::StaleTailRead; // C03: no epoch check
        let ok = (epoch == self.epoch() || stale_ok) && self.synced && self.leased(now);
        if !ok || self.joined.is_none() || self.is_joining() {
            return self.reject(ctx, client, seq);
        }
        let my_epoch = self.epoch();
        if self.is_tail() {
            if now < self.tail_from {
                return self.reject(ctx, client, seq);
            }
            let ret = self.kv.read(&key);
            return ctx.send(
                client,
                ChainMsg::Reply {
                    epoch: my_epoch,
                    seq,
                    ret,
                },
            );
        }
        if self.reads != ReadPath::Craq {
            return self.reject(ctx, client, seq);
        }
        let dirty = self.hist[self.acked as usize..]
            .iter()
            .any(|c| matches!(&c.kind, CmdKind::Client { op, .. } if op.key_label() == key));
        if !dirty {
            self.mark(ctx, "clean-read");
            let ret = self.kv.read(&key);
            return ctx.send(
                client,
                ChainMsg::Reply {
                    epoch: my_epoch,
                    seq,
                    ret,
                },
            );
        }
        self.mark(ctx, "dirty-read");
        let Some(tail) = self.membership().and_then(Config::tail) else {
            return self.reject(ctx, client, seq);
        };
        self.next_qid += 1;
        let qid = self.next_qid;
        self.craq_reads.insert(qid, (client, seq));
        ctx.send(
            tail,
            ChainMsg::VersionQuery {
                epoch: my_epoch,
                qid,
                key,
            },
        );
    }

    /// C01: drops a silent neighbour and everything beyond it, by itself, in a new epoch.
    fn suspect(&mut self, ctx: &mut Ctx<Self>) {
        let Some(cfg) = self.membership() else {
            return;
        };
        let now = ctx.now();
        let i = cfg.position(self.id).expect("a member");
        let members = if i > 0 && now.saturating_sub(self.heard_pred) > SUSPECT {
            cfg.members[i..].to_vec()
        } else if i + 1 < cfg.members.len() && now.saturating_sub(self.heard_succ) > SUSPECT {
            cfg.members[..=i].to_vec()
        } else {
            return;
        };
        let config = Rc::new(Config {
            epoch: cfg.epoch + 1,
            members,
            joining: false,
        });
        self.mark(ctx, "self-reconfigured");
        for m in config.members.iter().filter(|m| m.node != self.id) {
            let config = config.clone();
            ctx.send(m.node, ChainMsg::Install { config });
        }
        self.adopt(ctx, config);
    }
}

impl Process for ChainNode {
    type Msg = ChainMsg;
    type Timer = ChainTimerOf;
    type Durable = ReplicaDurable;

    /// First start (its state persisted at once) or restart: the replica is the member it
    /// was, with the history its disk kept; a tail waits a lease again before it
    /// acknowledges, as after any change of role. Its host set its boot id first.
    fn on_start(&mut self, ctx: &mut Ctx<Self>, durable: Option<&ReplicaDurable>) {
        match durable {
            None => self.save(ctx),
            Some(d) => self.recover(ctx, d),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: ChainMsg) {
        self.on_chain_message(ctx, from, msg)
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, _tick: ChainTimerOf) {
        self.on_tick(ctx)
    }

    fn view(&self) -> NodeView {
        NodeView {
            role: Role::Member,
            term: self.epoch(),
            commit: self.acked,
            log_len: self.len(),
        }
    }

    fn describe(&self) -> Vec<(&'static str, String)> {
        let role = match (self.joined, self.is_head(), self.is_tail()) {
            (None, ..) => "not a member",
            (_, true, true) => "head and tail",
            (_, true, false) => "head",
            (_, false, true) => "tail",
            _ => "middle",
        };
        vec![
            ("role", role.to_string()),
            ("epoch", self.epoch().to_string()),
            ("history", self.len().to_string()),
            ("acknowledged", self.acked.to_string()),
            ("synced", self.synced.to_string()),
            ("lease until", format!("{}", self.lease_until)),
        ]
    }
}
