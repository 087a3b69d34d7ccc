//! A map from znode paths to values, for the data tree's lookups: ordered by a hash of the
//! path rather than by the path, because ZooKeeper paths share long prefixes
//! (`/q/n-0000000041`, `/q/n-0000000042`) and a path-ordered map compares many of those
//! bytes at every step of every lookup, where this one compares a word. Paths whose hashes
//! clash (rare) are kept aside in a path-ordered map. Its order means nothing, so it offers
//! no iteration in it: `paths_where` hands back paths sorted.

use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// Hash bits kept: all of them, except in unit tests, where two bits make most paths clash so
/// that the tests exercise the clash handling on every operation.
#[cfg(not(test))]
const HASH_MASK: u64 = u64::MAX;
#[cfg(test)]
const HASH_MASK: u64 = 0b11;

/// A word-at-a-time multiply-rotate hash of `path` (deterministic on every machine).
fn path_hash(path: &str) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let bytes = path.as_bytes();
    let mut h = bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let word = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        h = (h.rotate_left(5) ^ word).wrapping_mul(K);
    }
    let tail = words
        .remainder()
        .iter()
        .rev()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    h = (h.rotate_left(5) ^ tail).wrapping_mul(K);
    h & HASH_MASK
}

/// Paths to values. Each hash has one entry in the shards; a path whose hash is already
/// taken by another path lives in `clashed`, and only while its hash is taken (a removal
/// promotes a clashed path to the freed hash). The shards split the hashes by their low bits
/// and are shared (`Rc`) with the map's copies (a snapshot of the tree) until one of them
/// changes: a copy costs a pointer per shard, and a change copies one small shard. The
/// shards are an array in place, so a copy (every snapshot takes two) allocates nothing.
#[derive(Clone)]
pub(super) struct PathMap<V> {
    shards: [Rc<Shard<V>>; SHARDS as usize],
    clashed: BTreeMap<Rc<str>, V>,
}

/// One shard: (hash, path, value) sorted by hash. A few entries each (a tree of a few
/// hundred znodes over 32 shards), so a vector searched from the front is quicker to look
/// in, to copy when a snapshot shares it and to drop than a map.
struct Shard<V>(Vec<(u64, Rc<str>, V)>);

/// Room a copy of a shard keeps for inserts: a shard is copied (after a snapshot) to be
/// changed, often by the insert of a created znode, which then needs no reallocation.
const SHARD_ROOM: usize = 2;

impl<V: Clone> Clone for Shard<V> {
    fn clone(&self) -> Shard<V> {
        let mut entries = Vec::with_capacity(self.0.len() + SHARD_ROOM);
        entries.extend(self.0.iter().cloned());
        Shard(entries)
    }
}

impl<V> Shard<V> {
    /// Where `h` is, or where it would go.
    fn find(&self, h: u64) -> Result<usize, usize> {
        match self.0.iter().position(|e| e.0 >= h) {
            Some(i) if self.0[i].0 == h => Ok(i),
            Some(i) => Err(i),
            None => Err(self.0.len()),
        }
    }

    fn get(&self, h: u64) -> Option<&(u64, Rc<str>, V)> {
        self.find(h).ok().map(|i| &self.0[i])
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

/// Fewer shards make a snapshot's copy and drop of the map cheaper, more make a lookup's
/// scan of its shard shorter: 32 measured better than 64 (bench zookeeper).
const SHARDS: u64 = 32;

fn shard_of(h: u64) -> usize {
    (h % SHARDS) as usize
}

impl<V> Default for PathMap<V> {
    fn default() -> PathMap<V> {
        // One empty shard shared by all: the first insert into each copies it.
        let empty = Rc::new(Shard(Vec::new()));
        PathMap {
            shards: std::array::from_fn(|_| empty.clone()),
            clashed: BTreeMap::new(),
        }
    }
}

impl<V: Clone> PathMap<V> {
    pub(super) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.len()).sum::<usize>() + self.clashed.len()
    }

