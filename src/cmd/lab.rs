//! `splitbrain lab raft` / `splitbrain lab paxos`: the graded Raft lab suite (tests named as
//! MIT 6.5840's) or Basic Paxos lab suite (named as 6.824's Paxos lab) against a registered
//! protocol, splitbrain's own Raft or Basic Paxos by default, or a student's. Each test prints
//! whether it passed; a failure prints what the test expected, the seed, the property that
//! broke in plain words, the command that replays the seed and an HTML report of it. A score
//! table ends the run. Exit 0 when every test passed, 1 otherwise.

use super::common::{
    default_jobs, invocation, jobs_flag, usage_exit, write_atomic, UsageError, EXIT_FAIL, EXIT_PASS,
};
use splitbrain_scenarios::lab::{self, LabTest, LabVerdict};
use splitbrain_scenarios::registry::find_protocol;
use splitbrain_scenarios::runner::resolve_variant;
use splitbrain_scenarios::ProtocolEntry;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct LabArgs {
    /// The suite: `raft` or `paxos`.
    pub suite: String,
    /// The protocol under test (a student's registers its own name; default: the suite's
    /// own, `raft` or `paxos`).
    #[arg(long)]
    pub protocol: Option<String>,
    /// Its variant (name or planted-bug id; default: its correct one).
    #[arg(long)]
    pub variant: Option<String>,
    /// Only these tests (comma list, e.g. `InitialElection,Figure8`); default: all.
    #[arg(long, value_name = "NAMES")]
    pub test: Option<String>,
    /// Folder for the replayable scenario and HTML report of each failing test.
    #[arg(long, value_name = "DIR", default_value = "splitbrain-lab")]
    pub out: PathBuf,
    /// Worker threads (default: all cores); verdicts do not depend on it.
    #[arg(short = 'j', long, value_parser = jobs_flag())]
    pub jobs: Option<usize>,
}

pub fn run(args: &LabArgs) -> i32 {
    match run_suite(args) {
        Ok(all_passed) if all_passed => EXIT_PASS,
        Ok(_) => EXIT_FAIL,
        Err(e) => usage_exit(e),
    }
}

fn run_suite(args: &LabArgs) -> Result<bool, UsageError> {
    let suite = Suite::named(&args.suite)?;
    let protocol = args.protocol.as_deref().unwrap_or(suite.name);
    let entry = find_protocol(protocol)
        .ok_or_else(|| UsageError(format!("unknown protocol `{protocol}`")))?;
    let variant = resolve_variant(entry.as_ref(), args.variant.as_deref()).map_err(UsageError)?;
    let tests = chosen(&suite, args.test.as_deref())?;
    let jobs = args.jobs.unwrap_or_else(default_jobs);
    println!(
        "lab {}: {} test{} against {} {}",
        suite.name,
        tests.len(),
        if tests.len() == 1 { "" } else { "s" },
        entry.info().name,
        variant.name
    );
    let mut verdicts = Vec::new();
    for test in &tests {
        print!("Test ({}): {} ... ", test.part, test.name);
        let verdict = lab::run_test(entry.as_ref(), &variant, test, jobs)?;
        match &verdict.failure {
            None => println!("Passed ({} seeds)", verdict.seeds),
            Some(_) => {
                println!("FAILED");
                explain(entry.as_ref(), test, &verdict, &args.out)?;
            }
        }
        verdicts.push(verdict);
    }
    print_scores(&verdicts);
    Ok(verdicts.iter().all(LabVerdict::passed))
}

/// A lab suite: its name (also its built-in protocol's), its tests, and a test by name.
struct Suite {
    name: &'static str,
    tests: fn() -> Vec<LabTest>,
    find: fn(&str) -> Option<LabTest>,
}

impl Suite {
    fn named(name: &str) -> Result<Suite, UsageError> {
        if name.eq_ignore_ascii_case("raft") {
            Ok(Suite {
                name: "raft",
                tests: lab::raft::suite,
                find: lab::raft::find,
            })
        } else if name.eq_ignore_ascii_case("paxos") {
            Ok(Suite {
                name: "paxos",
                tests: lab::paxos::suite,
                find: lab::paxos::find,
            })
        } else {
            Err(UsageError(format!(
                "unknown lab suite `{name}`; known: raft, paxos"
            )))
        }
    }
}

fn chosen(suite: &Suite, list: Option<&str>) -> Result<Vec<LabTest>, UsageError> {
    let Some(list) = list else {
        return Ok((suite.tests)());
    };
    list.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|name| {
            (suite.find)(name).ok_or_else(|| {
                let names: Vec<&str> = (suite.tests)().iter().map(|t| t.name).collect();
                UsageError(format!(
                    "unknown test `{name}`; known: {}",
                    names.join(", ")
                ))
            })
        })
        .collect()
}

/// The failure block: expected, seed, property, replay command, report.
fn explain(
    entry: &dyn ProtocolEntry,
    test: &LabTest,
    verdict: &LabVerdict,
    out: &Path,
) -> Result<(), UsageError> {
    let f = verdict.failure.as_ref().expect("a failed test");
    std::fs::create_dir_all(out)
        .map_err(|e| UsageError(format!("{}: cannot create: {e}", out.display())))?;
    let scenario_file = out.join(format!("{}.json", test.name));
    let doc = serde_json::to_string_pretty(&f.scenario).expect("scenarios serialise");
    write_atomic(&scenario_file, format!("{doc}\n").as_bytes())?;
    let repro = format!(
        "{} {}",
        invocation(),
        f.result.repro_command(&scenario_file.display().to_string())
    );
    let report = out.join(format!("{}-seed{}.html", test.name, f.seed));
    let input = super::run::report_input(&f.result, &repro);
    let html = splitbrain_reports::render_html(&input, &splitbrain_reports::HtmlOptions::default());
    write_atomic(&report, html.html.as_bytes())?;
    println!("  expected: {}", test.expects);
    println!(
        "  seed:     {} (scenario {}, {} {})",
        f.seed,
        f.scenario.name,
        entry.info().name,
        f.result.variant
    );
    println!("  violated: {}", lab::property_of(test, f));
    println!("            {}", f.detail);
    println!("  replay:   {repro}");
    println!("  report:   {}", report.display());
    Ok(())
}

fn print_scores(verdicts: &[LabVerdict]) {
    println!();
    println!("{:<5} {:<27} {:<7} seeds", "part", "test", "result");
    for v in verdicts {
        let (word, seeds) = match &v.failure {
            None => ("pass", v.seeds.to_string()),
            Some(f) => ("FAIL", format!("{} (fails on seed {})", v.seeds, f.seed)),
        };
        println!("{:<5} {:<27} {:<7} {seeds}", v.part, v.name, word);
    }
    let passed = verdicts.iter().filter(|v| v.passed()).count();
    println!("score: {passed}/{} tests passed", verdicts.len());
}
