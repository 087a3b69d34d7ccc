//! The event queue: pending events (slab slots) in order of time, then insertion.
//!
//! Nearly every event a world schedules falls within a few milliseconds of now (a message
//! delivery, a disk sync, a client's think time); timers and faults lie further out. So the
//! queue is two parts:
//! - a *wheel* of one bucket per microsecond over the next `WHEEL` µs: a bucket is the FIFO
//!   list of the events at that one time (linked through the slots), and a two-level bitmap
//!   of the buckets in use finds the earliest with two bit scans. Scheduling and popping are
//!   a few plain moves, with no compares between events;
//! - a *far* 4-ary min-heap of `u128` keys for the rest (at least `WHEEL` µs ahead, or
//!   behind the wheel's base), each key packing time, insertion counter and slot, in that
//!   order of significance.
//!
//! The queue also numbers the slots: a slot not queued is free, and the free slots are kept in
//! a list threaded through the same links the buckets use (a free slot is in no bucket), so
//! freeing and reusing one is a couple of moves.
//!
//! The order is exactly (time, insertion): within a bucket, the FIFO is insertion order; and
//! when the far heap and the wheel both hold events at one time, the far ones were inserted
//! first (an event goes far only when its time is at least `WHEEL` past the base then, and
//! the wheel takes it only when it is less than `WHEEL` past the base then, which only moves
//! forward), so the far heap wins ties.

/// Microseconds the wheel covers ahead of its base (a power of two, a multiple of 64).
const WHEEL: usize = 4096;

/// Words of the bitmap of buckets in use (one bit per bucket); the summary word has a bit
/// per bitmap word, so `WORDS` must not exceed 64.
const WORDS: usize = WHEEL / 64;
const _: () = assert!(WHEEL.is_power_of_two() && WORDS <= 64 && WORDS >= 1);

/// No slot: the end of a bucket's list, or an empty bucket.
const NONE: u32 = u32::MAX;

const ARITY: usize = 4;

/// Bits of a far key that hold the slab slot (at most this many events pending at once).
const SLOT_BITS: u32 = 24;

/// Insertion counters must stay below this (a run is bounded far below it by `max_events`).
const SEQ_LIMIT: u64 = 1 << (64 - SLOT_BITS);

/// Pending events: the near wheel and the far heap.
pub struct EventQueue {
    /// The time of the latest event popped (never decreases): the wheel covers
    /// `base..base + WHEEL`, each bucket holding the one time in that range congruent to its
    /// index.
    base: u64,
    buckets: Box<[Bucket; WHEEL]>,
    /// Per slot: the next slot in its bucket's list (meaningless for a bucket's last slot:
    /// a list ends at its bucket's `last`), or in the free list for a free slot.
    next: Vec<u32>,
    /// The first free slot (`NONE`: none; a new slot is then added).
    free: u32,
    /// Bit `b % 64` of word `b / 64`: bucket `b` is in use.
    used: [u64; WORDS],
    /// Bit `w`: word `w` of `used` is not zero.
    summary: u64,
    far: FarHeap,
}

/// The first and last slot of a bucket's list (`NONE` when empty).
#[derive(Copy, Clone)]
struct Bucket {
    first: u32,
    last: u32,
}

impl Bucket {
    const EMPTY: Bucket = Bucket {
        first: NONE,
        last: NONE,
    };
}

impl Default for EventQueue {
    fn default() -> Self {
        EventQueue {
            base: 0,
            buckets: Box::new([Bucket::EMPTY; WHEEL]),
            next: Vec::new(),
            free: NONE,
            used: [0; WORDS],
            summary: 0,
            far: FarHeap::default(),
        }
    }
}

impl EventQueue {
    /// A free slot to queue an event in, and whether it is a new one (the caller's slab grows
    /// by one then: slots are numbered `0..`, each new one the next).
    #[inline(always)]
    pub fn vacant_slot(&mut self) -> (u32, bool) {
        let slot = self.free;
        if slot == NONE {
            self.next.push(NONE);
            return ((self.next.len() - 1) as u32, true);
        }
        self.free = self.next[slot as usize];
        (slot, false)
    }

