//! The portfolio report: what `explore PROTOCOL --all-scenarios` writes. One explore report
//! per scenario (each the document `explore --scenario NAME` over the same seeds would give,
//! but the wall time), and totals derived from them.

use super::common::{EXIT_FAIL, EXIT_INCONCLUSIVE, EXIT_PASS};
use super::explore_report::{build_id, ExploreReport, RunFlags, SeedSpan};
use serde::{Deserialize, Serialize};

/// The version of this document.
pub const PORTFOLIO_SCHEMA_VERSION: u64 = 1;

/// One exploration of a variant over every scenario of its protocol.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortfolioReport {
    pub schema_version: u64,
    /// Always `portfolio` (an explore report of one scenario has no such field).
    pub kind: String,
    pub build: String,
    pub protocol: String,
    pub variant: String,
    pub bug_id: Option<String>,
    /// The seed budget that was shared out (`--seeds`).
    pub budget: SeedSpan,
    pub options: RunFlags,
    pub runs: usize,
    pub failed: usize,
    pub inconclusive: usize,
    /// Scenarios with a failing seed, in report order.
    pub failing_scenarios: Vec<String>,
    /// Scenarios whose `sometimes` expectations were not all reached.
    pub vacuous_scenarios: Vec<String>,
    pub wall_ms: u64,
    pub scenarios: Vec<ExploreReport>,
    /// Catalogue scenarios this variant does not run, with the reason.
    pub skipped: Vec<SkippedScenario>,
}

/// A catalogue scenario left out of the portfolio.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkippedScenario {
    pub scenario: String,
    pub reason: String,
}

impl PortfolioReport {
    /// The report of `scenarios`, totals derived from them.
    pub fn new(
        budget: SeedSpan,
        options: RunFlags,
        scenarios: Vec<ExploreReport>,
        skipped: Vec<SkippedScenario>,
        wall_ms: u64,
    ) -> PortfolioReport {
        let first = scenarios.first();
        let name = |f: fn(&ExploreReport) -> String| first.map(f).unwrap_or_default();
        PortfolioReport {
            schema_version: PORTFOLIO_SCHEMA_VERSION,
            kind: "portfolio".to_string(),
            build: build_id(),
            protocol: name(|r| r.protocol.clone()),
            variant: name(|r| r.variant.clone()),
            bug_id: first.and_then(|r| r.bug_id.clone()),
            budget,
            options,
            runs: scenarios.iter().map(|r| r.runs).sum(),
            failed: scenarios.iter().map(|r| r.failed).sum(),
            inconclusive: scenarios.iter().map(|r| r.inconclusive).sum(),
            failing_scenarios: names(&scenarios, |r| r.failed > 0),
            vacuous_scenarios: names(&scenarios, |r| !r.unreached_sometimes.is_empty()),
            wall_ms,
            scenarios,
            skipped,
        }
    }

    /// 1 on any failure or unreached expectation, else 3 on any inconclusive seed, else 0.
    pub fn exit_code(&self) -> i32 {
        if self.failed > 0 || !self.vacuous_scenarios.is_empty() {
            EXIT_FAIL
        } else if self.inconclusive > 0 {
            EXIT_INCONCLUSIVE
        } else {
            EXIT_PASS
        }
    }

    /// The table `explore --all-scenarios` prints, then each failure's reproduce and shrink
    /// lines, then the verdict.
    pub fn summary_text(&self) -> String {
        let mut out = format!(
            "{} {} on {} scenarios, seeds {}..{} shared out (the swarm half): {} runs, {} failed, {} inconclusive, {:.1} s wall\n",
            self.protocol,
            self.variant,
            self.scenarios.len(),
            self.budget.from,
            self.budget.to,
            self.runs,
            self.failed,
            self.inconclusive,
            self.wall_ms as f64 / 1000.0
        );
        out.push_str(&format!(
            "  {:<28} {:>13} {:>6} {:>6}  {}\n",
            "scenario", "seeds", "runs", "failed", "result"
        ));
        for r in &self.scenarios {
            let span = format!("{}..{}", r.seeds.from, r.seeds.to);
            out.push_str(&format!(
                "  {:<28} {:>13} {:>6} {:>6}  {}\n",
                r.scenario,
                span,
                r.runs,
                r.failed,
                result_word(r)
            ));
        }
        for s in &self.skipped {
            out.push_str(&format!("  {:<28} not run: {}\n", s.scenario, s.reason));
        }
        for r in self.scenarios.iter().filter(|r| r.exit_code() != EXIT_PASS) {
            out.push_str(&format!("-- {}\n", r.scenario));
            for line in r.summary_lines().lines().skip(1) {
                out.push_str(&format!("   {line}\n"));
            }
        }
        out.push_str(&format!("verdict: {}\n", self.verdict_word()));
        out
    }

    pub fn verdict_word(&self) -> &'static str {
        if self.failed > 0 {
            "FAILED"
        } else if !self.vacuous_scenarios.is_empty() {
            "VACUOUS (a sometimes expectation was never reached)"
        } else if self.inconclusive > 0 {
            "INCONCLUSIVE"
        } else {
            "PASS"
        }
    }
}

/// A scenario's result in one word or a few.
fn result_word(r: &ExploreReport) -> String {
    match &r.first_failure {
        Some(f) => format!("FAILED first at seed {} ({})", f.seed, f.outcome.word()),
        None if !r.unreached_sometimes.is_empty() => {
            format!(
                "VACUOUS: never reached {}",
                r.unreached_sometimes.join(", ")
            )
        }
        None if r.inconclusive > 0 => "INCONCLUSIVE".to_string(),
        None => match &r.zk_linearizability {
            Some(t) if t.not_linearizable > 0 => format!(
                "PASS ({} of {} not fully linearizable: expected of ZooKeeper)",
                t.not_linearizable, t.checked
            ),
            _ => "PASS".to_string(),
        },
    }
}

fn names(reports: &[ExploreReport], keep: fn(&ExploreReport) -> bool) -> Vec<String> {
    reports
        .iter()
        .filter(|r| keep(r))
        .map(|r| r.scenario.clone())
        .collect()
}
