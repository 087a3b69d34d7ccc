//! Checking a protocol from a plain `#[test]`, the way proptest and madsim do: a seed range on
//! every core; on the first failing seed (the lowest, whatever the number of cores) the seed is
//! shrunk to a repro file and the test fails with the seed, the violated check, the shrunk
//! story, the file and the one command that replays it.
//!
//! ```no_run
//! # use splitbrain::testing::Check;
//! # fn entry() -> impl splitbrain::ProtocolEntry { splitbrain::scenarios::catalog::raft::RaftEntry }
//! Check::new(entry()).scenario("generic-partitions").seeds(0..200).run();
//! ```
//!
//! Environment: `SPLITBRAIN_SEEDS=A..B` replaces the seed range (a longer hunt without an
//! edit); `SPLITBRAIN_REPLAY=FILE` runs that repro file instead of exploring, prints its
//! timeline, and fails again while it still fails (what the printed replay command sets).

use crate::cmd::shrink::describe;
use splitbrain_api::VariantInfo;
use splitbrain_scenarios::explore::{explore_range, ExploreOptions};
use splitbrain_scenarios::registry::{
    find_protocol, protocol_names, scenarios_for, Entry, ProtocolEntry,
};
use splitbrain_scenarios::repro::{Repro, Size};
use splitbrain_scenarios::runner::resolve_variant;
use splitbrain_scenarios::shrink::shrink;
use splitbrain_scenarios::{RunOptions, Scenario};
use splitbrain_sim::Outcome;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Shrinking runs a failing seed may take by default (the CLI's `shrink` takes 8,000; a test
/// wants its answer sooner).
pub const DEFAULT_SHRINK_RUNS: u64 = 2_000;

/// One check of one protocol variant on one scenario over a seed range.
pub struct Check {
    entry: Entry,
    variant: Option<String>,
    scenario: Option<ScenarioChoice>,
    seeds: Range<u64>,
    jobs: usize,
    shrink_runs: u64,
    repro_dir: Option<PathBuf>,
    replay: Option<PathBuf>,
}

enum ScenarioChoice {
    Named(String),
    Given(Box<Scenario>),
}

/// A failing seed, shrunk and written out. Its `Display` is what a failing test prints.
#[derive(Clone, Debug)]
pub struct Failure {
    pub protocol: String,
    pub variant: String,
    pub scenario: String,
    pub seed: u64,
    /// The seed range explored (the failing seed is the lowest failing one in it).
    pub seeds: Range<u64>,
    pub outcome: Outcome,
    /// The first violated check ("linearizability", "election safety"...), or the outcome's
    /// word for a liveness failure or a panic without one.
    pub check: String,
    /// What the check said, on the shrunk run.
    pub message: String,
    /// The shrunk repro file (absolute path).
    pub repro: PathBuf,
    /// The size before and after shrinking.
    pub shrunk: (Size, Size),
    /// The shrunk run's faults, operations and failure, one screen.
    pub story: String,
    /// The one command that replays the repro (this test, with `SPLITBRAIN_REPLAY` set).
    pub replay: String,
}

/// What a passing check ran.
#[derive(Clone, Debug)]
pub struct Passed {
    pub seeds: Range<u64>,
    /// Coverage marks reached, with the number of seeds that reached each.
    pub marks: Vec<(String, u64)>,
}

impl Check {
    /// A check of `entry` (which need not be registered) on its default variant and that
    /// variant's own scenario, over seeds `0..100` on every core.
    pub fn new(entry: impl ProtocolEntry + 'static) -> Check {
        Check::shared(Arc::new(entry))
    }

    /// A check of a registered protocol, by name (a built-in one, or one registered earlier).
    pub fn registered(name: &str) -> Check {
        let entry = find_protocol(name).unwrap_or_else(|| {
            panic!(
                "splitbrain check: no protocol `{name}` is registered; known: {}",
                protocol_names().join(", ")
            )
        });
        Check::shared(entry)
    }

    /// A check of an entry already shared.
    pub fn shared(entry: Entry) -> Check {
        Check {
            entry,
            variant: None,
            scenario: None,
            seeds: 0..100,
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            shrink_runs: DEFAULT_SHRINK_RUNS,
            repro_dir: None,
            replay: None,
        }
    }

    /// A variant by name or planted-bug id (default: the first correct variant).
    pub fn variant(mut self, name: &str) -> Check {
        self.variant = Some(name.to_string());
        self
    }

    /// A scenario by name: the protocol's own catalogue, a generic scenario
    /// (`generic-partitions`, `generic-crashes`, `generic-swarm`) or a `.json` file.
    pub fn scenario(mut self, name: &str) -> Check {
        self.scenario = Some(ScenarioChoice::Named(name.to_string()));
        self
    }

    /// A scenario built in the test.
    pub fn with_scenario(mut self, scenario: Scenario) -> Check {
        self.scenario = Some(ScenarioChoice::Given(Box::new(scenario)));
        self
    }

    /// The seeds to run (`SPLITBRAIN_SEEDS=A..B` replaces them).
    pub fn seeds(mut self, seeds: Range<u64>) -> Check {
        self.seeds = seeds;
        self
    }

    /// Worker threads (default: every core). The answer does not depend on it.
    pub fn jobs(mut self, jobs: usize) -> Check {
        self.jobs = jobs.max(1);
        self
    }

    /// Most runs shrinking a failing seed may take.
    pub fn shrink_runs(mut self, runs: u64) -> Check {
        self.shrink_runs = runs.max(1);
        self
    }

    /// Where repro files go (default: `splitbrain-repros/` in cargo's target folder).
    pub fn repro_dir(mut self, dir: impl Into<PathBuf>) -> Check {
        self.repro_dir = Some(dir.into());
        self
    }

    /// Runs this repro file instead of exploring (what `SPLITBRAIN_REPLAY` sets).
    pub fn replay(mut self, file: impl Into<PathBuf>) -> Check {
        self.replay = Some(file.into());
        self
    }

    /// Runs the check; panics (fails the test) with the [`Failure`] report, or with what is
    /// wrong with the check itself (an unknown variant or scenario, an inconclusive seed, a
    /// `sometimes` mark never reached).
    #[track_caller]
    pub fn run(self) -> Passed {
        match self.try_run() {
            Ok(passed) => passed,
            Err(failure) => panic!("{failure}"),
        }
    }

    /// Runs the check and returns the failure instead of panicking. Bad input and checks
    /// that prove nothing (inconclusive seeds, unreached `sometimes` marks) still panic.
    pub fn try_run(self) -> Result<Passed, Box<Failure>> {
        let variant = resolve_variant(self.entry.as_ref(), self.variant.as_deref())
            .unwrap_or_else(|e| panic!("splitbrain check: {e}"));
        if let Some(file) = self.replay.clone().or_else(replay_from_env) {
            return self.replay_file(&file);
        }
        let scenario = self.scenario_for(&variant);
        let seeds = seeds_from_env().unwrap_or_else(|| self.seeds.clone());
        let opts = ExploreOptions {
            jobs: self.jobs,
            until_first: true,
            run: RunOptions {
                skip_evidence: true,
                ..RunOptions::default()
            },
            resume_from: Vec::new(),
            guided: false,
            cancel: None,
        };
        let entry = self.entry.as_ref();
        let summary = explore_range(entry, &variant, &scenario, seeds.clone(), &opts, &|_, _| {})
            .unwrap_or_else(|e| panic!("splitbrain check: {e}"));
        if let Some(failing) = summary.failures().next() {
            return Err(Box::new(self.shrunk_failure(
                &variant,
                &scenario,
                failing.seed,
                seeds,
            )));
        }
        let inconclusive: Vec<u64> = summary
            .results
            .iter()
            .filter(|r| r.outcome == Outcome::Inconclusive)
            .map(|r| r.seed)
            .collect();
        assert!(
            inconclusive.is_empty(),
            "splitbrain check: {} seed(s) of {}..{} were inconclusive (event bound or checker \
             budget), which is not a pass: {inconclusive:?}",
            inconclusive.len(),
            seeds.start,
            seeds.end
        );
        assert!(
            summary.unreached.is_empty(),
            "splitbrain check: scenario `{}` never reached {:?} in seeds {}..{}: the run proves \
             nothing about the state it exists for",
            scenario.name,
            summary.unreached,
            seeds.start,
            seeds.end
        );
        Ok(Passed {
            seeds,
            marks: summary.marks.into_iter().collect(),
        })
    }

    /// The scenario to run: the one chosen, or the variant's own.
    fn scenario_for(&self, variant: &VariantInfo) -> Scenario {
        let entry = self.entry.as_ref();
        let name = entry.info().name;
        let (scenario, source) = match &self.scenario {
            Some(ScenarioChoice::Given(s)) => (s.as_ref().clone(), "the test's scenario".into()),
            Some(ScenarioChoice::Named(n)) if n.ends_with(".json") => (
                Scenario::from_file(Path::new(n))
                    .unwrap_or_else(|e| panic!("splitbrain check: {e}")),
                n.clone(),
            ),
            choice => {
                let wanted = match choice {
                    Some(ScenarioChoice::Named(n)) => n.as_str(),
                    _ => variant.scenario,
                };
                let all = scenarios_for(entry);
                let found = all.iter().find(|s| s.name == wanted).cloned().or_else(|| {
                    // Any protocol's catalogue scenario: its generic part runs here too.
                    let every = splitbrain_scenarios::registry::all_scenarios();
                    every.into_iter().find(|s| s.name == wanted)
                });
                let found = found.unwrap_or_else(|| {
                    let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
                    panic!(
                        "splitbrain check: no scenario `{wanted}` for {name}; known: {}",
                        names.join(", ")
                    )
                });
                (found, format!("scenario `{wanted}`"))
            }
        };
        splitbrain_scenarios::portable::for_protocol(&scenario, entry, &source, true)
            .unwrap_or_else(|e| panic!("splitbrain check: {e}"))
    }

    fn shrunk_failure(
        &self,
        variant: &VariantInfo,
        scenario: &Scenario,
        seed: u64,
        seeds: Range<u64>,
    ) -> Failure {
        let entry = self.entry.as_ref();
        let opts = RunOptions::default();
        let shrunk = shrink(entry, variant, scenario, seed, &opts, self.shrink_runs)
            .unwrap_or_else(|e| panic!("splitbrain check: seed {seed} failed, but: {e}"));
        let repro = shrunk.repro;
        let dir = self.repro_dir.clone().unwrap_or_else(default_repro_dir);
        let file = dir.join(format!(
            "repro-{}-{}-{}-seed{seed}.json",
            repro.protocol, repro.variant, scenario.name
        ));
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(&file, repro.to_json()))
            .unwrap_or_else(|e| panic!("splitbrain check: cannot write {}: {e}", file.display()));
        let file = std::fs::canonicalize(&file).unwrap_or(file);
        Failure {
            protocol: repro.protocol.clone(),
            variant: repro.variant.clone(),
            scenario: scenario.name.clone(),
            seed,
            seeds,
            outcome: repro.expect.outcome,
            check: check_name(&repro),
            message: repro.expect.message.clone(),
            story: describe(&repro),
            shrunk: (shrunk.before, shrunk.after),
            replay: replay_command(&file),
            repro: file,
        }
    }

    /// Runs a repro file of this protocol exactly, prints its timeline, and fails while it
    /// still fails.
    fn replay_file(&self, file: &Path) -> Result<Passed, Box<Failure>> {
        let repro = Repro::from_file(file).unwrap_or_else(|e| panic!("splitbrain replay: {e}"));
        let name = self.entry.info().name;
        assert!(
            repro.protocol.eq_ignore_ascii_case(name),
            "splitbrain replay: {} is a repro of `{}`, but this check runs `{name}`",
            file.display(),
            repro.protocol
        );
        let result = repro
            .run_on(self.entry.as_ref(), true, None)
            .unwrap_or_else(|e| panic!("splitbrain replay: {e}"));
        let rec = &result.record;
        println!("{}", splitbrain_reports::render_timeline(rec));
        if !rec.outcome.is_failure() {
            println!(
                "splitbrain replay: {} no longer fails ({}); expected: {}",
                file.display(),
                rec.outcome.word(),
                repro.expect.message
            );
            return Ok(Passed {
                seeds: repro.seed..repro.seed + 1,
                marks: Vec::new(),
            });
        }
        let size = repro.size();
        Err(Box::new(Failure {
            protocol: repro.protocol.clone(),
            variant: repro.variant.clone(),
            scenario: repro.scenario.name.clone(),
            seed: repro.seed,
            seeds: repro.seed..repro.seed + 1,
            outcome: rec.outcome,
            check: rec
                .violations
                .first()
                .map_or(rec.outcome.word().to_string(), |v| v.checker.clone()),
            message: rec.headline(),
            story: describe(&repro),
            shrunk: (repro.shrunk_from.unwrap_or(size), size),
            replay: replay_command(file),
            repro: file.to_path_buf(),
        }))
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (before, after) = (self.shrunk.0, self.shrunk.1);
        writeln!(
            f,
            "splitbrain found a failing seed: {} (variant {}) on scenario `{}`, seed {} of {}..{}",
            self.protocol, self.variant, self.scenario, self.seed, self.seeds.start, self.seeds.end
        )?;
        writeln!(f, "  outcome: {}", self.outcome.word())?;
        writeln!(f, "  check:   {}", self.check)?;
        writeln!(f, "  message: {}", self.message)?;
        writeln!(
            f,
            "  shrunk:  faults {} -> {}, client operations {} -> {}, servers {} -> {}",
            before.faults, after.faults, before.ops, after.ops, before.servers, after.servers
        )?;
        for line in self.story.lines() {
            writeln!(f, "    {line}")?;
        }
        writeln!(f, "  repro:   {}", self.repro.display())?;
        write!(f, "  replay:  {}", self.replay)
    }
}

