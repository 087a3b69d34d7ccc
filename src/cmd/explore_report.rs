//! The explore report: what `explore --json` writes and `report merge` reads and writes. It
//! holds what identifies an exploration (build, protocol, variant, scenario and its digest,
//! the options, the seed range and shard) and one entry per seed; every total in it is
//! derived from the entries by one function, so a merge of shards and an unsharded run give
//! the same document.

use super::common::{invocation, UsageError, EXIT_FAIL, EXIT_INCONCLUSIVE, EXIT_PASS};
use serde::{Deserialize, Serialize};
use splitbrain_scenarios::zk_linearizability::{Answer, EXPECTED};
use splitbrain_sim::Outcome;
use std::collections::BTreeMap;
use std::path::Path;

/// The version of this document; `report merge` refuses any other.
pub const SCHEMA_VERSION: u64 = 2;

/// The binary that ran the seeds: package version and the commit it was built from.
pub fn build_id() -> String {
    format!(
        "{}+{}",
        env!("CARGO_PKG_VERSION"),
        option_env!("SPLITBRAIN_COMMIT").unwrap_or("unknown")
    )
}

/// The options that change what a seed does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunFlags {
    /// `--servers` (null: the scenario's or the variant's own).
    pub servers: Option<usize>,
    /// `--clients` (null: the scenario's).
    pub clients: Option<usize>,
    pub guided: bool,
    pub until_first: bool,
    /// `--zk-linearizability` (absent in reports written before it existed: off).
    #[serde(default)]
    pub zk_linearizability: bool,
}

/// A seed range `from..to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedSpan {
    pub from: u64,
    pub to: u64,
}

/// Shard `index` of `count` (`--shard index/count`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardSpec {
    pub index: u64,
    pub count: u64,
}

/// One seed's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerSeed {
    pub seed: u64,
    pub outcome: Outcome,
    pub trace_hash: String,
    /// The first failed check, for anything but a pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Coverage marks the seed reached.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<String>,
    /// `--fault-kinds` value that reproduces a seed whose kinds guided exploration chose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault_kinds: Option<String>,
    /// A mutant of guided exploration runs the world of this seed (`--seed`) ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_seed: Option<u64>,
    /// ... with these mutations (`--mutations`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutations: Option<String>,
    /// Whether its ZooKeeper history was fully linearizable (`--zk-linearizability`):
    /// information beside the outcome, never part of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zk_linearizability: Option<Answer>,
}

/// How many seeds' ZooKeeper histories were fully linearizable, for an exploration that
/// asked (`--zk-linearizability`). ZooKeeper does not promise it, so none of this counts
/// in the verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZkLinearizabilityTotals {
    /// Seeds whose history was checked.
    pub checked: usize,
    pub not_linearizable: usize,
    /// Seeds the checker could not decide within its budget.
    pub undecided: usize,
    /// The seeds that were not linearizable, in report order.
    pub not_linearizable_seeds: Vec<u64>,
}

/// The first failing seed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirstFailure {
    pub seed: u64,
    pub outcome: Outcome,
    pub message: String,
}

/// The whole document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExploreReport {
    pub schema_version: u64,
    pub build: String,
    pub protocol: String,
    pub variant: String,
    pub bug_id: Option<String>,
    pub scenario: String,
    /// How the scenario was named on the command line (a catalogue name or a file).
    pub scenario_arg: String,
    /// Stable hash of the scenario as run, so shards of differing files do not merge.
    pub scenario_digest: String,
    /// The scenario's `sometimes` expectations.
    pub sometimes: Vec<String>,
    pub options: RunFlags,
    pub seeds: SeedSpan,
    pub shard: Option<ShardSpec>,
    pub runs: usize,
    pub failed: usize,
    pub failing_seeds: Vec<u64>,
    pub first_failure: Option<FirstFailure>,
    pub inconclusive: usize,
    /// True when `until_first` stopped at a failure (then nothing is judged vacuous).
    pub stopped_early: bool,
    pub unreached_sometimes: Vec<String>,
    /// Coverage marks reached, with the number of seeds that reached each.
    pub marks: BTreeMap<String, u64>,
    /// Full linearizability of the ZooKeeper histories, when asked for; not the verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zk_linearizability: Option<ZkLinearizabilityTotals>,
    pub wall_ms: u64,
    pub per_seed: Vec<PerSeed>,
}

