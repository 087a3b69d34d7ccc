//! Experiments that reproduce the lectures' claims with measured numbers: each runs a few
//! worlds of built-in protocols (fault-free or with one chosen fault), measures something a
//! lecture states (messages per write at the busiest node, latency with a slow replica, ...),
//! and returns a table, the series to plot and a finding that says in words whether the
//! numbers show the claim. Rendering (terminal table, SVG, CSV) is the caller's business.
//!
//! Every experiment is deterministic: fixed seeds, so the same build prints the same numbers.

mod craq_reads;
mod dueling;
mod herd_effect;
mod leader_load;
mod measure;
mod read_scaling;
mod slow_replica;
mod split_brain;

use serde::Serialize;

/// How much to run: `Full` for the figures, `Quick` for tests (fewer seeds, shorter worlds).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Effort {
    Full,
    Quick,
}

/// One line of a plot: `(x, y)` points.
#[derive(Clone, Debug, Serialize)]
pub struct Line {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// What an experiment measured.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub name: &'static str,
    /// The lecture's claim, in one sentence.
    pub claim: &'static str,
    /// How it was measured (protocols, sizes, load, seeds).
    pub setup: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub x_label: &'static str,
    pub y_label: &'static str,
    pub lines: Vec<Line>,
    /// Whether the numbers show the claim, and why, in words.
    pub holds: bool,
    pub finding: String,
}

/// A named experiment.
pub struct Experiment {
    pub name: &'static str,
    pub claim: &'static str,
    pub run: fn(Effort) -> Outcome,
}

/// Every experiment, in the order `experiment list` shows them.
pub fn experiments() -> Vec<Experiment> {
    vec![
        leader_load::EXPERIMENT,
        slow_replica::EXPERIMENT,
        craq_reads::EXPERIMENT,
        read_scaling::EXPERIMENT,
        dueling::EXPERIMENT,
        split_brain::EXPERIMENT,
        herd_effect::EXPERIMENT,
    ]
}

/// The experiment called `name`.
pub fn find(name: &str) -> Option<Experiment> {
    experiments().into_iter().find(|e| e.name == name)
}

/// `12.35`, for table cells; `-` where nothing was measured (no operation completed).
fn fmt2(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}")
    } else {
        "-".to_string()
    }
}
