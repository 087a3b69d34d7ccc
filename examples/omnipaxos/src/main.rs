//! The splitbrain command line with OmniPaxos registered as `omnipaxos`.

fn main() -> std::process::ExitCode {
    splitbrain::cli::main_registering(splitbrain_example_omnipaxos::entry())
}
