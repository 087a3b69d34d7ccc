//! A replicated log as an adapter keeps it on its disk image: a `Vec` of the library's entries
//! with the few operations storage interfaces ask of a log (append after a prefix, read a
//! range or a suffix, clamped to what exists), so an adapter's storage methods delegate here.

use std::fmt::{self, Debug};
use std::ops::{Deref, DerefMut};

/// The entries of a log, position 0 first (an adapter maps its library's numbering onto it).
/// Dereferences to the `Vec`; shows as the bare list.
#[derive(Clone, PartialEq, Eq)]
pub struct Log<E>(Vec<E>);

impl<E> Default for Log<E> {
    fn default() -> Log<E> {
        Log(Vec::new())
    }
}

impl<E: Clone> Log<E> {
    /// Keeps the first `at` entries and appends `entries` after them (a leader's entries
    /// replacing a conflicting suffix; `at` beyond the end keeps everything).
    pub fn replace_from(&mut self, at: usize, entries: &[E]) {
        self.0.truncate(at);
        self.0.extend_from_slice(entries);
    }

    /// The entries at positions `from..to`, none if that range is not all in the log.
    pub fn range(&self, from: usize, to: usize) -> Vec<E> {
        self.0.get(from..to).unwrap_or_default().to_vec()
    }

    /// The entries from position `from` on, none if `from` is past the end.
    pub fn suffix(&self, from: usize) -> Vec<E> {
        self.0.get(from..).unwrap_or_default().to_vec()
    }
}

impl<E> Deref for Log<E> {
    type Target = Vec<E>;

    fn deref(&self) -> &Vec<E> {
        &self.0
    }
}

impl<E> DerefMut for Log<E> {
    fn deref_mut(&mut self) -> &mut Vec<E> {
        &mut self.0
    }
}

impl<E: Debug> Debug for Log<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_from_keeps_the_prefix_and_reads_clamp_to_the_log() {
        let mut log = Log::default();
        log.replace_from(0, &[1, 2, 3]);
        log.replace_from(1, &[7]);
        assert_eq!(*log, vec![1, 7], "the suffix from 1 on is replaced");
        log.replace_from(5, &[8]);
        assert_eq!(*log, vec![1, 7, 8], "past the end: appended");
        assert_eq!(log.range(1, 3), vec![7, 8]);
        assert_eq!(
            log.range(2, 4),
            Vec::<u32>::new(),
            "a range past the end reads nothing"
        );
        assert_eq!(log.suffix(1), vec![7, 8]);
        assert_eq!(log.suffix(4), Vec::<u32>::new());
        assert_eq!(format!("{log:?}"), "[1, 7, 8]", "shown as the bare list");
    }
}
