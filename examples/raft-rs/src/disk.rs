//! What a raft-rs server keeps on its simulated disk: the hard state and the log, as the
//! `Durable` value splitbrain syncs. The server changes it with incremental writes
//! (`ctx.write`): an append costs the appended entries, a hard state its few fields.

use raft::eraftpb::{Entry, HardState};

#[derive(Clone, Debug, Default)]
pub struct Disk {
    pub hard_state: HardState,
    /// Entry `i` (raft-rs numbers from 1) at position `i - 1`: this adapter never compacts.
    pub entries: Vec<Entry>,
}

impl Disk {
    /// Writes `entries` (contiguous), replacing any stored entry at or after the first one.
    pub fn append(&mut self, entries: &[Entry]) {
        let Some(first) = entries.first() else {
            return;
        };
        let at = (first.index - 1) as usize;
        assert!(at <= self.entries.len(), "raft-rs appends after its log");
        self.entries.truncate(at);
        self.entries.extend_from_slice(entries);
    }
}
