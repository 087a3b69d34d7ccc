//! A chain node's server: one replica (`node::ChainNode`) per shard, sharing the node's boot
//! id, its link to the manager and its disk. Each tick it sends the manager one report saying
//! how it stands in every shard's chain; the answer (the manager's layout) gives every replica
//! its shard's configuration and lease. With the ZooKeeper backend the link is a session
//! (`zk_node`): the status goes into the node's member znode, the layout comes from a watched
//! znode, and a renewal that checked the layout's version gives the lease.
//!
//! A replica runs with a context of its own, and its effects are carried over in order:
//! messages between nodes of shard `s` > 0 are wrapped in `ChainMsg::Shard`, and a replica's
//! durable state replaces its part of the node's, which is persisted whole (so what a replica
//! sends after persisting still waits for that sync).

use super::config::{encode_status, shard_of, Layout, ManagerLink};
use super::disk::{ChainDurable, NodeDurable, ReplicaDurable};
use super::manager::ChainTimerOf;
use super::node::ChainNode;
use super::server::ChainServer;
use super::zk_node::{Act, ZkNode};
use super::{Backend, ChainConfig, ChainMsg, TICK};
use crate::raft::RaftMsg;
use crate::zab::ZabClientTimer;
use rand::Rng;
use splitbrain_api::{Ctx, Effect, NodeId, NodeView, Process, Ret, Role, Time};

/// How a chain node reaches the configuration manager.
enum Link {
    /// Reports to the Raft manager's replicas, answered with the layout.
    Raft(ManagerLink),
    /// A ZooKeeper session: member znode, watched layout, leases, the manager's pass.
    Zk(Box<ZkNode>),
}

/// A chain node: its shard replicas and what they share.
pub struct NodeHost {
    pub(super) id: NodeId,
    link: Link,
    boot: u64,
    pub(super) replicas: Vec<ChainNode>,
    /// The last durable state of each replica (the node's disk holds them all).
    disk: Vec<ReplicaDurable>,
    /// The ZooKeeper session client's incarnation (kept on the node's disk).
    session: Option<u64>,
}

impl NodeHost {
    pub fn new(id: NodeId, managers: &[NodeId], nodes: &[NodeId], cfg: ChainConfig) -> NodeHost {
        let shards = cfg.shards.max(1);
        let link = match cfg.backend {
            Backend::Raft => Link::Raft(ManagerLink::new(managers.to_vec(), id.index())),
            Backend::ZooKeeper => Link::Zk(Box::new(ZkNode::new(
                id,
                managers.to_vec(),
                nodes.to_vec(),
                cfg,
            ))),
        };
        NodeHost {
            id,
            link,
            boot: 0,
            replicas: (0..shards).map(|_| ChainNode::new(id, cfg)).collect(),
            disk: Vec::new(),
            session: None,
        }
    }

    /// Persists the node's whole disk (every replica's part, the boot id, the session's).
    fn persist(&self, ctx: &mut Ctx<ChainServer>) {
        let d = NodeDurable {
            boot: self.boot,
            replicas: self.disk.clone(),
            session: self.session,
        };
        ctx.persist(ChainDurable::Node(d));
    }

    /// Runs `f` on shard `shard`'s replica with a context of its own and carries its effects
    /// over; asks the manager at once if the replica saw a newer epoch.
    fn with_replica<R>(
        &mut self,
        ctx: &mut Ctx<ChainServer>,
        shard: usize,
        f: impl FnOnce(&mut ChainNode, &mut Ctx<ChainNode>) -> R,
    ) -> R {
        let mut effects: Vec<Effect<ChainNode>> = Vec::new();
        let out = {
            let (id, now) = (ctx.id(), ctx.now());
            let mut inner = Ctx::new(id, now, ctx.rng(), &mut effects);
            f(&mut self.replicas[shard], &mut inner)
        };
        for effect in effects {
            match effect {
                Effect::Send { to, msg } => ctx.send(to, wrap(shard, msg)),
                Effect::Persist { durable } => {
                    self.disk[shard] = durable;
                    self.persist(ctx);
                }
                Effect::Write { .. } => {
                    panic!("{}: a chain replica persists whole states", self.id)
                }
                Effect::Barrier => ctx.barrier(),
                Effect::Mark { name } => ctx.mark(name),
                Effect::SetTimer { .. } | Effect::CancelTimer { .. } => {
                    panic!("{}: a replica's timer (the host ticks them)", self.id)
                }
                Effect::Applied { .. }
                | Effect::Complete { .. }
                | Effect::Fail
                | Effect::GiveUp
                | Effect::Notify { .. } => panic!("{}: a replica's effect out of place", self.id),
            }
        }
        if self.replicas[shard].want_report {
            self.report(ctx);
        }
        out
    }

