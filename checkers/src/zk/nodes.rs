//! The specification tree's znodes by path, in a hash table of its own: ZooKeeper paths share
//! long prefixes (`/locks/n-0000000041`, `/locks/n-0000000042`), and a map ordered by path
//! compares many of those bytes at every step of every lookup, where this one compares a
//! word and then the one path found. The table is open-addressed (linear probing, at most
//! half full, deletions shift the entries after them back) and keeps the hashes apart from
//! the entries, so that a probe reads one small array. The order of the entries means
//! nothing: whoever needs paths in order sorts them.
//!
//! A lookup first tries the slot where a path like it was last found ([`Nodes::recent`]):
//! the replay asks for a handful of paths (a few znodes and their parents) thousands of
//! times, and comparing one slot's path costs a fraction of hashing and probing.

use std::cell::Cell;

use super::short::{same_str, tail_word};

/// Values by path.
#[derive(Clone, Debug)]
pub(crate) struct Nodes<V> {
    /// Per slot: the hash of its path, or [`EMPTY`].
    hashes: Vec<u64>,
    slots: Vec<Option<(String, V)>>,
    len: usize,
    /// Per [`recent_key`] of a path: the slot a path with that key was last found in. Only
    /// a hint, never invalidated: a slot holding the very path asked for is its entry
    /// (paths are unique), whatever moved since; any other slot is a miss.
    recent: [Cell<u32>; RECENT],
}

/// Entries of [`Nodes::recent`].
const RECENT: usize = 16;

/// Which entry of [`Nodes::recent`] remembers `path`: its length, second and last bytes
/// mixed (`/z0`, `/z1`, `/e1`, `/` and a sequential child's digits all differ there).
fn recent_key(path: &str) -> usize {
    let b = path.as_bytes();
    let (second, last) = (b.get(1).copied(), b.last().copied());
    let mixed = usize::from(last.unwrap_or(0)) ^ (usize::from(second.unwrap_or(0)) << 2) ^ b.len();
    mixed % RECENT
}

/// The hash of a free slot (no path hashes to it: see [`hash`]).
const EMPTY: u64 = 0;

/// Slots of a table's first allocation.
const FIRST_CAPACITY: usize = 64;

impl<V> Default for Nodes<V> {
    fn default() -> Nodes<V> {
        Nodes {
            hashes: Vec::new(),
            slots: Vec::new(),
            len: 0,
            recent: Default::default(),
        }
    }
}

/// Equal tables hold the same paths with equal values, wherever their slots put them.
impl<V: PartialEq> PartialEq for Nodes<V> {
    fn eq(&self, other: &Nodes<V>) -> bool {
        self.len == other.len && self.iter().all(|(p, v)| other.get(p) == Some(v))
    }
}

impl<V: Eq> Eq for Nodes<V> {}

/// The path's hash: its bytes as little-endian words (the last one zero-padded) folded in
/// by a multiply and a rotation, never [`EMPTY`]. The same on every machine, and a few
/// instructions per word (SipHash took about a hundred per path, and the replay looks up
/// paths millions of times).
fn hash(path: &str) -> u64 {
    const MUL: u64 = 0xff51_afd7_ed55_8ccd;
    let bytes = path.as_bytes();
    let mut h = 0x9e37_79b9_7f4a_7c15 ^ bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let word = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        h = (h ^ word).wrapping_mul(MUL).rotate_left(29);
    }
    let tail = tail_word(words.remainder());
    (h ^ tail).wrapping_mul(MUL).rotate_left(29) | 1
}

impl<V> Nodes<V> {
    fn mask(&self) -> usize {
        self.hashes.len() - 1
    }

    /// The slot holding `path` (hash `h`), or the free slot that ends its probe sequence.
    fn probe(&self, path: &str, h: u64) -> Result<usize, usize> {
        let mask = self.mask();
        let mut i = h as usize & mask;
        loop {
            match self.hashes[i] {
                EMPTY => return Err(i),
                x if x == h
                    && self.slots[i]
                        .as_ref()
                        .is_some_and(|(p, _)| same_str(p, path)) =>
                {
                    return Ok(i)
                }
                _ => i = (i + 1) & mask,
            }
        }
    }

