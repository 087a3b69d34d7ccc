//! The kernel's promises, pinned with a tiny register protocol written for these tests: disks
//! lose exactly the unsynced writes, sends wait for syncs (and barriers for earlier syncs), crash points fire where they say,
//! pauses park events, panics and silence become outcomes, and runs are bounded.

use splitbrain_api::{
    ClientProcess, Ctx, Message, NodeId, NodeView, Notice, Op, Process, Protocol, Ret, Role,
    SimRng, WatchKind,
};
use splitbrain_sim::{
    run_world, Fault, Latency, LinkProfile, Outcome, RunRecord, Schedule, Timed, TraceKind,
    Workload, WorldConfig,
};

#[derive(Clone, Debug, Hash)]
enum Msg {
    Write(u64),
    Ack(u64),
    /// Answered with `Probed` after a barrier: held while an earlier write is unsynced.
    Probe(u64),
    Probed(u64),
}

impl Message for Msg {
    fn kind(&self) -> &'static str {
        match self {
            Msg::Write(_) => "Write",
            Msg::Ack(_) => "Ack",
            Msg::Probe(_) => "Probe",
            Msg::Probed(_) => "Probed",
        }
    }
}

/// Stores the last written value durably, then acknowledges it.
struct Server {
    value: u64,
    /// The node's clock when it last handled a write (shown as the view's term).
    last_now: u64,
    panic_on: Option<u64>,
    deaf: bool,
    /// A timer armed at start for this long on the node's clock.
    alarm_us: Option<u64>,
    /// The node's clock when the alarm fired (shown as the view's log length).
    alarm_fired: u64,
}

impl Process for Server {
    type Msg = Msg;
    type Timer = ();
    type Durable = u64;
    fn on_start(&mut self, ctx: &mut Ctx<Self>, durable: Option<&u64>) {
        self.value = durable.copied().unwrap_or(0);
        if let Some(us) = self.alarm_us {
            ctx.set_timer((), splitbrain_api::Dur(us));
        }
    }
    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: Msg) {
        if let Msg::Probe(v) = msg {
            ctx.barrier();
            ctx.send(from, Msg::Probed(v));
            return;
        }
        let Msg::Write(v) = msg else { return };
        assert!(self.panic_on != Some(v), "register refuses {v}");
        if self.deaf {
            return;
        }
        self.last_now = ctx.now().us();
        self.value = v;
        ctx.persist(v);
        ctx.send(from, Msg::Ack(v));
    }
    fn on_timer(&mut self, ctx: &mut Ctx<Self>, _t: ()) {
        self.alarm_fired = ctx.now().us();
    }
    fn view(&self) -> NodeView {
        NodeView {
            role: Role::Member,
            term: self.last_now,
            commit: self.value,
            log_len: self.alarm_fired,
        }
    }
}

/// With `probe`, each write goes out between two probes: `Probe(v)`, `Write(v)`,
/// `Probe(1000 + v)`.
struct Client {
    probe: bool,
    /// Gives its first operation up at once without sending it (a client that times out).
    give_up_first: bool,
}

impl Process for Client {
    type Msg = Msg;
    type Timer = ();
    type Durable = ();
    fn on_start(&mut self, _ctx: &mut Ctx<Self>, _d: Option<&()>) {}
    fn on_message(&mut self, ctx: &mut Ctx<Self>, _from: NodeId, msg: Msg) {
        if let Msg::Ack(v) = msg {
            // A notice ahead of the answer, as a ZooKeeper watch event precedes the reply
            // that reflects its change.
            ctx.notify(Notice::Watch {
                path: "/r".into(),
                kind: WatchKind::NodeDataChanged,
                zxid: v,
            });
            ctx.complete(Ret::Done);
        }
    }
    fn on_timer(&mut self, _ctx: &mut Ctx<Self>, _t: ()) {}
    fn view(&self) -> NodeView {
        NodeView::default()
    }
}

