//! What was first applied at each state-machine index (the state machine safety check).
//! Log-based protocols apply dense indices (a vector); ZAB applies zxids (epoch in the high
//! 32 bits), far apart between epochs but consecutive within one, so far indices live in
//! pages of 256 slots found through an ordered map, with the last page used remembered: a
//! lookup is an array access, not a tree search.

use splitbrain_api::NodeId;
use std::collections::BTreeMap;

/// Indices below this are recorded in the dense vector.
const DENSE: u64 = 1 << 20;
/// Slots per page of far indices.
const PAGE_BITS: u32 = 8;
const PAGE: usize = 1 << PAGE_BITS;

/// The digest first applied at an index and the node that applied it (`None`: not yet).
pub type First = Option<(u64, NodeId)>;

/// Per index, what was first applied there.
#[derive(Default)]
pub struct FirstApplied {
    dense: Vec<First>,
    pages: Vec<Box<[First; PAGE]>>,
    /// Page number (index >> PAGE_BITS) to its position in `pages`.
    page_at: BTreeMap<u64, usize>,
    /// The page used last: (page number, position).
    last: Option<(u64, usize)>,
}

impl FirstApplied {
    /// The record of `index`, made empty on first use.
    #[inline]
    pub fn at(&mut self, index: u64) -> &mut First {
        if index < DENSE {
            return self.dense_at(index as usize);
        }
        let page = index >> PAGE_BITS;
        let at = match self.last {
            Some((p, at)) if p == page => at,
            _ => self.page(page),
        };
        &mut self.pages[at][(index as usize) & (PAGE - 1)]
    }

    #[inline]
    fn dense_at(&mut self, i: usize) -> &mut First {
        if i >= self.dense.len() {
            self.grow_dense(i);
        }
        &mut self.dense[i]
    }

    /// Makes room for index `i` in the dense vector (doubling it at least). Out of line: the
    /// look-up that inlines `at` stays small.
    #[cold]
    #[inline(never)]
    fn grow_dense(&mut self, i: usize) {
        self.dense.resize((i + 1).max(2 * self.dense.len()), None);
    }

    /// The position of page number `page`, made on first use; remembered as the last page.
    /// Out of line, as `grow_dense`: a new page comes once per `PAGE` indices.
    #[inline(never)]
    fn page(&mut self, page: u64) -> usize {
        let next = self.pages.len();
        let at = *self.page_at.entry(page).or_insert(next);
        if at == next {
            self.pages.push(Box::new([None; PAGE]));
        }
        self.last = Some((page, at));
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dense and far indices (zxids of two epochs) keep their own records.
    #[test]
    fn records_stay_apart_across_pages_and_epochs() {
        let mut f = FirstApplied::default();
        let zxid = |epoch: u64, n: u64| (epoch << 32) | n;
        let indices = [3, zxid(1, 1), zxid(1, 300), zxid(2, 1), zxid(1, 2), 4];
        for (k, &i) in indices.iter().enumerate() {
            assert_eq!(*f.at(i), None);
            *f.at(i) = Some((k as u64, NodeId::server(0)));
        }
        for (k, &i) in indices.iter().enumerate() {
            assert_eq!(*f.at(i), Some((k as u64, NodeId::server(0))));
        }
        assert_eq!(*f.at(zxid(1, 3)), None);
    }
}
