//! The chain's cross-node checks, run after every server step, plus Raft's own checks on the
//! manager's replicas (log matching, leader completeness), or ZAB's on the ZooKeeper servers,
//! through an adapter. With several
//! shards each shard's chain is checked on its own (its epochs are its own).
//!
//! - **one head and one tail per epoch**: every node that has taken on an epoch and is a member
//!   of it agrees on who heads and who ends the chain of that epoch.
//! - **prefix**: for neighbours of one epoch, the successor's history is a prefix of its
//!   predecessor's (same hash chain at the successor's length); what the successor lacks are
//!   the updates in flight between them.
//! - **no acknowledged write lost**: the highest acknowledged position (an update that reached
//!   a tail) keeps its content in every member's history that reaches it, and the head of the
//!   newest epoch holds it. A tail's own acknowledged point counts once its disk holds it
//!   (its acks and replies leave only then); a crash that loses its unsynced writes takes
//!   back what it had not yet said.

use super::node::ChainNode;
use super::{Backend, ChainServer};
use splitbrain_api::{ClusterInvariant, DiskEvent, NodeId, Time};
use std::collections::BTreeMap;

/// Chain safety of one shard: roles per epoch, the prefix property, durability of
/// acknowledged writes.
#[derive(Default)]
pub struct ChainChecks {
    shard: usize,
    /// `shard 2: ` when there are several shards (the messages say which chain).
    label: String,
    heads: BTreeMap<u64, NodeId>,
    tails: BTreeMap<u64, NodeId>,
    /// Every acknowledged position reported, with its hash chain value and who reported it.
    acked: BTreeMap<u64, (u64, NodeId)>,
    /// A tail's acknowledged point (with its hash chain value) waiting for its disk.
    tentative: BTreeMap<NodeId, (u64, u64)>,
    newest_epoch: u64,
}

impl ChainChecks {
    pub fn new(shard: usize, shards: usize) -> ChainChecks {
        let label = if shards > 1 {
            format!("shard {shard}: ")
        } else {
            String::new()
        };
        ChainChecks {
            shard,
            label,
            ..ChainChecks::default()
        }
    }

    fn roles(&mut self, n: &ChainNode) -> Result<(), String> {
        let epoch = n.epoch();
        for (is, table, what) in [
            (n.is_head(), &mut self.heads, "head"),
            (n.is_tail(), &mut self.tails, "tail"),
        ] {
            if !is {
                continue;
            }
            match table.get(&epoch) {
                Some(&other) if other != n.id => {
                    return Err(format!(
                        "{other} and {} were both {what} in epoch {epoch}",
                        n.id
                    ))
                }
                Some(_) => {}
                None => {
                    table.insert(epoch, n.id);
                }
            }
        }
        Ok(())
    }

    /// `a` precedes `b` in their common epoch.
    fn prefix(a: &ChainNode, b: &ChainNode) -> Result<(), String> {
        let (la, lb) = (a.len(), b.len());
        if lb > la || a.digest_at(lb) != b.digest_at(lb) {
            return Err(format!(
                "in epoch {}, {} holds {lb} updates that are not a prefix of the {la} of its predecessor {}",
                a.epoch(),
                b.id,
                a.id
            ));
        }
        Ok(())
    }

    fn neighbours(&self, n: &ChainNode, servers: &[Option<&ChainServer>]) -> Result<(), String> {
        let same = |id: Option<NodeId>| {
            let id = id?;
            let other = servers.get(id.index()).copied().flatten()?;
            let other = other.replica(self.shard)?;
            (other.epoch() == n.epoch() && other.joined.is_some()).then_some(other)
        };
        if let Some(p) = same(n.pred()) {
            if p.succ() == Some(n.id) {
                Self::prefix(p, n)?;
            }
        }
        if let Some(s) = same(n.succ()) {
            if s.pred() == Some(n.id) {
                Self::prefix(n, s)?;
            }
        }
        Ok(())
    }

    /// `who` acknowledged the first `n` updates, whose hash chain is `digest`.
    fn record(&mut self, n: u64, digest: u64, who: NodeId) -> Result<(), String> {
        match self.acked.get(&n) {
            Some(&(d, other)) if d != digest => Err(format!(
                "{who} and {other} acknowledged different updates up to position {n}"
            )),
            Some(_) => Ok(()),
            None => {
                self.acked.insert(n, (digest, who));
                Ok(())
            }
        }
    }

