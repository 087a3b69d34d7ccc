//! The Raft log: the entries after a compacted prefix, each with a locally computed hash chain
//! (chain(i) = h(chain(i-1), term(i), digest(i)), as TigerBeetle chains its prepares), so
//! "same index and term implies the same prefix" (log matching, §5.3) is one comparison.
//! Also the pure helpers the paper's rules reduce to: quorum size, the commit point
//! (§5.4.2) and fast backup after a failed consistency check (§5.3, end).

pub use crate::kv::cmd::{Cmd, CmdKind};
use splitbrain_api::NodeId;
use std::cell::RefCell;
use std::hash::Hash;
use std::rc::Rc;

/// One log entry.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct Entry {
    pub term: u64,
    pub cmd: Rc<Cmd>,
}

impl Entry {
    /// What `ctx.applied` reports: the command and the term it was proposed in.
    pub fn digest(&self) -> u64 {
        mix(self.term, self.cmd.digest)
    }
}

/// Folds two words into one, order-sensitively: a word-wise finalizer (MurmurHash3's
/// `fmix64`) on each, a few cycles where byte-wise FNV-1a over 16 bytes takes sixteen
/// dependent multiplies (every entry is chained on every server, so this is hot).
pub fn mix(a: u64, b: u64) -> u64 {
    fmix64(fmix64(a ^ 0x9e37_79b9_7f4a_7c15) ^ b)
}

fn fmix64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// The chain value after `prev` for an entry.
pub fn chain_next(prev: u64, e: &Entry) -> u64 {
    mix(prev, e.digest())
}

/// Entries and their chain values, shared by a log and its copies (the persisted states).
#[derive(Default)]
struct Store {
    entries: Vec<Entry>,
    chains: Vec<u64>,
}

/// The log after its base `base_index` (whose term and chain it keeps). The prefix up to the
/// base is gone; the base is at most the snapshot's index, so a short applied tail stays
/// available for followers that are only a little behind (§7).
///
/// A copy (a persisted state) costs a reference count, not the entries: the log is the
/// window `start..start + len` of a store it shares with its copies. A push appends in place
/// when the log ends where the store does (no copy can see past that point); only a push
/// after a truncation that another copy still sees past starts a store of its own.
#[derive(Clone, Default)]
pub struct Log {
    base_index: u64,
    base_term: u64,
    base_chain: u64,
    store: Rc<RefCell<Store>>,
    start: usize,
    len: usize,
}

/// A store whose dead prefix (compacted entries) outgrows this and four times the live
/// window is left behind for a fresh one, so memory follows the compacted log.
const STORE_SLACK: usize = 256;

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let store = self.store.borrow();
        f.debug_struct("Log")
            .field("base_index", &self.base_index)
            .field("base_term", &self.base_term)
            .field(
                "entries",
                &&store.entries[self.start..self.start + self.len],
            )
            .finish()
    }
}

impl Log {
    /// A log that starts right after `index` (a snapshot's last entry).
    pub fn starting_after(index: u64, term: u64, chain: u64) -> Log {
        Log {
            base_index: index,
            base_term: term,
            base_chain: chain,
            ..Log::default()
        }
    }

    pub fn base_index(&self) -> u64 {
        self.base_index
    }

    pub fn base_term(&self) -> u64 {
        self.base_term
    }

    pub fn last_index(&self) -> u64 {
        self.base_index + self.len as u64
    }

    pub fn last_term(&self) -> u64 {
        self.term_at(self.last_index())
            .expect("the last index is the base or an entry")
    }

    /// Position in the store of the entry at `index`, if this log holds it.
    fn pos(&self, index: u64) -> Option<usize> {
        if index <= self.base_index || index > self.last_index() {
            return None;
        }
        Some(self.start + (index - self.base_index - 1) as usize)
    }

    /// The term at `index`, if the log still knows it (the base included).
    pub fn term_at(&self, index: u64) -> Option<u64> {
        if index == self.base_index {
            return Some(self.base_term);
        }
        let p = self.pos(index)?;
        Some(self.store.borrow().entries[p].term)
    }

