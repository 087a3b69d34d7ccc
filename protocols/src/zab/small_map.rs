//! A map for the server's per-peer and per-client tables (a handful of servers or clients):
//! a vector of (key, value) kept sorted by key, searched from the front. It iterates in key
//! order as a `BTreeMap` does (so sends made while walking it keep their order), and a look-up
//! among a few entries is a short scan, where a `BTreeMap` walks a node and calls out for
//! every insert and removal.

/// Keys to values, in key order.
#[derive(Clone, Debug)]
pub(super) struct SmallMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for SmallMap<K, V> {
    fn default() -> SmallMap<K, V> {
        SmallMap(Vec::new())
    }
}

impl<K: Ord + Copy, V> SmallMap<K, V> {
    pub(super) fn new() -> SmallMap<K, V> {
        SmallMap::default()
    }

    /// Where `key` is, or where it would go.
    fn find(&self, key: &K) -> Result<usize, usize> {
        match self.0.iter().position(|e| e.0 >= *key) {
            Some(i) if self.0[i].0 == *key => Ok(i),
            Some(i) => Err(i),
            None => Err(self.0.len()),
        }
    }

    pub(super) fn get(&self, key: &K) -> Option<&V> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    pub(super) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.find(key).ok().map(|i| &mut self.0[i].1)
    }

    /// Sets the value at `key`; returns the one it replaces.
    pub(super) fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    /// The value at `key`, set to `value` first if there is none.
    pub(super) fn get_or_insert(&mut self, key: K, value: V) -> &mut V {
        let i = match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (key, value));
                i
            }
        };
        &mut self.0[i].1
    }

    pub(super) fn remove(&mut self, key: &K) -> Option<V> {
        self.find(key).ok().map(|i| self.0.remove(i).1)
    }

    /// Removes the entry at `key` if its value is `value` (one look-up, not a `get` and a
    /// `remove`); whether it did.
    pub(super) fn remove_if_eq(&mut self, key: &K, value: &V) -> bool
    where
        V: PartialEq,
    {
        match self.find(key) {
            Ok(i) if self.0[i].1 == *value => {
                self.0.remove(i);
                true
            }
            _ => false,
        }
    }

    pub(super) fn clear(&mut self) {
        self.0.clear();
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.0.iter_mut().map(|(k, v)| (&*k, v))
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }
}

impl<K: Ord + Copy, V> std::ops::Index<&K> for SmallMap<K, V> {
    type Output = V;

    fn index(&self, key: &K) -> &V {
        self.get(key).expect("key in the map")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn agrees_with_a_btree_map() {
        let mut small = SmallMap::new();
        let mut btree = BTreeMap::new();
        // A fixed pseudo-random walk of inserts and removals over a few keys.
        let mut x: u64 = 7;
        for step in 0..500u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let key = (x >> 60) % 9;
            if x & 1 == 0 {
                assert_eq!(small.insert(key, step), btree.insert(key, step));
            } else {
                assert_eq!(small.remove(&key), btree.remove(&key));
            }
            assert_eq!(small.get(&key), btree.get(&key));
            let fresh = step + 1000;
            assert_eq!(
                *small.get_or_insert(key ^ 1, fresh),
                *btree.entry(key ^ 1).or_insert(fresh)
            );
            assert!(small.iter().eq(btree.iter()));
        }
    }

    #[test]
    fn removes_only_an_entry_holding_the_value() {
        let mut small = SmallMap::new();
        small.insert(3u64, 30u64);
        small.insert(1, 10);
        assert!(!small.remove_if_eq(&3, &31));
        assert!(!small.remove_if_eq(&2, &30));
        assert_eq!(small.get(&3), Some(&30));
        assert!(small.remove_if_eq(&3, &30));
        assert_eq!(small.get(&3), None);
        assert!(small.iter().eq([(&1, &10)]));
    }
}
