//! Running one seed of one protocol variant on one scenario: resolve the variant, draw the
//! fault schedule, run the world, check the history, and say how to reproduce it.

use crate::generator::{generate, Shape};
use crate::history_checks;
use crate::linearizability::{self, LinResult};
use crate::registry::ProtocolEntry;
use crate::scenario::{Scenario, ScenarioError};
use serde::Serialize;
use splitbrain_api::VariantInfo;
use splitbrain_sim::rng::{stream, Stream};
use splitbrain_sim::{Outcome, RunRecord, Schedule, WorldConfig};

/// Per-run overrides from the command line.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub servers: Option<usize>,
    pub clients: Option<usize>,
    pub full_trace: bool,
    /// Capture every node's own description at this simulated time (`replay --state-at`).
    pub inspect_at_us: Option<u64>,
    /// Decide linearizability without building evidence for a violation (a seed loop
    /// that keeps only the outcome; the violation message still names the culprit).
    pub skip_evidence: bool,
    /// Also ask whether a ZooKeeper history is fully linearizable
    /// ([`RunResult::zk_linearizability`]): reported apart, never the verdict, and one more
    /// linearizability check per seed, so an exploration asks only when told to.
    pub zk_linearizability: bool,
}

/// A finished run with everything needed to explain and reproduce it.
#[derive(Clone, Debug, Serialize)]
pub struct RunResult {
    pub protocol: String,
    pub variant: String,
    pub bug_id: Option<String>,
    pub scenario: String,
    pub servers: usize,
    pub clients: usize,
    /// The explicit schedule the world ran (scenario faults plus generated ones).
    pub schedule: Schedule,
    /// The random fault kinds that were on.
    pub fault_kinds: Vec<crate::generator::Kind>,
    /// Whether the kinds were forced (guided exploration) rather than drawn from the seed.
    pub forced_kinds: bool,
    pub record: RunRecord,
    /// The scenario as run when the seed drew its shape (`vary`): sizes, workload, tuning
    /// and fault rates written out; `None` when the scenario was run as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drawn: Option<Box<Scenario>>,
    /// Checker evidence for a linearizability or ZooKeeper ordering violation: `{checker,
    /// involved_ops: [indices into record.history.ops], detail: <checker evidence>}` (no
    /// `detail` for ZooKeeper ordering).
    pub evidence: Option<serde_json::Value>,
    /// Full linearizability of a ZooKeeper history, when [`RunOptions::zk_linearizability`]
    /// asked for it (and the world did not panic): ZooKeeper does not promise it, so it is
    /// information beside the verdict, never part of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zk_linearizability: Option<crate::zk_linearizability::ZkLinearizability>,
}

impl RunResult {
    /// The arguments that reproduce this run (`run ...`; the caller puts the program in
    /// front, as the user can paste it).
    pub fn repro_command(&self, scenario_arg: &str) -> String {
        let mut cmd = format!(
            "run {} --variant {} --scenario {} --seed {} --servers {} --clients {}",
            self.protocol, self.variant, scenario_arg, self.record.seed, self.servers, self.clients
        );
        if self.forced_kinds {
            cmd.push_str(&format!(" --fault-kinds {}", kinds_arg(&self.fault_kinds)));
        }
        cmd
    }
}

/// Finds a variant by name or bug id.
pub fn resolve_variant(
    entry: &dyn ProtocolEntry,
    key: Option<&str>,
) -> Result<VariantInfo, String> {
    let info = entry.info();
    match key {
        None => info
            .variants
            .iter()
            .find(|v| v.bug_id.is_none())
            .cloned()
            .ok_or_else(|| format!("{} has no correct variant", info.name)),
        Some(k) => info.variant(k).cloned().ok_or_else(|| {
            let names: Vec<String> = info.variants.iter().map(|v| v.name.to_string()).collect();
            format!(
                "unknown variant `{k}` of {}; known: {}",
                info.name,
                names.join(", ")
            )
        }),
    }
}