impl ClientProcess for Client {
    fn on_invoke(&mut self, ctx: &mut Ctx<Self>, op: Op) {
        let Op::Put { value, .. } = op else {
            panic!("puts only")
        };
        let v: u64 = value.parse().expect("number");
        if self.give_up_first && v == 1 {
            ctx.give_up();
            return;
        }
        if self.probe {
            ctx.send(NodeId::server(0), Msg::Probe(v));
        }
        ctx.send(NodeId::server(0), Msg::Write(v));
        if self.probe {
            ctx.send(NodeId::server(0), Msg::Probe(1_000 + v));
        }
    }
}

struct Register {
    panic_on: Option<u64>,
    deaf: bool,
    alarm_us: Option<u64>,
    probe: bool,
    give_up_first: bool,
}

impl Protocol for Register {
    type Server = Server;
    type Client = Client;
    fn server(&self, _id: NodeId, _servers: &[NodeId]) -> Server {
        Server {
            value: 0,
            last_now: 0,
            panic_on: self.panic_on,
            deaf: self.deaf,
            alarm_us: self.alarm_us,
            alarm_fired: 0,
        }
    }
    fn client(&self, _id: NodeId, _servers: &[NodeId]) -> Client {
        Client {
            probe: self.probe,
            give_up_first: self.give_up_first,
        }
    }
}

/// Writes 1, 2, 3, ... one at a time.
struct Counting(u64);

impl Workload for Counting {
    fn next_op(&mut self, _client: usize, _rng: &mut SimRng) -> Option<Op> {
        self.0 += 1;
        (self.0 <= 3).then(|| Op::Put {
            key: "r".into(),
            value: self.0.to_string().into(),
        })
    }
}

const S1: NodeId = NodeId::server(0);

/// One server, one client, 100 us links, 5 ms syncs, the client's first write at t=0.
fn run(schedule: Vec<Timed>, proto: Register, liveness_us: u64) -> RunRecord {
    let cfg = WorldConfig {
        seed: 1,
        servers: 1,
        clients: 1,
        safety_us: 20_000,
        liveness_us,
        net: LinkProfile {
            latency: Latency::Constant { us: 100 },
            ..LinkProfile::default()
        },
        sync_us: (5_000, 5_000),
        think_us: (0, 0),
        schedule: Schedule::new(schedule),
        full_trace: true,
        model: "register".into(),
        ..WorldConfig::default()
    };
    run_world(&proto, cfg, Box::new(Counting(0)), Vec::new())
}

fn correct() -> Register {
    Register {
        panic_on: None,
        deaf: false,
        alarm_us: None,
        probe: false,
        give_up_first: false,
    }
}

fn at(at_us: u64, fault: Fault) -> Timed {
    Timed { at_us, fault }
}

/// S1's value as its view showed right after its restart.
fn value_after_restart(rec: &RunRecord) -> u64 {
    let trace = rec.trace.as_ref().expect("full trace");
    let restart = trace
        .iter()
        .rposition(|e| e.kind == TraceKind::Restart && e.node == Some(S1))
        .expect("restarted");
    trace[restart..]
        .iter()
        .find(|e| e.kind == TraceKind::View && e.node == Some(S1))
        .and_then(|e| e.view.as_ref())
        .map_or(0, |v| v.commit)
}

