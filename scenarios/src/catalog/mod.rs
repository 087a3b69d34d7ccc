//! The named scenario catalogue, one module per protocol plus the generic scenarios any
//! protocol serving their workload runs; each scenario's doc says which
//! paper section or bug report it tests.

pub mod chain;
pub mod generic;
pub mod multipaxos;
pub mod paxos;
pub mod raft;
pub mod tas;
pub mod zab;
pub mod zab_recipes;

use crate::scenario::Scenario;

/// Parses a protocol's built-in scenario texts (JSON, checked by the catalogue tests), naming
/// `protocol` in the source of any error.
pub(crate) fn parse_builtin<'a>(
    protocol: &str,
    texts: impl IntoIterator<Item = &'a &'static str>,
) -> Vec<Scenario> {
    let source = format!("built-in {protocol} scenario");
    texts
        .into_iter()
        .map(|text| Scenario::from_json(text, &source).expect("built-in scenarios parse"))
        .collect()
}