impl ExploreReport {
    /// Recomputes every total from `per_seed`, `sometimes` and `stopped_early`.
    pub fn derive_totals(&mut self) {
        let failures: Vec<&PerSeed> = self
            .per_seed
            .iter()
            .filter(|s| s.outcome.is_failure())
            .collect();
        self.runs = self.per_seed.len();
        self.failed = failures.len();
        self.failing_seeds = failures.iter().map(|s| s.seed).collect();
        self.first_failure = failures.first().map(|s| FirstFailure {
            seed: s.seed,
            outcome: s.outcome,
            message: s.message.clone().unwrap_or_default(),
        });
        self.inconclusive = self
            .per_seed
            .iter()
            .filter(|s| s.outcome == Outcome::Inconclusive)
            .count();
        self.marks = BTreeMap::new();
        for m in self.per_seed.iter().flat_map(|s| &s.marks) {
            *self.marks.entry(m.clone()).or_insert(0) += 1;
        }
        self.zk_linearizability = zk_totals(&self.per_seed);
        self.unreached_sometimes = if self.stopped_early {
            Vec::new()
        } else {
            let reached = &self.marks;
            self.sometimes
                .iter()
                .filter(|m| !reached.contains_key(*m))
                .cloned()
                .collect()
        };
    }

    /// 1 on any failure or a `sometimes` never reached, else 3 on any inconclusive seed, else 0.
    pub fn exit_code(&self) -> i32 {
        if self.failed > 0 || !self.unreached_sometimes.is_empty() {
            EXIT_FAIL
        } else if self.inconclusive > 0 {
            EXIT_INCONCLUSIVE
        } else {
            EXIT_PASS
        }
    }

    /// `protocol --variant V --scenario S`, as every command that takes a target spells it.
    pub fn target_args(&self) -> String {
        format!(
            "{} --variant {} --scenario {}",
            self.protocol, self.variant, self.scenario_arg
        )
    }

    /// The flags that size the world, as given to the exploration.
    fn size_args(&self) -> String {
        let mut out = String::new();
        if let Some(n) = self.options.servers {
            out.push_str(&format!(" --servers {n}"));
        }
        if let Some(n) = self.options.clients {
            out.push_str(&format!(" --clients {n}"));
        }
        out
    }

    /// The command that reruns one seed: every option that changed its run.
    pub fn reproduce(&self, command: &str, s: &PerSeed) -> String {
        let kinds = s
            .fault_kinds
            .as_ref()
            .map_or(String::new(), |k| format!(" --fault-kinds {k}"));
        let mutations = s
            .mutations
            .as_ref()
            .map_or(String::new(), |m| format!(" --mutations {m}"));
        format!(
            "{} {command} {} --seed {}{}{kinds}{mutations}",
            invocation(),
            self.target_args(),
            s.from_seed.unwrap_or(s.seed),
            self.size_args()
        )
    }

    /// The human summary `explore` and `report merge` print, ending with the verdict.
    pub fn summary_text(&self) -> String {
        format!("{}verdict: {}\n", self.summary_lines(), self.verdict_word())
    }

    /// The summary without its verdict line.
    pub fn summary_lines(&self) -> String {
        let per_min = self.runs as f64 / (self.wall_ms.max(1) as f64 / 60_000.0);
        let mut out = format!(
            "{} {} on {}: {} runs of seeds {}..{}, {} failed, {} inconclusive, {:.1} s wall ({:.0} seeds/min)\n",
            self.protocol,
            self.variant,
            self.scenario,
            self.runs,
            self.seeds.from,
            self.seeds.to,
            self.failed,
            self.inconclusive,
            self.wall_ms as f64 / 1000.0,
            per_min
        );
        if let Some(t) = &self.zk_linearizability {
            out.push_str(&zk_line(t));
        }
        let first = self.per_seed.iter().find(|s| s.outcome.is_failure());
        if let Some(f) = first {
            out.push_str(&format!(
                "first failure: seed {} {}: {}\n",
                f.seed,
                f.outcome.word(),
                f.message.as_deref().unwrap_or("")
            ));
            out.push_str(&format!("reproduce: {}\n", self.reproduce("run", f)));
            out.push_str(&format!("shrink:    {}\n", self.reproduce("shrink", f)));
            if self.failed > 1 {
                let limit = if super::common::verbose() {
                    usize::MAX
                } else {
                    20
                };
                let shown: Vec<String> = self
                    .failing_seeds
                    .iter()
                    .take(limit)
                    .map(u64::to_string)
                    .collect();
                let more = if self.failed > shown.len() {
                    " ... (-v lists all)"
                } else {
                    ""
                };
                out.push_str(&format!("failing seeds: {}{more}\n", shown.join(" ")));
            }
        }
        for m in &self.unreached_sometimes {
            out.push_str(&format!(
                "never reached (sometimes expectation): {m}: the scenario did not exercise what it is for\n"
            ));
        }
        out
    }

