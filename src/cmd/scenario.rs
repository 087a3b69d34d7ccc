//! `splitbrain scenario show NAME`: a catalogue scenario as JSON, the starting point for a
//! scenario file of one's own (the format: docs/scenarios.md).

use super::common::{usage_exit, UsageError, EXIT_PASS};
use splitbrain_scenarios::registry::all_scenarios;

#[derive(clap::Args, Debug)]
pub struct ScenarioArgs {
    #[command(subcommand)]
    pub action: ScenarioAction,
}

#[derive(clap::Subcommand, Debug)]
pub enum ScenarioAction {
    /// Print a catalogue scenario (`splitbrain list` names them) as JSON; save it as a file,
    /// edit it and pass it back with `--scenario FILE.json`.
    Show(ShowArgs),
}

#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    /// The catalogue name, e.g. `tas-split`.
    pub name: String,
}

pub fn run(args: &ScenarioArgs) -> i32 {
    let ScenarioAction::Show(show) = &args.action;
    let all = all_scenarios();
    match all.iter().find(|s| s.name == show.name) {
        Some(s) => {
            println!(
                "{}",
                serde_json::to_string_pretty(s).expect("scenarios serialise")
            );
            EXIT_PASS
        }
        None => {
            let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
            usage_exit(UsageError(format!(
                "unknown scenario `{}`; the catalogue has: {}",
                show.name,
                names.join(", ")
            )))
        }
    }
}