/// Runs `seed` and checks it.
pub fn run_seed(
    entry: &dyn ProtocolEntry,
    variant: &VariantInfo,
    scenario: &Scenario,
    seed: u64,
    opts: &RunOptions,
) -> Result<RunResult, ScenarioError> {
    // The scenario as this protocol runs it: another protocol's knobs left out, crash-point
    // roles resolved. The workload check (`entry.models()` parses the catalogue) is left to
    // the callers that load a scenario.
    let adapted = crate::portable::for_protocol(scenario, entry, &scenario.name, false)?;
    let scenario = &adapted;
    let forced_kinds = scenario
        .generator
        .as_ref()
        .is_some_and(|g| g.kinds.is_some());
    let drawn = scenario.vary.is_some().then(|| {
        let range = entry.servers_range();
        Box::new(crate::vary::draw(scenario, seed, range, opts.servers))
    });
    let scenario = drawn.as_deref().unwrap_or(scenario);
    let info = entry.info();
    let servers = opts
        .servers
        .or(scenario.servers)
        .unwrap_or_else(|| entry.default_servers(variant));
    let clients = opts.clients.unwrap_or(scenario.clients);
    check_shape(entry, scenario, servers, clients)?;
    scenario.check_nodes(servers, clients)?;
    let safety_us = scenario.safety_ms * 1_000;
    let mut faults = scenario.schedule.0.clone();
    let mut fault_kinds = Vec::new();
    if let Some(g) = &scenario.generator {
        let shape = Shape {
            servers,
            clients,
            safety_us,
            budget: &info.budget,
            beyond_budget: scenario.beyond_budget,
        };
        let forced = g.kinds.as_deref();
        let (generated, on) = generate(g, &shape, &mut stream(seed, Stream::Faults), forced);
        faults.extend(generated);
        fault_kinds = on;
    }
    let schedule = Schedule::new(faults);
    let cfg = WorldConfig {
        seed,
        servers,
        clients,
        safety_us,
        liveness_us: scenario.liveness_ms * 1_000,
        max_events: scenario.max_events,
        net: scenario.network.clone(),
        schedule: schedule.clone(),
        full_trace: opts.full_trace,
        model: scenario.workload.model().to_string(),
        inspect_at_us: opts.inspect_at_us,
        ..WorldConfig::default()
    };
    let workload = scenario.workload.build(clients);
    let mut record = entry.run(variant, &scenario.params, cfg, workload);
    let evidence = check_history(&mut record, !opts.skip_evidence);
    if let crate::workload::WorkloadSpec::Recipe { recipe, .. } = scenario.workload {
        check_recipe(&mut record, recipe);
    }
    let zk_linearizability = (opts.zk_linearizability
        && record.history.model == "zookeeper"
        && record.outcome != Outcome::Panic)
        .then(|| crate::zk_linearizability::check(&record.history));
    Ok(RunResult {
        protocol: info.name.to_string(),
        variant: variant.name.to_string(),
        bug_id: variant.bug_id.map(str::to_string),
        scenario: scenario.name.clone(),
        servers,
        clients,
        schedule,
        fault_kinds,
        forced_kinds,
        record,
        drawn,
        evidence,
        zk_linearizability,
    })
}

/// The world's size against the documented limits and the protocol's own server range.
fn check_shape(
    entry: &dyn ProtocolEntry,
    scenario: &Scenario,
    servers: usize,
    clients: usize,
) -> Result<(), ScenarioError> {
    let invalid = |field: &str, message: String| ScenarioError::Invalid {
        file: scenario.name.clone(),
        field: field.to_string(),
        message,
    };
    let range = entry.servers_range();
    if !range.contains(&servers) {
        let name = entry.info().name;
        let (lo, hi) = (range.start(), range.end());
        return Err(invalid(
            "servers",
            format!("{name} runs {lo}..={hi} servers, got {servers}"),
        ));
    }
    crate::limits::CLIENTS
        .check(clients as u64)
        .map_err(|m| invalid("clients", m))
}

/// Adds history-level violations (mutual exclusion, ZooKeeper ordering, linearizability) to a
/// record; returns the checker's evidence if there is a violation (and `evidence` asks for it).
fn check_history(record: &mut RunRecord, evidence: bool) -> Option<serde_json::Value> {
    if matches!(record.outcome, Outcome::Panic) {
        return None;
    }
    if record.history.model == "mutex" {
        if let Some(v) = history_checks::mutual_exclusion(&record.history) {
            record.violations.insert(0, v);
            record.outcome = Outcome::Violation;
        }
        return None;
    }
    if record.history.model == "zookeeper" {
        // ZooKeeper's reads at followers are not linearizable by design: the verdict is its
        // own ordering guarantees (full linearizability is reported apart, never here).
        let (v, involved) = history_checks::zookeeper_order_with_ops(&record.history)?;
        record.violations.insert(0, v);
        record.outcome = Outcome::Violation;
        return evidence.then(
            || serde_json::json!({"checker": "ZooKeeper ordering", "involved_ops": involved}),
        );
    }
    match linearizability::check_with(&record.history, evidence)? {
        LinResult::Linearizable => None,
        LinResult::Violation {
            violation,
            evidence,
        } => {
            record.violations.insert(0, violation);
            record.outcome = Outcome::Violation;
            evidence
        }
        LinResult::Unknown(why) => {
            if record.outcome == Outcome::Pass {
                record.outcome = Outcome::Inconclusive;
                record.violations.push(splitbrain_sim::Violation {
                    checker: "linearizability (unknown)".to_string(),
                    message: why,
                    at_us: record.sim_time_us,
                });
            }
            None
        }
    }
}

/// A recipe's own check (`recipe_checks`): its violation (after any other), its documented
/// exceptions, and the coverage marks its history shows.
fn check_recipe(record: &mut RunRecord, recipe: splitbrain_protocols::zab::recipes::Recipe) {
    if matches!(record.outcome, Outcome::Panic) {
        return;
    }
    let verdict = crate::recipe_checks::check(recipe, &record.history);
    for mark in verdict.marks {
        *record.marks.entry(mark.to_string()).or_insert(0) += 1;
    }
    record.exceptions.extend(verdict.exceptions);
    if let Some(v) = verdict.violation {
        record.violations.push(v);
        if matches!(record.outcome, Outcome::Pass | Outcome::Inconclusive) {
            record.outcome = Outcome::Violation;
        }
    }
}

/// `partition,crash` for `--fault-kinds` (`none` when empty).
pub fn kinds_arg(kinds: &[crate::generator::Kind]) -> String {
    if kinds.is_empty() {
        return "none".to_string();
    }
    kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join(",")
}
