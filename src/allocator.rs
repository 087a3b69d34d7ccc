//! The allocator the `splitbrain` binary (and any embedding `main` that wants the same speed)
//! installs: mimalloc, called the way the system allocator is called.
//!
//! `mimalloc::MiMalloc` sends every request through mimalloc's aligned entry points, whose
//! alignment test costs more than the allocation it guards on the small blocks a world
//! allocates by the million (messages, effects, log entries). mimalloc's plain `mi_malloc`
//! already returns blocks aligned to 16 bytes (and a block smaller than that to its own size),
//! so a request whose alignment is at most 16 and at most its size takes the plain path, as
//! Rust's own `System` allocator does with `malloc`; any other request keeps the aligned one.

use libmimalloc_sys::{
    mi_free, mi_malloc, mi_malloc_aligned, mi_realloc, mi_realloc_aligned, mi_zalloc,
    mi_zalloc_aligned,
};
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

/// The alignment every `mi_malloc` block has (`MI_MAX_ALIGN_SIZE` on the 64-bit targets).
const PLAIN_ALIGN: usize = 16;

/// mimalloc with a plain path for ordinarily aligned requests: `#[global_allocator] static
/// GLOBAL: splitbrain::allocator::Mimalloc = splitbrain::allocator::Mimalloc;`.
pub struct Mimalloc;

/// Whether `mi_malloc` alone gives a block aligned as `layout` asks.
#[inline]
fn plain(layout: Layout) -> bool {
    layout.align() <= PLAIN_ALIGN && layout.align() <= layout.size()
}

// SAFETY: every pointer handed out comes from mimalloc, aligned as asked (see `plain`), and is
// given back to mimalloc's `mi_free`/`mi_realloc*`, which accept blocks from either path.
unsafe impl GlobalAlloc for Mimalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if plain(layout) {
            mi_malloc(layout.size()).cast()
        } else {
            mi_malloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if plain(layout) {
            mi_zalloc(layout.size()).cast()
        } else {
            mi_zalloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        mi_free(ptr.cast::<c_void>());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let grown = Layout::from_size_align_unchecked(new_size, layout.align());
        if plain(grown) {
            mi_realloc(ptr.cast::<c_void>(), new_size).cast()
        } else {
            mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
        }
    }
}

/// `mi_option_purge_delay` in mimalloc.h (the Rust bindings name no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Tunes mimalloc for the subcommand about to run (`None`: the default campaign). Seeds free
/// and allocate the same few megabytes thousands of times; with mimalloc's default 10 ms purge
/// delay the memory goes back to the OS and is faulted (and zeroed) in again, about 2% of a
/// Raft seed, so it is kept. `check` returns freed memory at once instead: its big tables grow
/// by doubling and end part by part, and `--max-memory-mb` bounds the process's resident
/// memory. Harmless when another allocator is installed (it sets an unused option).
pub fn tune_for(command: Option<&str>) {
    let delay_ms = if command == Some("check") { 0 } else { -1 };
    // SAFETY: sets one integer option of the allocator; called by `cli::main_with` before any
    // worker thread exists, so nothing reads or writes it concurrently.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, delay_ms) }
    refuse_transparent_huge_pages();
}

/// Turns transparent huge pages off for this process (Linux's `PR_SET_THP_DISABLE`; later
/// page faults take 4 KiB pages even where mimalloc asked for huge ones with `madvise`).
/// The memory is kept and reused (see the purge delay above), so huge pages save little here,
/// while each one costs a 2 MiB zeroing, and under `defrag=madvise` a compaction, when first
/// touched: on a 2-vCPU KVM guest that was 0.6-1.3 s of system time per `bench zookeeper`
/// (about 4% of its seeds per minute), 0.1-0.2 s without. Only performance changes.
fn refuse_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: `prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)` takes plain integers and changes only a
    // flag of this process's memory map; its result is ignored (an older kernel refuses it,
    // and the run is merely as fast as before).
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
