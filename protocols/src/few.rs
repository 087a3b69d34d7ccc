//! A short list kept on the stack: the peers one message goes to (a Multi-Paxos leader's
//! bare majority), gathered per message (clusters have three to seven servers), without an
//! allocation each time. Beyond eight items it moves to a vector.

use std::ops::{Deref, DerefMut};

const ROOM: usize = 8;

pub(crate) struct Few<T> {
    len: usize,
    small: [T; ROOM],
    more: Vec<T>,
}

impl<T: Copy> Few<T> {
    /// The items of `items` in order; `fill` only pads the unused room.
    pub(crate) fn collect(fill: T, items: impl IntoIterator<Item = T>) -> Few<T> {
        let mut few = Few {
            len: 0,
            small: [fill; ROOM],
            more: Vec::new(),
        };
        for x in items {
            if !few.more.is_empty() {
                few.more.push(x);
            } else if few.len < ROOM {
                few.small[few.len] = x;
                few.len += 1;
            } else {
                few.more.extend_from_slice(&few.small);
                few.more.push(x);
            }
        }
        few
    }
}

impl<T> Deref for Few<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        if self.more.is_empty() {
            &self.small[..self.len]
        } else {
            &self.more
        }
    }
}

impl<T> DerefMut for Few<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        if self.more.is_empty() {
            &mut self.small[..self.len]
        } else {
            &mut self.more
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_items_or_many_come_back_in_order() {
        for n in [0, 1, 7, 8, 9, 20] {
            let few = Few::collect(0, 1..=n);
            assert_eq!(&*few, (1..=n).collect::<Vec<_>>().as_slice(), "{n}");
        }
    }
}
