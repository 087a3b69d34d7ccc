//! The splitbrain command line with OmniPaxos registered as `omnipaxos`.

fn main() -> std::process::ExitCode {
    splitbrain::register(splitbrain_example_omnipaxos::entry())
        .expect("the name omnipaxos is free");
    splitbrain::cli::main()
}