    /// Makes `slot` (just popped, so queued nowhere) free again.
    #[inline(always)]
    fn release(&mut self, slot: u32) {
        self.next[slot as usize] = self.free;
        self.free = slot;
    }

    /// Every free slot, in the order they would be reused.
    pub fn free_slots(&self) -> impl Iterator<Item = u32> + '_ {
        std::iter::successors(Some(self.free).filter(|&s| s != NONE), |&s| {
            Some(self.next[s as usize]).filter(|&n| n != NONE)
        })
    }

    /// Queues slot `slot` (from `vacant_slot`) at `time_us`, after every event queued before
    /// it; `seq` is its insertion counter (increasing with each push).
    #[inline(always)]
    pub fn push(&mut self, time_us: u64, seq: u64, slot: u32) {
        let ahead = time_us.wrapping_sub(self.base);
        if ahead < WHEEL as u64 {
            self.push_near(time_us as usize % WHEEL, slot);
        } else {
            self.far.push(key(time_us, seq, slot));
        }
    }

    /// Appends `slot` to bucket `b`'s list. The new last slot's link is left as it is: the
    /// list ends at `last`, so a push writes no link of its own (most buckets hold one event).
    /// Whether the bucket is empty is read from its bit in `used` (a few hundred bytes, always
    /// in cache), so pushing into an empty bucket only writes it: the bucket, untouched since
    /// the wheel last came round, is not read (that read missed the cache on most sends).
    #[inline(always)]
    fn push_near(&mut self, b: usize, slot: u32) {
        let bit = 1 << (b % 64);
        if self.used[b / 64] & bit == 0 {
            self.buckets[b] = Bucket {
                first: slot,
                last: slot,
            };
            self.used[b / 64] |= bit;
            self.summary |= 1 << (b / 64);
        } else {
            let bucket = &mut self.buckets[b];
            let tail = bucket.last;
            bucket.last = slot;
            self.next[tail as usize] = slot;
        }
    }

    /// Removes and returns the earliest event (time, slot) if it is at or before `end_us`; its
    /// slot is free again at once (the caller reads the event before it queues another).
    #[inline(always)]
    pub fn pop(&mut self, end_us: u64) -> Option<(u64, u32)> {
        match self.earliest_bucket() {
            Some((t, b)) if t < self.far.earliest_us => self.pop_near(t, b, end_us),
            near => self.pop_far(near, end_us),
        }
    }

    /// Takes the far heap's earliest event if it is not past `end_us` (the caller found it
    /// no later than the wheel's earliest, `near`); with the far heap empty, the wheel's (whose
    /// time is then `u64::MAX`, the empty heap's mark).
    #[inline(never)]
    fn pop_far(&mut self, near: Option<(u64, usize)>, end_us: u64) -> Option<(u64, u32)> {
        let Some((t, slot)) = self.far.peek() else {
            let (t, b) = near?;
            return self.pop_near(t, b, end_us);
        };
        if t > end_us {
            return None;
        }
        self.far.pop();
        self.base = self.base.max(t);
        self.release(slot);
        Some((t, slot))
    }

    /// Takes the first event of bucket `b`, whose time is `t`, if `t` is not past `end_us`.
    #[inline(always)]
    fn pop_near(&mut self, t: u64, b: usize, end_us: u64) -> Option<(u64, u32)> {
        if t > end_us {
            return None;
        }
        let bucket = &mut self.buckets[b];
        let slot = bucket.first;
        if slot != bucket.last {
            bucket.first = self.next[slot as usize];
        } else {
            *bucket = Bucket::EMPTY;
            self.used[b / 64] &= !(1 << (b % 64));
            if self.used[b / 64] == 0 {
                self.summary &= !(1 << (b / 64));
            }
        }
        self.base = t;
        self.release(slot);
        Some((t, slot))
    }

    /// The earliest bucket in use (its time and index), scanning forward from the base's
    /// bucket and wrapping around.
    #[inline(always)]
    fn earliest_bucket(&self) -> Option<(u64, usize)> {
        let from = self.base as usize % WHEEL;
        let (w, bit) = (from / 64, from % 64);
        let here = self.used[w] & (u64::MAX << bit);
        let b = if here != 0 {
            w * 64 + here.trailing_zeros() as usize
        } else {
            // Words after `w`, else wrap around to the lowest word in use (the bits of word
            // `w` at or past `from` are clear, so its bits found here lie before `from`).
            let later = self.summary & ((u64::MAX << w) << 1);
            let word = if later != 0 {
                later.trailing_zeros()
            } else if self.summary != 0 {
                self.summary.trailing_zeros()
            } else {
                return None;
            } as usize;
            word * 64 + self.used[word].trailing_zeros() as usize
        };
        let ahead = b.wrapping_sub(from) % WHEEL;
        Some((self.base + ahead as u64, b))
    }
}