    fn durability(&mut self, n: &ChainNode) -> Result<(), String> {
        let here = n.digest_at(n.acked);
        if n.is_tail() {
            let t = self.tentative.entry(n.id).or_insert((0, 0));
            if n.acked > t.0 {
                *t = (n.acked, here);
            }
        } else {
            // Acknowledged to it by a successor that said so only once its disk held it.
            self.record(n.acked, here, n.id)?;
        }
        self.newest_epoch = self.newest_epoch.max(n.epoch());
        let highest = self.acked.last_key_value().map_or(0, |(&p, _)| p);
        if n.is_head() && n.epoch() == self.newest_epoch && n.len() < highest {
            return Err(format!(
                "head {} of epoch {} holds {} updates but {highest} were acknowledged",
                n.id,
                n.epoch(),
                n.len(),
            ));
        }
        Ok(())
    }
}

impl ClusterInvariant<ChainServer> for ChainChecks {
    fn name(&self) -> &'static str {
        "chain"
    }

    fn check(
        &mut self,
        _at: Time,
        stepped: NodeId,
        servers: &[Option<&ChainServer>],
    ) -> Result<(), String> {
        let Some(n) = servers
            .get(stepped.index())
            .copied()
            .flatten()
            .and_then(|s| s.replica(self.shard))
        else {
            return Ok(());
        };
        if n.joined.is_none() {
            return Ok(());
        }
        let checked = self
            .roles(n)
            .and_then(|()| self.neighbours(n, servers))
            .and_then(|()| self.durability(n));
        checked.map_err(|e| format!("{}{e}", self.label))
    }

    fn on_disk(&mut self, _at: Time, node: NodeId, event: DiskEvent) -> Result<(), String> {
        self.disk(node, event)
            .map_err(|e| format!("{}{e}", self.label))
    }
}

/// One of the manager service's own checks (Raft's, or ZAB's with the ZooKeeper backend), run
/// over the manager's servers only (the first `managers` servers).
pub struct OnManager<S: 'static> {
    pub check: Box<dyn ClusterInvariant<S>>,
    pub managers: usize,
    /// The service's server inside a chain server.
    pub inner: fn(&ChainServer) -> Option<&S>,
}

impl<S: 'static> ClusterInvariant<ChainServer> for OnManager<S> {
    fn name(&self) -> &'static str {
        self.check.name()
    }

    fn check(
        &mut self,
        at: Time,
        stepped: NodeId,
        servers: &[Option<&ChainServer>],
    ) -> Result<(), String> {
        if stepped.index() >= self.managers {
            return Ok(());
        }
        let inner: Vec<Option<&S>> = servers[..self.managers]
            .iter()
            .map(|s| s.and_then(self.inner))
            .collect();
        self.check.check(at, stepped, &inner)
    }

    fn on_disk(&mut self, at: Time, node: NodeId, event: DiskEvent) -> Result<(), String> {
        if node.index() >= self.managers {
            return Ok(());
        }
        self.check.on_disk(at, node, event)
    }
}

impl ChainChecks {
    fn disk(&mut self, node: NodeId, event: DiskEvent) -> Result<(), String> {
        let Some((n, digest)) = self.tentative.remove(&node) else {
            return Ok(());
        };
        match event {
            DiskEvent::Durable => self.record(n, digest, node),
            DiskEvent::Lost => Ok(()),
        }
    }
}

/// Every check a chain world with `managers` manager servers and `shards` chains runs with,
/// the manager's service's own (Raft's or ZAB's, by `backend`) included.
pub fn all(
    managers: usize,
    shards: usize,
    backend: Backend,
) -> Vec<Box<dyn ClusterInvariant<ChainServer>>> {
    let mut checks: Vec<Box<dyn ClusterInvariant<ChainServer>>> = Vec::new();
    for shard in 0..shards.max(1) {
        checks.push(Box::new(ChainChecks::new(shard, shards)));
    }
    match backend {
        Backend::Raft => {
            for check in crate::raft::invariants::all() {
                checks.push(Box::new(OnManager {
                    check,
                    managers,
                    inner: ChainServer::raft,
                }));
            }
        }
        Backend::ZooKeeper => {
            for check in crate::zab::invariants::all() {
                checks.push(Box::new(OnManager {
                    check,
                    managers,
                    inner: ChainServer::zab,
                }));
            }
        }
    }
    checks
}
