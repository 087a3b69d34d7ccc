//! The whole command-line front end, as a library: `splitbrain`'s own binary is one call to
//! [`main`], and so is a user's program that registers its protocols first (see
//! `docs/bring-your-own.md`). It wires scenarios, checkers and reports together and owns I/O,
//! flags, progress bars and exit codes (0 pass, 1 check failed, 2 bad usage or input, 3
//! inconclusive). With no command it runs the default campaign.

use crate::cmd;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "splitbrain",
    version,
    about = "Deterministic simulation testing for consensus protocols",
    after_help = "With no command, runs the default campaign. Exit codes: 0 pass, 1 a check failed, \
                  2 bad usage or input, 3 inconclusive, 130 interrupted."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// No progress bar or progress lines.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// More detail (every failing seed of an exploration, not the first 20).
    #[arg(short, long, global = true)]
    verbose: bool,
    /// Colour in help and error messages.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto, value_name = "WHEN")]
    color: Color,
}

/// `--color`, as cargo spells it.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
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
    /// Measure the simulation kernel or a protocol's swarm.
    Bench(cmd::bench::BenchArgs),
    /// Reproduce a lecture's claim with measured numbers: a table, an SVG plot, CSV and JSON.
    Experiment(cmd::experiment::ExperimentArgs),
    /// A graded lab suite (`lab raft`, `lab paxos`: tests named as a course's) against a protocol, with a
    /// score table; a failure prints the seed, the property, a replay command and a report.
    Lab(cmd::lab::LabArgs),
    /// Shrink a failing seed to a minimal repro file.
    Shrink(cmd::shrink::ShrinkArgs),
    /// Replay a repro file exactly; `--state-at` shows every node at a moment.
    Replay(cmd::replay::ReplayArgs),
    /// Regression corpus of shrunk repros.
    Corpus(cmd::corpus::CorpusArgs),
    /// Explore reports: merge the shards of one exploration.
    Report(cmd::report::ReportArgs),
    /// Catalogue scenarios as JSON.
    Scenario(cmd::scenario::ScenarioArgs),
    /// Check recorded histories (splitbrain JSON, Jepsen logs, Knossos EDN) for linearizability.
    Check(cmd::check::CheckArgs),
}

/// The `--color` choice, read before parsing so that parse errors use it too.
fn color_choice() -> clap::ColorChoice {
    let args: Vec<String> = std::env::args().collect();
    let value = args.iter().enumerate().find_map(|(i, a)| {
        a.strip_prefix("--color=")
            .map(str::to_string)
            .or_else(|| (a == "--color").then(|| args.get(i + 1).cloned().unwrap_or_default()))
    });
    match value.as_deref() {
        Some("always") => clap::ColorChoice::Always,
        Some("never") => clap::ColorChoice::Never,
        _ => clap::ColorChoice::Auto,
    }
}

/// Parses the process's arguments and runs the command over every registered protocol (the
/// built-in ones and any the program registered with [`crate::register`] before), with
/// mimalloc tuned for the command ([`crate::allocator::tune_for`]; install
/// [`crate::allocator::Mimalloc`] as the global allocator for the speed of the `splitbrain`
/// binary).
pub fn main() -> ExitCode {
    main_with(crate::allocator::tune_for)
}

/// [`main`] with `entry` registered beside the built-in protocols first: a user's whole
/// `fn main` is `splitbrain::cli::main_registering(my_crate::entry())`. A refused entry (its
/// name taken, no variants) is a bug in the program: it panics with the reason.
pub fn main_registering(entry: impl crate::ProtocolEntry + 'static) -> ExitCode {
    if let Err(refused) = crate::register(entry) {
        panic!("cannot register the protocol: {refused}");
    }
    main()
}

/// [`main`], calling `before_run` with the chosen subcommand's name (`None`: the default
/// campaign) once the command line is parsed and before any work starts ([`main`] tunes the
/// allocator there: `check` returns freed memory at once).
pub fn main_with(before_run: impl FnOnce(Option<&str>)) -> ExitCode {
    cmd::common::die_quietly_on_broken_pipe();
    cmd::common::install_panic_hook();
    let matches = Cli::command().color(color_choice()).get_matches();
    before_run(matches.subcommand_name());
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    cmd::common::set_verbosity(cli.quiet, cli.verbose);
    let code = match cli.command {
        None => {
            println!(
                "splitbrain: no command given, so running the default campaign (every protocol's \
                 correct variants and planted bugs); `splitbrain --help` lists the commands"
            );
            cmd::campaign::run(&cmd::campaign::CampaignArgs::default())
        }
        Some(Command::List(a)) => cmd::list::run(&a),
        Some(Command::Run(a)) => cmd::run::run(&a),
        Some(Command::Explore(a)) => cmd::explore::run(&a),
        Some(Command::CheckDeterminism(a)) => cmd::determinism::run(&a),
        Some(Command::Campaign(a)) => cmd::campaign::run(&a),
        Some(Command::Bench(a)) => cmd::bench::run(&a),
        Some(Command::Experiment(a)) => cmd::experiment::run(&a),
        Some(Command::Lab(a)) => cmd::lab::run(&a),
        Some(Command::Check(a)) => cmd::check::run(&a),
        Some(Command::Shrink(a)) => cmd::shrink::run(&a),
        Some(Command::Replay(a)) => cmd::replay::run(&a),
        Some(Command::Corpus(a)) => cmd::corpus::run(&a),
        Some(Command::Report(a)) => cmd::report::run(&a),
        Some(Command::Scenario(a)) => cmd::scenario::run(&a),
    };
    ExitCode::from(code as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every option and positional argument of every subcommand, with its help text.
    fn undocumented(cmd: &clap::Command, path: &str, out: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            if arg
                .get_help()
                .is_none_or(|h| h.to_string().trim().is_empty())
            {
                out.push(format!("{path} {id}"));
            }
        }
        for sub in cmd.get_subcommands() {
            if sub.get_about().is_none() {
                out.push(format!("{path} {} (the command itself)", sub.get_name()));
            }
            undocumented(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }

    #[test]
    fn every_command_and_option_is_documented() {
        let mut missing = Vec::new();
        undocumented(&Cli::command(), "splitbrain", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:#?}");
    }

    #[test]
    fn a_flag_means_the_same_in_every_command() {
        let cli = Cli::command();
        let mut seen: std::collections::BTreeMap<String, (String, Option<char>)> =
            Default::default();
        for sub in cli
            .get_subcommands()
            .flat_map(|s| std::iter::once(s).chain(s.get_subcommands()))
        {
            for arg in sub.get_arguments() {
                let Some(long) = arg.get_long() else { continue };
                let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values());
                let shape = (format!("takes value: {takes_value}"), arg.get_short());
                if let Some(before) = seen.insert(long.to_string(), shape.clone()) {
                    assert_eq!(before, shape, "--{long} differs in `{}`", sub.get_name());
                }
            }
        }
        assert!(!seen.contains_key("nodes"), "servers are `--servers`");
        assert_eq!(seen["jobs"].1, Some('j'));
        assert_eq!(seen["output"].1, Some('o'));
        assert_eq!(
            seen["json"].0, "takes value: false",
            "--json is a flag everywhere"
        );
    }
}
