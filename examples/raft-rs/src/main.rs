//! The splitbrain command line with raft-rs registered as `raft-rs`.

fn main() -> std::process::ExitCode {
    splitbrain::register(splitbrain_example_raftrs::entry()).expect("the name raft-rs is free");
    splitbrain::cli::main()
}
