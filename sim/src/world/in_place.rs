//! Taking the items of a buffer one at a time where they lie. A `drain` copies each whole item
//! to the stack before its fields are moved out, so an 88-byte effect costs a copy of all of
//! it and then of its message; taken in place, an item costs only the fields moved out of it.

use std::ptr;

/// The items of a buffer, handed over one at a time where they lie (see [`taking`]).
pub struct Taking<'a, T> {
    /// The buffer, whose length is already 0: it no longer owns the items.
    buf: &'a mut Vec<T>,
    /// The next item to hand over.
    next: usize,
    /// How many items the buffer held.
    len: usize,
}

/// Hands over the items of `buf`, in order, as pointers to where they lie, and leaves `buf`
/// empty with its capacity kept. Each pointer is the receiver's item: it must move the item
/// (or each of its fields that needs dropping) out with `ptr::read`, or drop it in place,
/// exactly once, and not touch it afterwards. The items not handed over when the `Taking` is
/// dropped (a `break`, a panic) are dropped then; none is ever dropped twice.
#[inline(always)]
pub fn taking<T>(buf: &mut Vec<T>) -> Taking<'_, T> {
    let len = buf.len();
    // SAFETY: the buffer forgets its items before any is handed over; from here each belongs
    // to its receiver or to `Taking::drop`.
    unsafe { buf.set_len(0) };
    Taking { buf, next: 0, len }
}

impl<T> Iterator for Taking<'_, T> {
    type Item = *mut T;

    #[inline(always)]
    fn next(&mut self) -> Option<*mut T> {
        if self.next == self.len {
            return None;
        }
        // SAFETY: `next < len`, the length the buffer had: a live item, handed over once.
        let item = unsafe { self.buf.as_mut_ptr().add(self.next) };
        self.next += 1;
        Some(item)
    }
}

impl<T> Drop for Taking<'_, T> {
    #[inline(always)]
    fn drop(&mut self) {
        if self.next < self.len {
            // SAFETY: items `next..len` were never handed over; they are dropped once, here.
            unsafe {
                let rest = self.buf.as_mut_ptr().add(self.next);
                ptr::drop_in_place(ptr::slice_from_raw_parts_mut(rest, self.len - self.next));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    /// Every item is either taken or dropped, once: the reference counts show it.
    #[test]
    fn each_item_is_taken_or_dropped_once() {
        let shared = Rc::new(());
        for stop_after in 0..=5 {
            let mut buf: Vec<Rc<()>> = (0..4).map(|_| Rc::clone(&shared)).collect();
            let mut taken = Vec::new();
            for item in taking(&mut buf) {
                // SAFETY: each item handed over is moved out once.
                taken.push(unsafe { ptr::read(item) });
                if taken.len() == stop_after {
                    break;
                }
            }
            assert!(buf.is_empty() && buf.capacity() >= 4);
            let expected = if stop_after == 0 {
                4
            } else {
                stop_after.min(4)
            };
            assert_eq!(taken.len(), expected);
            assert_eq!(Rc::strong_count(&shared), 1 + taken.len());
            drop(taken);
            assert_eq!(Rc::strong_count(&shared), 1);
        }
    }
}
