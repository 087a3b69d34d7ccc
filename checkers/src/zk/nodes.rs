//! The specification tree's znodes by path, looked up by a hash of the path: ZooKeeper paths
//! share long prefixes (`/locks/n-0000000041`, `/locks/n-0000000042`), and a map ordered by
//! path compares many of those bytes at every step of every lookup, where this one compares
//! a word and then the one path found. Paths whose hashes clash share a bucket. The order of
//! the entries means nothing: whoever needs paths in order sorts them.

use std::collections::BTreeMap;

/// Values by path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Nodes<V> {
    buckets: BTreeMap<u64, Vec<(String, V)>>,
}

impl<V> Default for Nodes<V> {
    fn default() -> Nodes<V> {
        Nodes {
            buckets: BTreeMap::new(),
        }
    }
}

/// The path's hash: its bytes as little-endian words (the last one zero-padded) folded in
/// by a multiply and a rotation. The same on every machine, and a few instructions per word
/// (SipHash took about a hundred per path, and the replay looks up paths millions of times).
fn hash(path: &str) -> u64 {
    const MUL: u64 = 0xff51_afd7_ed55_8ccd;
    let bytes = path.as_bytes();
    let mut h = 0x9e37_79b9_7f4a_7c15 ^ bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let word = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        h = (h ^ word).wrapping_mul(MUL).rotate_left(29);
    }
    let tail = words
        .remainder()
        .iter()
        .rev()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    (h ^ tail).wrapping_mul(MUL).rotate_left(29)
}

impl<V> Nodes<V> {
    pub(crate) fn get(&self, path: &str) -> Option<&V> {
        let bucket = self.buckets.get(&hash(path))?;
        bucket.iter().find(|(p, _)| p == path).map(|(_, v)| v)
    }

    pub(crate) fn get_mut(&mut self, path: &str) -> Option<&mut V> {
        let bucket = self.buckets.get_mut(&hash(path))?;
        bucket.iter_mut().find(|(p, _)| p == path).map(|(_, v)| v)
    }

    pub(crate) fn contains_key(&self, path: &str) -> bool {
        self.get(path).is_some()
    }

    /// Sets the value at `path`; returns the one it replaces.
    pub(crate) fn insert(&mut self, path: String, value: V) -> Option<V> {
        let bucket = self.buckets.entry(hash(&path)).or_default();
        match bucket.iter_mut().find(|(p, _)| *p == path) {
            Some((_, v)) => Some(std::mem::replace(v, value)),
            None => {
                bucket.push((path, value));
                None
            }
        }
    }

    pub(crate) fn remove(&mut self, path: &str) -> Option<V> {
        let h = hash(path);
        let bucket = self.buckets.get_mut(&h)?;
        let at = bucket.iter().position(|(p, _)| p == path)?;
        let (_, v) = bucket.remove(at);
        if bucket.is_empty() {
            self.buckets.remove(&h);
        }
        Some(v)
    }

    /// Every (path, value), in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.buckets.values().flatten().map(|(p, v)| (p, v))
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
}
