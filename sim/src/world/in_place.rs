//! Taking the items of a buffer one at a time where they lie. A `drain` copies each whole item
//! to the stack before its fields are moved out, so an 88-byte effect costs a copy of all of
//! it and then of its message; taken in place, an item costs only the fields moved out of it.

use std::ops::ControlFlow;
use std::ptr;

/// Hands each item of `buf` to `take` once, in order, where it lies, and leaves `buf` empty
/// with its capacity kept. When `take` breaks, the items after are dropped here. A panic in
/// `take` leaks the items not yet handed over (never drops one twice).
///
/// # Safety
/// `take` owns the item behind each pointer it gets: it must move the item (or each of its
/// fields that needs dropping) out with `ptr::read`, or drop it in place, exactly once, and
/// not touch it afterwards.
#[inline(always)]
pub unsafe fn take_each<T>(buf: &mut Vec<T>, mut take: impl FnMut(*mut T) -> ControlFlow<()>) {
    let n = buf.len();
    let base = buf.as_mut_ptr();
    // SAFETY: the buffer forgets its items before any is handed over; from here each belongs
    // to `take` or to the clean-up below.
    unsafe { buf.set_len(0) };
    for i in 0..n {
        // SAFETY: `i < n`, the length the buffer had: a live item, handed over once.
        if take(unsafe { base.add(i) }).is_break() {
            // SAFETY: items `i + 1..n` were never handed over; they are dropped once, here.
            unsafe {
                ptr::drop_in_place(ptr::slice_from_raw_parts_mut(base.add(i + 1), n - i - 1))
            };
            return;
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
        for stop_at in 0..5 {
            let mut buf: Vec<Rc<()>> = (0..4).map(|_| Rc::clone(&shared)).collect();
            let mut taken = Vec::new();
            // SAFETY: each item handed over is moved out once with `ptr::read`.
            unsafe {
                take_each(&mut buf, |item| {
                    taken.push(ptr::read(item));
                    if taken.len() == stop_at {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                })
            };
            assert!(buf.is_empty() && buf.capacity() >= 4);
            // Stopping after the last item (or never) takes them all.
            let expected = if stop_at == 0 { 4 } else { stop_at };
            assert_eq!(taken.len(), expected);
            assert_eq!(Rc::strong_count(&shared), 1 + taken.len());
            drop(taken);
            assert_eq!(Rc::strong_count(&shared), 1);
        }
    }
}
