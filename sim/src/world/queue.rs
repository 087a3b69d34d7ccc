//! The event queue: a 4-ary min-heap over `(time, insertion counter)` packed into one `u128`
//! key, with the event's slab slot beside it. Four children per node halve the depth of a
//! binary heap, and one integer compare orders two events; `replace_top` turns the common
//! "handle one event, schedule one" step into a single sift.

const ARITY: usize = 4;

/// Min-heap of (key, slot).
#[derive(Default)]
pub struct EventQueue {
    keys: Vec<u128>,
    slots: Vec<u32>,
}

/// Packs a time and an insertion counter: earlier time first, then earlier insertion.
#[inline]
pub fn key(time_us: u64, seq: u64) -> u128 {
    (u128::from(time_us) << 64) | u128::from(seq)
}

impl EventQueue {
    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            keys: Vec::with_capacity(n),
            slots: Vec::with_capacity(n),
        }
    }

    /// The earliest (time, slot), if any.
    #[inline]
    pub fn peek(&self) -> Option<(u64, u32)> {
        Some(((*self.keys.first()? >> 64) as u64, self.slots[0]))
    }

    #[inline]
    pub fn push(&mut self, key: u128, slot: u32) {
        self.keys.push(key);
        self.slots.push(slot);
        self.sift_up(self.keys.len() - 1);
    }

    /// Removes the earliest entry.
    #[inline]
    pub fn pop(&mut self) {
        let last_key = self.keys.pop().expect("pop on an empty queue");
        let last_slot = self.slots.pop().expect("keys and slots have equal length");
        if !self.keys.is_empty() {
            self.keys[0] = last_key;
            self.slots[0] = last_slot;
            self.sift_down(0);
        }
    }

    /// Replaces the earliest entry with a new one (a pop and a push in one sift).
    #[inline]
    pub fn replace_top(&mut self, key: u128, slot: u32) {
        self.keys[0] = key;
        self.slots[0] = slot;
        self.sift_down(0);
    }

    fn sift_up(&mut self, mut i: usize) {
        let (key, slot) = (self.keys[i], self.slots[i]);
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if self.keys[parent] <= key {
                break;
            }
            self.keys[i] = self.keys[parent];
            self.slots[i] = self.slots[parent];
            i = parent;
        }
        self.keys[i] = key;
        self.slots[i] = slot;
    }

    /// The smallest of the four children starting at `first`, chosen without branches (the
    /// child compares are unpredictable; a tournament of selects is not).
    #[inline]
    fn min_of_four(&self, first: usize) -> usize {
        let k = &self.keys[first..first + ARITY];
        let a = if k[1] < k[0] { 1 } else { 0 };
        let b = if k[3] < k[2] { 3 } else { 2 };
        first + if k[b] < k[a] { b } else { a }
    }

    fn sift_down(&mut self, mut i: usize) {
        let n = self.keys.len();
        let (key, slot) = (self.keys[i], self.slots[i]);
        loop {
            let first = ARITY * i + 1;
            if first >= n {
                break;
            }
            let best = if first + ARITY <= n {
                self.min_of_four(first)
            } else {
                (first + 1..n).fold(
                    first,
                    |b, c| if self.keys[c] < self.keys[b] { c } else { b },
                )
            };
            if self.keys[best] >= key {
                break;
            }
            self.keys[i] = self.keys[best];
            self.slots[i] = self.slots[best];
            i = best;
        }
        self.keys[i] = key;
        self.slots[i] = slot;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream, Stream};
    use rand::Rng;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    /// Same order as a binary heap over (time, seq), under random pushes, pops and replaces.
    #[test]
    fn orders_like_a_binary_heap_over_time_then_insertion() {
        let mut rng = stream(9, Stream::Network);
        let (mut q, mut reference) = (EventQueue::default(), BinaryHeap::new());
        for seq in 0..20_000u64 {
            let t = rng.gen_range(0..50u64);
            match rng.gen_range(0..3) {
                0 if q.peek().is_some() => {
                    q.pop();
                    reference.pop();
                }
                1 if q.peek().is_some() => {
                    q.replace_top(key(t, seq), seq as u32);
                    reference.pop();
                    reference.push(Reverse((t, seq)));
                }
                _ => {
                    q.push(key(t, seq), seq as u32);
                    reference.push(Reverse((t, seq)));
                }
            }
            let want = reference.peek().map(|Reverse((t, s))| (*t, *s as u32));
            assert_eq!(q.peek(), want);
        }
    }
}