    /// The chain value at `index`, if known.
    pub fn chain_at(&self, index: u64) -> Option<u64> {
        if index == self.base_index {
            return Some(self.base_chain);
        }
        let p = self.pos(index)?;
        Some(self.store.borrow().chains[p])
    }

    pub fn get(&self, index: u64) -> Option<Entry> {
        let p = self.pos(index)?;
        Some(self.store.borrow().entries[p].clone())
    }

    /// Entries from `from` on, at most `max` of them (empty if `from` is past the end).
    pub fn slice(&self, from: u64, max: usize) -> Vec<Entry> {
        debug_assert!(from > self.base_index);
        let Some(first) = self.pos(from) else {
            return Vec::new();
        };
        let end = (first + max).min(self.start + self.len);
        self.store.borrow().entries[first..end].to_vec()
    }

    pub fn push(&mut self, e: Entry) {
        let prev = self
            .chain_at(self.last_index())
            .expect("the last index is known");
        let chain = chain_next(prev, &e);
        let at_tip = self.store.borrow().entries.len() == self.start + self.len;
        if !at_tip {
            self.own_store();
        }
        let mut store = self.store.borrow_mut();
        store.entries.push(e);
        store.chains.push(chain);
        self.len += 1;
    }

    /// Moves this log's window to a store of its own.
    fn own_store(&mut self) {
        let window = self.start..self.start + self.len;
        let old = self.store.borrow();
        let fresh = Store {
            entries: old.entries[window.clone()].to_vec(),
            chains: old.chains[window].to_vec(),
        };
        drop(old);
        self.store = Rc::new(RefCell::new(fresh));
        self.start = 0;
    }

    /// Drops every entry from `index` on (a real conflict, §5.3).
    pub fn truncate_from(&mut self, index: u64) {
        assert!(
            index > self.base_index,
            "truncating into the compacted prefix"
        );
        self.len = self.len.min((index - self.base_index - 1) as usize);
    }

    /// Forgets entries up to `index` (they are in a snapshot now, §7).
    pub fn compact(&mut self, index: u64) {
        if index <= self.base_index {
            return;
        }
        let drop = ((index - self.base_index) as usize).min(self.len);
        self.base_term = self.term_at(index).expect("compacting within the log");
        self.base_chain = self.chain_at(index).expect("compacting within the log");
        self.start += drop;
        self.len -= drop;
        self.base_index = index;
        if self.start > STORE_SLACK && self.start > 4 * self.len {
            self.own_store();
        }
    }

    /// The first index holding `term`, searching down from `from` (fast backup hint).
    pub fn first_index_of_term(&self, from: u64, term: u64) -> u64 {
        let mut i = from;
        while i > self.base_index + 1 && self.term_at(i - 1) == Some(term) {
            i -= 1;
        }
        i
    }

    /// The last index holding `term`, if the log has it.
    pub fn last_index_of_term(&self, term: u64) -> Option<u64> {
        let store = self.store.borrow();
        let window = &store.entries[self.start..self.start + self.len];
        let pos = window.iter().rposition(|e| e.term == term)?;
        Some(self.base_index + 1 + pos as u64)
    }

    /// The client request `(client, seq)` if it is in the log at or after `from`.
    pub fn find_request(&self, from: u64, client: NodeId, seq: u64) -> Option<u64> {
        let from = from.max(self.base_index + 1);
        let store = self.store.borrow();
        (from..=self.last_index()).rev().find(|&i| {
            let p = self.pos(i).expect("within the log");
            matches!(&store.entries[p].cmd.kind,
                CmdKind::Client { client: c, seq: s, .. } if *c == client && *s == seq)
        })
    }
}

/// Votes (or acknowledgements) needed out of `n`: a strict majority.
pub fn quorum(n: usize) -> usize {
    n / 2 + 1
}

/// The highest index stored on a quorum, given every server's match index (the leader's own
/// last index included): the quorum-th largest value (§5.3, "a majority of matchIndex[i]").
pub fn quorum_match(matches: &mut [u64]) -> u64 {
    matches.sort_unstable_by(|a, b| b.cmp(a));
    matches[quorum(matches.len()) - 1]
}

