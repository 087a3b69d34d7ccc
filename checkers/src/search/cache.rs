//! Lowe's memo: the set of (linearized-operations bitset, state) pairs already explored.
//!
//! Operations are indexed in call order, and only operations inside the current window can
//! be linearized, so a linearized set is all ones up to some word, a short mixed stretch,
//! then all zeros. [`LinSet`] tracks that stretch and the memo stores only it (with where
//! it starts), so an entry costs a few words even for a partition of 100,000 operations.
//! Entries live in flat arrays behind an open-addressing slot table; the hash is kept
//! incrementally by the search (Zobrist keys), so a lookup compares words only on a full
//! 64-bit hash match.
//!
//! Indeterminate operations are kept apart from the key ([`OptSet`]): not having taken one
//! is never worse than having taken it (it can still be taken later, or never), so a
//! configuration is pruned when a failed one with the same completed operations and state
//! took a subset of its indeterminate ones. Without this, every pending indeterminate
//! write multiplies the configurations a failed subtree is explored again under.

use crate::table::{mix, Probe, Slots};

/// A set of linearized operations with its all-ones prefix and untouched suffix tracked.
///
/// Some operations may count as members from the start, for good (the indeterminate ones,
/// which an [`OptSet`] tracks apart): the suffix is where every word still equals its
/// starting value, so those members leave no hole that would keep every stretch long.
pub(crate) struct LinSet {
    words: Vec<u64>,
    /// The starting value of each word.
    base: Vec<u64>,
    /// First word that is not all ones.
    lo: usize,
    /// One past the last word that differs from its starting value (at least `lo`).
    hi: usize,
}

impl LinSet {
    #[cfg(test)]
    pub(crate) fn new(n: usize) -> Self {
        Self::with_members(n, std::iter::empty())
    }

    /// An empty set over `n` operations in which the operations `always` count as members.
    pub(crate) fn with_members(n: usize, always: impl Iterator<Item = usize>) -> Self {
        let mut words = vec![0u64; n.div_ceil(64).max(1)];
        for i in always {
            words[i / 64] |= 1 << (i % 64);
        }
        let lo = words
            .iter()
            .position(|&w| w != u64::MAX)
            .unwrap_or(words.len());
        LinSet {
            base: words.clone(),
            words,
            lo,
            hi: lo,
        }
    }

    #[inline]
    pub(crate) fn set(&mut self, i: usize) {
        let w = i / 64;
        self.words[w] |= 1 << (i % 64);
        if self.words[w] != self.base[w] {
            self.hi = self.hi.max(w + 1);
        }
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
        if self.words[w] != self.base[w] {
            self.hi = self.hi.max(w + 1);
        }
        while self.hi > self.lo && self.words[self.hi - 1] == self.base[self.hi - 1] {
            self.hi -= 1;
        }
    }

    #[inline]
    pub(crate) fn has(&self, i: usize) -> bool {
        self.words[i / 64] & (1 << (i % 64)) != 0
    }

    pub(crate) fn bytes(&self) -> usize {
        (self.words.capacity() + self.base.capacity()) * 8
    }

    /// The smallest operation not in the set (`n` or more if every one is).
    #[inline]
    pub(crate) fn first_missing(&self) -> usize {
        self.lo * 64
            + self
                .words
                .get(self.lo)
                .map_or(0, |w| w.trailing_ones() as usize)
    }

    /// (start word, the mixed stretch): determines the whole set, given its starting value.
    #[inline]
    fn stretch(&self) -> (u32, &[u64]) {
        (self.lo as u32, &self.words[self.lo..self.hi])
    }
}

/// The indeterminate operations taken so far, as a bitset over their own numbering.
/// An indeterminate operation may take effect at any time after its call, or never, so a
/// configuration that has taken fewer of them can do everything one that took more can:
/// the memo uses this to prune *dominated* configurations.
pub(crate) struct OptSet {
    words: Vec<u64>,
}

impl OptSet {
    pub(crate) fn new(n: usize) -> Self {
        OptSet {
            words: vec![0; n.div_ceil(64)],
        }
    }

    #[inline]
    pub(crate) fn set(&mut self, i: usize) {
        self.words[i / 64] |= 1 << (i % 64);
    }

