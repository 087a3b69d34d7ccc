//! What a raft-rs server keeps on its simulated disk: the hard state and the log, as the
//! `Durable` value splitbrain syncs. The server changes it with incremental writes
//! (`io.write`): an append costs the appended entries, a hard state its few fields.

use raft::eraftpb::{Entry, HardState};
use splitbrain::replica::Log;

#[derive(Clone, Debug, Default)]
pub struct Disk {
    pub hard_state: HardState,
    /// Entry `i` (raft-rs numbers from 1) at position `i - 1`: this adapter never compacts.
    pub entries: Log<Entry>,
}
