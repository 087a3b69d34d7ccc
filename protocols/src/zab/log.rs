//! ZAB's transaction history: zxids (epoch in the high 32 bits, counter in the low 32), the
//! log of proposals after the last snapshot with a hash chain over (zxid, txn) so that one
//! value names a whole prefix, the snapshot of the delivered state, and the pure rule that
//! picks how a new leader synchronises a follower (DIFF, TRUNC or SNAP).

use crate::kv::{Cmd, Kv};
use splitbrain_api::Fnv1a;
use std::rc::Rc;

/// The zxid of the `counter`-th proposal of `epoch`.
pub fn zxid(epoch: u64, counter: u64) -> u64 {
    assert!(counter <= u64::from(u32::MAX), "counter overflows 32 bits");
    (epoch << 32) | counter
}

/// The epoch of a zxid (its high 32 bits).
pub fn epoch_of(z: u64) -> u64 {
    z >> 32
}

/// `e.c` as people write zxids.
pub fn zxid_label(z: u64) -> String {
    format!("{}.{}", epoch_of(z), z & 0xffff_ffff)
}

/// The chain value after `prev` extended by transaction `digest` at `z`.
pub fn chain(prev: u64, z: u64, digest: u64) -> u64 {
    let mut h = Fnv1a::default();
    h.write(&prev.to_le_bytes());
    h.write(&z.to_le_bytes());
    h.write(&digest.to_le_bytes());
    h.finish()
}

/// One proposal of the history.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct Txn {
    pub zxid: u64,
    pub cmd: Rc<Cmd>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    txn: Txn,
    chain: u64,
}

/// The delivered state after `zxid`, with the chain value of the history it was built from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub zxid: u64,
    pub chain: u64,
    pub kv: Kv,
    pub tree: super::tree::DataTree,
}

impl std::hash::Hash for Snapshot {
    // The chain stands for the whole prefix; hashing the state would cost its size per trace.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.zxid, self.chain).hash(state);
    }
}

/// The history after a base (the last snapshot's zxid and chain), in zxid order.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Log {
    base_zxid: u64,
    base_chain: u64,
    entries: Vec<Entry>,
}

impl Clone for Log {
    /// A copy with room for a few more entries: a server's log is shared with the disk image
    /// it persisted and copied on the next append, which would otherwise grow it at once.
    fn clone(&self) -> Log {
        let mut entries = Vec::with_capacity(self.entries.len() + APPEND_ROOM);
        entries.extend_from_slice(&self.entries);
        Log {
            base_zxid: self.base_zxid,
            base_chain: self.base_chain,
            entries,
        }
    }
}

/// Entries of room a copied log keeps for appends (a leader proposes up to `max_batch`
/// transactions at once).
const APPEND_ROOM: usize = 8;

impl Log {
    /// An empty log continuing after `snap`.
    pub fn after(snap: &Snapshot) -> Log {
        Log {
            base_zxid: snap.zxid,
            base_chain: snap.chain,
            entries: Vec::new(),
        }
    }

    pub fn base_zxid(&self) -> u64 {
        self.base_zxid
    }

    pub fn last_zxid(&self) -> u64 {
        self.entries.last().map_or(self.base_zxid, |e| e.txn.zxid)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn position(&self, z: u64) -> Result<usize, usize> {
        self.entries.binary_search_by_key(&z, |e| e.txn.zxid)
    }

    /// The chain value of the prefix ending at `z`, if `z` is the base or in the log.
    pub fn chain_at(&self, z: u64) -> Option<u64> {
        if z == self.base_zxid {
            return Some(self.base_chain);
        }
        self.position(z).ok().map(|i| self.entries[i].chain)
    }

    pub fn contains(&self, z: u64) -> bool {
        self.chain_at(z).is_some()
    }

    /// The transaction at `z`.
    pub fn get(&self, z: u64) -> Option<&Txn> {
        self.position(z).ok().map(|i| &self.entries[i].txn)
    }

    /// Appends `txn`, whose zxid must be above every zxid held.
    pub fn append(&mut self, txn: Txn) {
        assert!(txn.zxid > self.last_zxid(), "zxids grow along the log");
        let prev = self.chain_at(self.last_zxid()).expect("last is held");
        let chain = chain(prev, txn.zxid, txn.cmd.digest);
        self.entries.push(Entry { txn, chain });
    }

    /// Drops every entry above `z` (TRUNC). Returns how many were dropped.
    pub fn truncate_after(&mut self, z: u64) -> usize {
        let keep = match self.position(z) {
            Ok(i) => i + 1,
            Err(i) => i,
        };
        let dropped = self.entries.len() - keep;
        self.entries.truncate(keep);
        dropped
    }

    /// The transactions after `z` (which must be held), at most `max` of them.
    pub fn txns_after(&self, z: u64, max: usize) -> Vec<Txn> {
        let from = match self.position(z) {
            Ok(i) => i + 1,
            Err(_) => {
                assert!(
                    z == self.base_zxid,
                    "txns after a zxid the log does not hold"
                );
                0
            }
        };
        self.entries[from..]
            .iter()
            .take(max)
            .map(|e| e.txn.clone())
            .collect()
    }

    /// The transactions above `z` (at least the base), at most `max` of them.
    pub fn txns_above(&self, z: u64, max: usize) -> Vec<Txn> {
        assert!(z >= self.base_zxid, "txns above a compacted zxid");
        let from = match self.position(z) {
            Ok(i) => i + 1,
            Err(i) => i,
        };
        self.entries[from..]
            .iter()
            .take(max)
            .map(|e| e.txn.clone())
            .collect()
    }

    /// The transactions in `(after, upto]`.
    pub fn range(&self, after: u64, upto: u64) -> impl Iterator<Item = (&Txn, u64)> {
        let from = match self.position(after) {
            Ok(i) => i + 1,
            Err(i) => i,
        };
        self.entries[from..]
            .iter()
            .take_while(move |e| e.txn.zxid <= upto)
            .map(|e| (&e.txn, e.chain))
    }

    /// The largest zxid held (base included) that is at most `z`.
    pub fn floor(&self, z: u64) -> u64 {
        match self.position(z) {
            Ok(_) => z,
            Err(0) => self.base_zxid,
            Err(i) => self.entries[i - 1].txn.zxid,
        }
    }

    /// Forgets the entries up to `z` (held), which a snapshot now covers.
    pub fn compact_to(&mut self, z: u64) {
        let Ok(i) = self.position(z) else {
            return;
        };
        self.base_chain = self.entries[i].chain;
        self.base_zxid = z;
        self.entries.drain(..=i);
    }
}

/// How a leader brings a follower whose last zxid is `follower_last` to its own history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncPlan {
    /// The follower's last zxid is in the leader's log: send what follows it.
    Diff { after: u64 },
    /// The follower holds transactions the leader does not: drop everything above `to` (the
    /// largest zxid of the leader's log below the follower's last), then send what follows.
    Trunc { to: u64 },
    /// The follower is behind the leader's log: send the snapshot and the whole log.
    Snap,
}

