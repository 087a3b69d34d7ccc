//! Graded lab suites: named tests, the way a course's test file names them, each a few fixed
//! seeds of one or more scenarios plus optional checks of its own, run against any registered
//! protocol whose clients speak the scenarios' workload. A failing test says what it expected,
//! the seed, the property that broke in plain words and the scenario to replay; the caller
//! (`splitbrain lab`) adds the replay command and the HTML report, and prints a score table.
//!
//! Every test is deterministic: the same build and protocol give the same verdicts, seeds
//! run in parallel but the failure reported is always the lowest failing seed of the first
//! failing scenario.

mod entry;
pub mod paxos;
pub mod raft;
mod words;

use crate::registry::ProtocolEntry;
use crate::runner::{run_seed, RunOptions, RunResult};
use crate::scenario::{Scenario, ScenarioError};
pub use entry::{LabEntry, LabParams};
use rayon::prelude::*;
use splitbrain_api::VariantInfo;
use splitbrain_sim::Outcome;
pub use words::plain_words;

/// A check of a test's own, over one finished run (with its trace when the test asks for
/// it): `Some(what went wrong)` fails the seed.
pub type ExtraCheck = fn(&RunResult) -> Option<String>;

/// One graded test.
pub struct LabTest {
    /// The name students know (`InitialElection`).
    pub name: &'static str,
    /// The course part it belongs to (`3A`).
    pub part: &'static str,
    /// What the test expects of a correct implementation, in one sentence.
    pub expects: &'static str,
    /// The scenarios it runs, each over seeds `0..n`.
    pub runs: Vec<(Scenario, u64)>,
    /// Its own check, run on every seed after the harness's checks passed.
    pub extra: Option<(ExtraCheck, &'static str)>,
    /// Seeds below this are not run ([`LabTest::only_seed`]).
    pub skip_below: u64,
}

/// Why a test failed, on its first failing seed.
pub struct LabFailure {
    pub seed: u64,
    /// The scenario as run (write it out to replay the seed).
    pub scenario: Scenario,
    /// The property that broke, in plain words.
    pub property: String,
    /// What the check saw (the checker's own message).
    pub detail: String,
    pub result: Box<RunResult>,
}

/// A test's verdict.
pub struct LabVerdict {
    pub name: &'static str,
    pub part: &'static str,
    pub expects: &'static str,
    /// Seeds run (all of them when it passed; up to the failing one's scenario otherwise).
    pub seeds: u64,
    pub failure: Option<LabFailure>,
}

impl LabVerdict {
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// Runs `test` against `variant` of `entry` on `jobs` threads. Bad input (a scenario the
/// protocol cannot run: another workload model, too many servers) is an error.
pub fn run_test(
    entry: &dyn ProtocolEntry,
    variant: &VariantInfo,
    test: &LabTest,
    jobs: usize,
) -> Result<LabVerdict, ScenarioError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .map_err(|e| ScenarioError::Unknown(format!("thread pool: {e}")))?;
    let mut seeds_run = 0;
    for (scenario, seeds) in &test.runs {
        let scenario = fit(entry, scenario);
        let opts = RunOptions {
            full_trace: test.extra.is_some(),
            skip_evidence: true,
            ..RunOptions::default()
        };
        let judged: Vec<Result<Option<(String, String)>, ScenarioError>> = pool.install(|| {
            (test.skip_below..*seeds)
                .into_par_iter()
                .map(|seed| {
                    let r = run_seed(entry, variant, &scenario, seed, &opts)?;
                    Ok(judge(&r, test.extra.map(|(check, _)| check)))
                })
                .collect()
        });
        for (seed, verdict) in (test.skip_below..).zip(judged) {
            seeds_run += 1;
            let Some(quick) = verdict? else {
                continue;
            };
            // Again with the evidence and the trace, for the report and its message.
            let full = RunOptions {
                full_trace: true,
                ..RunOptions::default()
            };
            let result = run_seed(entry, variant, &scenario, seed, &full)?;
            let extra = test.extra.map(|(check, _)| check);
            let (property, detail) = judge(&result, extra).unwrap_or(quick);
            return Ok(LabVerdict {
                name: test.name,
                part: test.part,
                expects: test.expects,
                seeds: seeds_run,
                failure: Some(LabFailure {
                    seed,
                    scenario,
                    property,
                    detail,
                    result: Box::new(result),
                }),
            });
        }
    }
    Ok(LabVerdict {
        name: test.name,
        part: test.part,
        expects: test.expects,
        seeds: seeds_run,
        failure: None,
    })
}

/// A catalogue scenario made runnable by any protocol: no `protocol` field, no coverage
/// marks (they name the built-in implementation's events), and only the tuning parameters
/// the protocol declares.
fn fit(entry: &dyn ProtocolEntry, scenario: &Scenario) -> Scenario {
    let known: Vec<&str> = entry.params().iter().map(|(name, _)| *name).collect();
    let mut s = scenario.clone();
    s.protocol = None;
    s.sometimes.clear();
    s.params.retain(|name, _| known.contains(&name.as_str()));
    s
}

/// `None` when the run passed every check; otherwise the property in plain words and what
/// the check saw.
fn judge(r: &RunResult, extra: Option<ExtraCheck>) -> Option<(String, String)> {
    let rec = &r.record;
    match rec.outcome {
        Outcome::Pass => {
            let check = extra?;
            check(r).map(|detail| ("the test's own check".to_string(), detail))
        }
        Outcome::Panic => Some((
            "your code must not panic".to_string(),
            rec.panic.clone().unwrap_or_default(),
        )),
        _ => {
            let v = rec.violations.first();
            let checker = v.map_or(rec.outcome.word(), |v| v.checker.as_str());
            let detail = v.map_or_else(|| rec.outcome.word().to_string(), |v| v.message.clone());
            Some((plain_words(checker).to_string(), detail))
        }
    }
}

/// A test's own check failed on a run: the sentence it printed replaces the generic one.
pub fn property_of(test: &LabTest, failure: &LabFailure) -> String {
    match (&test.extra, failure.property.as_str()) {
        (Some((_, words)), "the test's own check") => words.to_string(),
        _ => failure.property.clone(),
    }
}

impl LabTest {
    /// The test on one seed of each of its scenarios: how a failure printed by
    /// [`run_and_describe`] is replayed.
    pub fn only_seed(mut self, seed: u64) -> LabTest {
        self.runs.retain(|(_, seeds)| seed < *seeds);
        for (_, seeds) in &mut self.runs {
            *seeds = seed + 1;
        }
        self.skip_below = seed;
        self
    }
}

/// Runs every test of `tests` and describes the run as `splitbrain lab` prints it: each
/// test's verdict, and for a failure what it expected, the seed, the scenario, the property in
/// plain words, what the check saw, `replay(test, seed)` (the command that runs that seed
/// again) and the HTML report, written with the scenario into `out`; then the score.
/// Returns the text and whether every test passed.
pub fn run_and_describe(
    entry: &dyn ProtocolEntry,
    variant: &VariantInfo,
    tests: &[LabTest],
    jobs: usize,
    out: &std::path::Path,
    replay: &dyn Fn(&LabTest, u64) -> String,
) -> Result<(String, bool), ScenarioError> {
    let mut text = String::new();
    let mut passed = 0;
    for test in tests {
        let v = run_test(entry, variant, test, jobs)?;
        text.push_str(&format!("Test ({}): {} ... ", test.part, test.name));
        let Some(f) = &v.failure else {
            passed += 1;
            text.push_str(&format!("Passed ({} seeds)\n", v.seeds));
            continue;
        };
        let repro = replay(test, f.seed);
        let report = write_failure(out, test, f, &repro)
            .map_err(|e| ScenarioError::Unknown(format!("{}: {e}", out.display())))?;
        text.push_str("FAILED\n");
        text.push_str(&format!("  expected: {}\n", test.expects));
        text.push_str(&format!(
            "  seed:     {} (scenario {})\n",
            f.seed, f.scenario.name
        ));
        text.push_str(&format!("  violated: {}\n", property_of(test, f)));
        text.push_str(&format!("            {}\n", f.detail));
        text.push_str(&format!("  replay:   {repro}\n"));
        text.push_str(&format!("  report:   {}\n", report.display()));
    }
    text.push_str(&format!("score: {passed}/{} tests passed\n", tests.len()));
    Ok((text, passed == tests.len()))
}

/// Writes a failure's scenario (`TEST.json`) and HTML report (`TEST-seedN.html`) into `out`;
/// returns the report's path.
pub fn write_failure(
    out: &std::path::Path,
    test: &LabTest,
    f: &LabFailure,
    repro: &str,
) -> std::io::Result<std::path::PathBuf> {
    std::fs::create_dir_all(out)?;
    let doc = serde_json::to_string_pretty(&f.scenario).expect("scenarios serialise");
    std::fs::write(out.join(format!("{}.json", test.name)), format!("{doc}\n"))?;
    let r = &f.result;
    let input = splitbrain_reports::ReportInput {
        protocol: &r.protocol,
        variant: &r.variant,
        bug_id: r.bug_id.as_deref(),
        scenario: &r.scenario,
        schedule: &r.schedule.0,
        record: &r.record,
        evidence: r.evidence.as_ref(),
        repro,
    };
    let html = splitbrain_reports::render_html(&input, &splitbrain_reports::HtmlOptions::default());
    let path = out.join(format!("{}-seed{}.html", test.name, f.seed));
    std::fs::write(&path, html.html)?;
    Ok(path)
}

/// A test of `runs` with an optional check of its own, run from seed 0.
pub(crate) fn test(
    name: &'static str,
    part: &'static str,
    expects: &'static str,
    runs: Vec<(Scenario, u64)>,
    extra: Option<(ExtraCheck, &'static str)>,
) -> LabTest {
    LabTest {
        name,
        part,
        expects,
        runs,
        extra,
        skip_below: 0,
    }
}

/// The run's servers.
pub(crate) fn servers(r: &RunResult) -> Vec<splitbrain_api::NodeId> {
    r.record.nodes.iter().copied().take(r.servers).collect()
}

/// When each message a server sent left it (delivered, dropped, cut or lost at a down
/// receiver), from the run's trace.
pub(crate) fn server_sends(r: &RunResult) -> Vec<u64> {
    let servers = servers(r);
    r.record
        .trace
        .iter()
        .flatten()
        .filter(|e| {
            matches!(
                e.kind,
                splitbrain_sim::TraceKind::Deliver
                    | splitbrain_sim::TraceKind::Drop
                    | splitbrain_sim::TraceKind::Cut
                    | splitbrain_sim::TraceKind::LostAtDown
            ) && e.peer.is_some_and(|p| servers.contains(&p))
        })
        .map(|e| e.sent_us.unwrap_or(e.at_us))
        .collect()
}