    #[inline]
    pub(crate) fn clear(&mut self, i: usize) {
        self.words[i / 64] &= !(1 << (i % 64));
    }

    #[inline]
    pub(crate) fn has(&self, i: usize) -> bool {
        self.words[i / 64] & (1 << (i % 64)) != 0
    }

    /// The set as the memo keys it, with no indeterminate operation retired.
    #[inline]
    pub(crate) fn key(&self) -> Taken<'_> {
        let (lo, words) = trim(&self.words);
        Taken {
            lo,
            words,
            retired: 0,
        }
    }

    /// The words of the set (for building a key with retired operations counted apart).
    #[inline]
    pub(crate) fn words(&self) -> &[u64] {
        &self.words
    }

    pub(crate) fn bytes(&self) -> usize {
        self.words.capacity() * 8
    }
}

/// The taken indeterminate operations as the memo keys them: a stretch of bits starting at
/// word `lo`, and the *retired* ones counted apart per class (see `Walk::taken_key`): from
/// some point on, the operations of one retired class are interchangeable, so only how
/// many of them were taken matters. `retired` packs one count per class in
/// [`RETIRED_BITS`]-bit fields.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Taken<'a> {
    pub(crate) lo: u32,
    pub(crate) words: &'a [u64],
    pub(crate) retired: u32,
}

/// Bits of each retired class's count in [`Taken::retired`].
pub(crate) const RETIRED_BITS: u32 = 10;

/// (first non-zero word, the words up to the last non-zero one) of a bitset.
#[inline]
pub(crate) fn trim(words: &[u64]) -> (u32, &[u64]) {
    let lo = words.iter().position(|&w| w != 0).unwrap_or(0);
    let hi = words.iter().rposition(|&w| w != 0).map_or(lo, |h| h + 1);
    (lo as u32, &words[lo..hi])
}

impl Taken<'_> {
    /// True if `self` took no more than `other`: its bits a subset of `other`'s, and no
    /// more of each retired class (a configuration that took fewer can do all the other
    /// can, since retired operations of one class are interchangeable).
    #[inline]
    fn within(&self, other: &Taken<'_>) -> bool {
        let fields = (0..32 / RETIRED_BITS).all(|c| {
            let mask = ((1u32 << RETIRED_BITS) - 1) << (c * RETIRED_BITS);
            self.retired & mask <= other.retired & mask
        });
        fields
            && self.words.iter().enumerate().all(|(i, &w)| {
                let at = (self.lo as usize + i).checked_sub(other.lo as usize);
                let theirs = at.and_then(|j| other.words.get(j)).copied().unwrap_or(0);
                w & !theirs == 0
            })
    }

    #[inline]
    fn same(&self, other: &Taken<'_>) -> bool {
        self.lo == other.lo && self.retired == other.retired && self.words == other.words
    }
}

/// The configurations of one memo key (linearized completed operations, state): the key's
/// hash, state, where its linearized-set stretch lives in `words`, and its latest entry.
#[derive(Clone, Copy)]
struct Group {
    hash: u64,
    state: u32,
    /// Start word of the stretch, its offset in `words` and its length.
    lo: u32,
    off: u32,
    len: u32,
    /// The group's latest entry; earlier ones follow through `Entry::next`.
    last: u32,
}

/// One configuration of a group: the indeterminate operations it took.
#[derive(Clone, Copy)]
struct Entry {
    /// Start word of the taken-indeterminate stretch, its offset in `words` and length.
    opt_lo: u32,
    off: u32,
    len: u32,
    /// The group's previous entry, or `NO_ENTRY`.
    next: u32,
    /// Retired operations taken, per class (see [`Taken`]).
    retired: u32,
    /// Fully explored without success (no longer on the search path).
    closed: bool,
}

/// The end of a group's list of entries.
const NO_ENTRY: u32 = u32::MAX;

/// Why an insertion was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The configuration, or one that dominates it and failed, was seen before.
    Seen,
    /// Recording it would take the memo past its byte limit.
    Full,
}

