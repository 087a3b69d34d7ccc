//! ZAB's transaction history: zxids (epoch in the high 32 bits, counter in the low 32), the
//! log of proposals after the last snapshot with a hash chain over (zxid, txn) so that one
//! value names a whole prefix (after the snapshot it continues, `snapshot`), and the pure rule that
//! picks how a new leader synchronises a follower (DIFF, TRUNC or SNAP).

pub use super::snapshot::Snapshot;
use crate::kv::Cmd;
use splitbrain_api::Fnv1a;
use std::cell::RefCell;
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

/// The transactions of a PROPOSAL: a new proposal's one transaction held inline (no
/// allocation per proposal), or a batch (a retransmission) shared by the copies sent. It is
/// used, hashed and compared as the slice of its transactions.
#[derive(Clone, Debug)]
pub enum Batch {
    One(Txn),
    Many(Rc<[Txn]>),
}

impl std::ops::Deref for Batch {
    type Target = [Txn];

    fn deref(&self) -> &[Txn] {
        match self {
            Batch::One(txn) => std::slice::from_ref(txn),
            Batch::Many(txns) => txns,
        }
    }
}

impl From<Vec<Txn>> for Batch {
    fn from(mut txns: Vec<Txn>) -> Batch {
        match txns.pop() {
            Some(txn) if txns.is_empty() => Batch::One(txn),
            Some(txn) => {
                txns.push(txn);
                Batch::Many(txns.into())
            }
            None => Batch::Many(Rc::new([])),
        }
    }
}

impl std::hash::Hash for Batch {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}

impl PartialEq for Batch {
    fn eq(&self, other: &Batch) -> bool {
        **self == **other
    }
}

impl Eq for Batch {}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    txn: Txn,
    chain: u64,
}

/// The history after a base (the last snapshot's zxid and chain), in zxid order.
///
/// A server's log is copied into every disk image it persists, and appended to right after:
/// so the entries live in a store shared by the copies, each copy a window `start..end` of
/// it. A copy whose window ends at the store's end appends in place (the others do not see
/// past their own end); any other copy, and one that truncated, appends to a fresh store
/// holding just its window. Copying a log is thus constant time, and appending after a
/// persist no longer copies the whole log. The last zxid and its chain value are kept aside
/// (asked for after every step, and by every append), so they cost no look into the store.
pub struct Log {
    base_zxid: u64,
    base_chain: u64,
    store: Rc<RefCell<Vec<Entry>>>,
    start: usize,
    end: usize,
    /// The last entry's zxid and chain value (the base's when the log is empty).
    last: (u64, u64),
}

impl Default for Log {
    fn default() -> Log {
        Log::after(&Snapshot::default())
    }
}

impl Clone for Log {
    fn clone(&self) -> Log {
        Log {
            base_zxid: self.base_zxid,
            base_chain: self.base_chain,
            store: self.store.clone(),
            start: self.start,
            end: self.end,
            last: self.last,
        }
    }
}

impl PartialEq for Log {
    fn eq(&self, other: &Log) -> bool {
        (self.base_zxid, self.base_chain) == (other.base_zxid, other.base_chain)
            && *self.entries() == *other.entries()
    }
}

impl Eq for Log {}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log")
            .field("base_zxid", &self.base_zxid)
            .field("base_chain", &self.base_chain)
            .field("entries", &&*self.entries())
            .finish()
    }
}

/// Entries of room a fresh store keeps for appends (a leader proposes up to `max_batch`
/// transactions at once).
const APPEND_ROOM: usize = 8;

impl Log {
    /// An empty log continuing after `snap`.
    pub fn after(snap: &Snapshot) -> Log {
        Log {
            base_zxid: snap.zxid,
            base_chain: snap.chain,
            store: Rc::new(RefCell::new(Vec::new())),
            start: 0,
            end: 0,
            last: (snap.zxid, snap.chain),
        }
    }

