//! Repro files: a failing run made explicit — protocol, variant, cluster, the full fault
//! schedule, the workload as a script, the seed for the remaining randomness (latencies,
//! timeouts), and the failure it must show. `replay` and `corpus run` read them.

use crate::registry::{find_protocol, protocol_names, Entry, ProtocolEntry};
use crate::runner::{resolve_variant, run_seed, RunOptions, RunResult};
use crate::scenario::{Scenario, ScenarioError};
use serde::{Deserialize, Serialize};
use splitbrain_sim::Outcome;
use std::path::Path;

/// The version of the repro format this build reads and writes.
pub const REPRO_SCHEMA_VERSION: u32 = 1;

/// The failure a repro must show: the outcome and the first failed check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    pub outcome: Outcome,
    pub checker: Option<String>,
    pub message: String,
}

impl Expected {
    pub fn of(r: &RunResult) -> Expected {
        Expected {
            outcome: r.record.outcome,
            checker: r.record.violations.first().map(|v| v.checker.clone()),
            message: r.record.headline(),
        }
    }

    /// Same outcome and same first failed check (the message may differ in detail).
    pub fn matches(&self, r: &RunResult) -> bool {
        r.record.outcome == self.outcome
            && r.record.violations.first().map(|v| &v.checker) == self.checker.as_ref()
    }
}

/// How big a failing run is: what shrinking reduces.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Size {
    /// Faults injected: schedule entries that start a fault. Entries that only end one
    /// (heal, restart, resume, a link or node back to normal) are counted in `entries`.
    pub faults: usize,
    /// All schedule entries.
    #[serde(default)]
    pub entries: usize,
    pub ops: usize,
    pub clients: usize,
    pub servers: usize,
    pub sim_ms: u64,
}

/// A self-contained, replayable failing run.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repro {
    pub schema_version: u32,
    pub protocol: String,
    pub variant: String,
    pub seed: u64,
    pub servers: usize,
    pub clients: usize,
    /// Explicit: no generator, a scripted workload.
    pub scenario: Scenario,
    pub expect: Expected,
    /// The size of the run before shrinking, when this file came from `shrink`.
    #[serde(default)]
    pub shrunk_from: Option<Size>,
}

impl Repro {
    pub fn size(&self) -> Size {
        Size {
            faults: self
                .scenario
                .schedule
                .0
                .iter()
                .filter(|t| !t.fault.is_recovery())
                .count(),
            entries: self.scenario.schedule.len(),
            ops: self.scenario.workload.script_len().unwrap_or(0),
            clients: self.clients,
            servers: self.servers,
            sim_ms: self.scenario.safety_ms + self.scenario.liveness_ms,
        }
    }

    /// Runs the repro (with the full trace when asked).
    pub fn run(&self, full_trace: bool) -> Result<RunResult, ScenarioError> {
        self.run_inspecting(full_trace, None)
    }

    /// Runs the repro on its registered protocol, capturing every node's own description at
    /// `inspect_at_us`. A protocol nobody registered is bad input (see
    /// [`Repro::registered_protocol`]).
    pub fn run_inspecting(
        &self,
        full_trace: bool,
        inspect_at_us: Option<u64>,
    ) -> Result<RunResult, ScenarioError> {
        let entry = self.registered_protocol("the repro")?;
        self.run_on(entry.as_ref(), full_trace, inspect_at_us)
    }

    /// The registered protocol this repro names. Unknown, it is bad input naming `file`, the
    /// `protocol` field and the protocols registered in this program.
    pub fn registered_protocol(&self, file: &str) -> Result<Entry, ScenarioError> {
        find_protocol(&self.protocol).ok_or_else(|| ScenarioError::Invalid {
            file: file.to_string(),
            field: "protocol".to_string(),
            message: format!(
                "unknown protocol `{}`; registered here: {} (a protocol of your own is \
                 replayed by the program that registers it)",
                self.protocol,
                protocol_names().join(", ")
            ),
        })
    }

    /// Runs the repro on `entry`, which need not be registered (the test harness hands its
    /// protocol over directly); the entry must be the protocol the repro names.
    pub fn run_on(
        &self,
        entry: &dyn ProtocolEntry,
        full_trace: bool,
        inspect_at_us: Option<u64>,
    ) -> Result<RunResult, ScenarioError> {
        let variant =
            resolve_variant(entry, Some(&self.variant)).map_err(ScenarioError::Unknown)?;
        crate::portable::for_protocol(&self.scenario, entry, "the repro's scenario", true)?;
        let opts = RunOptions {
            servers: Some(self.servers),
            clients: Some(self.clients),
            full_trace,
            inspect_at_us,
            skip_evidence: false,
            zk_linearizability: false,
        };
        run_seed(entry, &variant, &self.scenario, self.seed, &opts)
    }

    pub fn from_file(path: &Path) -> Result<Repro, ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            file: file.clone(),
            source,
        })?;
        Repro::from_json(&text, &file)
    }

    /// Parses a repro; `file` names the source in errors. An empty file or another
    /// `schema_version` is refused before any other field is read.
    pub fn from_json(text: &str, file: &str) -> Result<Repro, ScenarioError> {
        check_version(text, file)?;
        let file = file.to_string();
        let de = &mut serde_json::Deserializer::from_str(text);
        let repro: Repro = serde_path_to_error::deserialize(de).map_err(|e| {
            let field = e.path().to_string();
            let inner = e.into_inner();
            ScenarioError::Parse {
                file: file.clone(),
                line: inner.line(),
                column: inner.column(),
                field,
                message: inner.to_string(),
            }
        })?;
        Ok(repro)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("repros serialise")
    }
}

/// Refuses an empty file, and a `schema_version` other than [`REPRO_SCHEMA_VERSION`].
fn check_version(text: &str, file: &str) -> Result<(), ScenarioError> {
    let invalid = |message: String| ScenarioError::Invalid {
        file: file.to_string(),
        field: "schema_version".to_string(),
        message,
    };
    if text.trim().is_empty() {
        return Err(invalid("empty file, not a repro".to_string()));
    }
    #[derive(Deserialize)]
    struct Versioned {
        schema_version: Option<serde_json::Value>,
    }
    let Ok(v) = serde_json::from_str::<Versioned>(text) else {
        return Ok(()); // malformed JSON: the full parse names the line
    };
    match v.schema_version {
        Some(serde_json::Value::Number(n)) if n.as_u64() == Some(REPRO_SCHEMA_VERSION.into()) => {
            Ok(())
        }
        Some(other) => Err(invalid(format!(
            "unknown version {other} (this splitbrain reads {REPRO_SCHEMA_VERSION})"
        ))),
        None => Err(invalid("missing (not a repro file?)".to_string())),
    }
}
