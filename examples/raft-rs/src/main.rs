//! The splitbrain command line with raft-rs registered as `raft-rs`.

fn main() -> std::process::ExitCode {
    splitbrain::register(splitbrain_example_raftrs::RaftRsEntry).expect("the name raft-rs is free");
    splitbrain::cli::main()
}
