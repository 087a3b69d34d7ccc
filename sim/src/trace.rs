//! The rolling trace hash and the optional full trace. Every event folds into the hash, so two
//! runs with the same seed agree on it exactly; the full trace is kept only when asked for.

use crate::record::{TraceEvent, TraceKind};
use splitbrain_api::{NodeId, NodeView};
use std::hash::Hasher;

const MIX: u64 = 0x517c_c1b7_2722_0a95;

/// A small, fast, platform-independent hasher for message contents.
#[derive(Default)]
pub struct StableHasher(u64);

impl Hasher for StableHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
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
        self.hash.write_u64(e.at_us);
        self.hash.write_u64(e.kind as u64);
        self.hash
            .write_u64(e.node.map_or(u64::MAX, |n| u64::from(n.raw())));
        self.hash
            .write_u64(e.peer.map_or(u64::MAX, |n| u64::from(n.raw())));
        self.hash.write_u64(e.digest);
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
