//! `splitbrain bench persist`: what making one appended entry durable costs on a node whose
//! log already holds 100,000 entries, written whole (`ctx.persist` of a copy of the log, the
//! only way before `ctx.write`) and incrementally (`ctx.write` of the append): the first costs
//! O(log), the second O(appended entries).

use super::common::{wall_start, EXIT_PASS};
use serde_json::json;
use splitbrain_api::{
    ClientProcess, Ctx, Dur, Message, NodeId, NodeView, Op, Process, Protocol, SimRng,
};
use splitbrain_sim::{run_world, Workload, WorldConfig};

/// Entries in the log before the measured appends.
pub const BASE_ENTRIES: u64 = 100_000;
/// Appends measured per mode.
pub const APPENDS: u64 = 2_000;

/// The bench sends no messages.
#[derive(Clone, Debug, Hash)]
pub enum NoMsg {}

impl Message for NoMsg {
    fn kind(&self) -> &'static str {
        match *self {}
    }
}

/// One server appending an entry every millisecond and making it durable.
pub struct Appender {
    log: Vec<u64>,
    incremental: bool,
    left: u64,
}

impl Process for Appender {
    type Msg = NoMsg;
    type Timer = ();
    type Durable = Vec<u64>;

    fn on_start(&mut self, ctx: &mut Ctx<Self>, durable: Option<&Vec<u64>>) {
        assert!(durable.is_none(), "the bench never crashes");
        self.log = (0..BASE_ENTRIES).collect();
        ctx.persist(self.log.clone());
        ctx.set_timer((), Dur::ms(1));
    }

    fn on_message(&mut self, _ctx: &mut Ctx<Self>, _from: NodeId, msg: NoMsg) {
        match msg {}
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, _timer: ()) {
        if self.left == 0 {
            return;
        }
        self.left -= 1;
        let entry = self.log.len() as u64;
        self.log.push(entry);
        if self.incremental {
            ctx.write(move |disk: &mut Vec<u64>| disk.push(entry));
        } else {
            ctx.persist(self.log.clone());
        }
        ctx.set_timer((), Dur::ms(1));
    }

    fn view(&self) -> NodeView {
        NodeView {
            log_len: self.log.len() as u64,
            ..NodeView::default()
        }
    }
}

impl ClientProcess for Appender {
    fn on_invoke(&mut self, _ctx: &mut Ctx<Self>, _op: Op) {
        unreachable!("the bench has no clients")
    }
}

struct Bench {
    incremental: bool,
    appends: u64,
}

impl Protocol for Bench {
    type Server = Appender;
    type Client = Appender;

    fn server(&self, _id: NodeId, _servers: &[NodeId]) -> Appender {
        Appender {
            log: Vec::new(),
            incremental: self.incremental,
            left: self.appends,
        }
    }

    fn client(&self, _id: NodeId, _servers: &[NodeId]) -> Appender {
        unreachable!("the bench has no clients")
    }
}

struct NoOps;

impl Workload for NoOps {
    fn next_op(&mut self, _client: usize, _rng: &mut SimRng) -> Option<Op> {
        None
    }
}

/// Seconds for one world of `appends` appends.
fn world(incremental: bool, appends: u64) -> f64 {
    let cfg = WorldConfig {
        servers: 1,
        clients: 0,
        safety_us: (appends + 10) * 1_000,
        liveness_us: 0,
        ..WorldConfig::default()
    };
    let start = wall_start();
    let rec = run_world(
        &Bench {
            incremental,
            appends,
        },
        cfg,
        Box::new(NoOps),
        Vec::new(),
    );
    assert!(!rec.outcome.is_failure(), "{}", rec.headline());
    start.elapsed().as_secs_f64()
}

/// Microseconds per append, the world without appends subtracted; best of `trials`.
fn per_append_us(incremental: bool, trials: u32) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..trials.max(1) {
        let cost = world(incremental, APPENDS) - world(incremental, 0);
        best = best.min(cost.max(0.0) / APPENDS as f64 * 1e6);
    }
    best
}

pub fn run(trials: u32, json_out: bool) -> i32 {
    let whole = per_append_us(false, trials);
    let incremental = per_append_us(true, trials);
    if json_out {
        let out = json!({
            "base_entries": BASE_ENTRIES,
            "appends": APPENDS,
            "whole_us_per_append": whole,
            "incremental_us_per_append": incremental,
        });
        println!("{out}");
    } else {
        println!(
            "persist one append on a {BASE_ENTRIES}-entry log ({APPENDS} appends, best of {trials}):"
        );
        println!("  whole state (ctx.persist of a copy): {whole:10.2} us per append");
        println!("  incremental (ctx.write of the append): {incremental:8.2} us per append");
    }
    EXIT_PASS
}