/// A client's notices land in the history in arrival order, placed among its answers by
/// `ops_ended`, and survive the JSON round trip; a schema-1 history (no `notices`) still reads.
#[test]
fn notices_are_recorded_in_order_among_the_clients_answers() {
    let rec = run(Vec::new(), correct(), 0);
    assert_eq!(rec.history.schema_version, 2);
    let ops = &rec.history.ops;
    assert_eq!(ops.len(), 3);
    let notices = &rec.history.notices;
    assert_eq!(notices.len(), 3);
    for (i, n) in notices.iter().enumerate() {
        assert_eq!(
            n.ops_ended, i as u64,
            "notice {i} arrived before answer {i}"
        );
        assert_eq!(
            Some(n.at_us),
            ops[i].ret_us,
            "same microsecond as the answer"
        );
        let want = Notice::Watch {
            path: "/r".into(),
            kind: WatchKind::NodeDataChanged,
            zxid: i as u64 + 1,
        };
        assert_eq!(n.notice, want);
    }
    let trace = rec.trace.as_ref().expect("full trace");
    let heard = trace.iter().filter(|e| e.kind == TraceKind::Notice).count();
    assert_eq!(heard, 3);
    let text = serde_json::to_string(&rec.history).unwrap();
    assert!(text.contains(r#""notice":{"n":"watch","path":"/r","kind":"NodeDataChanged""#));
    let back: splitbrain_sim::History = serde_json::from_str(&text).unwrap();
    assert_eq!(&back, &rec.history);
    let v1 = r#"{"schema_version": 1, "model": "kv", "ops": []}"#;
    let old: splitbrain_sim::History = serde_json::from_str(v1).unwrap();
    assert!(old.notices.is_empty());
}

#[test]
fn a_power_loss_crash_loses_the_unsynced_write_and_its_held_ack() {
    // Write(1) lands at 100 us; its sync would finish at 5,100 us; power fails at 2,000 us.
    let rec = run(
        vec![
            at(
                2_000,
                Fault::Crash {
                    node: S1,
                    lose_unsynced: true,
                },
            ),
            at(3_000, Fault::Restart { node: S1 }),
        ],
        correct(),
        0,
    );
    assert_eq!(
        value_after_restart(&rec),
        0,
        "the unsynced write survived a power loss"
    );
    let trace = rec.trace.unwrap();
    assert!(
        !trace.iter().any(|e| e.label.starts_with("Ack(1)")),
        "the ack left before the write was durable"
    );
}

#[test]
fn a_process_crash_keeps_the_write_the_os_already_had() {
    let rec = run(
        vec![
            at(
                2_000,
                Fault::Crash {
                    node: S1,
                    lose_unsynced: false,
                },
            ),
            at(3_000, Fault::Restart { node: S1 }),
        ],
        correct(),
        0,
    );
    assert_eq!(value_after_restart(&rec), 1);
}

#[test]
fn sends_after_a_persist_leave_only_when_the_write_is_synced() {
    let rec = run(Vec::new(), correct(), 0);
    let trace = rec.trace.unwrap();
    let ack = trace
        .iter()
        .find(|e| e.kind == TraceKind::Deliver && e.label.starts_with("Ack(1)"))
        .expect("ack delivered");
    assert_eq!(
        ack.sent_us,
        Some(5_100),
        "ack must leave when the 5 ms sync completes"
    );
    assert_eq!(ack.at_us, 5_200);
}

#[test]
fn a_barrier_holds_sends_only_while_an_earlier_write_is_unsynced() {
    let proto = Register {
        probe: true,
        give_up_first: false,
        ..correct()
    };
    let trace = run(Vec::new(), proto, 0).trace.expect("full trace");
    let sent = |label: &str| {
        trace
            .iter()
            .find(|e| e.kind == TraceKind::Deliver && e.label.starts_with(label))
            .and_then(|e| e.sent_us)
    };
    assert_eq!(
        sent("Probed(1)"),
        Some(100),
        "nothing unsynced: leaves at once"
    );
    assert_eq!(
        sent("Probed(1001)"),
        Some(5_100),
        "behind Write(1), persisted by an earlier handler and synced at 5,100 us"
    );
}

#[test]
fn crash_after_send_fires_right_after_the_named_message_leaves() {
    let rec = run(
        vec![at(
            6_000,
            Fault::CrashAfterSend {
                node: S1,
                msg_kind: "Ack".into(),
                lose_unsynced: false,
                restart_after_us: None,
            },
        )],
        correct(),
        0,
    );
    let trace = rec.trace.unwrap();
    let crash = trace
        .iter()
        .find(|e| e.kind == TraceKind::Crash && e.node == Some(S1))
        .expect("crash point fired");
    // Write(2) arrives at 5,300 us (the client's second op starts when Ack(1) lands at 5,200),
    // syncs at 10,300 us, and Ack(2) leaves then: the first Ack after the arming at 6,000 us.
    assert_eq!(crash.at_us, 10_300);
    let ack2 = trace
        .iter()
        .find(|e| e.label.starts_with("Ack(2)"))
        .expect("Ack(2) left before the crash");
    assert_eq!(ack2.sent_us, Some(10_300));
    assert!(!trace
        .iter()
        .any(|e| e.label.starts_with("Ack(1)") && e.sent_us > Some(6_000)));
}

#[test]
fn a_crash_point_with_its_own_restart_comes_back_that_long_after_it_fired() {
    let rec = run(
        vec![at(
            6_000,
            Fault::CrashAfterSend {
                node: S1,
                msg_kind: "Ack".into(),
                lose_unsynced: false,
                restart_after_us: Some(2_500),
            },
        )],
        correct(),
        0,
    );
    let trace = rec.trace.unwrap();
    let crash = trace
        .iter()
        .find(|e| e.kind == TraceKind::Crash && e.node == Some(S1))
        .expect("crash point fired");
    assert_eq!(crash.at_us, 10_300, "fires on Ack(2), as without a restart");
    let back = trace
        .iter()
        .find(|e| e.kind == TraceKind::Restart && e.node == Some(S1) && e.at_us > 0)
        .expect("restarted by the crash point");
    assert_eq!(
        back.at_us, 12_800,
        "timed from the crash, not from the arming"
    );
}

#[test]
fn crash_before_sync_loses_exactly_the_next_write() {
    // Armed at 5,000 us: the next persist is Write(2)'s, when it lands at 5,300 us.
    let rec = run(
        vec![
            at(
                5_000,
                Fault::CrashBeforeSync {
                    node: S1,
                    restart_after_us: None,
                },
            ),
            at(12_000, Fault::Restart { node: S1 }),
        ],
        correct(),
        0,
    );
    let trace = rec.trace.as_ref().unwrap();
    let crash = trace
        .iter()
        .find(|e| e.kind == TraceKind::Crash)
        .expect("crashed");
    assert_eq!(crash.at_us, 5_300, "crash at the persist of Write(2)");
    assert!(crash.label.contains("unsynced writes lost"));
    assert_eq!(
        value_after_restart(&rec),
        1,
        "Write(1) was synced, Write(2) was not"
    );
}

#[test]
fn crash_before_sync_with_its_own_restart_comes_back_that_long_after_it_fired() {
    let rec = run(
        vec![at(
            5_000,
            Fault::CrashBeforeSync {
                node: S1,
                restart_after_us: Some(2_500),
            },
        )],
        correct(),
        0,
    );
    let trace = rec.trace.as_ref().unwrap();
    let crash = trace
        .iter()
        .find(|e| e.kind == TraceKind::Crash)
        .expect("crashed");
    assert_eq!(crash.at_us, 5_300, "crash at the persist of Write(2)");
    let back = trace
        .iter()
        .find(|e| e.kind == TraceKind::Restart && e.node == Some(S1) && e.at_us > 0)
        .expect("restarted by the crash point");
    assert_eq!(back.at_us, 7_800, "timed from the crash");
    assert_eq!(value_after_restart(&rec), 1, "Write(2) was lost");
}

#[test]
fn isolate_after_hearing_cuts_the_node_off_right_after_it_handled_the_last_awaited_message() {
    // S1 handles C1's Write(1) at 100 us and is cut off right after: the Ack(1) it held for
    // the sync leaves at 5,100 us into a cut link; every link heals 10 ms after the cut.
    let rec = run(
        vec![at(
            0,
            Fault::IsolateAfterHearing {
                node: S1,
                from: vec![NodeId::client(0)],
                heal_after_us: Some(10_000),
            },
        )],
        correct(),
        0,
    );
    let trace = rec.trace.as_ref().unwrap();
    let cut_at = |label: &str| {
        trace
            .iter()
            .find(|e| e.kind == TraceKind::Fault && e.label.starts_with(label))
            .map(|e| e.at_us)
    };
    assert_eq!(cut_at("isolate S1 (cut point)"), Some(100));
    assert_eq!(cut_at("heal (cut point)"), Some(10_100));
    assert!(trace
        .iter()
        .any(|e| e.kind == TraceKind::Cut && e.label.starts_with("Ack(1)")));
}

#[test]
fn a_paused_node_handles_its_messages_on_resume_in_order() {
    let rec = run(
        vec![
            at(50, Fault::Pause { node: S1 }),
            at(3_000, Fault::Resume { node: S1 }),
        ],
        correct(),
        0,
    );
    let trace = rec.trace.unwrap();
    let write = trace
        .iter()
        .find(|e| e.kind == TraceKind::Deliver && e.node == Some(S1))
        .expect("delivered");
    assert_eq!(write.at_us, 3_000);
    assert_eq!(write.sent_us, Some(0));
}

#[test]
fn a_panic_in_protocol_code_becomes_the_run_outcome() {
    // What a panic hook sees: the protocol's panic happens inside the world (the CLI's hook
    // stays silent for those only), and the test thread itself is outside it.
    static SEEN_INSIDE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        if message.contains("register refuses 2") && splitbrain_sim::in_world() {
            SEEN_INSIDE.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        previous(info);
    }));
    assert!(!splitbrain_sim::in_world());
    let rec = run(
        Vec::new(),
        Register {
            panic_on: Some(2),
            ..correct()
        },
        0,
    );
    assert_eq!(rec.outcome, Outcome::Panic);
    assert!(rec
        .panic
        .as_deref()
        .unwrap_or("")
        .contains("register refuses 2"));
    assert!(SEEN_INSIDE.load(std::sync::atomic::Ordering::SeqCst));
    assert!(!splitbrain_sim::in_world(), "the mark ends with the world");
}

