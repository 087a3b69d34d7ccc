//! The writes of a library that owns its storage. Such a library (OmniPaxos's `Storage` trait)
//! is handed a storage object at build time, calls it synchronously and gives no access back
//! to it. The storage keeps its working copy in memory and records every write in a
//! [`Journal`] it shares with the adapter, whose `flush` moves the recorded writes onto the
//! simulated disk with `Io::write_journal` (the disk's copy replays them, [`Replay`]), so a
//! crash keeps exactly the writes that were synced.

use std::cell::RefCell;
use std::rc::Rc;

/// Writes recorded since the adapter last moved them to the disk (a shared handle).
pub struct Journal<Op>(Rc<RefCell<Vec<Op>>>);

impl<Op> Journal<Op> {
    /// Records one write.
    pub fn record(&self, op: Op) {
        self.0.borrow_mut().push(op);
    }

    /// The writes recorded so far, oldest first; the journal is empty afterwards.
    pub fn take(&self) -> Vec<Op> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

impl<Op> Clone for Journal<Op> {
    fn clone(&self) -> Journal<Op> {
        Journal(Rc::clone(&self.0))
    }
}

impl<Op> Default for Journal<Op> {
    fn default() -> Journal<Op> {
        Journal(Rc::new(RefCell::new(Vec::new())))
    }
}

/// A disk image that replays a recorded write on itself (in memory and on the simulated disk).
pub trait Replay<Op> {
    fn replay(&mut self, op: &Op);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_hands_over_its_writes_once_in_order() {
        let journal = Journal::default();
        let storage_side = journal.clone();
        storage_side.record(1);
        storage_side.record(2);
        assert_eq!(journal.take(), vec![1, 2]);
        assert!(journal.take().is_empty());
    }
}
