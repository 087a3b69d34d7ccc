//! The splitbrain command line with raft-rs registered as `raft-rs`.

// The allocator the `splitbrain` binary installs: seeds allocate small objects by the million.
#[global_allocator]
static GLOBAL: splitbrain::allocator::Mimalloc = splitbrain::allocator::Mimalloc;

fn main() -> std::process::ExitCode {
    splitbrain::cli::main_registering(splitbrain_example_raftrs::entry())
}