#[test]
fn no_progress_after_the_heal_is_a_liveness_failure() {
    let rec = run(
        Vec::new(),
        Register {
            panic_on: None,
            deaf: true,
            alarm_us: None,
            probe: false,
            give_up_first: false,
        },
        10_000,
    );
    assert_eq!(rec.outcome, Outcome::Liveness);
    assert!(rec.violations[0]
        .message
        .contains("C1 completed no operation"));
}

#[test]
fn a_client_that_gave_up_before_the_heal_and_finished_is_idle_not_stuck() {
    // C1 gives its first write up at once, then completes the other two long before the
    // liveness phase: nothing of it is pending in the phase.
    let rec = run(
        Vec::new(),
        Register {
            give_up_first: true,
            ..correct()
        },
        30_000,
    );
    assert_eq!(rec.outcome, Outcome::Pass, "{:?}", rec.violations);
    let given_up = rec
        .history
        .ops
        .iter()
        .filter(|op| op.ret_us.is_none())
        .count();
    assert_eq!(given_up, 1, "the first write stays indeterminate");
}

#[test]
fn the_liveness_phase_resumes_paused_nodes_and_progress_passes() {
    // Paused for the whole safety phase: only the liveness phase's resume lets C1 progress.
    let rec = run(
        vec![at(1_000, Fault::Pause { node: S1 })],
        correct(),
        30_000,
    );
    assert_eq!(rec.outcome, Outcome::Pass, "{:?}", rec.violations);
}

