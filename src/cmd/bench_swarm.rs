//! `splitbrain bench PROTOCOL` (`raft`, `paxos`, `multipaxos`, `chain`, `zab`, or any registered
//! protocol: its `PROTOCOL-swarm` scenario, else `generic-swarm`; `zookeeper` is ZAB's
//! `zab-zk-swarm`, the ZooKeeper service judged by its ordering checker): the protocol's swarm
//! scenario (`PROTOCOL-swarm`: 5 servers, or 3 manager replicas and 3 chain nodes for
//! `chain`; 3 clients issuing operations back to back, 10
//! simulated seconds per seed; the per-seed shapes its `vary` block draws are off, so the
//! figure is always for this one workload): on one core the time per seed with its linearizability check,
//! split into the simulation (the world with its online invariants) and the offline check,
//! events per second and simulated time per wall time for both; on all cores the seeds per
//! minute of a plain `explore`. With `--trials N` both passes run N times in turn and each
//! figure is the median, with its range (`bench_report`).

use super::bench_report::{OneCore, Report, Trial};
use super::common::{default_jobs, wall_start, EXIT_PASS, EXIT_USAGE};
use super::progress::Progress;
use splitbrain_scenarios::explore::{explore, ExploreOptions};
use splitbrain_scenarios::linearizability;
use splitbrain_scenarios::registry::{find_protocol, protocol_names, scenarios_for, ProtocolEntry};
use splitbrain_scenarios::runner::resolve_variant;
use splitbrain_scenarios::{run_seed, RunOptions, Scenario};
use std::hint::black_box;

/// One core: seeds run back to back, each with its history check, as `explore --jobs 1`
/// does. The check's share is timed by checking each history once more on its own.
fn one_core(
    entry: &dyn ProtocolEntry,
    scenario: &Scenario,
    seeds: &std::ops::Range<u64>,
    progress: &Progress,
) -> OneCore {
    let variant =
        resolve_variant(entry, None).expect("a benchmarked protocol has a correct variant");
    let mut out = OneCore {
        secs: 0.0,
        check_secs: 0.0,
        events: 0,
        sim_us: 0,
    };
    for seed in seeds.clone() {
        let start = wall_start();
        let r = run_seed(entry, &variant, scenario, seed, &RunOptions::default())
            .expect("the built-in scenario runs");
        out.secs += start.elapsed().as_secs_f64();
        let start = wall_start();
        check_alone(&r.record.history);
        out.check_secs += start.elapsed().as_secs_f64();
        out.events += r.record.events;
        out.sim_us += r.record.sim_time_us;
        progress.advance(1, u64::from(r.record.outcome.is_failure()));
    }
    out
}

/// The offline check the runner gives the history: ZooKeeper's ordering checker for a
/// `zookeeper` history, linearizability for the others.
fn check_alone(h: &splitbrain_sim::History) {
    if h.model == "zookeeper" {
        black_box(splitbrain_scenarios::history_checks::zookeeper_order(h));
    } else {
        black_box(linearizability::check(h));
    }
}

/// All cores: `explore` over the same seeds. Returns seconds.
fn all_cores(
    entry: &dyn ProtocolEntry,
    scenario: &Scenario,
    seeds: &std::ops::Range<u64>,
    jobs: usize,
    progress: &Progress,
) -> f64 {
    let variant =
        resolve_variant(entry, None).expect("a benchmarked protocol has a correct variant");
    let opts = ExploreOptions {
        jobs,
        until_first: false,
        run: RunOptions::default(),
        resume_from: Vec::new(),
        guided: false,
        cancel: None,
    };
    let list: Vec<u64> = seeds.clone().collect();
    let start = wall_start();
    explore(
        entry,
        &variant,
        scenario,
        &list,
        &opts,
        &|n, failed| progress.advance(n, failed),
        &mut |_| {},
    )
    .expect("the built-in scenario explores");
    start.elapsed().as_secs_f64()
}

/// `own` (the protocol's own `NAME-swarm` scenario unless named), else `generic-swarm` if its
/// clients speak `kv`.
fn swarm_scenario(entry: &dyn ProtocolEntry, own: Option<&str>) -> Option<Scenario> {
    let own = own.map_or_else(|| format!("{}-swarm", entry.info().name), str::to_string);
    let all = scenarios_for(entry);
    let found = all.iter().find(|s| s.name == own);
    found
        .or_else(|| all.iter().find(|s| s.name == "generic-swarm"))
        .cloned()
}

pub fn run(protocol: &str, range: &str, jobs: Option<usize>, trials: u32, as_json: bool) -> i32 {
    let range = match super::common::parse_seed_range(range) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    // `zookeeper`: the ZooKeeper service on ZAB, its swarm judged by the ordering checker.
    let (protocol, own) = if protocol.eq_ignore_ascii_case("zookeeper") {
        ("zab", Some("zab-zk-swarm"))
    } else {
        (protocol, None)
    };
    let Some(entry) = find_protocol(protocol) else {
        eprintln!(
            "error: bench: `{protocol}` is neither `kernel` nor a registered protocol; known: {}",
            protocol_names().join(", ")
        );
        return EXIT_USAGE;
    };
    let Some(mut scenario) = swarm_scenario(entry.as_ref(), own) else {
        eprintln!(
            "error: bench: {protocol} has no `{protocol}-swarm` scenario, and its clients do not \
             speak the `kv` workload of `generic-swarm`"
        );
        return EXIT_USAGE;
    };
    // The figure is for the swarm's standard shape (its own servers, clients and length);
    // `explore` draws a shape per seed, whose cost varies with the cluster and the load.
    scenario.vary = None;
    let jobs = jobs.unwrap_or_else(default_jobs);
    let seeds = range.end - range.start;
    let label = format!("bench {}", entry.info().name);
    let progress = Progress::start(
        &label,
        "seeds (one core, then all)",
        2 * seeds * u64::from(trials),
    );
    // The passes alternate, so a slow spell of a shared machine falls on both figures.
    let runs: Vec<Trial> = (0..trials)
        .map(|_| Trial {
            one: one_core(entry.as_ref(), &scenario, &range, &progress),
            wide_secs: all_cores(entry.as_ref(), &scenario, &range, jobs, &progress),
        })
        .collect();
    progress.finish();
    let report = Report {
        protocol: entry.info().name,
        scenario: &scenario,
        checker: if own.is_some() {
            "ZooKeeper ordering check"
        } else {
            "linearizability check"
        },
        seeds,
        jobs,
        runs: &runs,
    };
    if as_json {
        println!("{}", report.json());
    } else {
        report.print();
    }
    EXIT_PASS
}
