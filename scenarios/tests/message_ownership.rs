//! The kernel moves messages, effects and durable images around by pointer (taken where they
//! lie, parked, duplicated, held behind a sync, dropped at a cut or a down node). This pins
//! that each of them is dropped exactly once, whatever the run does: a gossip protocol whose
//! messages and disk images count themselves alive runs through every fault that touches a
//! message, with and without a protocol panic mid-run, and afterwards nothing is left alive
//! (a leak) and nothing was dropped twice (a count below zero).

use splitbrain_api::{
    ClientProcess, Ctx, Dur, Message, NodeId, NodeView, Op, Process, Protocol, Ret, Role, SimRng,
};
use splitbrain_sim::{
    run_world, Fault, Latency, LinkProfile, Outcome, RunRecord, Schedule, Timed, TraceKind,
    Workload, WorldConfig,
};
use std::cell::Cell;

thread_local! {
    /// Live `Counted` values on this thread (each test runs its worlds on its own thread).
    static LIVE: Cell<i64> = const { Cell::new(0) };
}

fn live() -> i64 {
    LIVE.with(Cell::get)
}

/// A value on the heap that counts itself: made and cloned +1, dropped -1.
#[derive(Debug, Hash)]
struct Counted(Box<u64>);

impl Counted {
    fn new(v: u64) -> Self {
        LIVE.with(|l| l.set(l.get() + 1));
        Counted(Box::new(v))
    }
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        Counted::new(*self.0)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        LIVE.with(|l| l.set(l.get() - 1));
    }
}

#[derive(Clone, Debug, Hash)]
enum Msg {
    Rumor(Counted),
    Echo(Counted),
    Write(Counted),
    Ack(Counted),
}

impl Message for Msg {
    fn kind(&self) -> &'static str {
        match self {
            Msg::Rumor(_) => "Rumor",
            Msg::Echo(_) => "Echo",
            Msg::Write(_) => "Write",
            Msg::Ack(_) => "Ack",
        }
    }
}

/// Every 300 µs persists a counted image and then gossips a rumour to its peers (the sends
/// wait for the sync); answers each rumour with an echo and each write with an ack.
struct Gossip {
    me: NodeId,
    peers: Vec<NodeId>,
    heard: u64,
    /// Panics on hearing this many messages.
    panic_at: Option<u64>,
}

impl Process for Gossip {
    type Msg = Msg;
    type Timer = ();
    type Durable = Counted;
    fn on_start(&mut self, ctx: &mut Ctx<Self>, durable: Option<&Counted>) {
        self.heard = durable.map_or(0, |d| *d.0);
        ctx.set_timer((), Dur(300));
    }
    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: Msg) {
        self.heard += 1;
        assert!(self.panic_at != Some(self.heard), "gossip gives up");
        match msg {
            Msg::Rumor(c) => ctx.send(from, Msg::Echo(c)),
            Msg::Write(c) => {
                ctx.persist(c.clone());
                ctx.send(from, Msg::Ack(c));
            }
            Msg::Echo(_) | Msg::Ack(_) => {}
        }
    }
    fn on_timer(&mut self, ctx: &mut Ctx<Self>, _t: ()) {
        ctx.persist(Counted::new(self.heard));
        let rumor = Msg::Rumor(Counted::new(u64::from(self.me.index() as u32)));
        ctx.broadcast(&self.peers, &rumor);
        ctx.send(self.peers[0], rumor);
        ctx.set_timer((), Dur(300));
    }
    fn view(&self) -> NodeView {
        NodeView {
            role: Role::Member,
            term: 0,
            commit: self.heard,
            log_len: 0,
        }
    }
}

/// Writes to server 0, again every millisecond until the first ack (a lost write is sent
/// again; a duplicated one is acked twice), and completes on that ack.
struct Writer {
    waiting: bool,
}

impl Process for Writer {
    type Msg = Msg;
    type Timer = ();
    type Durable = ();
    fn on_start(&mut self, _ctx: &mut Ctx<Self>, _d: Option<&()>) {}
    fn on_message(&mut self, ctx: &mut Ctx<Self>, _from: NodeId, msg: Msg) {
        if let (Msg::Ack(_), true) = (msg, self.waiting) {
            self.waiting = false;
            ctx.complete(Ret::Done);
        }
    }
    fn on_timer(&mut self, ctx: &mut Ctx<Self>, _t: ()) {
        if self.waiting {
            self.write(ctx);
        }
    }
    fn view(&self) -> NodeView {
        NodeView::default()
    }
}

