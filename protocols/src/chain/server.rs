//! The one server process type of a chain world: a server is a manager replica (the first
//! `managers` servers; with the ZooKeeper backend, a ZooKeeper server) or a chain node (hosting one replica per shard), decided by its id when
//! the world builds it.

use super::disk::ChainDurable;
use super::host::NodeHost;
use super::manager::{ChainTimerOf, ManagerReplica};
use super::node::ChainNode;
use super::zk::ZkReplica;
use super::{Backend, ChainConfig, ChainMsg};
use splitbrain_api::{Ctx, NodeId, NodeView, Process};

/// A server of a chain world.
pub enum ChainServer {
    Manager(Box<ManagerReplica>),
    Zk(Box<ZkReplica>),
    Node(Box<NodeHost>),
}

impl ChainServer {
    pub fn new(id: NodeId, managers: &[NodeId], nodes: &[NodeId], cfg: ChainConfig) -> ChainServer {
        match (managers.contains(&id), cfg.backend) {
            (true, Backend::Raft) => {
                ChainServer::Manager(Box::new(ManagerReplica::new(id, managers, nodes, cfg)))
            }
            (true, Backend::ZooKeeper) => ChainServer::Zk(Box::new(ZkReplica::new(id, managers))),
            (false, _) => ChainServer::Node(Box::new(NodeHost::new(id, managers, nodes, cfg))),
        }
    }

    pub fn id(&self) -> NodeId {
        match self {
            ChainServer::Manager(m) => m.id,
            ChainServer::Zk(z) => z.id,
            ChainServer::Node(n) => n.id,
        }
    }

    /// The chain node's replica of `shard`, if this server is a chain node (for the cluster
    /// checks).
    pub fn replica(&self, shard: usize) -> Option<&ChainNode> {
        match self {
            ChainServer::Node(n) => n.replicas.get(shard),
            ChainServer::Manager(_) | ChainServer::Zk(_) => None,
        }
    }

    /// The manager replica's Raft server, if this server is one.
    pub fn raft(&self) -> Option<&crate::raft::RaftServer> {
        match self {
            ChainServer::Manager(m) => Some(&m.raft),
            ChainServer::Zk(_) | ChainServer::Node(_) => None,
        }
    }

    /// The ZooKeeper server, if this server is one.
    pub fn zab(&self) -> Option<&crate::zab::ZabServer> {
        match self {
            ChainServer::Zk(z) => Some(&z.zab),
            ChainServer::Manager(_) | ChainServer::Node(_) => None,
        }
    }
}

impl Process for ChainServer {
    type Msg = ChainMsg;
    type Timer = ChainTimerOf;
    /// A manager replica's Raft state or a chain node's own (`disk`).
    type Durable = ChainDurable;

    fn on_start(&mut self, ctx: &mut Ctx<Self>, durable: Option<&ChainDurable>) {
        match (self, durable) {
            (ChainServer::Manager(m), Some(ChainDurable::Manager(d))) => m.on_start(ctx, Some(d)),
            (ChainServer::Manager(m), None) => m.on_start(ctx, None),
            (ChainServer::Zk(z), Some(ChainDurable::Zk(d))) => z.on_start(ctx, Some(d)),
            (ChainServer::Zk(z), None) => z.on_start(ctx, None),
            (ChainServer::Node(n), Some(ChainDurable::Node(d))) => n.on_start(ctx, Some(d)),
            (ChainServer::Node(n), None) => n.on_start(ctx, None),
            (s, Some(d)) => panic!("{}: the disk of another kind of server: {d:?}", s.id()),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: ChainMsg) {
        match self {
            ChainServer::Manager(m) => m.on_message(ctx, from, msg),
            ChainServer::Zk(z) => z.on_message(ctx, from, msg),
            ChainServer::Node(n) => {
                ctx.barrier(); // a node says nothing its disk does not back
                n.on_message(ctx, from, msg)
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: ChainTimerOf) {
        match (self, timer) {
            (ChainServer::Manager(m), t) => m.on_timer(ctx, t),
            (ChainServer::Zk(z), t) => z.on_timer(ctx, t),
            (ChainServer::Node(n), ChainTimerOf::Tick) => {
                ctx.barrier();
                n.on_tick(ctx)
            }
            (ChainServer::Node(n), ChainTimerOf::Session(t)) => {
                ctx.barrier();
                n.on_session_timer(ctx, t)
            }
            (ChainServer::Node(n), t) => panic!("{}: chain node got timer {t:?}", n.id),
        }
    }

    fn invariants(&self) {
        match self {
            ChainServer::Manager(m) => m.raft.invariants(),
            ChainServer::Zk(z) => z.zab.invariants(),
            ChainServer::Node(_) => {}
        }
    }

    fn view(&self) -> NodeView {
        match self {
            ChainServer::Manager(m) => m.raft.view(),
            ChainServer::Zk(z) => z.zab.view(),
            ChainServer::Node(n) => n.view(),
        }
    }

    fn describe(&self) -> Vec<(&'static str, String)> {
        match self {
            ChainServer::Manager(m) => {
                let mut d = vec![("part", "manager replica".to_string())];
                d.extend(m.raft.describe());
                d
            }
            ChainServer::Zk(z) => {
                let mut d = vec![("part", "ZooKeeper server".to_string())];
                d.extend(z.zab.describe());
                d
            }
            ChainServer::Node(n) => {
                let mut d = vec![("part", "chain node".to_string())];
                d.extend(n.describe());
                d
            }
        }
    }
}