/// Where the leader retries after a failed consistency check (fast backup, §5.3 end;
/// 6.5840's XTerm/XIndex). `conflict_term` is the follower's term at the probed index (none
/// if its log is too short); `conflict_index` is the first index of that term on the follower
/// (or its log length + 1). `leader_last_of_term` is the leader's last index of that term.
pub fn backup_next_index(
    conflict_term: Option<u64>,
    conflict_index: u64,
    leader_last_of_term: Option<u64>,
) -> u64 {
    match (conflict_term, leader_last_of_term) {
        (Some(_), Some(last)) => last + 1,
        _ => conflict_index,
    }
    .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(term: u64) -> Entry {
        Entry {
            term,
            cmd: Cmd::noop(),
        }
    }

    fn log_of(terms: &[u64]) -> Log {
        let mut log = Log::default();
        for &t in terms {
            log.push(entry(t));
        }
        log
    }

    /// §5.3: a majority of 2f+1 is f+1; an even cluster needs more than half.
    #[test]
    fn quorum_is_a_strict_majority() {
        let table = [(1, 1), (2, 2), (3, 2), (4, 3), (5, 3), (7, 4)];
        for (n, q) in table {
            assert_eq!(quorum(n), q, "n = {n}");
        }
    }

    /// §5.3: the leader may consider N replicated when a majority has matchIndex >= N.
    #[test]
    fn quorum_match_is_the_majority_floor() {
        let cases: [(&[u64], u64); 4] = [
            (&[5, 5, 5], 5),
            (&[9, 3, 1], 3),
            (&[9, 7, 1, 1, 1], 1),
            (&[9, 7, 6, 1, 1], 6),
        ];
        for (m, want) in cases {
            assert_eq!(quorum_match(&mut m.to_vec()), want, "{m:?}");
        }
    }

    /// §5.3 (fast backup): a follower whose log is too short sends its length + 1; a follower
    /// with a conflicting term sends the term and its first index; the leader skips the term
    /// entirely when it does not have it, or past its own last entry of that term.
    #[test]
    fn fast_backup_follows_the_conflict_hint() {
        // Follower too short: next = follower's last + 1.
        assert_eq!(backup_next_index(None, 4, None), 4);
        // Leader lacks the term: skip all of the follower's entries of that term.
        assert_eq!(backup_next_index(Some(4), 6, None), 6);
        // Leader has the term: resend after its last entry of that term.
        assert_eq!(backup_next_index(Some(4), 6, Some(7)), 8);
        assert_eq!(backup_next_index(None, 0, None), 1);
    }

    #[test]
    fn first_and_last_index_of_a_term() {
        let log = log_of(&[1, 1, 4, 4, 4, 5]);
        assert_eq!(log.first_index_of_term(5, 4), 3);
        assert_eq!(log.first_index_of_term(2, 1), 1);
        assert_eq!(log.last_index_of_term(4), Some(5));
        assert_eq!(log.last_index_of_term(2), None);
    }

    /// §5.3 log matching: equal (index, term) means equal prefixes, so equal chains.
    #[test]
    fn chains_agree_exactly_on_equal_prefixes() {
        let a = log_of(&[1, 1, 2, 3]);
        let mut b = log_of(&[1, 1, 2, 2]);
        assert_eq!(a.chain_at(3), b.chain_at(3));
        assert_ne!(a.chain_at(4), b.chain_at(4));
        b.truncate_from(4);
        b.push(entry(3));
        assert_eq!(a.chain_at(4), b.chain_at(4));
    }

    /// §7: compaction keeps the term and chain of the last included entry.
    #[test]
    fn compaction_keeps_the_snapshot_point() {
        let mut log = log_of(&[1, 1, 2, 3, 3]);
        let chain3 = log.chain_at(3);
        let chain5 = log.chain_at(5);
        log.compact(3);
        assert_eq!(log.base_index(), 3);
        assert_eq!(log.term_at(3), Some(2));
        assert_eq!(log.chain_at(3), chain3);
        assert_eq!(log.chain_at(5), chain5);
        assert_eq!(log.get(2), None);
        assert_eq!(log.last_index(), 5);
        assert_eq!(log.slice(4, 10).len(), 2);
    }
}
