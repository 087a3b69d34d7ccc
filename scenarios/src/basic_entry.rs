//! A [`ProtocolEntry`] built from the few facts most protocols differ in, for a crate that
//! brings its own: name and summary, how to build its `Protocol` for a variant, and (when the
//! defaults do not fit) its variants, fault budget, cluster sizes, catalogue, crash-point roles,
//! history models and cluster invariants. The defaults: one correct variant exercised by
//! `generic-swarm`, the minority fault budget, 3 servers by default and 1 to the simulator's
//! maximum in a swarm, clients that speak `kv`, and no scenarios of its own (the generic ones
//! apply).

use crate::portable::CrashRole;
use crate::registry::{find_protocol, ProtocolEntry};
use crate::scenario::Scenario;
use splitbrain_api::{ClusterInvariant, Expect, FaultBudget, Protocol, ProtocolInfo, VariantInfo};
use splitbrain_protocols::replica::{Library, Replicated};
use splitbrain_sim::{run_world, RunRecord, Workload, WorldConfig};
use std::collections::BTreeMap;
use std::ops::RangeInclusive;

/// The invariants a world of `P` checks after every server step.
pub type Invariants<P> = Vec<Box<dyn ClusterInvariant<<P as Protocol>::Server>>>;

/// A protocol's registry entry, built with [`BasicEntry::new`] and its builder methods.
pub struct BasicEntry<P: Protocol> {
    info: ProtocolInfo,
    make: Box<dyn Fn(&VariantInfo) -> P + Send + Sync>,
    servers: RangeInclusive<usize>,
    catalogue_of: Option<&'static str>,
    crash_roles: &'static [(CrashRole, &'static str)],
    models: Vec<String>,
    invariants: fn() -> Invariants<P>,
}

impl<P: Protocol> BasicEntry<P> {
    /// Protocol `name`, built for a variant by `make`, with the defaults above.
    pub fn new(
        name: &'static str,
        summary: &'static str,
        make: impl Fn(&VariantInfo) -> P + Send + Sync + 'static,
    ) -> BasicEntry<P> {
        let correct = VariantInfo {
            name: "correct",
            bug_id: None,
            expect: Expect::Pass,
            scenario: "generic-swarm",
            summary,
        };
        BasicEntry {
            info: ProtocolInfo {
                name,
                summary,
                variants: vec![correct],
                default_servers: 3,
                budget: FaultBudget::minority(),
            },
            make: Box::new(make),
            servers: 1..=splitbrain_sim::world::MAX_SERVERS,
            catalogue_of: None,
            crash_roles: &[],
            models: vec!["kv".to_string()],
            invariants: Vec::new,
        }
    }

    /// The correct variant's scenario (the one `explore` runs by default) and summary.
    pub fn correct(mut self, scenario: &'static str, summary: &'static str) -> Self {
        self.info.variants[0].scenario = scenario;
        self.info.variants[0].summary = summary;
        self
    }

    /// The variants, replacing the default correct one (planted bugs are variants too).
    pub fn variants(mut self, variants: Vec<VariantInfo>) -> Self {
        self.info.variants = variants;
        self
    }

    /// The faults the protocol promises to survive.
    pub fn budget(mut self, budget: FaultBudget) -> Self {
        self.info.budget = budget;
        self
    }

    /// The cluster size when neither the user nor the scenario says.
    pub fn default_servers(mut self, servers: usize) -> Self {
        self.info.default_servers = servers;
        self
    }

    /// The cluster sizes it runs (a swarm draws inside them).
    pub fn servers(mut self, servers: RangeInclusive<usize>) -> Self {
        self.servers = servers;
        self
    }

    /// Offers the catalogue of the registered protocol `protocol` as its own (`raft`'s, say):
    /// the scenarios run unmodified, with that protocol's knobs and marks left to it.
    pub fn catalogue_of(mut self, protocol: &'static str) -> Self {
        self.catalogue_of = Some(protocol);
        self
    }

    /// The message kind it sends in each crash-point role (see [`ProtocolEntry::crash_roles`]).
    pub fn crash_roles(mut self, roles: &'static [(CrashRole, &'static str)]) -> Self {
        self.crash_roles = roles;
        self
    }

    /// The history models its clients speak (default `kv`).
    pub fn models(mut self, models: &[&str]) -> Self {
        self.models = models.iter().map(|m| m.to_string()).collect();
        self
    }

    /// The cluster invariants every world checks (default none).
    pub fn invariants(mut self, invariants: fn() -> Invariants<P>) -> Self {
        self.invariants = invariants;
        self
    }
}

impl<L: Library> BasicEntry<Replicated<L>>
where
    L::Config: Default,
{
    /// The entry of a library wrapped with `splitbrain::replica` that has one configuration:
    /// [`BasicEntry::new`] building every variant with `L::Config::default()`.
    pub fn replicated(name: &'static str, summary: &'static str) -> Self {
        BasicEntry::new(name, summary, |_variant| {
            Replicated::new(L::Config::default())
        })
    }
}

impl<P: Protocol> ProtocolEntry for BasicEntry<P> {
    fn info(&self) -> ProtocolInfo {
        self.info.clone()
    }

    fn default_servers(&self, _variant: &VariantInfo) -> usize {
        self.info.default_servers
    }

    fn run(
        &self,
        variant: &VariantInfo,
        _params: &BTreeMap<String, u64>,
        cfg: WorldConfig,
        workload: Box<dyn Workload>,
    ) -> RunRecord {
        let protocol = (self.make)(variant);
        let invariants = (self.invariants)()
            .into_iter()
            .map(|i| i as Box<dyn ClusterInvariant<P::Server> + '_>)
            .collect();
        run_world(&protocol, cfg, workload, invariants)
    }

    fn scenarios(&self) -> Vec<Scenario> {
        let Some(name) = self.catalogue_of else {
            return Vec::new();
        };
        let other = find_protocol(name)
            .unwrap_or_else(|| panic!("`catalogue_of(\"{name}\")`: no protocol of that name"));
        other.scenarios()
    }

    fn servers_range(&self) -> RangeInclusive<usize> {
        self.servers.clone()
    }

    fn models(&self) -> Vec<String> {
        self.models.clone()
    }

    fn crash_roles(&self) -> &'static [(CrashRole, &'static str)] {
        self.crash_roles
    }
}