    fn primary(&self, h: u64) -> Option<(&Rc<str>, &V)> {
        self.shards[shard_of(h)].get(h).map(|(_, p, v)| (p, v))
    }

    /// Where `path` (hash `h`) is in its shard: `Ok(Some(i))` at `i`, `Ok(None)` among the
    /// clashed paths (if anywhere), `Err(i)`: nowhere, and `i` is where it would go. Found
    /// in the shard as it is shared: a copy made to change it keeps the indices.
    fn slot(&self, h: u64, path: &str) -> Result<Option<usize>, usize> {
        let shard = &self.shards[shard_of(h)];
        let i = shard.find(h)?;
        Ok((*shard.0[i].1 == *path).then_some(i))
    }

    /// The shard of `h` to change, copied first if a copy of the map still shares it.
    fn shard_mut(&mut self, h: u64) -> &mut Shard<V> {
        Rc::make_mut(&mut self.shards[shard_of(h)])
    }

    pub(super) fn get(&self, path: &str) -> Option<&V> {
        let (p, v) = self.primary(path_hash(path))?;
        if **p == *path {
            return Some(v);
        }
        self.clashed.get(path)
    }

    pub(super) fn get_mut(&mut self, path: &str) -> Option<&mut V> {
        let h = path_hash(path);
        match self.slot(h, path) {
            Ok(Some(i)) => Some(&mut self.shard_mut(h).0[i].2),
            Ok(None) => self.clashed.get_mut(path),
            Err(_) => None,
        }
    }

    pub(super) fn contains(&self, path: &str) -> bool {
        self.get(path).is_some()
    }

    /// Sets the value at `path`; returns the one it replaces.
    pub(super) fn insert(&mut self, path: Rc<str>, value: V) -> Option<V> {
        let h = path_hash(&path);
        match self.slot(h, &path) {
            Ok(Some(i)) => Some(std::mem::replace(&mut self.shard_mut(h).0[i].2, value)),
            Ok(None) => self.clashed.insert(path, value),
            Err(i) => {
                self.shard_mut(h).0.insert(i, (h, path, value));
                None
            }
        }
    }

    /// Takes the entry at `path` out, with the shared path it was stored under.
    pub(super) fn remove(&mut self, path: &str) -> Option<(Rc<str>, V)> {
        let h = path_hash(path);
        let (p, _) = self.primary(h)?;
        if **p != *path {
            return self.clashed.remove_entry(path);
        }
        let shard = self.shard_mut(h);
        let i = shard.find(h).expect("just found");
        let heir = self.clashed.keys().find(|k| path_hash(k) == h).cloned();
        let (_, path, value) = match heir {
            Some(heir) => {
                let value = self.clashed.remove(&heir).expect("just found");
                let shard = self.shard_mut(h);
                std::mem::replace(&mut shard.0[i], (h, heir, value))
            }
            None => self.shard_mut(h).0.remove(i),
        };
        Some((path, value))
    }

    /// Every (path, value), in no particular order.
    fn all(&self) -> impl Iterator<Item = (&Rc<str>, &V)> {
        let primary = self
            .shards
            .iter()
            .flat_map(|s| s.0.iter().map(|(_, p, v)| (p, v)));
        primary.chain(&self.clashed)
    }

    /// The paths whose value satisfies `keep`, sorted.
    pub(super) fn paths_where(&self, keep: impl Fn(&V) -> bool) -> Vec<Rc<str>> {
        let mut paths: Vec<Rc<str>> = self
            .all()
            .filter(|(_, v)| keep(v))
            .map(|(p, _)| p.clone())
            .collect();
        paths.sort_unstable();
        paths
    }

    /// Every (path, value), sorted by path.
    fn sorted(&self) -> Vec<(&Rc<str>, &V)> {
        let mut all: Vec<(&Rc<str>, &V)> = self.all().collect();
        all.sort_unstable_by(|a, b| a.0.cmp(b.0));
        all
    }
}

