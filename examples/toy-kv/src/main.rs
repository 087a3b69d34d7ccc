//! The whole splitbrain command line with the toy key-value service registered beside the
//! built-in protocols: `cargo run -p splitbrain-example-toykv -- explore toykv --scenario
//! generic-partitions --seeds 0..100`.

fn main() -> std::process::ExitCode {
    splitbrain::cli::main_registering(splitbrain_example_toykv::entry())
}