impl Writer {
    fn write(&mut self, ctx: &mut Ctx<Self>) {
        ctx.send(NodeId::server(0), Msg::Write(Counted::new(7)));
        ctx.set_timer((), Dur(1_000));
    }
}

impl ClientProcess for Writer {
    fn on_invoke(&mut self, ctx: &mut Ctx<Self>, _op: Op) {
        self.waiting = true;
        self.write(ctx);
    }
}

struct Cluster {
    panic_at: Option<u64>,
}

impl Protocol for Cluster {
    type Server = Gossip;
    type Client = Writer;
    fn server(&self, id: NodeId, servers: &[NodeId]) -> Gossip {
        Gossip {
            me: id,
            peers: servers.iter().copied().filter(|&s| s != id).collect(),
            heard: 0,
            // Only S2 panics, so the others still hold messages in flight when it does.
            panic_at: self.panic_at.filter(|_| id == NodeId::server(1)),
        }
    }
    fn client(&self, _id: NodeId, _servers: &[NodeId]) -> Writer {
        Writer { waiting: false }
    }
}

/// Puts without end (the run's time bounds it).
struct Puts;

impl Workload for Puts {
    fn next_op(&mut self, _client: usize, _rng: &mut SimRng) -> Option<Op> {
        Some(Op::Put {
            key: "k".into(),
            value: "v".into(),
        })
    }
}

fn at(at_us: u64, fault: Fault) -> Timed {
    Timed { at_us, fault }
}

/// Three servers, two clients, lossy duplicating reordering links, and every fault that
/// strands a message somewhere: a pause (events parked), a crash that loses unsynced writes
/// (held sends and syncs dropped, deliveries lost at a down node), a partition (cuts).
fn run(seed: u64, panic_at: Option<u64>) -> RunRecord {
    let s = NodeId::server;
    let schedule = vec![
        at(2_000, Fault::Pause { node: s(0) }),
        at(
            3_000,
            Fault::Crash {
                node: s(2),
                lose_unsynced: true,
            },
        ),
        at(4_500, Fault::Resume { node: s(0) }),
        at(6_000, Fault::Restart { node: s(2) }),
        at(
            7_000,
            Fault::Partition {
                groups: vec![vec![s(0)], vec![s(1), s(2)]],
            },
        ),
        at(9_000, Fault::Heal),
    ];
    let cfg = WorldConfig {
        seed,
        servers: 3,
        clients: 2,
        safety_us: 12_000,
        liveness_us: 3_000,
        net: LinkProfile {
            latency: Latency::Uniform {
                min_us: 50,
                max_us: 400,
            },
            drop: 0.1,
            duplicate: 0.2,
            reorder: 0.2,
            reorder_window_us: 300,
            ..LinkProfile::default()
        },
        sync_us: (100, 900),
        think_us: (0, 100),
        schedule: Schedule::new(schedule),
        full_trace: true,
        model: "gossip".into(),
        ..WorldConfig::default()
    };
    run_world(&Cluster { panic_at }, cfg, Box::new(Puts), Vec::new())
}

fn kinds(rec: &RunRecord) -> Vec<TraceKind> {
    rec.trace
        .as_ref()
        .expect("full trace")
        .iter()
        .map(|e| e.kind)
        .collect()
}

#[test]
fn every_message_and_disk_image_is_dropped_exactly_once() {
    for seed in 0..8 {
        assert_eq!(live(), 0);
        let rec = run(seed, None);
        let seen = kinds(&rec);
        for kind in [
            TraceKind::Deliver,
            TraceKind::Duplicate,
            TraceKind::Drop,
            TraceKind::Cut,
            TraceKind::LostAtDown,
            TraceKind::Sync,
        ] {
            assert!(seen.contains(&kind), "seed {seed}: no {kind:?} in the run");
        }
        assert!(rec.op_counts().ok > 0, "seed {seed}: no write completed");
        assert_eq!(
            live(),
            0,
            "seed {seed}: counted values left alive or dropped twice"
        );
    }
}

#[test]
fn a_panic_with_messages_in_flight_drops_each_of_them_once() {
    for seed in 0..8 {
        assert_eq!(live(), 0);
        let rec = run(seed, Some(40));
        assert_eq!(rec.outcome, Outcome::Panic, "seed {seed}");
        assert!(rec
            .panic
            .as_deref()
            .unwrap_or("")
            .contains("gossip gives up"));
        assert_eq!(
            live(),
            0,
            "seed {seed}: counted values left alive or dropped twice"
        );
    }
}