    /// How the node stands in every shard's chain.
    fn statuses(&mut self, ctx: &mut Ctx<ChainServer>) -> Vec<super::ShardReport> {
        let mut shards = Vec::with_capacity(self.replicas.len());
        for s in 0..self.replicas.len() {
            let mut effects: Vec<Effect<ChainNode>> = Vec::new();
            let (id, now) = (ctx.id(), ctx.now());
            let mut inner = Ctx::new(id, now, ctx.rng(), &mut effects);
            shards.push(self.replicas[s].status(&mut inner));
            for effect in effects {
                if let Effect::Mark { name } = effect {
                    ctx.mark(name);
                }
            }
        }
        shards
    }

    /// One report to the manager for every shard (with ZooKeeper: a fresh look at the layout).
    fn report(&mut self, ctx: &mut Ctx<ChainServer>) {
        if let Link::Zk(_) = self.link {
            return self.zk(ctx, |z, c, status| z.refresh(c, status));
        }
        let shards = self.statuses(ctx);
        let Link::Raft(link) = &mut self.link else {
            unreachable!("matched above");
        };
        let (to, seq) = link.ask(ctx.now());
        let boot = self.boot;
        ctx.send(to, ChainMsg::Report { seq, boot, shards });
    }

    /// Runs `f` on the node's ZooKeeper side with its current status, then does what it
    /// asks of the replicas.
    fn zk(
        &mut self,
        ctx: &mut Ctx<ChainServer>,
        f: impl FnOnce(&mut ZkNode, &mut Ctx<ChainServer>, &str) -> Vec<Act>,
    ) {
        let shards = self.statuses(ctx);
        let status = encode_status(self.boot, &shards);
        let Link::Zk(z) = &mut self.link else {
            panic!("{}: a ZooKeeper call without ZooKeeper", self.id);
        };
        let acts = f(z, ctx, &status);
        for act in acts {
            match act {
                Act::Adopt(layout) => self.take_layout(ctx, None, layout),
                Act::Lease(sent, layout) => self.take_layout(ctx, Some(sent), layout),
                Act::Persist(incarnation) => {
                    self.session = Some(incarnation);
                    self.persist(ctx);
                }
            }
        }
    }

    /// The session client's timer fired.
    pub fn on_session_timer(&mut self, ctx: &mut Ctx<ChainServer>, t: ZabClientTimer) {
        self.zk(ctx, |z, c, status| z.on_timer(c, t, status));
    }

    /// First start (a boot id of its own) or restart: every replica from its part of the disk.
    pub fn on_start(&mut self, ctx: &mut Ctx<ChainServer>, durable: Option<&NodeDurable>) {
        let n = self.replicas.len();
        match durable {
            None => {
                self.boot = ctx.rng().gen();
                self.disk = (0..n).map(|_| ReplicaDurable::default()).collect();
            }
            Some(d) => {
                assert_eq!(d.replicas.len(), n, "{}: a disk of another layout", self.id);
                self.boot = d.boot;
                self.disk = d.replicas.clone();
                self.session = d.session;
            }
        }
        for s in 0..n {
            self.replicas[s].boot = self.boot;
        }
        if let Link::Zk(_) = self.link {
            let incarnation = self.session;
            self.zk(ctx, |z, c, _| z.start(c, incarnation));
        }
        for s in 0..n {
            let d = durable.map(|d| d.replicas[s].clone());
            self.with_replica(ctx, s, |r, c| r.on_start(c, d.as_ref()));
        }
        self.report(ctx);
        ctx.set_timer(ChainTimerOf::Tick, TICK);
    }

