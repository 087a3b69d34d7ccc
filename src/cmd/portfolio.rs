//! `splitbrain explore PROTOCOL --all-scenarios`: the one command for CI. The seed budget is
//! shared out over the protocol's catalogue and its swarm (`splitbrain_scenarios::portfolio`);
//! each scenario is explored as `explore --scenario NAME` would, and one report holds a result
//! per scenario (text table, JSON, JUnit with one case per scenario, corpus entries).

use super::common::{
    default_jobs, parse_seed_range, wall_ms_since, wall_start, write_atomic, Target, UsageError,
    EXIT_INTERRUPTED,
};
use super::explore::{build_report, junit_case, ExploreArgs};
use super::explore_report::SeedSpan;
use super::portfolio_report::{PortfolioReport, SkippedScenario};
use super::progress::Progress;
use splitbrain_api::VariantInfo;
use splitbrain_scenarios::explore::{explore, ExploreOptions, ExploreSummary, OnProgress};
use splitbrain_scenarios::portfolio::{plan, Part};
use splitbrain_scenarios::registry::{find_protocol, ProtocolEntry};

/// Runs the portfolio `args` name; the exit code as for one exploration.
pub fn run(args: &ExploreArgs) -> Result<i32, UsageError> {
    super::common::check_outputs(&[
        ("-o", args.output.as_ref()),
        ("--junit", args.junit.as_ref()),
    ])?;
    if let Some(dir) = &args.corpus {
        std::fs::create_dir_all(dir)
            .map_err(|e| UsageError(format!("--corpus {}: cannot create: {e}", dir.display())))?;
        super::common::check_writable(&dir.join("new-repro.json"), "--corpus")?;
    }
    let base = args.target.resolve()?;
    let budget = parse_seed_range(&args.seeds).map_err(UsageError)?;
    let run_opts = args.run_options();
    let (parts, skipped) = plan(
        base.entry.as_ref(),
        &base.variant,
        &run_opts,
        budget.clone(),
    );
    let opts = ExploreOptions {
        jobs: args.jobs.unwrap_or_else(default_jobs),
        until_first: args.until_first,
        run: run_opts,
        resume_from: Vec::new(),
        guided: args.guided,
        cancel: Some(super::common::stop_on_ctrl_c()),
    };
    let total: u64 = parts.iter().map(|p| p.seeds.end - p.seeds.start).sum();
    let progress = Progress::start("explore", "seeds", total);
    let start = wall_start();
    let done = explore_parts(
        base.entry.as_ref(),
        &base.variant,
        &parts,
        &opts,
        &|n, failed| progress.advance(n, failed),
    )?;
    if let Some(last) = done.last().filter(|d| d.summary.interrupted) {
        progress.finish();
        println!(
            "interrupted: the portfolio stopped in scenario {}; nothing was written",
            last.target.scenario_arg
        );
        return Ok(EXIT_INTERRUPTED);
    }
    let mut reports = Vec::new();
    let mut targets = Vec::new();
    for (d, part) in done.into_iter().zip(&parts) {
        reports.push(build_report(
            args,
            &d.target,
            &part.seeds,
            None,
            &d.summary,
            d.wall_ms,
        ));
        targets.push(d.target);
    }
    progress.finish();
    let flags = args.flags();
    let span = SeedSpan {
        from: budget.start,
        to: budget.end,
    };
    let skipped = skipped
        .into_iter()
        .map(|s| SkippedScenario {
            scenario: s.scenario,
            reason: s.reason,
        })
        .collect();
    let report = PortfolioReport::new(span, flags, reports, skipped, wall_ms_since(start));
    write_outputs(args, &report)?;
    if let Some(dir) = &args.corpus {
        for (r, t) in report.scenarios.iter().zip(&targets) {
            if let Some(first) = &r.first_failure {
                super::corpus::add_to_corpus(dir, t, first.seed, &opts.run)?;
            }
        }
    }
    Ok(report.exit_code())
}

/// One explored part of a portfolio.
pub struct Explored {
    pub target: Target,
    pub summary: ExploreSummary,
    pub wall_ms: u64,
}

/// Explores every part in order; stops after a part that was interrupted (the last entry).
pub fn explore_parts(
    entry: &dyn ProtocolEntry,
    variant: &VariantInfo,
    parts: &[Part],
    opts: &ExploreOptions,
    progress: OnProgress<'_>,
) -> Result<Vec<Explored>, UsageError> {
    let mut out = Vec::new();
    for part in parts {
        let target = part_target(entry, variant, part)?;
        let start = wall_start();
        let seeds: Vec<u64> = part.seeds.clone().collect();
        let summary = explore(
            target.entry.as_ref(),
            &target.variant,
            &target.scenario,
            &seeds,
            opts,
            progress,
            &mut |_| {},
        )?;
        let interrupted = summary.interrupted;
        out.push(Explored {
            target,
            summary,
            wall_ms: wall_ms_since(start),
        });
        if interrupted {
            break;
        }
    }
    Ok(out)
}

/// The target of one part: the variant asked for, on the part's scenario (named by its
/// catalogue name, so reproduce lines work as printed).
fn part_target(
    entry: &dyn ProtocolEntry,
    variant: &VariantInfo,
    part: &Part,
) -> Result<Target, UsageError> {
    let name = entry.info().name;
    let entry =
        find_protocol(name).ok_or_else(|| UsageError(format!("protocol {name} vanished")))?;
    Ok(Target {
        entry,
        variant: variant.clone(),
        scenario: part.scenario.clone(),
        scenario_arg: part.scenario.name.clone(),
        mutations: None,
    })
}

fn write_outputs(args: &ExploreArgs, report: &PortfolioReport) -> Result<(), UsageError> {
    let text = serde_json::to_string_pretty(report).expect("json");
    if let Some(p) = &args.output {
        write_atomic(p, format!("{text}\n").as_bytes())?;
    }
    if args.json {
        println!("{text}");
    } else {
        print!("{}", report.summary_text());
    }
    if let Some(p) = &args.junit {
        let cases: Vec<_> = report.scenarios.iter().map(junit_case).collect();
        let xml = splitbrain_reports::junit::render("splitbrain explore --all-scenarios", &cases);
        write_atomic(p, xml.as_bytes())?;
    }
    Ok(())
}
