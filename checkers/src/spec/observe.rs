//! Which operations could still observe a scalar state: the memo's key for states that no
//! remaining operation can tell apart.
//!
//! A key-value part under many concurrent writers and appenders reaches a great many
//! strings that no read will ever return: a put's value with every order of the appends
//! concurrent with it, before the next put overwrites it. The search would memoise each of
//! them separately, though from then on they behave alike. A state is *unobservable* from
//! search operation `k` on when no operation at or after `k` can see it: no read returns
//! it or a string it starts (an append only extends it), and no compare (successful,
//! failed or indeterminate) names it or a string it starts. Two such states then admit the
//! same completions: every read and successful compare is illegal in both, every failed
//! compare legal, an indeterminate compare swaps neither, an append keeps both
//! unobservable, and a write leaves both in the same state. So the memo keys them as one
//! class (strings apart from other values, since only strings take appends).
//!
//! The index maps every prefix of every observed string (by its polynomial hash and
//! length) and every other observed value to one past the last operation that observes
//! it. A hash collision can only make a state look observed, which merely keeps it apart.

use super::values::ValueTable;
use crate::table::{mix, U64Map};

/// Observed by an operation with no end (an indeterminate compare).
pub(crate) const ALWAYS: u32 = u32::MAX;
/// Not computed yet, in the per-state cache.
const NOT_YET: u32 = u32::MAX - 1;
/// Most bytes of observed strings indexed; beyond it, every state counts as observed.
pub(crate) const MAX_INDEXED_BYTES: usize = 8 << 20;

/// What observes each value, and a per-state cache of the answer.
pub(crate) struct Observers {
    /// Key of a string prefix or other value -> one past its last observer (or `ALWAYS`).
    until: U64Map,
    /// The same for failed compares only.
    failed_until: U64Map,
    /// Per state id: (`observed_until`, `failed_until`), or `NOT_YET`.
    cache: Vec<(u32, u32)>,
    enabled: bool,
}

/// One observation: operation `op` (search index) sees `value` (or a string it starts)
/// exactly; `open` if the operation has no end (an indeterminate compare).
pub(crate) struct Seen {
    pub(crate) op: u32,
    pub(crate) value: u32,
    pub(crate) open: bool,
    /// A failed compare: legal in every state but the one it names.
    pub(crate) failed: bool,
}

fn string_key(hash: u64, len: u64) -> u64 {
    hash ^ mix(len ^ 0x5bd1_e995)
}

fn atom_key(id: u32) -> u64 {
    mix(u64::from(id) | (1 << 40))
}

impl Observers {
    /// An index that treats every state as observed.
    pub(crate) fn disabled() -> Self {
        Observers {
            until: U64Map::new(),
            failed_until: U64Map::new(),
            cache: Vec::new(),
            enabled: false,
        }
    }

    /// Indexes the observations `seen` over the values of `values`.
    pub(crate) fn new(values: &ValueTable, seen: &[Seen]) -> Self {
        let total: usize = seen
            .iter()
            .map(|s| values.str_hash_len(s.value).map_or(0, |(_, l)| l as usize))
            .sum();
        if total > MAX_INDEXED_BYTES {
            return Self::disabled();
        }
        let (mut until, mut failed_until) = (U64Map::new(), U64Map::new());
        let raise = |map: &mut U64Map, key: u64, to: u32| {
            if map.get(key).is_none_or(|u| u < to) {
                map.insert(key, to);
            }
        };
        for s in seen {
            let to = if s.open { ALWAYS } else { s.op + 1 };
            let keys: Vec<u64> = match values.str_hash_len(s.value) {
                None => vec![atom_key(s.value)],
                Some(_) => (values.prefix_hashes(s.value).into_iter().enumerate())
                    .map(|(len, h)| string_key(h, len as u64))
                    .collect(),
            };
            for key in keys {
                raise(&mut until, key, to);
                if s.failed {
                    raise(&mut failed_until, key, to);
                }
            }
        }
        Observers {
            until,
            failed_until,
            cache: Vec::new(),
            enabled: true,
        }
    }

    /// One past the last operation that could observe `state` (0 if none; [`ALWAYS`] if
    /// one without an end could, or the index is off), and one past the last failed
    /// compare that could. `nil` (which appends read as "") always counts as observed.
    pub(crate) fn observed_until(
        &mut self,
        values: &ValueTable,
        nil: u32,
        state: u32,
    ) -> (u32, u32) {
        if !self.enabled {
            return (ALWAYS, ALWAYS);
        }
        let slot = state as usize;
        if slot >= self.cache.len() {
            self.cache
                .resize((slot + 1).max(self.cache.len() * 2), (NOT_YET, NOT_YET));
        }
        if self.cache[slot].0 != NOT_YET {
            return self.cache[slot];
        }
        let answer = if state == nil {
            let of = |m: &U64Map| {
                let empty = m.get(string_key(0, 0)).unwrap_or(0);
                empty.max(m.get(atom_key(nil)).unwrap_or(0))
            };
            (ALWAYS, of(&self.failed_until))
        } else {
            let key = match values.str_hash_len(state) {
                Some((h, len)) => string_key(h, len),
                None => atom_key(state),
            };
            let of = |m: &U64Map| m.get(key).unwrap_or(0);
            (of(&self.until), of(&self.failed_until))
        };
        self.cache[slot] = answer;
        answer
    }

    /// Bytes held, by capacity.
    pub(crate) fn bytes(&self) -> usize {
        self.until.bytes() + self.failed_until.bytes() + self.cache.capacity() * 8
    }
}
