//! Lowe's memo: the set of (linearized-operations bitset, state) pairs already explored.
//!
//! Operations are indexed in call order, and only operations inside the current window can
//! be linearized, so a linearized set is all ones up to some word, a short mixed stretch,
//! then all zeros. [`LinSet`] tracks that stretch and the memo stores only it (with where
//! it starts), so an entry costs a few words even for a partition of 100,000 operations.
//! Entries live in flat arrays behind an open-addressing slot table; the hash is kept
//! incrementally by the search (Zobrist keys), so a lookup compares words only on a full
//! 64-bit hash match.

use crate::table::{mix, Probe, Slots};

/// A set of linearized operations with its all-ones prefix and zero suffix tracked.
pub(crate) struct LinSet {
    words: Vec<u64>,
    /// First word that is not all ones.
    lo: usize,
    /// One past the last word that is not zero (at least `lo`).
    hi: usize,
}

impl LinSet {
    pub(crate) fn new(n: usize) -> Self {
        LinSet {
            words: vec![0; n.div_ceil(64).max(1)],
            lo: 0,
            hi: 0,
        }
    }

    #[inline]
    pub(crate) fn set(&mut self, i: usize) {
        let w = i / 64;
        self.words[w] |= 1 << (i % 64);
        self.hi = self.hi.max(w + 1);
        while self.lo < self.words.len() && self.words[self.lo] == u64::MAX {
            self.lo += 1;
        }
        self.hi = self.hi.max(self.lo);
    }

    #[inline]
    pub(crate) fn clear(&mut self, i: usize) {
        let w = i / 64;
        self.words[w] &= !(1 << (i % 64));
        self.lo = self.lo.min(w);
        while self.hi > self.lo && self.words[self.hi - 1] == 0 {
            self.hi -= 1;
        }
    }

    /// (start word, the mixed stretch): determines the whole set.
    #[inline]
    fn stretch(&self) -> (u32, &[u64]) {
        (self.lo as u32, &self.words[self.lo..self.hi])
    }
}

pub(crate) struct Cache {
    slots: Slots,
    hashes: Vec<u64>,
    states: Vec<u32>,
    /// Per entry: (start word, offset in `words`, length).
    spans: Vec<(u32, u32, u32)>,
    words: Vec<u64>,
}

impl Cache {
    pub(crate) fn new() -> Self {
        Cache {
            slots: Slots::with_capacity(1024),
            hashes: Vec::new(),
            states: Vec::new(),
            spans: Vec::new(),
            words: Vec::new(),
        }
    }

    /// Records (set, state); returns false if it was already present.
    #[inline]
    pub(crate) fn insert(&mut self, set: &LinSet, state: u32, zobrist: u64) -> bool {
        let h = zobrist ^ mix(u64::from(state));
        let (lo, stretch) = set.stretch();
        let probe = self.slots.probe(h, |e| {
            let e = e as usize;
            let (elo, off, len) = self.spans[e];
            self.hashes[e] == h
                && self.states[e] == state
                && elo == lo
                && self.words[off as usize..(off + len) as usize] == *stretch
        });
        match probe {
            Probe::Found(_) => false,
            Probe::Vacant(slot) => {
                let id = self.hashes.len() as u32;
                self.hashes.push(h);
                self.states.push(state);
                self.spans
                    .push((lo, self.words.len() as u32, stretch.len() as u32));
                self.words.extend_from_slice(stretch);
                if self.slots.fill(slot, id, self.hashes.len()) {
                    self.slots.grow(self.hashes.iter().copied());
                }
                true
            }
        }
    }

    /// Approximate bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.words.capacity() * 8
            + self.hashes.capacity() * 8
            + self.states.capacity() * 4
            + self.spans.capacity() * 12
            + self.slots.bytes()
    }

    /// Number of configurations recorded.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.hashes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_of(n: usize, members: &[usize]) -> LinSet {
        let mut s = LinSet::new(n);
        for &i in members {
            s.set(i);
        }
        s
    }

    #[test]
    fn a_configuration_is_new_only_once() {
        let mut c = Cache::new();
        let a = set_of(128, &[0]);
        assert!(c.insert(&a, 3, 77));
        assert!(!c.insert(&a, 3, 77));
        assert!(c.insert(&a, 4, 77));
        assert!(
            c.insert(&set_of(128, &[0, 64]), 3, 77),
            "same hash, different bits"
        );
        for i in 0..10_000u64 {
            assert!(c.insert(&set_of(200, &[i as usize % 200, 199]), i as u32, mix(i)));
        }
        assert_eq!(c.len(), 10_003);
    }

    #[test]
    fn equal_sets_built_differently_have_one_stretch() {
        let mut a = set_of(300, &(0..130).collect::<Vec<_>>());
        a.set(200);
        a.clear(200);
        let b = set_of(300, &(0..130).collect::<Vec<_>>());
        assert_eq!(a.stretch(), b.stretch());
        assert_eq!(a.stretch().0, 2);
        let mut c = Cache::new();
        assert!(c.insert(&a, 0, 1));
        assert!(!c.insert(&b, 0, 1));
    }

    #[test]
    fn clearing_below_the_full_prefix_reopens_it() {
        let mut s = set_of(192, &(0..192).collect::<Vec<_>>());
        assert_eq!(s.stretch(), (3, &[][..]));
        s.clear(5);
        assert_eq!(s.stretch().0, 0);
        assert_eq!(s.stretch().1.len(), 3);
    }
}
