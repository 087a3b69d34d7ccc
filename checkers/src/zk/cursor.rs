//! [`Cursor`]: `partition_point` on a sorted list, searched from the previous answer.
//!
//! The real-time checks ask, for every operation, where its call time or its reply's zxid
//! falls in a sorted list of writes. One client's operations ask about nearby places (its
//! call times grow, its zxids seldom go back), so a search that gallops out from the client's
//! last answer takes a few steps where a binary search over the whole list takes log n, and
//! it is never more than about twice a binary search.

/// A remembered position in a sorted list (one per client).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Cursor {
    at: usize,
}

impl Cursor {
    /// What `list.partition_point(pred)` gives (`pred` holds for a prefix of `list`),
    /// searched from the last answer; the cursor moves there.
    pub(crate) fn seek<T>(&mut self, list: &[T], pred: impl Fn(&T) -> bool) -> usize {
        let at = self.at.min(list.len());
        let (lo, hi) = if at < list.len() && pred(&list[at]) {
            gallop_forward(list, at + 1, &pred)
        } else if at > 0 && !pred(&list[at - 1]) {
            gallop_back(list, at - 1, &pred)
        } else {
            (at, at)
        };
        self.at = lo + list[lo..hi].partition_point(&pred);
        self.at
    }
}

/// `pred` holds for all of `list[..lo]`: a range `lo..hi` holding the partition point,
/// found in steps doubling from `lo`.
fn gallop_forward<T>(list: &[T], mut lo: usize, pred: &impl Fn(&T) -> bool) -> (usize, usize) {
    let mut step = 1;
    loop {
        let probe = lo + step - 1;
        if probe >= list.len() {
            return (lo, list.len());
        }
        if !pred(&list[probe]) {
            return (lo, probe);
        }
        lo = probe + 1;
        step *= 2;
    }
}

/// `pred` fails for all of `list[hi..]`: a range `lo..hi` holding the partition point,
/// found in steps doubling down from `hi`.
fn gallop_back<T>(list: &[T], mut hi: usize, pred: &impl Fn(&T) -> bool) -> (usize, usize) {
    let mut step = 1;
    loop {
        if hi < step {
            return (0, hi);
        }
        let probe = hi - step;
        if pred(&list[probe]) {
            return (probe + 1, hi);
        }
        hi = probe;
        step *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::Cursor;

    /// Queries near and far, forward and back, on lists with repeats: always what
    /// `partition_point` gives.
    #[test]
    fn a_cursor_finds_what_partition_point_finds() {
        let mut x: u64 = 11;
        let mut next = move || {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            x >> 33
        };
        for len in [0usize, 1, 2, 5, 64, 300] {
            let mut list: Vec<u64> = (0..len).map(|_| next() % 100).collect();
            list.sort_unstable();
            let mut cursor = Cursor::default();
            for _ in 0..500 {
                let t = next() % 110;
                let want = list.partition_point(|&v| v < t);
                assert_eq!(cursor.seek(&list, |&v| v < t), want, "len {len} t {t}");
                assert_eq!(
                    cursor.seek(&list, |&v| v <= t),
                    list.partition_point(|&v| v <= t)
                );
            }
        }
    }
}
