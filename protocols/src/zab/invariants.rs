//! ZAB's safety properties (DSN 2011 §III), checked after every server step from what the
//! step reports (transactions delivered with the chain value of the history before them,
//! proposals of an established leader, an establishment):
//!
//! - **one established leader per epoch**;
//! - **primary order and integrity**: a server delivers in zxid order, and only what the
//!   established leader of the transaction's epoch proposed, on the same history;
//! - **agreement on delivered transactions**: every server walks one sequence: the same zxid
//!   carries the same history everywhere, and no server skips a transaction another delivered
//!   between two it delivered itself;
//! - **no delivered transaction lost**: every newly established leader of epoch e holds the
//!   last transaction any server delivered in an epoch before e (a client was answered for
//!   it).

use super::log::zxid_label;
use super::ZabServer;
use splitbrain_api::{ClusterInvariant, NodeId, Time};
use std::collections::BTreeMap;

/// Every ZAB invariant, ready for `run_world`.
pub fn all() -> Vec<Box<dyn ClusterInvariant<ZabServer>>> {
    vec![
        Box::new(OneLeaderPerEpoch::default()),
        Box::new(PrimaryOrder::default()),
        Box::new(Agreement::default()),
        Box::new(NoDeliveredLost::default()),
    ]
}

fn stepped_server<'a>(stepped: NodeId, servers: &[Option<&'a ZabServer>]) -> Option<&'a ZabServer> {
    servers.get(stepped.index()).copied().flatten()
}

#[derive(Default)]
pub struct OneLeaderPerEpoch {
    leaders: BTreeMap<u64, NodeId>,
}

impl ClusterInvariant<ZabServer> for OneLeaderPerEpoch {
    fn name(&self) -> &'static str {
        "one established leader per epoch"
    }

    fn check(
        &mut self,
        _: Time,
        stepped: NodeId,
        servers: &[Option<&ZabServer>],
    ) -> Result<(), String> {
        let Some(e) = stepped_server(stepped, servers).and_then(|s| s.report().established) else {
            return Ok(());
        };
        match self.leaders.insert(e, stepped) {
            Some(other) if other != stepped => Err(format!(
                "{stepped} established itself leader of epoch {e}, which {other} already leads"
            )),
            _ => Ok(()),
        }
    }
}

#[derive(Default)]
pub struct PrimaryOrder {
    /// zxid -> chain value, as the established leader of its epoch proposed it.
    proposed: BTreeMap<u64, u64>,
}

impl ClusterInvariant<ZabServer> for PrimaryOrder {
    fn name(&self) -> &'static str {
        "primary order and integrity"
    }

    fn check(
        &mut self,
        _: Time,
        stepped: NodeId,
        servers: &[Option<&ZabServer>],
    ) -> Result<(), String> {
        let Some(s) = stepped_server(stepped, servers) else {
            return Ok(());
        };
        for &(z, chain) in &s.report().proposed {
            self.proposed.insert(z, chain);
        }
        for &(prev, z, chain) in &s.report().delivered {
            if z <= prev {
                return Err(format!(
                    "{stepped} delivered {} after {}: out of zxid order",
                    zxid_label(z),
                    zxid_label(prev)
                ));
            }
            if self.proposed.get(&z) != Some(&chain) {
                return Err(format!(
                    "{stepped} delivered {} on a history the leader of epoch {} never proposed \
                     it on",
                    zxid_label(z),
                    z >> 32
                ));
            }
        }
        Ok(())
    }
}

/// The one delivery sequence every server walks: (zxid, chain, first server to deliver it),
/// in zxid order. A zxid joins only above every zxid walked (one below, or between two,
/// is a violation), so the sequence is a list that grows at its end.
pub struct Agreement {
    walked: Vec<(u64, u64, NodeId)>,
}

impl Default for Agreement {
    fn default() -> Agreement {
        Agreement {
            walked: vec![(0, 0, NodeId::server(0))],
        }
    }
}

impl ClusterInvariant<ZabServer> for Agreement {
    fn name(&self) -> &'static str {
        "agreement on delivered transactions"
    }

    fn check(
        &mut self,
        _: Time,
        stepped: NodeId,
        servers: &[Option<&ZabServer>],
    ) -> Result<(), String> {
        let Some(s) = stepped_server(stepped, servers) else {
            return Ok(());
        };
        for &(prev, z, chain) in &s.report().delivered {
            self.walk(stepped, prev, z, chain)?;
        }
        Ok(())
    }
}

