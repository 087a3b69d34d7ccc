//! What a raft-rs server keeps on its simulated disk: the hard state and the log, as the
//! `Durable` value splitbrain syncs. The log is a list of shared chunks (one per write), so a
//! persist copies one pointer per earlier write rather than every entry.

use raft::eraftpb::{Entry, HardState};
use std::rc::Rc;

#[derive(Clone, Debug, Default)]
pub struct Disk {
    pub hard_state: HardState,
    chunks: Vec<Rc<Vec<Entry>>>,
}

impl Disk {
    /// Writes `entries` (contiguous), replacing any stored entry at or after the first one.
    pub fn append(&mut self, entries: &[Entry]) {
        let Some(first) = entries.first() else {
            return;
        };
        self.truncate_from(first.index);
        self.chunks.push(Rc::new(entries.to_vec()));
    }

    fn truncate_from(&mut self, index: u64) {
        while let Some(last) = self.chunks.last() {
            let start = last[0].index;
            if start >= index {
                self.chunks.pop();
                continue;
            }
            if last[last.len() - 1].index >= index {
                let keep = last[..(index - start) as usize].to_vec();
                *self.chunks.last_mut().expect("checked") = Rc::new(keep);
            }
            return;
        }
    }

    /// Every stored entry, in index order.
    pub fn entries(&self) -> Vec<Entry> {
        self.chunks.iter().flat_map(|c| c.iter().cloned()).collect()
    }
}