impl<V: PartialEq> PathMap<V> {
    /// Whether the two maps are equal entry by entry in the same layout (a shard shared by
    /// both is not looked into): `true` proves them equal, `false` may be a difference of
    /// layout alone (which paths clashed), as two maps built in different orders can have.
    pub(super) fn same_as(&self, other: &PathMap<V>) -> bool {
        let mut shards = self.shards.iter().zip(&other.shards);
        shards.all(|(a, b)| Rc::ptr_eq(a, b) || a.0 == b.0) && self.clashed == other.clashed
    }
}

/// Equal when they map the same paths to equal values, however their hashes clashed.
impl<V: Clone + PartialEq> PartialEq for PathMap<V> {
    fn eq(&self, other: &PathMap<V>) -> bool {
        self.len() == other.len() && self.sorted() == other.sorted()
    }
}

impl<V: Clone + Eq> Eq for PathMap<V> {}

impl<V: Clone + fmt::Debug> fmt::Debug for PathMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.sorted()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_of(paths: &[&str]) -> PathMap<usize> {
        let mut m = PathMap::default();
        for (i, p) in paths.iter().enumerate() {
            assert_eq!(m.insert(Rc::from(*p), i), None);
        }
        m
    }

    #[test]
    fn clashing_paths_are_found_replaced_and_removed_in_any_order() {
        // Two hash bits in tests: eight paths share four hashes.
        let paths = [
            "/",
            "/a",
            "/b",
            "/a/x",
            "/q/n-0000000001",
            "/q/n-0000000002",
            "/e",
            "/z",
        ];
        let mut m = map_of(&paths);
        assert_eq!(m.len(), 8);
        for (i, p) in paths.iter().enumerate() {
            assert_eq!(m.get(p), Some(&i), "{p}");
        }
        assert!(!m.contains("/nope"));
        assert_eq!(m.insert(Rc::from("/a"), 10), Some(1));
        *m.get_mut("/z").expect("held") += 100;
        assert_eq!(m.get("/z"), Some(&107));
        for (i, p) in paths.iter().enumerate().rev() {
            let (key, _) = m.remove(p).expect("held");
            assert_eq!(&*key, *p);
            assert_eq!(m.len(), i);
            for q in &paths[..i] {
                assert!(m.contains(q), "{q} lost after removing {p}");
            }
        }
        assert!(m.remove("/").is_none());
    }

    #[test]
    fn a_copy_keeps_its_entries_while_the_original_changes() {
        let mut m = map_of(&["/a", "/b", "/c", "/d", "/e", "/f"]);
        let copy = m.clone();
        m.insert(Rc::from("/a"), 10);
        m.remove("/b");
        m.insert(Rc::from("/g"), 6);
        *m.get_mut("/c").expect("held") = 12;
        assert_eq!(copy, map_of(&["/a", "/b", "/c", "/d", "/e", "/f"]));
        assert_eq!(
            (m.get("/a"), m.get("/b"), m.get("/c")),
            (Some(&10), None, Some(&12))
        );
        assert_eq!(m.len(), 6);
    }

    #[test]
    fn equality_and_listing_ignore_insertion_order() {
        let a = map_of(&["/a", "/b", "/c", "/d", "/e"]);
        let mut b: PathMap<usize> = PathMap::default();
        for (i, p) in ["/a", "/b", "/c", "/d", "/e"].iter().enumerate().rev() {
            b.insert(Rc::from(*p), i);
        }
        assert_eq!(a, b);
        let odd: Vec<String> = a
            .paths_where(|v| v % 2 == 1)
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(odd, ["/b", "/d"]);
        assert_eq!(
            format!("{a:?}"),
            r#"{"/a": 0, "/b": 1, "/c": 2, "/d": 3, "/e": 4}"#
        );
    }
}
