//! Small open-addressing hash tables over flat arrays.
//!
//! The checker avoids std's hash maps: their iteration order is seeded per process, and the
//! project's determinism lint bans them outright. These tables never iterate in hash order,
//! hash deterministically (an Fx-style multiply-rotate), and keep entries in insertion order.

use std::hash::{Hash, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// A deterministic, fast, non-cryptographic hasher (Fx-style).
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// Hash of any `Hash` value with [`FxHasher`].
pub(crate) fn hash_of<T: Hash + ?Sized>(t: &T) -> u64 {
    let mut h = FxHasher::default();
    t.hash(&mut h);
    mix(h.finish())
}

/// A strong 64-bit finaliser (splitmix64), so low and high bits are both usable.
#[inline]
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Slot array of an open-addressing table: 0 = empty, otherwise entry index + 1.
#[derive(Clone, Debug)]
pub(crate) struct Slots {
    slots: Vec<u32>,
    mask: usize,
}

impl Slots {
    pub(crate) fn with_capacity(entries: usize) -> Self {
        let n = (entries.max(8) * 2).next_power_of_two();
        Slots {
            slots: vec![0; n],
            mask: n - 1,
        }
    }

    /// Bytes held by the slot array.
    pub(crate) fn bytes(&self) -> usize {
        self.slots.capacity() * 4
    }

    /// Number of slots (the table grows when entries pass half of it).
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Finds the entry for `hash` accepted by `is_match`, or the empty slot to fill.
    #[inline]
    pub(crate) fn probe(&self, hash: u64, mut is_match: impl FnMut(u32) -> bool) -> Probe {
        let mut i = (hash as usize) & self.mask;
        loop {
            let s = self.slots[i];
            if s == 0 {
                return Probe::Vacant(i);
            }
            if is_match(s - 1) {
                return Probe::Found(s - 1);
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Fills a vacant slot; returns true if the table should grow.
    #[inline]
    pub(crate) fn fill(&mut self, slot: usize, entry: u32, len_after: usize) -> bool {
        self.slots[slot] = entry + 1;
        len_after * 2 > self.slots.len()
    }

    /// Rebuilds at double size from the entries' hashes.
    pub(crate) fn grow(&mut self, hashes: impl Iterator<Item = u64>) {
        let n = self.slots.len() * 2;
        self.slots.clear();
        self.slots.resize(n, 0);
        self.mask = n - 1;
        for (e, h) in hashes.enumerate() {
            let mut i = (h as usize) & self.mask;
            while self.slots[i] != 0 {
                i = (i + 1) & self.mask;
            }
            self.slots[i] = e as u32 + 1;
        }
    }
}

pub(crate) enum Probe {
    Found(u32),
    Vacant(usize),
}

/// Interns values as dense `u32` ids (0, 1, 2, ... in first-seen order).
#[derive(Clone, Debug)]
pub(crate) struct Interner<T> {
    slots: Slots,
    hashes: Vec<u64>,
    items: Vec<T>,
}

impl<T: Hash + Eq> Interner<T> {
    pub(crate) fn new() -> Self {
        Interner {
            slots: Slots::with_capacity(16),
            hashes: Vec::new(),
            items: Vec::new(),
        }
    }

    /// The id of `item`, if it was interned.
    #[cfg(test)]
    pub(crate) fn get<Q>(&self, item: &Q) -> Option<u32>
    where
        T: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let h = hash_of(item);
        match self.slots.probe(h, |e| {
            self.hashes[e as usize] == h && self.items[e as usize].borrow() == item
        }) {
            Probe::Found(e) => Some(e),
            Probe::Vacant(_) => None,
        }
    }

    /// The id of `item`, interning it if new.
    pub(crate) fn intern(&mut self, item: T) -> u32 {
        let h = hash_of(&item);
        let probe = self.slots.probe(h, |e| {
            self.hashes[e as usize] == h && self.items[e as usize] == item
        });
        match probe {
            Probe::Found(e) => e,
            Probe::Vacant(slot) => {
                let id = self.items.len() as u32;
                self.items.push(item);
                self.hashes.push(h);
                if self.slots.fill(slot, id, self.items.len()) {
                    self.slots.grow(self.hashes.iter().copied());
                }
                id
            }
        }
    }

    /// Bytes held, by capacity (not counting what items own), with room for the slot
    /// table's next doubling.
    pub(crate) fn bytes(&self) -> usize {
        self.items.capacity() * std::mem::size_of::<T>()
            + self.hashes.capacity() * 8
            + self.slots.bytes() * 3
    }

    /// The value behind an id.
    pub(crate) fn resolve(&self, id: u32) -> &T {
        &self.items[id as usize]
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }
}

/// A map from `u64` keys to `u32` values (transition memo tables).
#[derive(Clone, Debug)]
pub(crate) struct U64Map {
    slots: Slots,
    keys: Vec<u64>,
    values: Vec<u32>,
}

impl U64Map {
    pub(crate) fn new() -> Self {
        U64Map {
            slots: Slots::with_capacity(8), // Grows by doubling; many maps stay small.
            keys: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Bytes held, by capacity, with room for the slot table's next doubling.
    pub(crate) fn bytes(&self) -> usize {
        self.keys.capacity() * 8 + self.values.capacity() * 4 + self.slots.bytes() * 3
    }

    #[inline]
    pub(crate) fn get(&self, key: u64) -> Option<u32> {
        match self.slots.probe(mix(key), |e| self.keys[e as usize] == key) {
            Probe::Found(e) => Some(self.values[e as usize]),
            Probe::Vacant(_) => None,
        }
    }

    pub(crate) fn insert(&mut self, key: u64, value: u32) {
        match self.slots.probe(mix(key), |e| self.keys[e as usize] == key) {
            Probe::Found(e) => self.values[e as usize] = value,
            Probe::Vacant(slot) => {
                let id = self.keys.len() as u32;
                self.keys.push(key);
                self.values.push(value);
                if self.slots.fill(slot, id, self.keys.len()) {
                    self.slots.grow(self.keys.iter().map(|&k| mix(k)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interner_gives_dense_ids_in_first_seen_order() {
        let mut t = Interner::new();
        let words: Vec<String> = (0..1000).map(|i| format!("w{i}")).collect();
        for (i, w) in words.iter().enumerate() {
            assert_eq!(t.intern(w.clone()), i as u32);
        }
        for (i, w) in words.iter().enumerate() {
            assert_eq!(t.intern(w.clone()), i as u32);
            assert_eq!(t.get(w.as_str()), Some(i as u32));
            assert_eq!(t.resolve(i as u32), w);
        }
        assert_eq!(t.get("missing"), None);
        assert_eq!(t.len(), 1000);
    }

    #[test]
    fn u64_map_stores_and_overwrites() {
        let mut m = U64Map::new();
        for k in 0..5000u64 {
            m.insert(k * 7919, k as u32);
        }
        m.insert(7919, 42);
        assert_eq!(m.get(7919), Some(42));
        assert_eq!(m.get(7919 * 4999), Some(4999));
        assert_eq!(m.get(3), None);
    }
}
