//! The splitbrain command line with raft-rs registered as `raft-rs`.

fn main() -> std::process::ExitCode {
    splitbrain::cli::main_registering(splitbrain_example_raftrs::entry())
}
