//! Reports: what a person reads after a run. This crate renders records; it decides nothing
//! (every verdict arrives in the [`RunRecord`](splitbrain_sim::RunRecord) it is given).
//!
//! - [`html`]: one self-contained HTML file per run, a space-time diagram with the
//!   counterexample highlighted ([`render_html`]). No network fetches: CSS, JS and the run's
//!   data are inlined.
//! - [`timeline`]: the text timeline for terminals, one aligned line per trace event.
//! - [`plots`]: SVG charts for experiments (latency and throughput over time, bars per
//!   configuration).
//! - [`counterexample`]: which operations, nodes, entries and moments a violation involves.
//!
//! # Feeding the counterexample view
//!
//! [`ReportInput::evidence`] is optional checker evidence as JSON. The accepted shapes:
//!
//! ```json
//! { "checker": "linearizability",
//!   "involved_ops": [12, 17, 20],
//!   "detail": { "partition": "key \"k1\"",
//!               "culprit": {"client": "C2", "call": 5000, "ret": 7000,
//!                           "input": "get k1", "output": "=nil"},
//!               "culprit_states": ["k1=x"],
//!               "longest_linearization": [{"op": {"client": "C1", "call": 100, ...},
//!                                          "state_after": "k1=x"}],
//!               "minimal_history": [{"client": "C1", "call": 100, ...}] } }
//! ```
//!
//! `involved_ops` (alias `ops`) are indices into `record.history.ops`; they are highlighted
//! with the `violating` class. `detail` is the checker's `Evidence` as serialised by
//! `splitbrain-checkers`; every field is optional. Operations inside `detail` are matched to
//! the history by `client` and `call` (the checker numbers operations differently). A bare
//! array of indices is accepted too. The evidence applies to the first violation whose checker
//! name contains `linearizab`.
//!
//! Without evidence, the involved operations are derived from the violation itself: mutual
//! exclusion names the lock (every client that won it is highlighted); invariant violations
//! name nodes (`S1`, `C2`), `index N` and `term N` in the message, marked at `at_us`.

pub mod counterexample;
pub mod diagram;
pub mod html;
pub mod junit;
pub mod plots;
pub mod timeline;

mod bands;

pub use html::{render_html, HtmlOptions, HtmlReport};
pub use timeline::render_timeline;

use splitbrain_sim::{RunRecord, Timed};

/// Everything a report shows about one run. The CLI builds it from a `RunResult`; `replay`
/// can build it from a saved run.
#[derive(Clone, Copy, Debug)]
pub struct ReportInput<'a> {
    pub protocol: &'a str,
    pub variant: &'a str,
    pub bug_id: Option<&'a str>,
    pub scenario: &'a str,
    /// The explicit fault schedule the world ran.
    pub schedule: &'a [Timed],
    pub record: &'a RunRecord,
    /// Checker evidence (see the crate docs for its shape).
    pub evidence: Option<&'a serde_json::Value>,
    /// The one command that reproduces the run.
    pub repro: &'a str,
}
