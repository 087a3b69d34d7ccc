//! An append-only journal of durable changes whose persisted copies cost a reference count:
//! every copy is a prefix view `(store, len)` of one shared store, so persisting after a
//! change is O(1) instead of cloning the acceptor's whole state. The store grows by chunks, so
//! a long journal is never moved to a larger buffer. A restarted process folds the prefix it
//! recovered and starts a store of its own.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

/// Changes per chunk of the store: a growing journal adds chunks instead of moving every
/// change it holds to a buffer twice as large.
const CHUNK: usize = 256;

/// The journal (or a persisted prefix of it).
pub struct Journal<T> {
    store: Rc<RefCell<Vec<Vec<T>>>>,
    len: usize,
}

impl<T> Default for Journal<T> {
    fn default() -> Self {
        Journal {
            store: Rc::new(RefCell::new(Vec::new())),
            len: 0,
        }
    }
}

impl<T> Clone for Journal<T> {
    fn clone(&self) -> Self {
        Journal {
            store: Rc::clone(&self.store),
            len: self.len,
        }
    }
}

impl<T> fmt::Debug for Journal<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Journal({} changes)", self.len)
    }
}

impl<T: Clone> Journal<T> {
    /// Appends a change. Only the live journal appends; its persisted copies are prefixes.
    pub fn push(&mut self, change: T) {
        let mut store = self.store.borrow_mut();
        let held = store
            .last()
            .map_or(0, |c| (store.len() - 1) * CHUNK + c.len());
        assert_eq!(held, self.len, "only the newest copy of a journal appends");
        match store.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => chunk.push(change),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(change);
                store.push(chunk);
            }
        }
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Visits the changes of this prefix, oldest first.
    pub fn for_each(&self, mut f: impl FnMut(&T)) {
        let store = self.store.borrow();
        store.iter().flatten().take(self.len).for_each(&mut f);
    }

    /// A journal of its own holding this prefix (a restart recovering a persisted copy).
    pub fn recovered(&self) -> Journal<T> {
        let mut copy = Journal::default();
        self.for_each(|change| copy.push(change.clone()));
        copy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_persisted_copy_keeps_its_prefix_while_the_journal_grows() {
        let mut j = Journal::default();
        j.push(1);
        let disk = j.clone();
        j.push(2);
        let mut seen = Vec::new();
        disk.for_each(|x| seen.push(*x));
        assert_eq!(seen, vec![1]);
        let mut back = disk.recovered();
        back.push(3);
        let mut all = Vec::new();
        back.for_each(|x| all.push(*x));
        assert_eq!(all, vec![1, 3]);
        assert_eq!(
            j.len(),
            2,
            "the old store is untouched by the recovered one"
        );
    }

    /// Prefixes across chunk boundaries: every persisted copy keeps exactly its changes.
    #[test]
    fn prefixes_span_chunks() {
        let mut j = Journal::default();
        let mut copies = Vec::new();
        for i in 0..3 * CHUNK + 5 {
            if i % 97 == 0 {
                copies.push(j.clone());
            }
            j.push(i);
        }
        copies.push(j.clone());
        for copy in copies.iter().chain([&j.recovered()]) {
            let mut seen = Vec::new();
            copy.for_each(|x| seen.push(*x));
            assert_eq!(seen, (0..copy.len()).collect::<Vec<_>>());
        }
    }
}
