//! A map for lookups only: open addressing over a flat slot array, entries kept in insertion
//! order. The Paxos servers and the agreement check look instances up by name or id on every
//! message (Basic Paxos' registers, the values clients proposed, registers' hashed ids), and a
//! `BTreeMap` search over hundreds of keys was a tenth of a Basic Paxos run. Nothing here
//! iterates in hash order (the project bans std's hash maps for that): `entries` gives
//! insertion order, and a caller that shows entries to people sorts them itself.

/// A key with a deterministic hash (no per-process seed).
pub trait LookupKey: Eq {
    fn lookup_hash(&self) -> u64;
}

/// The splitmix64 finaliser, the project's one deterministic word mixer.
pub use splitbrain_api::splitmix64 as mix;

impl LookupKey for u64 {
    fn lookup_hash(&self) -> u64 {
        mix(*self)
    }
}

impl LookupKey for (Option<u64>, u64) {
    fn lookup_hash(&self) -> u64 {
        let (instance, value) = *self;
        mix(value ^ mix(instance.map_or(u64::MAX, |i| i.wrapping_add(1))))
    }
}

/// The map. `slots` holds 0 (empty) or an entry's index + 1 and is at most half full.
#[derive(Clone, Debug)]
pub struct Lookup<K, V> {
    slots: Vec<u32>,
    entries: Vec<(K, V)>,
}

impl<K, V> Default for Lookup<K, V> {
    fn default() -> Self {
        Lookup {
            slots: Vec::new(),
            entries: Vec::new(),
        }
    }
}

impl<K: LookupKey, V> Lookup<K, V> {
    /// An empty map with room for `n` entries before it grows.
    pub fn with_capacity(n: usize) -> Self {
        Lookup {
            slots: vec![0; (2 * n).next_power_of_two().max(16)],
            entries: Vec::with_capacity(n),
        }
    }

    /// The index in `entries` of `key`, else the empty slot where it would go.
    fn find(&self, key: &K) -> Result<usize, usize> {
        let mask = self.slots.len().wrapping_sub(1);
        let mut i = key.lookup_hash() as usize & mask;
        loop {
            match self.slots[i] {
                0 => return Err(i),
                s if self.entries[s as usize - 1].0 == *key => return Ok(s as usize - 1),
                _ => i = (i + 1) & mask,
            }
        }
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        if self.entries.is_empty() {
            return None;
        }
        self.find(key).ok().map(|e| &self.entries[e].1)
    }

    pub fn contains_key(&self, key: &K) -> bool {
        self.get(key).is_some()
    }

    /// The value of `key`, inserted by `make` if absent.
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        if self.entries.len() * 2 >= self.slots.len() {
            self.grow();
        }
        let e = match self.find(&key) {
            Ok(e) => e,
            Err(slot) => {
                self.entries.push((key, make()));
                self.slots[slot] = self.entries.len() as u32;
                self.entries.len() - 1
            }
        };
        &mut self.entries[e].1
    }

    /// Sets `key` to `value`.
    pub fn insert(&mut self, key: K, value: V) {
        let mut value = Some(value);
        let slot = self.get_or_insert_with(key, || value.take().expect("inserted once"));
        if let Some(v) = value {
            *slot = v;
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry, in insertion order.
    pub fn entries(&self) -> &[(K, V)] {
        &self.entries
    }

    /// Doubles the slot array (16 slots at first) and places every entry again.
    #[cold]
    fn grow(&mut self) {
        let n = (self.slots.len() * 2).max(16);
        self.slots.clear();
        self.slots.resize(n, 0);
        for (e, (key, _)) in self.entries.iter().enumerate() {
            let mut i = key.lookup_hash() as usize & (n - 1);
            while self.slots[i] != 0 {
                i = (i + 1) & (n - 1);
            }
            self.slots[i] = e as u32 + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Agrees with a `BTreeMap` under inserts, overwrites and lookups of present and absent
    /// keys, and lists its entries in insertion order.
    #[test]
    fn behaves_like_a_map_in_insertion_order() {
        let mut table = Lookup::default();
        let mut map = BTreeMap::new();
        let mut order = Vec::new();
        let mut x: u64 = 11;
        for step in 0..4_000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let key = (x >> 40) % 900;
            if step % 3 == 0 {
                assert_eq!(table.get(&key), map.get(&key));
                continue;
            }
            if !map.contains_key(&key) {
                order.push(key);
            }
            table.insert(key, step);
            map.insert(key, step);
            *table.get_or_insert_with(key, || 0) += 1;
            *map.get_mut(&key).expect("just inserted") += 1;
        }
        assert_eq!(table.len(), map.len());
        let keys: Vec<u64> = table.entries().iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, order);
        assert!(table.entries().iter().all(|(k, v)| map[k] == *v));
    }

    /// A map made with room for `n` entries takes `n` without growing, and finds them.
    #[test]
    fn room_for_n_entries_is_room_for_n() {
        let mut table = Lookup::with_capacity(100);
        let slots = table.slots.len();
        for key in 0..100u64 {
            table.insert(key * 7, key);
        }
        assert_eq!(table.slots.len(), slots);
        assert!((0..100u64).all(|key| table.get(&(key * 7)) == Some(&key)));
    }
}
