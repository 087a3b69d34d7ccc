//! `splitbrain bench kernel`: kernel events per second on a ping-pong protocol, beside a raw
//! `BinaryHeap` push/pop loop over the same number of events (the floor), and their ratio.
//! `splitbrain bench PROTOCOL` (a protocol's swarm): see `bench_swarm`.

use super::common::{count_flag, jobs_flag, wall_start, EXIT_PASS};
use super::progress::Progress;
use serde_json::json;
use splitbrain_api::{Op, SimRng};
use splitbrain_protocols::pingpong::PingPong;
use splitbrain_sim::{run_world, Latency, LinkProfile, Workload, WorldConfig};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// What to measure: `kernel` (events/s against a bare heap), `persist` (making one append
    /// durable on a 100k-entry log, whole state vs incremental write) or a registered protocol's
    /// swarm (`raft`, `paxos`, `multipaxos`, `chain`, `zab`, `zookeeper` (ZAB's `zab-zk-swarm`,
    /// judged by the ZooKeeper ordering checker), or one a program registered: its
    /// `PROTOCOL-swarm` scenario, else `generic-swarm`; ms per seed and simulated/wall on one
    /// core, seeds per minute on all cores).
    pub what: String,
    /// Seed range A..B of the measurement (protocol swarms).
    #[arg(long, default_value = "0..1000", value_name = "A..B")]
    pub seeds: String,
    /// Worker threads for the all-cores figure (protocol swarms; default: every core).
    #[arg(short = 'j', long, value_name = "N", value_parser = jobs_flag())]
    pub jobs: Option<usize>,
    /// Events per measurement.
    #[arg(long, default_value_t = 5_000_000, value_parser = count_flag(1, 1_000_000_000))]
    pub events: u64,
    /// Messages in flight at once.
    #[arg(long, default_value_t = 64, value_parser = count_flag(1, 1_000_000))]
    pub balls: u64,
    /// Trials. `kernel` and `persist` (default 5): interleaved, the best of each side is
    /// reported. Protocol swarms (default 1): the one-core and all-cores passes are repeated
    /// in turn, and each figure is the median over the trials, with its range.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub trials: Option<u32>,
    /// Print the figures as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Trials of `bench kernel` and `bench persist` unless `--trials` says otherwise.
const KERNEL_TRIALS: u32 = 5;

struct NoOps;

impl Workload for NoOps {
    fn next_op(&mut self, _client: usize, _rng: &mut SimRng) -> Option<Op> {
        None
    }
}

/// Runs the ping-pong world; returns (events, seconds).
pub fn kernel_run(events: u64, balls: u64) -> (u64, f64) {
    let cfg = WorldConfig {
        servers: 2,
        clients: 0,
        safety_us: u64::MAX / 4,
        liveness_us: 0,
        max_events: events,
        net: LinkProfile {
            latency: Latency::Constant { us: 100 },
            ..LinkProfile::default()
        },
        ..WorldConfig::default()
    };
    let proto = PingPong { balls };
    let start = wall_start();
    let rec = run_world(&proto, cfg, Box::new(NoOps), Vec::new());
    (rec.events, start.elapsed().as_secs_f64())
}

/// The floor: the same number of pops and pushes on a bare heap of (time, seq, slot).
pub fn heap_floor(events: u64, balls: u64) -> f64 {
    let mut heap = BinaryHeap::with_capacity(balls as usize);
    for b in 0..balls {
        heap.push(Reverse((100u64, b, b as u32)));
    }
    let mut seq = balls;
    let start = wall_start();
    for _ in 0..events {
        let Reverse((t, _, slot)) = heap.pop().expect("never empty");
        seq += 1;
        heap.push(Reverse((black_box(t + 100), seq, slot)));
    }
    black_box(&heap);
    start.elapsed().as_secs_f64()
}

pub fn run(args: &BenchArgs) -> i32 {
    if args.what.eq_ignore_ascii_case("persist") {
        return super::bench_persist::run(args.trials.unwrap_or(KERNEL_TRIALS), args.json);
    }
    if !args.what.eq_ignore_ascii_case("kernel") {
        let trials = args.trials.unwrap_or(1);
        return super::bench_swarm::run(&args.what, &args.seeds, args.jobs, trials, args.json);
    }
    let _ = kernel_run(args.events / 10, args.balls); // warm-up
                                                      // Interleaved trials, best of each: the machine is shared and noisy, and the minimum is
                                                      // the figure least disturbed by other work.
    let (mut events, mut secs, mut floor_secs) = (0, f64::MAX, f64::MAX);
    let trials = args.trials.unwrap_or(KERNEL_TRIALS);
    let progress = Progress::start("bench kernel", "trials", u64::from(trials));
    for _ in 0..trials {
        let (n, s) = kernel_run(args.events, args.balls);
        events = n;
        secs = secs.min(s);
        floor_secs = floor_secs.min(heap_floor(n, args.balls));
        progress.advance(1, 0);
    }
    progress.finish();
    let eps = events as f64 / secs;
    let floor_eps = events as f64 / floor_secs;
    let ratio = floor_eps / eps;
    if args.json {
        println!(
            "{}",
            json!({"events": events, "events_per_sec": eps, "floor_events_per_sec": floor_eps, "ratio": ratio})
        );
    } else {
        println!(
            "kernel (ping-pong, {} in flight): {events} events in {secs:.3}s = {:.2} M events/s",
            args.balls,
            eps / 1e6
        );
        println!("floor (BinaryHeap push/pop):      {events} events in {floor_secs:.3}s = {:.2} M events/s", floor_eps / 1e6);
        println!("ratio (kernel cost / floor cost per event): {ratio:.2}");
    }
    EXIT_PASS
}
