//! The ZooKeeper ordering checker: the guarantees of the ZooKeeper paper (§2.3), checked on a
//! recorded history in O(n log n).
//!
//! ZooKeeper does not promise linearizable reads: a server answers reads from its own copy,
//! which may lag. What it promises is checked here, each guarantee by name:
//!
//! - **writes are linearizable**: successful writes, ordered by their zxids, are a legal
//!   sequence of the data tree ([`tree`]) and respect real time (a write that completed before
//!   another was called has the smaller zxid); a failed write's error is what the tree gives
//!   at its zxid;
//! - **a client's operations take effect in the order it issued them** (FIFO client order);
//! - **a read reflects a prefix of the write order**: the reply equals the tree after every
//!   write up to the reply's zxid, and that prefix holds no write called after the reply came
//!   back; it includes the client's own earlier writes and never goes back (per client, across
//!   server changes);
//! - **a read after a completed `sync` reflects every write completed before the sync
//!   began**;
//! - **watch notifications arrive in zxid order and before the client can read the changed
//!   data**.
//!
//! Zxids in replies are used as witnesses (they say where each operation sits in the write
//! order), but never trusted: every witness is checked against values (data, stat, children,
//! errors) and real time, so a server that reports a false zxid is caught. Writes whose
//! clients never learned the outcome are placed at the zxid a later stat reveals (`czxid`,
//! `mzxid`, a parent's `pzxid`), or, when a read cannot be explained without them, just before
//! that read; one never observed is taken not to have happened.

pub mod history;
pub mod tree;

mod clients;
mod cursor;
mod nodes;
mod realtime;
mod replay;
mod short;
mod watches;

use serde::Serialize;

pub use history::{read_zk_history, ZkHistory, ZkReadError};

/// One of ZooKeeper's ordering guarantees.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Guarantee {
    WritesLinearizable,
    ClientFifoOrder,
    ReadReflectsPrefix,
    ReadIncludesOwnWrites,
    ReadNeverGoesBack,
    SyncThenRead,
    WatchOrder,
}

impl Guarantee {
    /// The guarantee as a sentence.
    pub fn sentence(self) -> &'static str {
        match self {
            Guarantee::WritesLinearizable => "writes are linearizable",
            Guarantee::ClientFifoOrder => {
                "a client's operations take effect in the order it issued them"
            }
            Guarantee::ReadReflectsPrefix => {
                "a read reflects the writes up to its zxid, all issued before it returned"
            }
            Guarantee::ReadIncludesOwnWrites => "a read includes the client's own earlier writes",
            Guarantee::ReadNeverGoesBack => "a client's reads never go back in the write order",
            Guarantee::SyncThenRead => {
                "a read after sync reflects every write completed before the sync began"
            }
            Guarantee::WatchOrder => {
                "watch notifications arrive in zxid order and before the changed data can be read"
            }
        }
    }
}

/// A broken guarantee, with the operations (indices into the history's `ops`) that show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ZkViolation {
    pub guarantee: Guarantee,
    pub message: String,
    pub ops: Vec<usize>,
    /// When the last of those operations returned (or the notice arrived).
    pub at_us: u64,
}

/// What the ordering checker found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ZkReport {
    /// Every guarantee broken, at most [`MAX_VIOLATIONS`], in the order found.
    pub violations: Vec<ZkViolation>,
    pub ops: usize,
    pub writes: usize,
    pub reads: usize,
    pub notices: usize,
    /// Writes whose client never learned the outcome and that the checker placed in the
    /// write order (from a stat that revealed them, or because a read needed them).
    pub unfinished_placed: usize,
}

impl ZkReport {
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }
}

/// At most this many violations are kept (the first ones found).
pub const MAX_VIOLATIONS: usize = 20;

/// Checks ZooKeeper's ordering guarantees on `h`.
pub fn check_zk_order(h: &ZkHistory) -> ZkReport {
    let mut out = Found::default();
    let index = clients::Index::new(h);
    let replayed = replay::replay(h, &index, &mut out);
    realtime::check(h, &index, &replayed, &mut out);
    clients::check(h, &index, &replayed, &mut out);
    watches::check(h, &index, &replayed, &mut out);
    ZkReport {
        violations: out.violations,
        ops: h.ops.len(),
        writes: replayed.writes,
        reads: replayed.reads,
        notices: h.notices.len(),
        unfinished_placed: replayed.placed,
    }
}

/// Violations collected by the checks, capped.
#[derive(Default)]
pub(crate) struct Found {
    violations: Vec<ZkViolation>,
}

impl Found {
    pub(crate) fn add(&mut self, guarantee: Guarantee, message: String, ops: Vec<usize>, at: u64) {
        if self.violations.len() < MAX_VIOLATIONS {
            self.violations.push(ZkViolation {
                guarantee,
                message,
                ops,
                at_us: at,
            });
        }
    }
}

/// A zxid as people read it: `epoch:counter`.
pub fn zxid_label(zxid: u64) -> String {
    format!("{}:{}", zxid >> 32, zxid & 0xffff_ffff)
}
