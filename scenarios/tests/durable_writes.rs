//! Incremental durable writes (`ctx.write`): a change runs on the disk's own copy, so an append
//! never copies the log; it is durable at the sync like a whole-state `persist`, lost by a
//! power loss before it, kept by a process crash, and applied in order after earlier writes.

use splitbrain_api::{ClientProcess, Ctx, Dur, Message, NodeId, NodeView, Op, Process, Protocol};
use splitbrain_sim::{
    run_world, Fault, RunRecord, Schedule, Timed, TraceKind, Workload, WorldConfig,
};
use std::cell::Cell;

thread_local! {
    /// Copies of a `Log` made on this thread (worlds run on the test's own thread).
    static COPIES: Cell<u64> = const { Cell::new(0) };
}

/// A durable log that counts its copies.
#[derive(Debug, Default)]
struct Log(Vec<u64>);

impl Clone for Log {
    fn clone(&self) -> Log {
        COPIES.with(|c| c.set(c.get() + 1));
        Log(self.0.clone())
    }
}

#[derive(Clone, Debug, Hash)]
enum NoMsg {}

impl Message for NoMsg {
    fn kind(&self) -> &'static str {
        match *self {}
    }
}

/// Appends entry `n` at `n` ms (1..=20): the first write whole, the others incremental.
struct Appender {
    log: Vec<u64>,
}

impl Process for Appender {
    type Msg = NoMsg;
    type Timer = ();
    type Durable = Log;

    fn on_start(&mut self, ctx: &mut Ctx<Self>, durable: Option<&Log>) {
        self.log = durable.map(|d| d.0.clone()).unwrap_or_default();
        if self.log.is_empty() {
            ctx.set_timer((), Dur::ms(1));
        }
    }

    fn on_message(&mut self, _ctx: &mut Ctx<Self>, _from: NodeId, msg: NoMsg) {
        match msg {}
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, _timer: ()) {
        let n = self.log.len() as u64 + 1;
        self.log.push(n);
        if n == 1 {
            ctx.persist(Log(vec![n]));
        } else {
            ctx.write(move |d: &mut Log| d.0.push(n));
        }
        if n < 20 {
            ctx.set_timer((), Dur::ms(1));
        }
    }

    fn view(&self) -> NodeView {
        NodeView {
            log_len: self.log.len() as u64,
            // The log's contents, so a test sees exactly what came back from the disk.
            commit: self.log.iter().fold(0, |h, &e| h * 31 + e),
            ..NodeView::default()
        }
    }
}

impl ClientProcess for Appender {
    fn on_invoke(&mut self, _ctx: &mut Ctx<Self>, _op: Op) {
        unreachable!("no clients")
    }
}

struct OneNode;

impl Protocol for OneNode {
    type Server = Appender;
    type Client = Appender;

    fn server(&self, _id: NodeId, _servers: &[NodeId]) -> Appender {
        Appender { log: Vec::new() }
    }

    fn client(&self, _id: NodeId, _servers: &[NodeId]) -> Appender {
        unreachable!("no clients")
    }
}

struct NoOps;

impl Workload for NoOps {
    fn next_op(&mut self, _client: usize, _rng: &mut splitbrain_api::SimRng) -> Option<Op> {
        None
    }
}

const S1: NodeId = NodeId::server(0);

/// Syncs take 5 ms and start at the first unsynced write.
fn run(schedule: Vec<Timed>) -> RunRecord {
    let cfg = WorldConfig {
        seed: 1,
        servers: 1,
        clients: 0,
        safety_us: 40_000,
        liveness_us: 0,
        sync_us: (5_000, 5_000),
        schedule: Schedule::new(schedule),
        full_trace: true,
        ..WorldConfig::default()
    };
    run_world(&OneNode, cfg, Box::new(NoOps), Vec::new())
}

/// The log S1 read back from its disk at its last restart.
fn log_after_restart(rec: &RunRecord) -> (u64, u64) {
    let trace = rec.trace.as_ref().expect("full trace");
    let restart = trace
        .iter()
        .rposition(|e| e.kind == TraceKind::Restart && e.node == Some(S1))
        .expect("restarted");
    trace[restart..]
        .iter()
        .find(|e| e.kind == TraceKind::View && e.node == Some(S1))
        .and_then(|e| e.view.as_ref())
        .map_or((0, 0), |v| (v.log_len, v.commit))
}

fn hash_of(entries: std::ops::RangeInclusive<u64>) -> u64 {
    entries.fold(0, |h, e| h * 31 + e)
}

fn crash_at(at_us: u64, lose_unsynced: bool) -> Vec<Timed> {
    vec![
        Timed {
            at_us,
            fault: Fault::Crash {
                node: S1,
                lose_unsynced,
            },
        },
        Timed {
            at_us: at_us + 1_000,
            fault: Fault::Restart { node: S1 },
        },
    ]
}

#[test]
fn nineteen_incremental_appends_never_copy_the_log() {
    COPIES.with(|c| c.set(0));
    let rec = run(Vec::new());
    assert!(!rec.outcome.is_failure(), "{}", rec.headline());
    assert_eq!(COPIES.with(Cell::get), 0, "a write copied the durable log");
}

#[test]
fn a_power_loss_keeps_exactly_the_synced_appends_in_order() {
    // Appends at 1..=20 ms; the first sync starts at 1 ms and ends at 6 ms with entries 1..=5
    // (5 was written at 5 ms, before it ended); the next covers 6..=10 and ends at 11 ms.
    let rec = run(crash_at(9_500, true));
    assert_eq!(log_after_restart(&rec), (5, hash_of(1..=5)));
}

#[test]
fn a_process_crash_keeps_the_unsynced_appends_too() {
    let rec = run(crash_at(9_500, false));
    assert_eq!(log_after_restart(&rec), (9, hash_of(1..=9)));
}
