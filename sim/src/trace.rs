//! The rolling trace hash and the optional full trace. Every event folds into the hash, so two
//! runs with the same seed agree on it exactly; the full trace is kept only when asked for.

use crate::record::{TraceEvent, TraceKind};
use splitbrain_api::{NodeId, NodeView};
use std::hash::Hasher;

const MIX: u64 = 0x517c_c1b7_2722_0a95;
const K1: u64 = 0x9e37_79b9_7f4a_7c15;
const K2: u64 = 0xc2b2_ae3d_27d4_eb4f;
const K3: u64 = 0x1656_67b1_9e37_79f9;

/// A small, fast, platform-independent hasher for message contents.
#[derive(Default)]
pub struct StableHasher(u64);

impl Hasher for StableHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    /// Folds `bytes` as little-endian words, the last one zero-padded.
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        // Most inputs are short strings (paths, child names, values): up to two words read
        // straight off the ends, without the chunk loop's setup.
        if bytes.len() <= 16 {
            self.write_short(bytes);
        } else {
            self.write_long(bytes);
        }
    }

    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(MIX);
    }

    fn write_u8(&mut self, x: u8) {
        self.write_u64(u64::from(x));
    }

    fn write_u32(&mut self, x: u32) {
        self.write_u64(u64::from(x));
    }

    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
}

impl StableHasher {
    /// `write` of at most 16 bytes: the first word and the rest (zero-padded), the rest read
    /// as the last eight bytes shifted down past the ones the first word holds.
    #[inline]
    fn write_short(&mut self, bytes: &[u8]) {
        let n = bytes.len();
        debug_assert!(n <= 16);
        if n >= 8 {
            self.write_u64(u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")));
            if n > 8 {
                let last = u64::from_le_bytes(bytes[n - 8..].try_into().expect("8 bytes"));
                self.write_u64(last >> (8 * (16 - n)));
            }
        } else if n > 0 {
            self.write_u64(tail_word(bytes));
        }
    }

    /// `write` of more than 16 bytes: whole words, then the rest zero-padded, read as the
    /// last eight bytes shifted down past the ones already folded.
    #[inline]
    fn write_long(&mut self, bytes: &[u8]) {
        let n = bytes.len();
        debug_assert!(n > 16);
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.write_u64(u64::from_le_bytes(w.try_into().expect("8 bytes")));
        }
        let rest = n % 8;
        if rest != 0 {
            let last = u64::from_le_bytes(bytes[n - 8..].try_into().expect("8 bytes"));
            self.write_u64(last >> (8 * (8 - rest)));
        }
    }
}

/// The 1 to 7 bytes of `rest` as a little-endian word, zero-padded: two overlapping loads
/// (first and last four bytes, or first, middle and last byte) instead of a byte loop. The
/// overlapping bytes are the same bytes, so or-ing them in twice changes nothing.
#[inline]
fn tail_word(rest: &[u8]) -> u64 {
    let n = rest.len();
    debug_assert!((1..8).contains(&n));
    if n >= 4 {
        let lo = u32::from_le_bytes(rest[..4].try_into().expect("4 bytes"));
        let hi = u32::from_le_bytes(rest[n - 4..].try_into().expect("4 bytes"));
        u64::from(lo) | (u64::from(hi) << (8 * (n - 4)))
    } else {
        let mid = n / 2;
        u64::from(rest[0])
            | (u64::from(rest[mid]) << (8 * mid))
            | (u64::from(rest[n - 1]) << (8 * (n - 1)))
    }
}

/// Hashes a value with `StableHasher`.
pub fn stable_hash_of<T: std::hash::Hash>(value: &T) -> u64 {
    let mut h = StableHasher::default();
    value.hash(&mut h);
    h.finish()
}

/// The run's trace: always the hash, the full list when `full` is on.
pub struct Tracer {
    hash: StableHasher,
    full: Option<Vec<TraceEvent>>,
}

/// The fields of one trace entry, besides its label.
pub struct Entry {
    pub at_us: u64,
    pub kind: TraceKind,
    pub node: Option<NodeId>,
    pub peer: Option<NodeId>,
    pub sent_us: Option<u64>,
    /// Extra content folded into the hash (message digest, timer index...).
    pub digest: u64,
}

impl Tracer {
    pub fn new(full: bool) -> Tracer {
        Tracer {
            hash: StableHasher::default(),
            full: full.then(Vec::new),
        }
    }

    pub fn hash(&self) -> u64 {
        self.hash.finish()
    }

    pub fn is_full(&self) -> bool {
        self.full.is_some()
    }

    /// Folds an entry into the hash and, with a full trace, records it with its label.
    #[inline]
    pub fn note(&mut self, e: Entry, label: impl FnOnce() -> String, view: Option<NodeView>) {
        // Node ids fit in 24 bits (servers < 2^16, clients from 2^16), so kind, node and peer
        // pack into one word. The three words are mixed independently (in parallel on the
        // CPU) and folded into the rolling hash with a single dependent multiply.
        let node = e.node.map_or(0xff_ffff, |n| u64::from(n.raw()));
        let peer = e.peer.map_or(0xff_ffff, |n| u64::from(n.raw()));
        let word = (e.kind as u64) | (node << 8) | (peer << 32);
        let x = e.at_us.wrapping_mul(K1) ^ word.wrapping_mul(K2) ^ e.digest.wrapping_mul(K3);
        self.hash.write_u64(x);
        if let Some(list) = &mut self.full {
            list.push(TraceEvent {
                at_us: e.at_us,
                kind: e.kind,
                node: e.node,
                peer: e.peer,
                sent_us: e.sent_us,
                label: label(),
                view,
                hash: self.hash.finish(),
            });
        }
    }

    pub fn take(&mut self) -> Option<Vec<TraceEvent>> {
        self.full.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes fold as little-endian words, the last one zero-padded: at every length (the
    /// short and the long path) and wherever the bytes start.
    #[test]
    fn bytes_hash_as_zero_padded_little_endian_words() {
        let all: Vec<u8> = (1..=48u8).map(|b| b.wrapping_mul(37)).collect();
        for (start, len) in (0..8).flat_map(|s| (0..=40).map(move |l| (s, l))) {
            let bytes = &all[start..start + len];
            let mut h = StableHasher::default();
            h.write(bytes);
            let mut want = StableHasher::default();
            for chunk in bytes.chunks(8) {
                let mut word = [0u8; 8];
                word[..chunk.len()].copy_from_slice(chunk);
                want.write_u64(u64::from_le_bytes(word));
            }
            assert_eq!(h.finish(), want.finish(), "{len} bytes from {start}");
        }
    }
}