/// Packs a time and an insertion counter (earlier time first, then earlier insertion) with
/// the event's slab slot, which never decides an order since insertion counters are unique.
#[inline]
fn key(time_us: u64, seq: u64, slot: u32) -> u128 {
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

/// Min-heap of packed keys.
struct FarHeap {
    keys: Vec<u128>,
    /// The time of the earliest key (`u64::MAX` when empty): the wheel's pop compares with it
    /// without looking into the heap. An event at `u64::MAX` itself is never earlier than a
    /// wheel one, so the sentinel decides no order.
    earliest_us: u64,
}

impl Default for FarHeap {
    fn default() -> Self {
        FarHeap {
            keys: Vec::new(),
            earliest_us: u64::MAX,
        }
    }
}

impl FarHeap {
    /// The earliest (time, slot), if any.
    #[inline]
    fn peek(&self) -> Option<(u64, u32)> {
        let top = *self.keys.first()?;
        Some(((top >> 64) as u64, slot_of(top)))
    }

    #[inline(never)]
    fn push(&mut self, key: u128) {
        self.keys.push(key);
        self.sift_up(self.keys.len() - 1);
        self.note_earliest();
    }

    /// Removes the earliest entry.
    fn pop(&mut self) {
        let last_key = self.keys.pop().expect("pop on an empty queue");
        if !self.keys.is_empty() {
            self.keys[0] = last_key;
            self.sift_down(0);
        }
        self.note_earliest();
    }

    fn note_earliest(&mut self) {
        self.earliest_us = self.peek().map_or(u64::MAX, |(t, _)| t);
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

    /// Pops in the order of a binary heap over (time, insertion), under random pushes (near,
    /// far and at the base) and pops, with an end bound that sometimes holds events back.
    #[test]
    fn orders_like_a_binary_heap_over_time_then_insertion() {
        let mut rng = stream(9, Stream::Network);
        let (mut q, mut reference) = (EventQueue::default(), BinaryHeap::new());
        let mut now = 0u64;
        let mut pending = std::collections::BTreeSet::new();
        for seq in 0..200_000u64 {
            if rng.gen_range(0..2) == 0 {
                let ahead = match rng.gen_range(0..4) {
                    0 => 0,
                    1 => rng.gen_range(0..64),
                    2 => rng.gen_range(0..2 * WHEEL as u64),
                    _ => rng.gen_range(WHEEL as u64 - 3..WHEEL as u64 + 3),
                };
                let (slot, _) = q.vacant_slot();
                assert!(pending.insert(slot), "slot {slot} handed out while queued");
                q.push(now + ahead, seq, slot);
                reference.push(Reverse((now + ahead, seq, slot)));
            } else {
                let end = now + rng.gen_range(0..3 * WHEEL as u64);
                let want = match reference.peek() {
                    Some(&Reverse((t, _, slot))) if t <= end => {
                        reference.pop();
                        Some((t, slot))
                    }
                    _ => None,
                };
                assert_eq!(q.pop(end), want, "pop {seq} up to {end}");
                if let Some((t, slot)) = want {
                    now = t;
                    pending.remove(&slot);
                }
            }
        }
        while let Some(Reverse((t, _, slot))) = reference.pop() {
            assert_eq!(q.pop(u64::MAX), Some((t, slot)));
        }
        assert_eq!(q.pop(u64::MAX), None);
    }

    /// Times far beyond the wheel, up to the saturated end of time, go through the far heap.
    #[test]
    fn far_and_saturated_times_keep_their_order() {
        let mut q = EventQueue::default();
        let slots: Vec<u32> = (0..4).map(|_| q.vacant_slot().0).collect();
        assert_eq!(slots, [0, 1, 2, 3]);
        q.push(u64::MAX, 1, 0);
        q.push(10 * WHEEL as u64, 2, 1);
        q.push(5, 3, 2);
        q.push(10 * WHEEL as u64, 4, 3);
        let order: Vec<_> = std::iter::from_fn(|| q.pop(u64::MAX)).collect();
        let want = [
            (5, 2),
            (10 * WHEEL as u64, 1),
            (10 * WHEEL as u64, 3),
            (u64::MAX, 0),
        ];
        assert_eq!(order, want);
    }

    /// A popped slot is free at once and reused first; a slot is new only when none is free,
    /// and the free list lists exactly the slots not queued.
    #[test]
    fn popped_slots_are_reused_before_new_ones() {
        let mut q = EventQueue::default();
        assert_eq!(q.vacant_slot(), (0, true));
        assert_eq!(q.vacant_slot(), (1, true));
        q.push(3, 1, 0);
        q.push(7, 2, 1);
        assert_eq!(q.free_slots().count(), 0);
        assert_eq!(q.pop(u64::MAX), Some((3, 0)));
        assert_eq!(q.free_slots().collect::<Vec<_>>(), [0]);
        assert_eq!(q.pop(u64::MAX), Some((7, 1)));
        assert_eq!(q.free_slots().collect::<Vec<_>>(), [1, 0]);
        assert_eq!(q.vacant_slot(), (1, false));
        assert_eq!(q.vacant_slot(), (0, false));
        assert_eq!(q.vacant_slot(), (2, true));
    }

    /// A bucket's list ends at its last slot, whatever that slot's link still says: reused
    /// slots, whose links point along the free list, queue and pop at one time in order.
    #[test]
    fn a_bucket_ends_at_its_last_slot_not_at_a_link() {
        let mut q = EventQueue::default();
        let slots: Vec<u32> = (0..3).map(|_| q.vacant_slot().0).collect();
        for (seq, &s) in slots.iter().enumerate() {
            q.push(10, seq as u64, s);
        }
        let popped: Vec<_> = std::iter::from_fn(|| q.pop(u64::MAX)).collect();
        assert_eq!(popped, [(10, 0), (10, 1), (10, 2)]);
        // The free list is 2 -> 1 -> 0: each reused slot's link points at another free one.
        let (a, _) = q.vacant_slot();
        q.push(12, 4, a);
        assert_eq!(q.pop(u64::MAX), Some((12, 2)));
        let (b, _) = q.vacant_slot();
        let (c, _) = q.vacant_slot();
        q.push(15, 5, b);
        q.push(15, 6, c);
        assert_eq!(q.pop(u64::MAX), Some((15, 2)));
        assert_eq!(q.pop(u64::MAX), Some((15, 1)));
        assert_eq!(q.pop(u64::MAX), None);
        assert_eq!(q.free_slots().collect::<Vec<_>>(), [1, 2, 0]);
    }

    /// An event at the very end of time on the wheel (its base that far on) pops even with
    /// the far heap empty, whose earliest time reads as that same `u64::MAX`.
    #[test]
    fn a_wheel_event_at_the_end_of_time_pops_with_no_far_event() {
        let mut q = EventQueue::default();
        let (a, _) = q.vacant_slot();
        q.push(u64::MAX - 1, 1, a);
        assert_eq!(q.pop(u64::MAX), Some((u64::MAX - 1, a)));
        let (b, _) = q.vacant_slot();
        q.push(u64::MAX, 2, b);
        assert!(q.far.keys.is_empty(), "on the wheel");
        assert_eq!(q.pop(u64::MAX), Some((u64::MAX, b)));
        assert_eq!(q.pop(u64::MAX), None);
    }
}