    /// This log's entries (its window of the store).
    fn entries(&self) -> std::cell::Ref<'_, [Entry]> {
        std::cell::Ref::map(self.store.borrow(), |v| &v[self.start..self.end])
    }

    /// Makes this log the only one appending to its store's end: in place if its window ends
    /// there, else into a fresh store holding just its window.
    fn own_the_end(&mut self) {
        if self.store.borrow().len() == self.end {
            return;
        }
        if Rc::strong_count(&self.store) == 1 {
            self.store.borrow_mut().truncate(self.end);
            return;
        }
        self.restore();
    }

    /// Moves this log's window into a fresh store of its own.
    fn restore(&mut self) {
        let mut fresh = Vec::with_capacity(self.end - self.start + APPEND_ROOM);
        fresh.extend_from_slice(&self.entries());
        self.end = fresh.len();
        self.start = 0;
        self.store = Rc::new(RefCell::new(fresh));
    }

    pub fn base_zxid(&self) -> u64 {
        self.base_zxid
    }

    pub fn last_zxid(&self) -> u64 {
        self.last.0
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    fn position(&self, z: u64) -> Result<usize, usize> {
        if z >= self.last.0 {
            // At or past the end (most look-ups: the last zxid, a delivery point caught up).
            let n = self.len();
            return if z == self.last.0 && n > 0 {
                Ok(n - 1)
            } else {
                Err(n)
            };
        }
        if z <= self.base_zxid {
            // Every entry is above the base.
            return Err(0);
        }
        let entries = self.entries();
        // Within an epoch zxids count up by one, so a zxid of the last entry's epoch is
        // likely `last - z` entries back from it (checked: a guess that misses goes on).
        let back = self.last.0 - z;
        if epoch_of(z) == epoch_of(self.last.0) && back < entries.len() as u64 {
            let guess = entries.len() - 1 - back as usize;
            if entries[guess].txn.zxid == z {
                return Ok(guess);
            }
        }
        // Most other look-ups are of the last few entries (a commit of a recent proposal,
        // a delivery point just behind the end): those are tried first.
        let mut i = entries.len();
        for _ in 0..4 {
            match i.checked_sub(1).map(|j| entries[j].txn.zxid.cmp(&z)) {
                Some(std::cmp::Ordering::Greater) => i -= 1,
                Some(std::cmp::Ordering::Equal) => return Ok(i - 1),
                Some(std::cmp::Ordering::Less) | None => return Err(i),
            }
        }
        entries[..i].binary_search_by_key(&z, |e| e.txn.zxid)
    }

    /// The chain value of the prefix ending at `z`, if `z` is the base or in the log.
    pub fn chain_at(&self, z: u64) -> Option<u64> {
        if z == self.base_zxid {
            return Some(self.base_chain);
        }
        if z == self.last.0 {
            return Some(self.last.1);
        }
        self.position(z).ok().map(|i| self.entries()[i].chain)
    }

    pub fn contains(&self, z: u64) -> bool {
        self.chain_at(z).is_some()
    }

    /// The transaction at `z`.
    pub fn get(&self, z: u64) -> Option<Txn> {
        self.position(z).ok().map(|i| self.entries()[i].txn.clone())
    }

    /// Appends `txn`, whose zxid must be above every zxid held.
    pub fn append(&mut self, txn: Txn) {
        assert!(txn.zxid > self.last.0, "zxids grow along the log");
        let (prev, z, digest) = (self.last.1, txn.zxid, txn.cmd.digest);
        // Every server appends the same shared command after the same chain: one hashes the
        // link, the others find it in the command.
        let chain = txn.cmd.link.get_or(prev, z, || chain(prev, z, digest));
        self.last = (txn.zxid, chain);
        self.own_the_end();
        self.store.borrow_mut().push(Entry { txn, chain });
        self.end += 1;
    }

    /// Drops every entry above `z` (TRUNC). Returns how many were dropped.
    pub fn truncate_after(&mut self, z: u64) -> usize {
        let keep = match self.position(z) {
            Ok(i) => i + 1,
            Err(i) => i,
        };
        let dropped = self.len() - keep;
        self.end = self.start + keep;
        let last = self.entries().last().map(|e| (e.txn.zxid, e.chain));
        self.last = last.unwrap_or((self.base_zxid, self.base_chain));
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
        self.entries()[from..]
            .iter()
            .take(max)
            .map(|e| e.txn.clone())
            .collect()
    }

    /// The entries above `z` (at least the base), at most `max` of them.
    fn entries_above(&self, z: u64, max: usize) -> std::cell::Ref<'_, [Entry]> {
        assert!(z >= self.base_zxid, "txns above a compacted zxid");
        let from = self.first_after(z);
        std::cell::Ref::map(self.entries(), |e| {
            let above = &e[from..];
            &above[..max.min(above.len())]
        })
    }

    /// The transactions above `z` (at least the base), at most `max` of them.
    pub fn txns_above(&self, z: u64, max: usize) -> Vec<Txn> {
        self.entries_above(z, max)
            .iter()
            .map(|e| e.txn.clone())
            .collect()
    }

    /// [`Log::txns_above`] as a PROPOSAL's batch, built in place: one transaction inline,
    /// more in one shared allocation (not a `Vec` first, copied into the batch).
    pub fn batch_above(&self, z: u64, max: usize) -> Batch {
        match &*self.entries_above(z, max) {
            [one] => Batch::One(one.txn.clone()),
            some => Batch::Many(some.iter().map(|e| e.txn.clone()).collect()),
        }
    }

    /// Where to compact so that at most `retain` of the entries up to `upto` stay: the zxid
    /// `retain + 1` entries back from `upto` (counted without copying the entries), or `None`
    /// if the log holds no more than `retain` of them.
    pub fn compaction_point(&self, upto: u64, retain: usize) -> Option<u64> {
        let held = self.first_after(upto);
        let cut = held.checked_sub(retain + 1)?;
        Some(self.entries()[cut].txn.zxid)
    }

    /// The index of the first entry above `after`: where walking the log with
    /// [`Log::entry_upto`] starts (delivery walks it without building a range).
    pub fn first_after(&self, after: u64) -> usize {
        match self.position(after) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// [`Log::first_after`] given a guess `hint` (where the last walk from `after` stopped):
    /// taken if the entry before it is `after`'s (zxids grow along the log, so that entry
    /// names the index), else looked up. Delivery keeps such a cursor: this spares it the
    /// lookup, and a truncated, compacted or replaced log only makes the guess miss.
    pub fn first_after_from(&self, after: u64, hint: usize) -> usize {
        let held = hint
            .checked_sub(1)
            .and_then(|i| self.entries().get(i).map(|e| e.txn.zxid));
        if held == Some(after) {
            return hint;
        }
        self.first_after(after)
    }

    /// The entry at index `i` with its chain value, if there is one and its zxid is at most
    /// `upto`.
    pub fn entry_upto(&self, i: usize, upto: u64) -> Option<(Txn, u64)> {
        let entries = self.entries();
        let e = entries.get(i).filter(|e| e.txn.zxid <= upto)?;
        Some((e.txn.clone(), e.chain))
    }

    /// The largest zxid held (base included) that is at most `z`.
    pub fn floor(&self, z: u64) -> u64 {
        match self.position(z) {
            Ok(_) => z,
            Err(0) => self.base_zxid,
            Err(i) => self.entries()[i - 1].txn.zxid,
        }
    }

    /// Forgets the entries up to `z` (held), which a snapshot now covers. The store sheds
    /// them once they outnumber the entries kept (so it stays within twice the log).
    pub fn compact_to(&mut self, z: u64) {
        let Ok(i) = self.position(z) else {
            return;
        };
        let chain = self.entries()[i].chain;
        self.base_chain = chain;
        self.base_zxid = z;
        self.start += i + 1;
        if self.start > APPEND_ROOM && self.start > self.len() {
            self.restore();
        }
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

    #[test]
    fn position_from_the_end_agrees_with_a_binary_search() {
        let mut log = Log::default();
        for z in (2..=40).step_by(2) {
            log.append(txn(z));
        }
        let zxids: Vec<u64> = log.entries().iter().map(|e| e.txn.zxid).collect();
        for z in 0..44 {
            assert_eq!(log.position(z), zxids.binary_search(&z), "{z}");
        }
    }

    #[test]
    fn position_by_counter_agrees_with_a_binary_search() {
        let counters = [(1, 1..=5), (2, 1..=5), (3, 2..=6)];
        let zs: Vec<u64> = counters
            .into_iter()
            .flat_map(|(e, cs)| cs.map(move |c| zxid(e, c)))
            .collect();
        let mut log = log_of(&zs);
        log.compact_to(zxid(1, 2));
        let zxids: Vec<u64> = log.entries().iter().map(|e| e.txn.zxid).collect();
        for e in 0..=4 {
            for c in 0..=8 {
                let z = zxid(e, c);
                assert_eq!(log.position(z), zxids.binary_search(&z), "{e}.{c}");
            }
        }
    }

    #[test]
    fn a_batch_above_holds_what_txns_above_lists() {
        let mut log = Log::default();
        for z in 1..=12 {
            log.append(txn(z));
        }
        log.compact_to(3);
        for z in 3..=13 {
            for max in [1, 2, 8] {
                let batch = log.batch_above(z, max);
                assert_eq!(*batch, *log.txns_above(z, max), "{z} {max}");
                assert_eq!(matches!(batch, Batch::One(_)), batch.len() == 1);
            }
        }
    }

    fn txn(z: u64) -> Txn {
        let op = Op::Put {
            key: "k".into(),
            value: z.to_string().into(),
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
    fn copies_share_entries_but_never_see_each_others_appends_or_truncations() {
        let mut live = log_of(&[zxid(1, 1), zxid(1, 2)]);
        let image = live.clone();
        live.append(txn(zxid(1, 3)));
        let image2 = live.clone();
        assert_eq!((image.last_zxid(), image.len()), (zxid(1, 2), 2));
        // The first image, restored after a crash, takes another path from 1.2.
        let mut restored = image.clone();
        restored.append(txn(zxid(2, 1)));
        assert_eq!(restored.txns_after(zxid(1, 2), 8)[0].zxid, zxid(2, 1));
        assert_eq!(image2.txns_after(zxid(1, 2), 8)[0].zxid, zxid(1, 3));
        assert_eq!(live.truncate_after(zxid(1, 1)), 2);
        live.append(txn(zxid(2, 1)));
        let fresh = log_of(&[zxid(1, 1), zxid(2, 1)]);
        assert_eq!(live.chain_at(zxid(2, 1)), fresh.chain_at(zxid(2, 1)));
        assert_ne!(live.chain_at(zxid(2, 1)), restored.chain_at(zxid(2, 1)));
        assert_eq!(image2.last_zxid(), zxid(1, 3));
        assert!(image2.contains(zxid(1, 2)) && !live.contains(zxid(1, 2)));
        for c in 2..40 {
            live.append(txn(zxid(2, c)));
            live.compact_to(zxid(2, c - 1));
            assert_eq!(live.len(), 1);
        }
        assert_eq!(live.base_zxid(), zxid(2, 38));
        assert_eq!(image2.len(), 3, "compaction leaves the copies whole");
        assert_eq!(live.store.borrow().len(), live.end, "the store was shed");
        assert!(live.store.borrow().len() <= 2 * APPEND_ROOM + 2);
    }

    #[test]
    fn a_shared_command_links_each_history_by_its_own_chain() {
        // One command appended at the same zxid after two histories, in turn: the memo of
        // the one never stands for the other.
        let (mut a, mut b) = (log_of(&[1, 2]), log_of(&[1, 3]));
        let shared = txn(4);
        for _ in 0..2 {
            let (prev_a, prev_b) = (a.clone(), b.clone());
            a.append(shared.clone());
            b.append(shared.clone());
            let want = |log: &Log| chain(log.last.1, 4, shared.cmd.digest);
            assert_eq!(a.chain_at(4), Some(want(&prev_a)));
            assert_eq!(b.chain_at(4), Some(want(&prev_b)));
            assert_ne!(a.chain_at(4), b.chain_at(4));
            (a, b) = (prev_a, prev_b);
        }
    }

    #[test]
    fn the_compaction_point_keeps_the_last_entries_up_to_the_delivery_point() {
        let mut log = log_of(&(1..=10).map(|c| zxid(1, c)).collect::<Vec<_>>());
        // Up to 1.7 the log holds 7 entries: keeping 3 (1.5 to 1.7) cuts after 1.4.
        assert_eq!(log.compaction_point(zxid(1, 7), 3), Some(zxid(1, 4)));
        assert_eq!(log.compaction_point(zxid(1, 4), 3), Some(zxid(1, 1)));
        assert_eq!(log.compaction_point(zxid(1, 3), 3), None);
        assert_eq!(log.compaction_point(zxid(1, 4), 2), Some(zxid(1, 2)));
        log.compact_to(zxid(1, 4));
        assert_eq!(log.compaction_point(zxid(1, 9), 3), Some(zxid(1, 6)));
        assert_eq!(log.compaction_point(zxid(1, 6), 2), None);
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