/// The synchronisation rule (ZooKeeper's LearnerHandler): DIFF when the follower's last zxid
/// is in our log, TRUNC when it is not but lies above our log's base, SNAP below it.
pub fn sync_plan(log: &Log, follower_last: u64) -> SyncPlan {
    if log.contains(follower_last) {
        SyncPlan::Diff {
            after: follower_last,
        }
    } else if follower_last > log.base_zxid() {
        SyncPlan::Trunc {
            to: log.floor(follower_last),
        }
    } else {
        SyncPlan::Snap
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use splitbrain_api::{NodeId, Op};

    fn txn(z: u64) -> Txn {
        let op = Op::Put {
            key: "k".into(),
            value: z.to_string(),
        };
        Txn {
            zxid: z,
            cmd: Cmd::client(NodeId::client(0), z, op),
        }
    }

    fn log_of(zs: &[u64]) -> Log {
        let mut log = Log::default();
        for &z in zs {
            log.append(txn(z));
        }
        log
    }

    #[test]
    fn zxid_packs_epoch_high_and_counter_low() {
        let z = zxid(3, 7);
        assert_eq!(z, (3 << 32) | 7);
        assert_eq!(epoch_of(z), 3);
        assert_eq!(zxid_label(z), "3.7");
        assert!(zxid(2, u64::from(u32::MAX)) < zxid(3, 0));
    }

    #[test]
    fn sync_is_diff_trunc_or_snap_by_where_the_follower_last_zxid_lies() {
        let mut log = log_of(&[zxid(1, 1), zxid(1, 2), zxid(2, 1), zxid(2, 2)]);
        assert_eq!(
            sync_plan(&log, zxid(1, 2)),
            SyncPlan::Diff { after: zxid(1, 2) }
        );
        // An uncommitted 1.3 the new leader never had: drop it, continue after 1.2.
        assert_eq!(
            sync_plan(&log, zxid(1, 3)),
            SyncPlan::Trunc { to: zxid(1, 2) }
        );
        // Ahead of the leader in an epoch that never established.
        assert_eq!(
            sync_plan(&log, zxid(3, 1)),
            SyncPlan::Trunc { to: zxid(2, 2) }
        );
        log.compact_to(zxid(1, 2));
        assert_eq!(sync_plan(&log, zxid(1, 1)), SyncPlan::Snap);
        assert_eq!(
            sync_plan(&log, zxid(1, 2)),
            SyncPlan::Diff { after: zxid(1, 2) }
        );
    }

    #[test]
    fn equal_prefixes_have_equal_chains_and_truncation_keeps_the_prefix() {
        let a = log_of(&[zxid(1, 1), zxid(1, 2), zxid(1, 3)]);
        let mut b = log_of(&[zxid(1, 1), zxid(1, 2), zxid(2, 1)]);
        assert_eq!(a.chain_at(zxid(1, 2)), b.chain_at(zxid(1, 2)));
        assert_ne!(a.chain_at(zxid(1, 3)), b.chain_at(zxid(2, 1)));
        assert_eq!(b.truncate_after(zxid(1, 3)), 1);
        assert_eq!(b.last_zxid(), zxid(1, 2));
        assert_eq!(b.txns_after(zxid(1, 1), 8).len(), 1);
    }
}
