//! A stand-in for `splitbrain check` until the binary wires it in:
//! `cargo run --release -p splitbrain-checkers --example check -- --model M FILE... [--json]`.

// The allocator the `splitbrain` binary uses, so the figures match `splitbrain check`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match splitbrain_checkers::cli::parse_args(&args) {
        Ok(opts) => {
            let (stdout, stderr) = (std::io::stdout(), std::io::stderr());
            splitbrain_checkers::cli::run(&opts, &mut stdout.lock(), &mut stderr.lock())
        }
        Err(e) => {
            eprintln!("check: {e}");
            splitbrain_checkers::cli::EXIT_BAD_INPUT
        }
    };
    std::process::exit(code);
}
