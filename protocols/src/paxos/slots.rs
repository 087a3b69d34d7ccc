//! Values numbered by slot, kept in a sliding window: a deque indexed by slot number minus the
//! window's first slot, with holes for absent slots. Multi-Paxos' per-slot state (accepted
//! proposals, chosen commands, a leader's slots waiting for a majority) is a short run of
//! nearly contiguous slots that grows at the top and is cut at the bottom; a deque serves it
//! without a tree search or a node per slot. Iteration is in slot order, like a `BTreeMap`'s.

use std::collections::VecDeque;

/// The widest window a `Slots` accepts: wider is a protocol bug (a slot number far from every
/// other), not a workload.
const MAX_WINDOW: u64 = 1 << 24;

/// A map from slot numbers to values.
#[derive(Clone, Debug)]
pub struct Slots<T> {
    /// The slot of `items[0]` (meaningless while `items` is empty).
    base: u64,
    /// One entry per slot from `base` on, `None` in holes; the first and last are present.
    items: VecDeque<Option<T>>,
    len: usize,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots {
            base: 0,
            items: VecDeque::new(),
            len: 0,
        }
    }
}

impl<T> Slots<T> {
    fn index(&self, slot: u64) -> Option<usize> {
        let i = slot.checked_sub(self.base)?;
        (i < self.items.len() as u64).then_some(i as usize)
    }

    pub fn get(&self, slot: u64) -> Option<&T> {
        self.items[self.index(slot)?].as_ref()
    }

    pub fn get_mut(&mut self, slot: u64) -> Option<&mut T> {
        let i = self.index(slot)?;
        self.items[i].as_mut()
    }

    pub fn contains(&self, slot: u64) -> bool {
        self.get(slot).is_some()
    }

    /// Sets `slot`'s value; returns the one it replaced.
    pub fn insert(&mut self, slot: u64, value: T) -> Option<T> {
        // The common cases: a slot inside the window, or the one just past its end.
        if let Some(i) = self.index(slot) {
            let old = self.items[i].replace(value);
            self.len += usize::from(old.is_none());
            return old;
        }
        if !self.items.is_empty() && slot == self.base + self.items.len() as u64 {
            self.items.push_back(Some(value));
            self.len += 1;
            return None;
        }
        self.insert_outside(slot, value)
    }

    /// `insert` of a slot outside the window (or into an empty one): the window grows to it.
    #[cold]
    fn insert_outside(&mut self, slot: u64, value: T) -> Option<T> {
        if self.items.is_empty() {
            self.base = slot;
        }
        let first = self.base.min(slot);
        let last = self.base.max(slot).max(self.base + self.items.len() as u64);
        assert!(
            last - first < MAX_WINDOW,
            "slot {slot} is {} slots from the others",
            last - first
        );
        while self.base > slot {
            self.items.push_front(None);
            self.base -= 1;
        }
        let i = (slot - self.base) as usize;
        if i >= self.items.len() {
            self.items.resize_with(i + 1, || None);
        }
        let old = self.items[i].replace(value);
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    pub fn remove(&mut self, slot: u64) -> Option<T> {
        let i = self.index(slot)?;
        let old = self.items[i].take()?;
        self.len -= 1;
        self.trim();
        Some(old)
    }

    /// Forgets every slot below `first`.
    pub fn drop_below(&mut self, first: u64) {
        while !self.items.is_empty() && self.base < first {
            if let Some(Some(_)) = self.items.pop_front() {
                self.len -= 1;
            }
            self.base += 1;
        }
        self.trim();
    }

    /// Restores the invariant that the window starts and ends with present slots.
    fn trim(&mut self) {
        while let Some(None) = self.items.front() {
            self.items.pop_front();
            self.base += 1;
        }
        while let Some(None) = self.items.back() {
            self.items.pop_back();
        }
    }

    /// The lowest slot present.
    pub fn first(&self) -> Option<u64> {
        (!self.items.is_empty()).then_some(self.base)
    }

    /// The highest slot present.
    pub fn last(&self) -> Option<u64> {
        (!self.items.is_empty()).then(|| self.base + self.items.len() as u64 - 1)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Present slots from `from` on, in order.
    pub fn iter_from(&self, from: u64) -> impl Iterator<Item = (u64, &T)> + '_ {
        let skip = from.saturating_sub(self.base).min(self.items.len() as u64) as usize;
        let base = self.base + skip as u64;
        self.items
            .range(skip..)
            .zip(base..)
            .filter_map(|(v, slot)| v.as_ref().map(|v| (slot, v)))
    }

    /// Every present slot, in order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &T)> + '_ {
        self.iter_from(self.base)
    }

    pub fn values(&self) -> impl Iterator<Item = &T> + '_ {
        self.items.iter().flatten()
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut T> + '_ {
        self.items.iter_mut().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Agrees with a `BTreeMap` under inserts, removals and cuts anywhere around the window.
    #[test]
    fn behaves_like_an_ordered_map() {
        let mut slots = Slots::default();
        let mut map = BTreeMap::new();
        let mut x: u64 = 7;
        for step in 0..5_000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let slot = 100 + (x >> 33) % 40;
            match (x >> 20) % 7 {
                0..=2 => assert_eq!(slots.insert(slot, step), map.insert(slot, step)),
                3 | 4 => assert_eq!(slots.remove(slot), map.remove(&slot)),
                5 => {
                    slots.drop_below(slot);
                    map = map.split_off(&slot);
                }
                _ => {
                    if let Some(v) = slots.get_mut(slot) {
                        *v += 1;
                    }
                    if let Some(v) = map.get_mut(&slot) {
                        *v += 1;
                    }
                }
            }
            assert_eq!(slots.len(), map.len());
            assert_eq!(slots.first(), map.keys().next().copied());
            assert_eq!(slots.last(), map.keys().next_back().copied());
            assert_eq!(slots.get(slot), map.get(&slot));
            let from: Vec<_> = slots.iter_from(slot).map(|(s, v)| (s, *v)).collect();
            let want: Vec<_> = map.range(slot..).map(|(s, v)| (*s, *v)).collect();
            assert_eq!(from, want);
            assert!(slots.values().eq(map.values()));
        }
    }
}