/// Lowe's memo with dominance: entries are keyed by (linearized completed operations,
/// state); among entries with one key, a configuration is pruned if it equals one, or if a
/// closed (failed) one took a subset of its indeterminate operations. The slot table holds
/// one group per key, and a group lists its entries: configurations that differ only in
/// the indeterminate operations they took share one hash, and a table of entries would
/// pile them up in one probe run.
pub(crate) struct Cache {
    slots: Slots,
    groups: Vec<Group>,
    entries: Vec<Entry>,
    words: Vec<u64>,
}

impl Cache {
    #[cfg(test)]
    pub(crate) fn new() -> Self {
        Self::for_ops(1024)
    }

    /// An empty memo sized for a part of `ops` operations (it grows as needed).
    pub(crate) fn for_ops(ops: usize) -> Self {
        let expect = ops.clamp(8, 1024);
        Cache {
            slots: Slots::with_capacity(expect),
            groups: Vec::with_capacity(expect),
            entries: Vec::with_capacity(expect),
            words: Vec::with_capacity(expect),
        }
    }

    /// Records (set, taken, state) and returns its entry id, unless it is pruned or would
    /// take the memo past `limit` bytes (counting the peak of any growth it triggers).
    #[inline]
    pub(crate) fn insert(
        &mut self,
        set: &LinSet,
        taken: Taken<'_>,
        state: u32,
        zobrist: u64,
        limit: usize,
    ) -> Result<u32, Refused> {
        let h = zobrist ^ mix(u64::from(state));
        let (lo, stretch) = set.stretch();
        let opts = taken.words;
        let (words, groups) = (&self.words, &self.groups);
        let probe = self.slots.probe(h, |g| {
            let x = &groups[g as usize];
            let (off, len) = (x.off as usize, x.len as usize);
            x.hash == h && x.state == state && x.lo == lo && words[off..off + len] == *stretch
        });
        let group = match probe {
            Probe::Found(g) => {
                if self.dominated(g, &taken) {
                    return Err(Refused::Seen);
                }
                Ok(g)
            }
            Probe::Vacant(slot) => Err(slot),
        };
        let new_words = opts.len() + if group.is_err() { stretch.len() } else { 0 };
        if self.peak_bytes_after(new_words, group.is_err()) > limit {
            return Err(Refused::Full);
        }
        let g = match group {
            Ok(g) => g,
            Err(slot) => self.new_group(slot, h, state, lo, stretch),
        };
        let id = self.entries.len() as u32;
        self.entries.push(Entry {
            opt_lo: taken.lo,
            off: self.words.len() as u32,
            len: opts.len() as u32,
            next: self.groups[g as usize].last,
            retired: taken.retired,
            closed: false,
        });
        self.words.extend_from_slice(opts);
        self.groups[g as usize].last = id;
        Ok(id)
    }

    /// True if group `g` has an entry equal to the configuration that took `taken`, or a
    /// closed one that took no more (see [`Taken::within`]).
    #[inline]
    fn dominated(&self, g: u32, taken: &Taken<'_>) -> bool {
        let mut e = self.groups[g as usize].last;
        while e != NO_ENTRY {
            let x = &self.entries[e as usize];
            let seen = Taken {
                lo: x.opt_lo,
                words: &self.words[x.off as usize..(x.off + x.len) as usize],
                retired: x.retired,
            };
            if seen.same(taken) || (x.closed && seen.within(taken)) {
                return true;
            }
            e = x.next;
        }
        false
    }

    fn new_group(&mut self, slot: usize, hash: u64, state: u32, lo: u32, stretch: &[u64]) -> u32 {
        let g = self.groups.len() as u32;
        self.groups.push(Group {
            hash,
            state,
            lo,
            off: self.words.len() as u32,
            len: stretch.len() as u32,
            last: NO_ENTRY,
        });
        self.words.extend_from_slice(stretch);
        if self.slots.fill(slot, g, self.groups.len()) {
            let groups = &self.groups;
            self.slots.grow(groups.iter().map(|x| x.hash));
        }
        g
    }

    /// Marks an entry fully explored: from now on it prunes the configurations it dominates.
    #[inline]
    pub(crate) fn close(&mut self, id: u32) {
        self.entries[id as usize].closed = true;
    }

    /// Bytes held (capacities, not lengths).
    pub(crate) fn bytes(&self) -> usize {
        self.words.capacity() * 8
            + self.entries.capacity() * std::mem::size_of::<Entry>()
            + self.groups.capacity() * std::mem::size_of::<Group>()
            + self.slots.bytes()
    }

