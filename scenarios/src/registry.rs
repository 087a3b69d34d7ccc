//! The protocol registry: each protocol, type-erased behind `ProtocolEntry`, with its variants
//! and catalogue scenarios. The CLI and the campaign look protocols up here by name.

use crate::scenario::Scenario;
use splitbrain_api::{ProtocolInfo, VariantInfo};
use splitbrain_sim::{RunRecord, Workload, WorldConfig};
use std::collections::BTreeMap;

/// A protocol the harness can run, whatever its message and state types.
pub trait ProtocolEntry: Send + Sync {
    fn info(&self) -> ProtocolInfo;
    /// Cluster size for `variant` when neither the user nor the scenario says.
    fn default_servers(&self, variant: &VariantInfo) -> usize;
    /// Runs one world of `variant`, tuned by a scenario's `params` (already checked against
    /// [`ProtocolEntry::params`]), with the protocol's online invariants attached.
    fn run(
        &self,
        variant: &VariantInfo,
        params: &BTreeMap<String, u64>,
        cfg: WorldConfig,
        workload: Box<dyn Workload>,
    ) -> RunRecord;
    /// The protocol's named scenarios.
    fn scenarios(&self) -> Vec<Scenario>;
    /// The cluster sizes this protocol runs (default: whatever the simulator allows).
    fn servers_range(&self) -> std::ops::RangeInclusive<usize> {
        1..=splitbrain_sim::world::MAX_SERVERS
    }
    /// The history models its clients speak (`mutex`, `kv`...): by default those of its own
    /// catalogue scenarios. A scenario with another workload is refused as bad input.
    fn models(&self) -> Vec<String> {
        let mut models: Vec<String> = self
            .scenarios()
            .iter()
            .map(|s| s.workload.model().to_string())
            .collect();
        models.sort();
        models.dedup();
        models
    }
    /// Tuning parameters a scenario may set (`params`), with what each one means.
    fn params(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }
}

/// Every protocol, in the order `list` shows them.
pub fn protocols() -> Vec<Box<dyn ProtocolEntry>> {
    vec![
        Box::new(crate::catalog::tas::TasEntry),
        Box::new(crate::catalog::raft::RaftEntry),
        Box::new(crate::catalog::paxos::PaxosEntry),
        Box::new(crate::catalog::multipaxos::MultiPaxosEntry),
        Box::new(crate::catalog::chain::ChainEntry),
        Box::new(crate::catalog::zab::ZabEntry),
    ]
}

pub fn find_protocol(name: &str) -> Option<Box<dyn ProtocolEntry>> {
    protocols()
        .into_iter()
        .find(|p| p.info().name.eq_ignore_ascii_case(name))
}

/// Every named scenario of every protocol.
pub fn all_scenarios() -> Vec<Scenario> {
    protocols().iter().flat_map(|p| p.scenarios()).collect()
}
