//! An append-only journal of durable changes whose persisted copies cost a reference count:
//! every copy is a prefix view `(store, len)` of one shared store, so persisting after a
//! change is O(1) instead of cloning the acceptor's whole state. A restarted process folds the
//! prefix it recovered and starts a store of its own.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

/// The journal (or a persisted prefix of it).
pub struct Journal<T> {
    store: Rc<RefCell<Vec<T>>>,
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
        assert_eq!(
            store.len(),
            self.len,
            "only the newest copy of a journal appends"
        );
        store.push(change);
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
        self.store.borrow()[..self.len].iter().for_each(&mut f);
    }

    /// A journal of its own holding this prefix (a restart recovering a persisted copy).
    pub fn recovered(&self) -> Journal<T> {
        Journal {
            store: Rc::new(RefCell::new(self.store.borrow()[..self.len].to_vec())),
            len: self.len,
        }
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
}
