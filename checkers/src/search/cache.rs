//! Lowe's memo: the set of (linearized-operations bitset, state) pairs already explored.
//!
//! Entries live in flat arrays (bitset words back to back), found through an
//! open-addressing slot table. The hash is maintained incrementally by the search
//! (Zobrist: XOR of one random key per linearized operation), so a lookup never rehashes
//! the bitset; it only compares it on a full 64-bit hash match.

use crate::table::{mix, Probe, Slots};

pub(crate) struct Cache {
    slots: Slots,
    hashes: Vec<u64>,
    states: Vec<u32>,
    words: Vec<u64>,
    width: usize,
}

impl Cache {
    /// An empty cache for bitsets of `width` words.
    pub(crate) fn new(width: usize) -> Self {
        Cache {
            slots: Slots::with_capacity(1024),
            hashes: Vec::new(),
            states: Vec::new(),
            words: Vec::new(),
            width,
        }
    }

    /// Records (bits, state); returns false if it was already present.
    #[inline]
    pub(crate) fn insert(&mut self, bits: &[u64], state: u32, zobrist: u64) -> bool {
        let h = zobrist ^ mix(u64::from(state));
        let w = self.width;
        let probe = self.slots.probe(h, |e| {
            let e = e as usize;
            self.hashes[e] == h
                && self.states[e] == state
                && self.words[e * w..(e + 1) * w] == *bits
        });
        match probe {
            Probe::Found(_) => false,
            Probe::Vacant(slot) => {
                let id = self.hashes.len() as u32;
                self.hashes.push(h);
                self.states.push(state);
                self.words.extend_from_slice(bits);
                if self.slots.fill(slot, id, self.hashes.len()) {
                    self.slots.grow(self.hashes.iter().copied());
                }
                true
            }
        }
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

    #[test]
    fn a_configuration_is_new_only_once() {
        let mut c = Cache::new(2);
        assert!(c.insert(&[1, 0], 3, 77));
        assert!(!c.insert(&[1, 0], 3, 77));
        assert!(c.insert(&[1, 0], 4, 77));
        assert!(c.insert(&[1, 1], 3, 77), "same hash, different bits");
        for i in 0..10_000u64 {
            assert!(c.insert(&[i, 9], 1, mix(i)));
        }
        assert!(!c.insert(&[5, 9], 1, mix(5)));
        assert_eq!(c.len(), 10_003);
    }
}