    fn find(&self, path: &str) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let recent = &self.recent[recent_key(path)];
        let at = recent.get() as usize;
        if let Some(Some((p, _))) = self.slots.get(at) {
            if same_str(p, path) {
                return Some(at);
            }
        }
        let found = self.probe(path, hash(path)).ok()?;
        recent.set(found as u32);
        Some(found)
    }

    pub(crate) fn get(&self, path: &str) -> Option<&V> {
        let i = self.find(path)?;
        self.slots[i].as_ref().map(|(_, v)| v)
    }

    pub(crate) fn get_mut(&mut self, path: &str) -> Option<&mut V> {
        let i = self.find(path)?;
        self.slots[i].as_mut().map(|(_, v)| v)
    }

    pub(crate) fn contains_key(&self, path: &str) -> bool {
        self.find(path).is_some()
    }

    /// Sets the value at `path`; returns the one it replaces.
    pub(crate) fn insert(&mut self, path: String, value: V) -> Option<V> {
        if 2 * (self.len + 1) > self.hashes.len() {
            self.grow();
        }
        let h = hash(&path);
        match self.probe(&path, h) {
            Ok(i) => {
                let (_, v) = self.slots[i].as_mut().expect("a full slot");
                Some(std::mem::replace(v, value))
            }
            Err(i) => {
                self.hashes[i] = h;
                self.slots[i] = Some((path, value));
                self.len += 1;
                None
            }
        }
    }

    /// Doubles the table (or makes its first one) and puts every entry back.
    fn grow(&mut self) {
        let capacity = (2 * self.hashes.len()).max(FIRST_CAPACITY);
        let hashes = std::mem::replace(&mut self.hashes, vec![EMPTY; capacity]);
        let slots = std::mem::take(&mut self.slots);
        self.slots.resize_with(capacity, || None);
        let mask = self.mask();
        for (h, slot) in hashes.into_iter().zip(slots) {
            if h == EMPTY {
                continue;
            }
            let mut i = h as usize & mask;
            while self.hashes[i] != EMPTY {
                i = (i + 1) & mask;
            }
            self.hashes[i] = h;
            self.slots[i] = slot;
        }
    }

    pub(crate) fn remove(&mut self, path: &str) -> Option<V> {
        let mut hole = self.find(path)?;
        let (_, value) = self.slots[hole].take().expect("a full slot");
        self.hashes[hole] = EMPTY;
        self.len -= 1;
        // Entries after the hole that probed past it move back into it, so that every
        // probe sequence stays unbroken by free slots.
        let mask = self.mask();
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let h = self.hashes[j];
            if h == EMPTY {
                return Some(value);
            }
            let home = h as usize & mask;
            // Its distance from home is at least the hole's: it may sit in the hole.
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.hashes[hole] = h;
                self.hashes[j] = EMPTY;
                self.slots[hole] = self.slots[j].take();
                hole = j;
            }
        }
    }

    /// Every (path, value), in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.slots.iter().flatten().map(|(p, v)| (p, v))
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_found_changed_and_removed_by_their_whole_name() {
        let mut m = Nodes::default();
        assert_eq!(m.insert("/a/n-0000000001".to_string(), 1), None);
        assert_eq!(m.insert("/a/n-0000000002".to_string(), 2), None);
        assert_eq!(m.insert("/a/n-0000000001".to_string(), 3), Some(1));
        assert_eq!(m.get("/a/n-0000000001"), Some(&3));
        *m.get_mut("/a/n-0000000002").unwrap() += 10;
        assert_eq!(m.remove("/a/n-0000000002"), Some(12));
        assert!(!m.contains_key("/a/n-0000000002"));
        assert_eq!(m.remove("/a"), None);
        assert_eq!(m.values().copied().collect::<Vec<_>>(), vec![3]);
    }

    /// The next number of a small deterministic stream (a linear congruential step).
    fn next_random(state: &mut u64) -> u64 {
        *state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        *state
    }

    /// Lookups that go through the remembered slots, while entries move (deletions shift
    /// them back, growth puts them elsewhere) and other paths with the same key take the
    /// slots remembered: every lookup finds exactly what a map ordered by path holds.
    #[test]
    fn remembered_slots_never_find_a_wrong_entry() {
        let paths: Vec<String> = (0..300)
            .map(|k| format!("/z{}/n-{k:010}", k % 7))
            .chain((0..40).map(|k| format!("/e{k}")))
            .chain(["/".to_string(), "/z1".to_string(), "/z2".to_string()])
            .collect();
        let mut m = Nodes::default();
        let mut want = std::collections::BTreeMap::new();
        let mut seed: u64 = 11;
        for step in 0..40_000u64 {
            let x = next_random(&mut seed);
            let path = &paths[(x >> 33) as usize % paths.len()];
            match (x >> 20) % 5 {
                0 => assert_eq!(m.remove(path), want.remove(path), "step {step}"),
                1 => assert_eq!(
                    m.insert(path.clone(), step),
                    want.insert(path.clone(), step)
                ),
                2 => {
                    if let Some(v) = m.get_mut(path) {
                        *v += 1;
                    }
                    if let Some(v) = want.get_mut(path) {
                        *v += 1;
                    }
                }
                _ => {
                    assert_eq!(m.get(path), want.get(path), "step {step}");
                    assert_eq!(m.contains_key(path), want.contains_key(path));
                }
            }
        }
        assert_eq!(m.iter().count(), want.len());
    }

    /// Many paths in and out, through growth and deletions that shift entries back: the
    /// table always holds exactly what a map ordered by path holds.
    #[test]
    fn the_table_holds_what_an_ordered_map_holds() {
        let mut m = Nodes::default();
        let mut want = std::collections::BTreeMap::new();
        let mut seed: u64 = 7;
        for step in 0..20_000u64 {
            let x = next_random(&mut seed);
            let path = format!("/q/n-{:010}", (x >> 33) % 700);
            if (x >> 20).is_multiple_of(3) {
                assert_eq!(m.remove(&path), want.remove(&path), "step {step}");
            } else {
                assert_eq!(m.insert(path.clone(), step), want.insert(path, step));
            }
        }
        let mut got: Vec<(String, u64)> = m.iter().map(|(p, v)| (p.clone(), *v)).collect();
        got.sort();
        assert_eq!(got, want.into_iter().collect::<Vec<_>>());
        let mut other = Nodes::default();
        for (p, v) in m.iter() {
            other.insert(p.clone(), *v);
        }
        assert_eq!(other, m);
    }
}