    pub fn on_tick(&mut self, ctx: &mut Ctx<ChainServer>) {
        ctx.set_timer(ChainTimerOf::Tick, TICK);
        match self.link {
            Link::Raft(_) => self.report(ctx),
            Link::Zk(_) => self.zk(ctx, |z, c, status| z.tick(c, status)),
        }
        for s in 0..self.replicas.len() {
            self.with_replica(ctx, s, |r, c| r.on_timer(c, ChainTimerOf::Tick));
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx<ChainServer>, from: NodeId, msg: ChainMsg) {
        match msg {
            ChainMsg::Raft(RaftMsg::ClientReply { seq, ret }) => self.on_layout(ctx, seq, ret),
            ChainMsg::Raft(RaftMsg::NotLeader { hint, .. }) => {
                if let Link::Raft(link) = &mut self.link {
                    if link.redirected(from, hint) {
                        self.report(ctx);
                    }
                }
            }
            ChainMsg::Zab(m) => {
                if let Link::Zk(_) = self.link {
                    self.zk(ctx, |z, c, status| z.on_message(c, from, m, status));
                }
            }
            ChainMsg::Shard { shard, msg } => {
                let s = shard as usize;
                if s < self.replicas.len() {
                    self.with_replica(ctx, s, |r, c| r.on_message(c, from, *msg));
                }
            }
            ChainMsg::Request { ref op, .. } => {
                let s = shard_of(&op.key_label(), self.replicas.len());
                self.with_replica(ctx, s, |r, c| r.on_message(c, from, msg));
            }
            msg => self.with_replica(ctx, 0, |r, c| r.on_message(c, from, msg)),
        }
    }

    /// The manager answered report `seq` with its layout: each replica takes its shard's
    /// configuration (and a lease counted from when the report left).
    fn on_layout(&mut self, ctx: &mut Ctx<ChainServer>, seq: u64, ret: Ret) {
        let Link::Raft(link) = &mut self.link else {
            return;
        };
        let Some(sent) = link.answered(seq) else {
            return;
        };
        let Ret::Value { value: Some(text) } = ret else {
            return; // not configured yet
        };
        let layout = Layout::decode(&text).expect("the manager stores layouts it wrote");
        self.take_layout(ctx, Some(sent), layout);
    }

    /// Each replica takes its shard's configuration (and a lease from `lease_from`).
    fn take_layout(
        &mut self,
        ctx: &mut Ctx<ChainServer>,
        lease_from: Option<Time>,
        layout: Layout,
    ) {
        assert_eq!(
            layout.shards.len(),
            self.replicas.len(),
            "one chain per shard"
        );
        for (s, config) in layout.shards.into_iter().enumerate() {
            self.with_replica(ctx, s, |r, c| r.on_config(c, lease_from, config));
        }
    }

    pub fn view(&self) -> NodeView {
        let views: Vec<NodeView> = self.replicas.iter().map(ChainNode::view).collect();
        NodeView {
            role: Role::Member,
            term: views.iter().map(|v| v.term).max().unwrap_or(0),
            commit: views.iter().map(|v| v.commit).sum(),
            log_len: views.iter().map(|v| v.log_len).sum(),
        }
    }

    pub fn describe(&self) -> Vec<(&'static str, String)> {
        if let [one] = self.replicas.as_slice() {
            return one.describe();
        }
        let mut d = Vec::new();
        for (s, r) in self.replicas.iter().enumerate() {
            let fields: Vec<String> = r
                .describe()
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            d.push((
                SHARD_LABELS[s.min(SHARD_LABELS.len() - 1)],
                fields.join(", "),
            ));
        }
        d
    }
}

/// Field names for `describe` (static strings); shards past the last share it.
const SHARD_LABELS: [&str; 8] = [
    "shard 0",
    "shard 1",
    "shard 2",
    "shard 3",
    "shard 4",
    "shard 5",
    "shard 6",
    "shards 7+",
];

/// A message a replica of `shard` sends: those between nodes of shard `s` > 0 are wrapped;
/// answers to clients and everything of shard 0 travel bare.
fn wrap(shard: usize, msg: ChainMsg) -> ChainMsg {
    let between_nodes = matches!(
        msg,
        ChainMsg::Forward { .. }
            | ChainMsg::Hello { .. }
            | ChainMsg::Ack { .. }
            | ChainMsg::VersionQuery { .. }
            | ChainMsg::VersionReply { .. }
            | ChainMsg::Install { .. }
    );
    if shard == 0 || !between_nodes {
        return msg;
    }
    ChainMsg::Shard {
        shard: shard as u32,
        msg: Box::new(msg),
    }
}
