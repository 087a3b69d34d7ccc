//! `splitbrain`: the command-line front end. It wires scenarios, checkers and reports together
//! and owns I/O, flags, progress bars and exit codes (0 pass, 1 check failed, 2 bad usage or
//! input, 3 inconclusive). With no command it runs the default campaign.

mod cmd;

// Worlds allocate many small, short-lived objects (messages, effects, log copies); mimalloc
// serves them markedly faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (the Rust bindings name no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Seeds free and allocate the same few megabytes thousands of times; with mimalloc's
/// default 10 ms purge delay the memory goes back to the OS and is faulted (and zeroed) in
/// again, about 2% of a Raft seed. A delay of -1 keeps it.
fn keep_freed_memory() {
    // SAFETY: sets one integer option of the allocator; nothing else reads or writes it
    // concurrently (called first thing in `main`, before any worker thread exists).
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "splitbrain",
    version,
    about = "Deterministic simulation testing for consensus protocols"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List protocols, their variants (correct and planted bugs) and named scenarios.
    List(cmd::list::ListArgs),
    /// Run one world (one seed) and check it.
    Run(cmd::run::RunArgs),
    /// Run a range of seeds on all cores.
    Explore(cmd::explore::ExploreArgs),
    /// Run one seed twice and compare the traces event by event.
    CheckDeterminism(cmd::determinism::DeterminismArgs),
    /// Every protocol's correct variants and planted bugs on their scenarios (the default).
    Campaign(cmd::campaign::CampaignArgs),
    /// Measure the simulation kernel.
    Bench(cmd::bench::BenchArgs),
    /// Shrink a failing seed to a minimal repro file.
    Shrink(cmd::shrink::ShrinkArgs),
    /// Replay a repro file exactly; `--state-at` shows every node at a moment.
    Replay(cmd::replay::ReplayArgs),
    /// Regression corpus: `corpus run DIR` replays every repro in DIR.
    Corpus(cmd::corpus::CorpusArgs),
    /// Reports: `report merge A.json B.json ...` combines shard results.
    Report(cmd::report::ReportArgs),
    /// Check recorded histories (splitbrain JSON, Jepsen logs, Knossos EDN) for linearizability.
    Check(cmd::check::CheckArgs),
}

fn main() -> ExitCode {
    keep_freed_memory();
    cmd::common::die_quietly_on_broken_pipe();
    cmd::common::install_panic_hook();
    let cli = Cli::parse();
    let code = match cli.command {
        None => cmd::campaign::run(&cmd::campaign::CampaignArgs::default()),
        Some(Command::List(a)) => cmd::list::run(&a),
        Some(Command::Run(a)) => cmd::run::run(&a),
        Some(Command::Explore(a)) => cmd::explore::run(&a),
        Some(Command::CheckDeterminism(a)) => cmd::determinism::run(&a),
        Some(Command::Campaign(a)) => cmd::campaign::run(&a),
        Some(Command::Bench(a)) => cmd::bench::run(&a),
        Some(Command::Check(a)) => cmd::check::run(&a),
        Some(Command::Shrink(a)) => cmd::shrink::run(&a),
        Some(Command::Replay(a)) => cmd::replay::run(&a),
        Some(Command::Corpus(a)) => cmd::corpus::run(&a),
        Some(Command::Report(a)) => cmd::report::run(&a),
    };
    ExitCode::from(code as u8)
}
