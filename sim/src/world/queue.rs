//! The event queue: a 4-ary min-heap of `u128` keys, each packing an event's time, its
//! insertion counter and its slab slot (in that order of significance, so one integer
//! compare orders two events by time, then insertion). Four children per node halve the
//! depth of a binary heap, one word per entry keeps sifts to plain moves, and `replace_top`
//! turns the common "handle one event, schedule one" step into a single sift.

const ARITY: usize = 4;

/// Bits of a key that hold the slab slot (at most this many events pending at once).
const SLOT_BITS: u32 = 24;

/// Insertion counters must stay below this (a run is bounded far below it by `max_events`).
const SEQ_LIMIT: u64 = 1 << (64 - SLOT_BITS);

/// Min-heap of packed keys.
#[derive(Default)]
pub struct EventQueue {
    keys: Vec<u128>,
}

/// Packs a time and an insertion counter (earlier time first, then earlier insertion) with
/// the event's slab slot, which never decides an order since insertion counters are unique.
#[inline]
pub fn key(time_us: u64, seq: u64, slot: u32) -> u128 {
    assert!(
        seq < SEQ_LIMIT,
        "more than 2^40 events scheduled in one run"
    );
    assert!(
        slot >> SLOT_BITS == 0,
        "more than 2^24 events pending at once"
    );
    (u128::from(time_us) << 64) | u128::from(seq << SLOT_BITS) | u128::from(slot)
}

#[inline]
fn slot_of(key: u128) -> u32 {
    (key as u32) & ((1 << SLOT_BITS) - 1)
}

impl EventQueue {
    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            keys: Vec::with_capacity(n),
        }
    }

    /// The earliest (time, slot), if any.
    #[inline]
    pub fn peek(&self) -> Option<(u64, u32)> {
        let top = *self.keys.first()?;
        Some(((top >> 64) as u64, slot_of(top)))
    }

    #[inline]
    pub fn push(&mut self, key: u128) {
        self.keys.push(key);
        self.sift_up(self.keys.len() - 1);
    }

    /// Removes the earliest entry.
    #[inline]
    pub fn pop(&mut self) {
        let last_key = self.keys.pop().expect("pop on an empty queue");
        if !self.keys.is_empty() {
            self.keys[0] = last_key;
            self.sift_down(0);
        }
    }

    /// Replaces the earliest entry with a new one (a pop and a push in one sift).
    #[inline]
    pub fn replace_top(&mut self, key: u128) {
        self.keys[0] = key;
        self.sift_down(0);
    }

    fn sift_up(&mut self, mut i: usize) {
        let key = self.keys[i];
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if self.keys[parent] <= key {
                break;
            }
            self.keys[i] = self.keys[parent];
            i = parent;
        }
        self.keys[i] = key;
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
        let key = self.keys[i];
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
            i = best;
        }
        self.keys[i] = key;
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
                    q.replace_top(key(t, seq, seq as u32 & 0xff_ffff));
                    reference.pop();
                    reference.push(Reverse((t, seq)));
                }
                _ => {
                    q.push(key(t, seq, seq as u32 & 0xff_ffff));
                    reference.push(Reverse((t, seq)));
                }
            }
            let want = reference.peek().map(|Reverse((t, s))| (*t, *s as u32));
            assert_eq!(q.peek(), want);
        }
    }
}