#[test]
fn a_run_that_hits_its_event_bound_is_inconclusive_not_a_pass() {
    let cfg = WorldConfig {
        servers: 2,
        clients: 0,
        safety_us: u64::MAX / 4,
        liveness_us: 0,
        max_events: 1_000,
        ..WorldConfig::default()
    };
    let proto = splitbrain_protocols::pingpong::PingPong { balls: 4 };
    let rec = run_world(&proto, cfg, Box::new(Counting(0)), Vec::new());
    assert_eq!(rec.outcome, Outcome::Inconclusive);
    assert_eq!(rec.events, 1_000);
}

/// S1's clock reading when it handled Write(`v`).
fn clock_at_write(rec: &RunRecord, v: u64) -> u64 {
    let trace = rec.trace.as_ref().expect("full trace");
    let view = trace
        .iter()
        .filter_map(|e| e.view.as_ref())
        .find(|w| w.commit == v)
        .expect("write handled");
    view.term
}

#[test]
fn clock_drift_and_offset_change_what_the_node_reads_as_now() {
    // Write(2) reaches S1 at 5,300 us of world time.
    let plain = run(Vec::new(), correct(), 0);
    assert_eq!(clock_at_write(&plain, 2), 5_300);
    let fast = run(
        vec![at(
            1_000,
            Fault::ClockDrift {
                node: S1,
                ppm: 1_000_000,
            },
        )],
        correct(),
        0,
    );
    assert_eq!(
        clock_at_write(&fast, 2),
        1_000 + 2 * 4_300,
        "twice as fast from 1 ms on"
    );
    let jumped = run(
        vec![at(
            1_500,
            Fault::ClockOffset {
                node: S1,
                offset_us: 700,
            },
        )],
        correct(),
        0,
    );
    assert_eq!(clock_at_write(&jumped, 2), 6_000);
    assert_eq!(
        clock_at_write(&jumped, 1),
        100,
        "before the jump the clock was the world's"
    );
}

