//! A scenario: cluster shape, phases, network, explicit faults, random fault generation,
//! workload and "sometimes" expectations. Loaded from JSON with unknown fields refused and
//! errors that name the file, line, column and field.

use crate::generator::GeneratorConfig;
use crate::limits;
use crate::workload::WorkloadSpec;
use serde::{Deserialize, Serialize};
use splitbrain_sim::{LinkProfile, Schedule};
use std::collections::BTreeMap;
use std::path::Path;

/// A named, replayable test setup.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The protocol it was written for (`null`: any).
    #[serde(default)]
    pub protocol: Option<String>,
    /// Cluster size (`null`: the variant's default).
    #[serde(default)]
    pub servers: Option<usize>,
    pub clients: usize,
    pub safety_ms: u64,
    #[serde(default)]
    pub liveness_ms: u64,
    #[serde(default = "default_network")]
    pub network: LinkProfile,
    #[serde(default)]
    pub schedule: Schedule,
    #[serde(default)]
    pub generator: Option<GeneratorConfig>,
    pub workload: WorkloadSpec,
    /// Coverage marks that must be reached at least once over an exploration; a scenario that
    /// never reaches its interesting state fails instead of passing vacuously.
    #[serde(default)]
    pub sometimes: Vec<String>,
    /// Set by scenarios that deliberately exceed the protocol's fault budget (say so in the
    /// name, e.g. `...-beyond-budget`).
    #[serde(default)]
    pub beyond_budget: bool,
    #[serde(default = "default_max_events")]
    pub max_events: u64,
    /// Protocol tuning for this scenario (e.g. Raft's `snapshot_every`), by the names the
    /// protocol declares; unknown names are refused when the scenario runs.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, u64>,
    /// Swarm shapes: what each seed draws for itself (cluster size, load, tuning, fault
    /// rates); see `vary::Vary`. The run uses the drawn scenario, which has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vary: Option<crate::vary::Vary>,
}

fn default_network() -> LinkProfile {
    LinkProfile::default()
}

fn default_max_events() -> u64 {
    5_000_000
}

/// Bad scenario input, with the place it was found.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}:{line}:{column}: field `{field}`: {message}")]
    Parse {
        file: String,
        line: usize,
        column: usize,
        field: String,
        message: String,
    },
    #[error("{file}: field `{field}`: {message}")]
    Invalid {
        file: String,
        field: String,
        message: String,
    },
    #[error("unknown scenario `{0}` (see `splitbrain list`)")]
    Unknown(String),
}

impl Scenario {
    /// Parses scenario JSON; `file` names the source in errors.
    pub fn from_json(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let scenario: Scenario = serde_path_to_error::deserialize(de).map_err(|e| {
            let field = e.path().to_string();
            let inner = e.into_inner();
            ScenarioError::Parse {
                file: file.to_string(),
                line: inner.line(),
                column: inner.column(),
                field,
                message: inner.to_string(),
            }
        })?;
        scenario.validate(file)?;
        Ok(scenario)
    }

