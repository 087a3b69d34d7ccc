//! `splitbrain`: the command-line front end over the built-in protocols. Everything but the
//! allocator lives in the library (`splitbrain::cli`), which a user's own `main` calls too.

// Worlds allocate many small, short-lived objects (messages, effects, log copies); mimalloc
// serves them markedly faster than the system allocator (`splitbrain::allocator`).
#[global_allocator]
static GLOBAL: splitbrain::allocator::Mimalloc = splitbrain::allocator::Mimalloc;

fn main() -> std::process::ExitCode {
    splitbrain::cli::main()
}
