//! The one server process type of a chain world: a server is a manager replica (the first
//! `managers` servers) or a chain node, decided by its id when the world builds it.

use super::manager::{ChainTimerOf, ManagerReplica, RaftDurable};
use super::node::ChainNode;
use super::{ChainConfig, ChainMsg};
use splitbrain_api::{Ctx, NodeId, NodeView, Process};

/// A server of a chain world.
pub enum ChainServer {
    Manager(Box<ManagerReplica>),
    Node(Box<ChainNode>),
}

impl ChainServer {
    pub fn new(id: NodeId, managers: &[NodeId], nodes: &[NodeId], cfg: ChainConfig) -> ChainServer {
        if managers.contains(&id) {
            ChainServer::Manager(Box::new(ManagerReplica::new(id, managers, nodes, cfg)))
        } else {
            ChainServer::Node(Box::new(ChainNode::new(id, managers.to_vec(), cfg)))
        }
    }

    /// The chain node, if this server is one (for the cluster checks).
    pub fn node(&self) -> Option<&ChainNode> {
        match self {
            ChainServer::Node(n) => Some(n),
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
    /// Only manager replicas persist (their Raft state); chain nodes keep memory only.
    type Durable = RaftDurable;

    fn on_start(&mut self, ctx: &mut Ctx<Self>, durable: Option<&RaftDurable>) {
        match self {
            ChainServer::Manager(m) => m.on_start(ctx, durable),
            ChainServer::Node(n) => n.on_start(ctx),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: ChainMsg) {
        match self {
            ChainServer::Manager(m) => m.on_message(ctx, from, msg),
            ChainServer::Node(n) => n.on_message(ctx, from, msg),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: ChainTimerOf) {
        match (self, timer) {
            (ChainServer::Manager(m), t) => m.on_timer(ctx, t),
            (ChainServer::Node(n), ChainTimerOf::Tick) => n.on_tick(ctx),
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
