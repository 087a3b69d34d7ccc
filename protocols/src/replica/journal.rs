//! The storage of a library that owns it. Such a library (OmniPaxos's `Storage` trait) is
//! handed a storage object at build time, reads it back synchronously and gives no access to
//! it afterwards. The adapter's storage keeps its disk image in a [`Journaled`] (from
//! `Io::journaled`): every change is applied to the image at once (what the library reads) and
//! recorded in a [`Journal`] the replica keeps a handle to; after every call into the library
//! the replica moves the recorded changes onto the simulated disk (one write; a crash keeps
//! exactly the writes that were synced) and holds the library's messages behind a barrier.

use std::cell::RefCell;
use std::ops::Deref;
use std::rc::Rc;

/// One recorded change to a disk image, applied once to the image and once to the disk.
pub type Change<D> = Box<dyn Fn(&mut D)>;

/// The changes made to a [`Journaled`] image since the adapter last moved them to the disk
/// (a shared handle).
pub struct Journal<D>(Rc<RefCell<Vec<Change<D>>>>);

impl<D> Journal<D> {
    /// The changes recorded so far, oldest first; the journal is empty afterwards.
    pub fn take(&self) -> Vec<Change<D>> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

impl<D> Clone for Journal<D> {
    fn clone(&self) -> Journal<D> {
        Journal(Rc::clone(&self.0))
    }
}

/// A disk image in memory whose every change is also journaled for the simulated disk.
/// Reads go to the image (it dereferences to `D`).
pub struct Journaled<D> {
    image: D,
    journal: Journal<D>,
}

impl<D> Journaled<D> {
    /// `image` (a restarted server's disk as read back, or a fresh one) and the handle to its
    /// journal (`Io::journaled` keeps it for the replica; tests read it directly).
    pub fn new(image: D) -> (Journaled<D>, Journal<D>) {
        let journal = Journal(Rc::default());
        let handle = journal.clone();
        (Journaled { image, journal }, handle)
    }

    /// Applies `change` to the image now and records it for the disk, where it is applied
    /// again, to the disk's own copy (so it must do the same thing twice: capture values,
    /// not state of the image). Always `Ok`: the `Result` is the one the storage trait's
    /// method returns, so such a method is one call.
    pub fn write<E>(&mut self, change: impl Fn(&mut D) + 'static) -> Result<(), E> {
        change(&mut self.image);
        self.journal.0.borrow_mut().push(Box::new(change));
        Ok(())
    }
}

impl<D> Deref for Journaled<D> {
    type Target = D;

    fn deref(&self) -> &D {
        &self.image
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_reaches_the_image_at_once_and_the_journal_once_in_order() {
        let (mut store, journal) = Journaled::new(Vec::<u32>::new());
        let push = |store: &mut Journaled<Vec<u32>>, n| store.write::<()>(move |log| log.push(n));
        assert_eq!(push(&mut store, 1), Ok(()));
        assert_eq!(push(&mut store, 2), Ok(()));
        assert_eq!(*store, vec![1, 2], "reads see every write at once");
        let mut disk = Vec::new();
        journal.take().iter().for_each(|change| change(&mut disk));
        assert_eq!(
            disk,
            vec![1, 2],
            "the disk replays the same changes, in order"
        );
        assert!(journal.take().is_empty(), "each change is handed over once");
        assert_eq!(store.write::<()>(|log| log.truncate(1)), Ok(()));
        journal.take().iter().for_each(|change| change(&mut disk));
        assert_eq!((&*store, &disk), (&vec![1], &vec![1]));
    }
}