    /// The most bytes held at once while one more entry of `words` words (and a new group,
    /// if `group`) is recorded: a vector that must grow holds its old and its new buffer
    /// while it copies.
    fn peak_bytes_after(&self, words: usize, group: bool) -> usize {
        let grow = |len: usize, cap: usize, add: usize, size: usize| {
            if len + add > cap {
                (cap * 2).max(len + add) * size
            } else {
                0
            }
        };
        let g = self.groups.len() + usize::from(group);
        let extra = grow(self.words.len(), self.words.capacity(), words, 8)
            + grow(
                self.entries.len(),
                self.entries.capacity(),
                1,
                size_of::<Entry>(),
            )
            + grow(
                self.groups.len(),
                self.groups.capacity(),
                usize::from(group),
                size_of::<Group>(),
            )
            + if group && g * 2 > self.slots.len() {
                self.slots.bytes() * 2
            } else {
                0
            };
        self.bytes() + extra
    }

    /// Number of configurations recorded.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
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

    fn new_in(c: &mut Cache, set: &LinSet, state: u32, hash: u64) -> bool {
        c.insert(set, OptSet::new(4).key(), state, hash, usize::MAX)
            .is_ok()
    }

    #[test]
    fn a_configuration_is_new_only_once() {
        let mut c = Cache::new();
        let a = set_of(128, &[0]);
        assert!(new_in(&mut c, &a, 3, 77));
        assert!(!new_in(&mut c, &a, 3, 77));
        assert!(new_in(&mut c, &a, 4, 77));
        assert!(
            new_in(&mut c, &set_of(128, &[0, 64]), 3, 77),
            "same hash, different bits"
        );
        for i in 0..10_000u64 {
            let s = set_of(200, &[i as usize % 200, 199]);
            assert!(new_in(&mut c, &s, i as u32, mix(i)));
        }
        assert_eq!(c.len(), 10_003);
    }

    fn opts(members: &[usize]) -> OptSet {
        let mut o = OptSet::new(130);
        for &i in members {
            o.set(i);
        }
        o
    }

    #[test]
    fn a_failed_configuration_prunes_those_that_took_more_indeterminate_operations() {
        let mut c = Cache::new();
        let set = set_of(64, &[0, 1]);
        let id = c.insert(&set, opts(&[3]).key(), 5, 9, usize::MAX).unwrap();
        let more = opts(&[3, 129]);
        assert!(
            c.insert(&set, more.key(), 5, 9, usize::MAX).is_ok(),
            "an open entry prunes only its equal"
        );
        c.close(id);
        let most = opts(&[3, 70, 129]);
        assert_eq!(
            c.insert(&set, most.key(), 5, 9, usize::MAX),
            Err(Refused::Seen)
        );
        assert!(
            c.insert(&set, opts(&[70]).key(), 5, 9, usize::MAX).is_ok(),
            "not a superset: it may still succeed"
        );
        assert!(
            c.insert(&set, most.key(), 6, 9, usize::MAX).is_ok(),
            "another state"
        );
    }

    #[test]
    fn an_insert_that_would_pass_the_limit_is_refused_and_recorded_nowhere() {
        let mut c = Cache::new();
        let limit = c.bytes() + 4096;
        let mut refused = None;
        for i in 0..100_000u64 {
            let s = set_of(6400, &[i as usize % 6400, 6399]);
            match c.insert(&s, OptSet::new(1).key(), i as u32, mix(i), limit) {
                Ok(_) => assert!(c.bytes() <= limit, "entry {i}: {} bytes", c.bytes()),
                Err(e) => {
                    refused = Some((i, e));
                    break;
                }
            }
        }
        let (i, e) = refused.expect("the limit is reached");
        assert_eq!(e, Refused::Full);
        let s = set_of(6400, &[i as usize % 6400, 6399]);
        assert_eq!(c.len() as u64, i);
        assert!(c
            .insert(&s, OptSet::new(1).key(), i as u32, mix(i), usize::MAX)
            .is_ok());
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
        assert!(new_in(&mut c, &a, 0, 1));
        assert!(!new_in(&mut c, &b, 0, 1));
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