impl std::error::Error for Failure {}

/// The first violated check of a repro, or the outcome's word when none names one.
fn check_name(repro: &Repro) -> String {
    repro
        .expect
        .checker
        .clone()
        .unwrap_or_else(|| repro.expect.outcome.word().to_string())
}

/// `SPLITBRAIN_REPLAY=FILE cargo test [--release] [-p PACKAGE] TEST -- --exact`: this very
/// test, running the repro instead of exploring. The package and the test's name come from
/// cargo and libtest (a test run with `--test-threads=1` has no name to give: then every test
/// of the package runs, and only the ones of this protocol replay).
fn replay_command(file: &Path) -> String {
    let mut cmd = format!("SPLITBRAIN_REPLAY={} cargo test", file.display());
    if cfg!(not(debug_assertions)) {
        cmd.push_str(" --release");
    }
    if let Ok(pkg) = std::env::var("CARGO_PKG_NAME") {
        cmd.push_str(&format!(" -p {pkg}"));
    }
    match std::thread::current().name() {
        Some(test) if test != "main" => cmd.push_str(&format!(" {test} -- --exact")),
        _ => {}
    }
    cmd
}

/// `splitbrain-repros/` in cargo's target folder (found from the test binary's path,
/// `target/<profile>/deps/<test>`), else in the system's temporary folder.
fn default_repro_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        return PathBuf::from(dir).join("splitbrain-repros");
    }
    let exe = std::env::current_exe().unwrap_or_default();
    exe.ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "target"))
        .map_or_else(std::env::temp_dir, Path::to_path_buf)
        .join("splitbrain-repros")
}

fn replay_from_env() -> Option<PathBuf> {
    std::env::var_os("SPLITBRAIN_REPLAY")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// `SPLITBRAIN_SEEDS=A..B`; a malformed value is an error, not a silent default.
fn seeds_from_env() -> Option<Range<u64>> {
    let text = std::env::var("SPLITBRAIN_SEEDS").ok()?;
    let parsed = crate::cmd::common::parse_seed_range(&text);
    Some(parsed.unwrap_or_else(|e| panic!("SPLITBRAIN_SEEDS: {e}")))
}
