//! `splitbrain`: the command-line front end over the built-in protocols. Everything but the
//! allocator lives in the library (`splitbrain::cli`), which a user's own `main` calls too.

// Worlds allocate many small, short-lived objects (messages, effects, log copies); mimalloc
// serves them markedly faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (the Rust bindings name no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Seeds free and allocate the same few megabytes thousands of times; with mimalloc's
/// default 10 ms purge delay the memory goes back to the OS and is faulted (and zeroed) in
/// again, about 2% of a Raft seed. A delay of -1 keeps it.
fn keep_freed_memory() {
    // SAFETY: sets one integer option of the allocator; nothing else reads or writes it
    // concurrently (called first thing in `main`, before any worker thread exists).
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

/// `check` returns freed memory to the system at once instead: its big tables grow by
/// doubling and end part by part, and `--max-memory-mb` bounds the process's resident memory.
fn return_freed_memory() {
    // SAFETY: as in `keep_freed_memory` (no worker thread exists yet).
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) }
}

fn main() -> std::process::ExitCode {
    splitbrain::cli::main_with(|command| {
        if command == Some("check") {
            return_freed_memory();
        } else {
            keep_freed_memory();
        }
    })
}