/// (world time, the node's own clock) when S1's start-up alarm fired.
fn alarm(schedule: Vec<Timed>) -> (u64, u64) {
    let proto = Register {
        alarm_us: Some(10_000),
        ..correct()
    };
    let rec = run(schedule, proto, 0);
    let trace = rec.trace.as_ref().expect("full trace");
    trace
        .iter()
        .find_map(|e| {
            e.view
                .as_ref()
                .filter(|v| v.log_len > 0)
                .map(|v| (e.at_us, v.log_len))
        })
        .expect("the alarm fired")
}

#[test]
fn a_drift_change_re_times_pending_timers_by_the_nodes_own_clock() {
    assert_eq!(alarm(Vec::new()), (10_000, 10_000));
    let fast = |ppm| vec![at(2_000, Fault::ClockDrift { node: S1, ppm })];
    // 8 ms of the node's clock are left at 2 ms; at double speed they pass in 4 ms.
    assert_eq!(alarm(fast(1_000_000)), (6_000, 10_000));
    // At half speed they take 16 ms.
    assert_eq!(alarm(fast(-500_000)), (18_000, 10_000));
    // An offset jump moves what the node reads, not its pending (monotonic) timers.
    let jump = vec![at(
        2_000,
        Fault::ClockOffset {
            node: S1,
            offset_us: 3_000,
        },
    )];
    assert_eq!(alarm(jump), (10_000, 13_000));
}

/// Every server sends `Beat` to every other server each 50 us (for the partition test).
struct Gossip;

struct Gossiper {
    id: NodeId,
    peers: Vec<NodeId>,
}

#[derive(Clone, Debug, Hash)]
struct Beat;

impl Message for Beat {
    fn kind(&self) -> &'static str {
        "Beat"
    }
}

impl Process for Gossiper {
    type Msg = Beat;
    type Timer = ();
    type Durable = ();
    fn on_start(&mut self, ctx: &mut Ctx<Self>, _durable: Option<&()>) {
        ctx.set_timer((), splitbrain_api::Dur(50));
    }
    fn on_message(&mut self, _ctx: &mut Ctx<Self>, _from: NodeId, _msg: Beat) {}
    fn on_timer(&mut self, ctx: &mut Ctx<Self>, _timer: ()) {
        for &p in self.peers.iter().filter(|&&p| p != self.id) {
            ctx.send(p, Beat);
        }
        ctx.set_timer((), splitbrain_api::Dur(50));
    }
    fn view(&self) -> NodeView {
        NodeView {
            role: Role::Member,
            ..NodeView::default()
        }
    }
}

