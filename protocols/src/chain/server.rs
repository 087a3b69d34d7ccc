//! The one server process type of a chain world: a server is a manager replica (the first
//! `managers` servers) or a chain node (hosting one replica per shard), decided by its id when
//! the world builds it.

use super::disk::ChainDurable;
use super::host::NodeHost;
use super::manager::{ChainTimerOf, ManagerReplica};
use super::node::ChainNode;
use super::{ChainConfig, ChainMsg};
use splitbrain_api::{Ctx, NodeId, NodeView, Process};

/// A server of a chain world.
pub enum ChainServer {
    Manager(Box<ManagerReplica>),
    Node(Box<NodeHost>),
}

impl ChainServer {
    pub fn new(id: NodeId, managers: &[NodeId], nodes: &[NodeId], cfg: ChainConfig) -> ChainServer {
        if managers.contains(&id) {
            ChainServer::Manager(Box::new(ManagerReplica::new(id, managers, nodes, cfg)))
        } else {
            ChainServer::Node(Box::new(NodeHost::new(id, managers.to_vec(), cfg)))
        }
    }

    pub fn id(&self) -> NodeId {
        match self {
            ChainServer::Manager(m) => m.id,
            ChainServer::Node(n) => n.id,
        }
    }

    /// The chain node's replica of `shard`, if this server is a chain node (for the cluster
    /// checks).
    pub fn replica(&self, shard: usize) -> Option<&ChainNode> {
        match self {
            ChainServer::Node(n) => n.replicas.get(shard),
            ChainServer::Manager(_) => None,
        }
    }

    /// The manager replica's Raft server, if this server is one.
    pub fn raft(&self) -> Option<&crate::raft::RaftServer> {
        match self {
            ChainServer::Manager(m) => Some(&m.raft),
            ChainServer::Node(_) => None,
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
            (ChainServer::Node(n), Some(ChainDurable::Node(d))) => n.on_start(ctx, Some(d)),
            (ChainServer::Node(n), None) => n.on_start(ctx, None),
            (s, Some(d)) => panic!("{}: the disk of another kind of server: {d:?}", s.id()),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: ChainMsg) {
        match self {
            ChainServer::Manager(m) => m.on_message(ctx, from, msg),
            ChainServer::Node(n) => {
                ctx.barrier(); // a node says nothing its disk does not back
                n.on_message(ctx, from, msg)
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: ChainTimerOf) {
        match (self, timer) {
            (ChainServer::Manager(m), t) => m.on_timer(ctx, t),
            (ChainServer::Node(n), ChainTimerOf::Tick) => {
                ctx.barrier();
                n.on_tick(ctx)
            }
            (ChainServer::Node(n), t) => panic!("{}: chain node got timer {t:?}", n.id),
        }
    }

    fn invariants(&self) {
        if let ChainServer::Manager(m) = self {
            m.raft.invariants();
        }
    }

    fn view(&self) -> NodeView {
        match self {
            ChainServer::Manager(m) => m.raft.view(),
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
            ChainServer::Node(n) => {
                let mut d = vec![("part", "chain node".to_string())];
                d.extend(n.describe());
                d
            }
        }
    }
}