    /// PASS, FAILED, VACUOUS or INCONCLUSIVE, as the exit code says.
    pub fn verdict_word(&self) -> &'static str {
        if self.failed > 0 {
            "FAILED"
        } else if !self.unreached_sometimes.is_empty() {
            "VACUOUS (a sometimes expectation was never reached)"
        } else if self.inconclusive > 0 {
            "INCONCLUSIVE"
        } else {
            "PASS"
        }
    }

    /// Reads a report, refusing another `schema_version` before anything else.
    pub fn from_file(path: &Path) -> Result<ExploreReport, UsageError> {
        let file = path.display();
        let text = std::fs::read_to_string(path)
            .map_err(|e| UsageError(format!("{file}: cannot read: {e}")))?;
        if text.trim().is_empty() {
            return Err(UsageError(format!(
                "{file}: empty file, not an explore report"
            )));
        }
        let doc: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| UsageError(format!("{file}:{}: {e}", e.line())))?;
        match doc.get("schema_version").and_then(serde_json::Value::as_u64) {
            Some(SCHEMA_VERSION) => {}
            Some(v) => {
                return Err(UsageError(format!(
                    "{file}: field `schema_version`: unknown version {v} (this splitbrain reads {SCHEMA_VERSION}; write the report again with this build)"
                )))
            }
            None => {
                return Err(UsageError(format!(
                    "{file}: field `schema_version`: missing or not a number (not an explore report?)"
                )))
            }
        }
        let de = &mut serde_json::Deserializer::from_str(&text);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let field = e.path().to_string();
            let inner = e.into_inner();
            UsageError(format!("{file}:{}: field `{field}`: {inner}", inner.line()))
        })
    }
}

/// The totals of the seeds whose ZooKeeper history was checked; `None` when none was.
fn zk_totals(per_seed: &[PerSeed]) -> Option<ZkLinearizabilityTotals> {
    let answers: Vec<(u64, Answer)> = per_seed
        .iter()
        .filter_map(|s| s.zk_linearizability.map(|a| (s.seed, a)))
        .collect();
    if answers.is_empty() {
        return None;
    }
    let count = |want: Answer| answers.iter().filter(|(_, a)| *a == want).count();
    Some(ZkLinearizabilityTotals {
        checked: answers.len(),
        not_linearizable: count(Answer::NotLinearizable),
        undecided: count(Answer::Undecided),
        not_linearizable_seeds: answers
            .iter()
            .filter(|(_, a)| *a == Answer::NotLinearizable)
            .map(|(s, _)| *s)
            .collect(),
    })
}

/// The summary line for full linearizability: a count, and why a count above zero is no
/// failure.
fn zk_line(t: &ZkLinearizabilityTotals) -> String {
    let undecided = if t.undecided > 0 {
        format!(", {} undecided within the checker's budget", t.undecided)
    } else {
        String::new()
    };
    let head = "full linearizability (information, not part of the verdict)";
    if t.not_linearizable == 0 {
        return format!(
            "{head}: all {} seeds' ZooKeeper histories were linearizable{undecided} (ZooKeeper \
             does not promise it; these runs had no read that missed a completed write)\n",
            t.checked
        );
    }
    let shown: Vec<String> = t
        .not_linearizable_seeds
        .iter()
        .take(10)
        .map(u64::to_string)
        .collect();
    let more = if t.not_linearizable > shown.len() {
        " ..."
    } else {
        ""
    };
    format!(
        "{head}: {} of {} seeds' ZooKeeper histories were not linearizable (seeds {}{more}){undecided}. \
         Expected of ZooKeeper, not a bug: {EXPECTED}\n",
        t.not_linearizable,
        t.checked,
        shown.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reproduce_line_carries_sizes_fault_kinds_and_mutations() {
        let report = ExploreReport {
            schema_version: SCHEMA_VERSION,
            build: build_id(),
            protocol: "raft".into(),
            variant: "figure8-commit".into(),
            bug_id: Some("R01".into()),
            scenario: "raft-swarm".into(),
            scenario_arg: "raft-swarm".into(),
            scenario_digest: String::new(),
            sometimes: Vec::new(),
            options: RunFlags {
                servers: Some(4),
                clients: Some(2),
                guided: true,
                until_first: true,
                zk_linearizability: false,
            },
            seeds: SeedSpan { from: 0, to: 10 },
            shard: None,
            runs: 0,
            failed: 0,
            failing_seeds: Vec::new(),
            first_failure: None,
            inconclusive: 0,
            stopped_early: true,
            unreached_sometimes: Vec::new(),
            marks: BTreeMap::new(),
            zk_linearizability: None,
            wall_ms: 0,
            per_seed: Vec::new(),
        };
        let mutant = PerSeed {
            seed: 9,
            outcome: Outcome::Violation,
            trace_hash: String::new(),
            message: None,
            marks: Vec::new(),
            fault_kinds: Some("crash,partition".into()),
            from_seed: Some(3),
            mutations: Some("leader-elected/first/1f".into()),
            zk_linearizability: None,
        };
        let line = report.reproduce("run", &mutant);
        assert!(
            line.ends_with(
                " run raft --variant figure8-commit --scenario raft-swarm --seed 3 --servers 4 \
                 --clients 2 --fault-kinds crash,partition --mutations leader-elected/first/1f"
            ),
            "{line}"
        );
        let own = PerSeed {
            fault_kinds: None,
            from_seed: None,
            mutations: None,
            ..mutant
        };
        assert!(report.reproduce("shrink", &own).ends_with(
            " shrink raft --variant figure8-commit --scenario raft-swarm --seed 9 --servers 4 --clients 2"
        ));
    }
}
