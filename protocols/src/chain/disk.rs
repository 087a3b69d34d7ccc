//! What a chain server keeps on its simulated disk. A manager replica keeps its Raft state (a
//! ZooKeeper server its ZAB state); a
//! chain node keeps its identity (the boot id drawn at its first start) and, for each shard's
//! replica, the configuration it last took on with the epoch it joined in, its update history (a prefix view of an
//! append-only journal, so a persist costs a reference count), how far it knows updates were
//! acknowledged and whether it holds everything its predecessor held.
//!
//! A node persists before it forwards an update and says nothing its disk does not back (every
//! handler starts with a barrier): an update reaches a successor, a tail's acknowledgement or
//! a client only once it is durable where it has been, so an acknowledged write survives any
//! number of crashes, and a crash that loses unsynced writes loses only updates nobody else
//! was told of. A restarted node is the same member it was and catches up from its predecessor.

use super::config::Config;
use super::manager::{RaftDurable, ZabDurable};
use crate::kv::Cmd;
use crate::paxos::journal::Journal;
use std::rc::Rc;

/// A chain server's durable state.
#[derive(Clone, Debug)]
pub enum ChainDurable {
    Manager(RaftDurable),
    /// A ZooKeeper server's (the ZooKeeper backend).
    Zk(ZabDurable),
    Node(NodeDurable),
}

/// A chain node's durable state: its boot id and each shard replica's state.
#[derive(Clone, Debug)]
pub struct NodeDurable {
    pub boot: u64,
    pub replicas: Vec<ReplicaDurable>,
    /// The incarnation of its ZooKeeper session's client (the ZooKeeper backend), so a
    /// restarted node opens a new session.
    pub session: Option<u64>,
}

/// One shard replica's durable state.
#[derive(Clone, Debug, Default)]
pub struct ReplicaDurable {
    pub config: Option<Rc<Config>>,
    pub joined: Option<u64>,
    pub hist: Journal<Rc<Cmd>>,
    pub acked: u64,
    pub synced: bool,
}