    pub fn from_file(path: &Path) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            file: file.clone(),
            source,
        })?;
        Scenario::from_json(&text, &file)
    }

    fn validate(&self, file: &str) -> Result<(), ScenarioError> {
        let invalid = |field: &str, message: String| ScenarioError::Invalid {
            file: file.to_string(),
            field: field.to_string(),
            message,
        };
        self.network.validate().map_err(|m| invalid("network", m))?;
        self.check_sizes()
            .map_err(|(field, message)| invalid(field, message))?;
        if let Some(g) = &self.generator {
            g.validate()
                .map_err(|(f, m)| invalid(&format!("generator.{f}"), m))?;
            limits::MEAN_FAULT_MS
                .check(g.mean_fault_ms)
                .map_err(|m| invalid(limits::MEAN_FAULT_MS.field, m))?;
        }
        for (i, t) in self.schedule.0.iter().enumerate() {
            if let splitbrain_sim::Fault::Link { profile, .. } = &t.fault {
                profile
                    .validate()
                    .map_err(|m| invalid(&format!("schedule[{i}].fault.profile"), m))?;
            }
        }
        Ok(())
    }

    /// Every size the scenario sets, against its documented range (`limits`).
    fn check_sizes(&self) -> Result<(), (&'static str, String)> {
        use crate::workload::WorkloadSpec;
        let check = |l: limits::Limit, v: u64| l.check(v).map_err(|m| (l.field, m));
        if let Some(n) = self.servers {
            check(limits::SERVERS, n as u64)?;
        }
        check(limits::CLIENTS, self.clients as u64)?;
        check(limits::SAFETY_MS, self.safety_ms)?;
        check(limits::LIVENESS_MS, self.liveness_ms)?;
        check(limits::MAX_EVENTS, self.max_events)?;
        match &self.workload {
            WorkloadSpec::Lock { max_ops_per_client }
            | WorkloadSpec::WriteOnce { max_ops_per_client } => {
                if let Some(n) = max_ops_per_client {
                    check(limits::OPS_PER_CLIENT, *n)?;
                }
            }
            WorkloadSpec::Kv {
                keys: paths,
                read_percent,
                max_ops_per_client,
            }
            | WorkloadSpec::Zookeeper {
                paths,
                read_percent,
                max_ops_per_client,
                ..
            } => {
                check(limits::KEYS, *paths)?;
                check(limits::READ_PERCENT, u64::from(*read_percent))?;
                if let Some(n) = max_ops_per_client {
                    check(limits::OPS_PER_CLIENT, *n)?;
                }
            }
            WorkloadSpec::Recipe {
                rounds,
                hold_ms,
                keys,
                recheck_ms,
                ..
            } => {
                if let Some(n) = rounds {
                    check(limits::OPS_PER_CLIENT, *n).map_err(|(_, m)| ("workload.rounds", m))?;
                }
                check(limits::SAFETY_MS, *hold_ms).map_err(|(_, m)| ("workload.hold_ms", m))?;
                check(limits::KEYS, *keys).map_err(|(_, m)| ("workload.keys", m))?;
                if let Some(ms) = recheck_ms {
                    check(limits::SAFETY_MS, *ms).map_err(|(_, m)| ("workload.recheck_ms", m))?;
                }
            }
            WorkloadSpec::Script { ops, .. } => {
                check(limits::CLIENTS, ops.len() as u64).map_err(|(_, m)| ("workload.ops", m))?;
                let most = ops.iter().map(Vec::len).max().unwrap_or(0) as u64;
                if most > limits::OPS_PER_CLIENT.max {
                    let max = limits::OPS_PER_CLIENT.max;
                    return Err((
                        "workload.ops",
                        format!("at most {max} operations per client, got {most}"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Refuses a scenario written for another protocol: its `protocol` field names it, or its
    /// workload's model is none of the protocol's catalogue scenarios use. `file` and
    /// `field` say where the scenario came from in the message.
    pub fn check_for(
        &self,
        protocol: &str,
        models: &[String],
        file: &str,
    ) -> Result<(), ScenarioError> {
        let invalid = |field: &str, message: String| ScenarioError::Invalid {
            file: file.to_string(),
            field: field.to_string(),
            message,
        };
        if let Some(p) = &self.protocol {
            if !p.eq_ignore_ascii_case(protocol) {
                return Err(invalid(
                    "protocol",
                    format!(
                        "scenario `{}` is written for `{p}`, not `{protocol}`; run it with `{p}`, or list `{protocol}`'s scenarios with `splitbrain list`",
                        self.name
                    ),
                ));
            }
        }
        let model = self.workload.model();
        if !models.is_empty() && !models.iter().any(|m| m == model) {
            return Err(invalid(
                "workload",
                format!(
                    "a `{model}` workload, but `{protocol}` serves: {}",
                    models.join(", ")
                ),
            ));
        }
        Ok(())
    }

    /// Checks that every node the schedule names exists in a world of this shape.
    pub fn check_nodes(&self, servers: usize, clients: usize) -> Result<(), ScenarioError> {
        for node in self.schedule.nodes() {
            let limit = if node.is_client() { clients } else { servers };
            if node.index() >= limit {
                return Err(ScenarioError::Invalid {
                    file: self.name.clone(),
                    field: "schedule".to_string(),
                    message: format!(
                        "names {node}, but the world has {servers} servers and {clients} clients"
                    ),
                });
            }
        }
        Ok(())
    }

    /// Checks that every tuning parameter is one the protocol declares.
    pub fn check_params(&self, known: &[(&str, &str)]) -> Result<(), ScenarioError> {
        for name in self.params.keys() {
            if !known.iter().any(|(k, _)| k == name) {
                let names: Vec<&str> = known.iter().map(|(k, _)| *k).collect();
                return Err(ScenarioError::Invalid {
                    file: self.name.clone(),
                    field: format!("params.{name}"),
                    message: format!(
                        "unknown parameter; this protocol takes: {}",
                        if names.is_empty() {
                            "none".to_string()
                        } else {
                            names.join(", ")
                        }
                    ),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"name": "x", "clients": 2, "safety_ms": 100,
        "workload": {"kind": "lock"},
        "schedule": [{"at_us": 5, "fault": {"kind": "isolate", "node": "S1"}}]}"#;

    #[test]
    fn a_parameter_the_protocol_does_not_declare_is_refused_by_name() {
        let text = GOOD.replace(
            "\"clients\": 2",
            "\"clients\": 2, \"params\": {\"snapshot_evry\": 4}",
        );
        let s = Scenario::from_json(&text, "p.json").expect("parses");
        let known = [("snapshot_every", "how often")];
        let err = s.check_params(&known).unwrap_err().to_string();
        assert!(err.contains("params.snapshot_evry"), "{err}");
        assert!(err.contains("snapshot_every"), "{err}");
        let ok = GOOD.replace(
            "\"clients\": 2",
            "\"clients\": 2, \"params\": {\"snapshot_every\": 4}",
        );
        let ok = Scenario::from_json(&ok, "p.json").expect("parses");
        assert!(ok.check_params(&known).is_ok());
        assert!(
            ok.check_params(&[]).is_err(),
            "a protocol without parameters refuses any"
        );
    }

    #[test]
    fn a_valid_scenario_parses() {
        let s = Scenario::from_json(GOOD, "good.json").expect("parses");
        assert_eq!(s.schedule.len(), 1);
    }

    #[test]
    fn an_unknown_field_is_refused_with_its_place() {
        let text = GOOD.replace("\"safety_ms\"", "\"safety_msec\"");
        let err = Scenario::from_json(&text, "typo.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("typo.json:1:"), "{err}");
        assert!(err.contains("safety_msec"), "{err}");
    }

    #[test]
    fn an_unknown_fault_kind_is_refused_naming_the_field() {
        let text = GOOD.replace("isolate", "isolated");
        let err = Scenario::from_json(&text, "f.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("schedule[0].fault"), "{err}");
        assert!(err.contains("isolated"), "{err}");
    }

    #[test]
    fn an_unknown_field_inside_a_fault_is_refused() {
        let text = GOOD.replace("\"node\": \"S1\"", "\"node\": \"S1\", \"nod\": 1");
        let err = Scenario::from_json(&text, "f.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("nod"), "{err}");
    }

    #[test]
    fn a_probability_out_of_range_is_refused() {
        let text = GOOD.replace("\"clients\": 2,", "\"clients\": 2, \"network\": {\"latency\": {\"dist\": \"constant\", \"us\": 5}, \"drop\": 5},");
        let err = Scenario::from_json(&text, "p.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("network") && err.contains("drop"), "{err}");
    }
}