impl ClientProcess for Gossiper {
    fn on_invoke(&mut self, ctx: &mut Ctx<Self>, _op: Op) {
        ctx.complete(Ret::Done);
    }
}

impl Protocol for Gossip {
    type Server = Gossiper;
    type Client = Gossiper;
    fn server(&self, id: NodeId, servers: &[NodeId]) -> Gossiper {
        Gossiper {
            id,
            peers: servers.to_vec(),
        }
    }
    fn client(&self, id: NodeId, _servers: &[NodeId]) -> Gossiper {
        Gossiper {
            id,
            peers: Vec::new(),
        }
    }
}

/// The worked example of docs/scenarios.md ("Partitions: what is cut when"), run in a world:
/// two successive `partition`s (the second replaces the first), an `add-partition` (adds to
/// it) and a `heal`. Between two faults, a message crossing a link is cut exactly when the
/// docs' table says the link is cut, and delivered otherwise.
#[test]
fn two_successive_partitions_cut_exactly_the_links_the_docs_say() {
    let schedule: Schedule = serde_json::from_str(
        r#"[{"at_us": 1000, "fault": {"kind": "partition", "groups": [["S1", "S2"], ["S3"]]}},
            {"at_us": 2000, "fault": {"kind": "partition", "groups": [["S1", "S3"], ["S2"]]}},
            {"at_us": 3000, "fault": {"kind": "add-partition", "groups": [["S1"], ["S3"]]}},
            {"at_us": 4000, "fault": {"kind": "heal"}}]"#,
    )
    .expect("the docs' schedule parses");
    let cfg = WorldConfig {
        seed: 3,
        servers: 3,
        clients: 0,
        safety_us: 5_000,
        liveness_us: 0,
        net: LinkProfile {
            latency: Latency::Constant { us: 20 },
            ..LinkProfile::default()
        },
        schedule,
        full_trace: true,
        model: "register".into(),
        ..WorldConfig::default()
    };
    let rec = run_world(&Gossip, cfg, Box::new(Counting(0)), Vec::new());
    let trace = rec.trace.as_ref().expect("full trace");
    let s = |i: usize| NodeId::server(i);
    // The docs' table: the pairs cut from each fault's time on (both directions).
    let table: [(u64, Vec<(usize, usize)>); 5] = [
        (0, vec![]),
        (1_000, vec![(0, 2), (1, 2)]),
        (2_000, vec![(0, 1), (1, 2)]),
        (3_000, vec![(0, 1), (0, 2), (1, 2)]),
        (4_000, vec![]),
    ];
    for (i, (from, pairs)) in table.iter().enumerate() {
        let until = table.get(i + 1).map_or(5_000, |t| t.0);
        for a in 0..3 {
            for b in (0..3).filter(|&b| b != a) {
                let cut = pairs.contains(&(a.min(b), a.max(b)));
                let crossing: Vec<TraceKind> = trace
                    .iter()
                    .filter(|e| *from < e.at_us && e.at_us < until)
                    .filter(|e| e.peer == Some(s(a)) && e.node == Some(s(b)))
                    .filter(|e| matches!(e.kind, TraceKind::Deliver | TraceKind::Cut))
                    .map(|e| e.kind)
                    .collect();
                let want = if cut {
                    TraceKind::Cut
                } else {
                    TraceKind::Deliver
                };
                assert!(
                    crossing.len() >= 10 && crossing.iter().all(|&k| k == want),
                    "from {from} us, S{} -> S{}: want every message {want:?}, got {crossing:?}",
                    a + 1,
                    b + 1
                );
            }
        }
    }
}