impl Agreement {
    fn walk(&mut self, who: NodeId, prev: u64, z: u64, chain: u64) -> Result<(), String> {
        // Formatted only for a violation: this runs for every delivery of every server.
        let label = || zxid_label(z);
        let at = self.walked.partition_point(|w| w.0 < z);
        if let Some(&(_, known, by)) = self.walked.get(at).filter(|w| w.0 == z) {
            return if known == chain {
                Ok(())
            } else {
                Err(format!(
                    "{who} delivered {} on another history than {by} delivered it on",
                    label()
                ))
            };
        }
        if let Some(&(before, _, by)) = at.checked_sub(1).map(|i| &self.walked[i]) {
            if before != prev {
                return Err(format!(
                    "{who} delivered {} right after {}, but {by} delivered {} between them",
                    label(),
                    zxid_label(prev),
                    zxid_label(before)
                ));
            }
        }
        if let Some(&(after, _, by)) = self.walked.get(at) {
            return Err(format!(
                "{who} delivered {}, which {by} skipped when it delivered {}",
                label(),
                zxid_label(after)
            ));
        }
        self.walked.push((z, chain, who));
        Ok(())
    }
}

/// ZAB promises an established leader of epoch e every transaction delivered in an epoch
/// before e (it was committed by a quorum the new leader's quorum meets). A leader of e that
/// establishes itself late (its last AckNewLeader held up by a pause) while the leader of a
/// later epoch already delivered is not required to hold that later delivery (zab-zk-swarm
/// seed 8978), so deliveries are kept per epoch.
#[derive(Default)]
pub struct NoDeliveredLost {
    /// Per epoch: the highest delivered zxid of it, its chain value and who delivered it first.
    last: BTreeMap<u64, (u64, u64, NodeId)>,
}

impl ClusterInvariant<ZabServer> for NoDeliveredLost {
    fn name(&self) -> &'static str {
        "no acknowledged write lost"
    }

    fn check(
        &mut self,
        _: Time,
        stepped: NodeId,
        servers: &[Option<&ZabServer>],
    ) -> Result<(), String> {
        let Some(s) = stepped_server(stepped, servers) else {
            return Ok(());
        };
        for &(_, z, chain) in &s.report().delivered {
            let last = self.last.entry(z >> 32).or_insert((z, chain, stepped));
            if z > last.0 {
                *last = (z, chain, stepped);
            }
        }
        let Some(epoch) = s.report().established else {
            return Ok(());
        };
        let Some((_, &(z, chain, by))) = self.last.range(..epoch).next_back() else {
            return Ok(());
        };
        if z <= s.log().base_zxid() || s.log().chain_at(z) == Some(chain) {
            return Ok(());
        }
        Err(format!(
            "{by} delivered {} (its client may have been answered), but {stepped}, established \
             leader of epoch {epoch}, does not hold it",
            zxid_label(z)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreement_accepts_one_sequence_and_names_each_way_to_leave_it() {
        let (s1, s2) = (NodeId::server(0), NodeId::server(1));
        let mut a = Agreement::default();
        assert_eq!(a.walk(s1, 0, 5, 50), Ok(()));
        assert_eq!(a.walk(s1, 5, 7, 70), Ok(()));
        assert_eq!(a.walk(s2, 0, 5, 50), Ok(()));
        assert_eq!(a.walk(s2, 5, 7, 70), Ok(()));
        let other = a.walk(s2, 5, 7, 71).unwrap_err();
        assert!(other.contains("on another history"), "{other}");
        let between = a.walk(s2, 0, 6, 60).unwrap_err();
        assert!(between.contains("delivered 0.5 between them"), "{between}");
        let skipped = a.walk(s2, 0, 3, 30).unwrap_err();
        assert!(
            skipped.contains("skipped when it delivered 0.5"),
            "{skipped}"
        );
        assert_eq!(a.walk(s2, 7, 9, 90), Ok(()));
        assert_eq!(a.walked.len(), 4);
    }
}
