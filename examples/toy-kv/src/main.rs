//! The whole splitbrain command line with the toy key-value service registered beside the
//! built-in protocols: `cargo run -p splitbrain-example-toykv -- explore toykv --scenario
//! generic-partitions --seeds 0..100`.

// The allocator the `splitbrain` binary installs: seeds allocate small objects by the million.
#[global_allocator]
static GLOBAL: splitbrain::allocator::Mimalloc = splitbrain::allocator::Mimalloc;

fn main() -> std::process::ExitCode {
    splitbrain::cli::main_registering(splitbrain_example_toykv::entry())
}
