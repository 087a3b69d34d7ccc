//! The herd effect: with ZooKeeper's simple lock every release fires the watch of every
//! waiting client, and they all try to create the lock again, so the messages one hand-off
//! costs grow with the number of waiters; with the scalable lock each waiter watches only the
//! znode just below its own, so a release wakes one client and a hand-off costs the same
//! whatever the queue's length. Measured on fault-free worlds of ZAB with 3 servers where
//! n + 2 clients run the lock recipe without end: one holds for 100 ms, the one that
//! released last rests as long before it tries again, and n wait.
//!
//! Counted from the trace, by send time, between the first measured acquisition and the
//! last: the recipe's client-server messages (requests, replies, connects and their
//! answers; the clients' heartbeats `ClientPing`/`ClientPong` left out), and the servers'
//! messages the recipe's writes cause (`Forward`, `Proposal`, `Commit`; `Ping`, `Touch` and
//! `Ack`, which also answers a ping, left out). Watch notifications are counted apart, from
//! the clients' notices: ZooKeeper sends each as a message of its own, but this ZAB carries
//! them on the next reply or heartbeat answer (every 100 ms), which is also why a lock is
//! held 100 ms here: long enough for a release to reach every waiter before the next.

use super::measure::{plain, run};
use super::{fmt2, Effort, Experiment, Line, Outcome};
use crate::recipe_checks::holds;
use rayon::prelude::*;
use serde_json::json;
use splitbrain_api::Notice;
use splitbrain_protocols::zab::recipes::Recipe;
use splitbrain_sim::{RunRecord, TraceKind};

pub const EXPERIMENT: Experiment = Experiment {
    name: "herd-effect",
    claim: "a simple ZooKeeper lock's messages per hand-off grow with the number of waiting clients; the scalable lock's stay constant",
    run: perform,
};

const WAITING: [usize; 3] = [1, 10, 100];
const HOLD_MS: u64 = 100;
/// Client heartbeats: they flow whether or not anyone takes the lock.
const HEARTBEATS: [&str; 2] = ["ClientPing", "ClientPong"];
/// Server messages a client's write causes (ZAB's own heartbeats and acks left out).
const WRITE_PATH: [&str; 3] = ["Forward", "Proposal", "Commit"];
/// Acquisitions before the measured window: the queue forms.
const WARM_UP: usize = 2;

/// What one world measured, per hand-off.
#[derive(Copy, Clone, Debug, Default)]
struct PerHandOff {
    handoffs: usize,
    /// Requests and replies between clients and servers.
    calls: f64,
    /// Watch notifications the clients received.
    notifications: f64,
    /// Forward, Proposal and Commit among the servers.
    server: f64,
}

impl PerHandOff {
    /// Client-server messages sent (requests and replies).
    fn client_msgs(&self) -> f64 {
        self.calls
    }
}

/// Hand-offs measured after the warm-up.
fn handoffs(effort: Effort) -> usize {
    if effort == Effort::Full {
        20
    } else {
        5
    }
}

fn measure(recipe: Recipe, waiting: usize, effort: Effort) -> PerHandOff {
    let clients = waiting + 2;
    let wanted = handoffs(effort);
    // A woken waiter hears its notification with its next heartbeat answer (every 100 ms),
    // and a herd of retries queues up at the leader.
    let per_handoff_ms = HOLD_MS + 120 + waiting as u64;
    let safety_ms = (WARM_UP + wanted + 3) as u64 * per_handoff_ms + 500;
    // Fault-free: no watch is lost, so waiters wait for their watch alone.
    let workload =
        json!({"kind": "recipe", "recipe": recipe.word(), "hold_ms": HOLD_MS, "recheck_ms": null});
    let scenario = plain("zab", 3, clients, safety_ms, workload);
    let result = run("zab", "correct", &scenario, 1);
    count(&result.record, recipe, wanted)
}

/// Counts the messages of `wanted` hand-offs after the warm-up.
fn count(record: &RunRecord, recipe: Recipe, wanted: usize) -> PerHandOff {
    let acquired: Vec<u64> = holds(recipe, &record.history).iter().map(|h| h.1).collect();
    let last = acquired.len().saturating_sub(1);
    let (start, end) = (WARM_UP.min(last), (WARM_UP + wanted).min(last));
    if end <= start {
        return PerHandOff::default();
    }
    let window = acquired[start]..acquired[end];
    let mut m = PerHandOff {
        handoffs: end - start,
        ..PerHandOff::default()
    };
    let trace = record.trace.as_deref().expect("full trace");
    for e in trace {
        let sent = matches!(
            e.kind,
            TraceKind::Deliver | TraceKind::Drop | TraceKind::Cut | TraceKind::LostAtDown
        );
        if !sent || !e.sent_us.is_some_and(|t| window.contains(&t)) {
            continue;
        }
        let kind = e.label.split([' ', '{', '(']).next().unwrap_or("");
        let client_side = [e.node, e.peer].iter().flatten().any(|n| n.is_client());
        if client_side && !HEARTBEATS.contains(&kind) {
            m.calls += 1.0;
        } else if !client_side && WRITE_PATH.contains(&kind) {
            m.server += 1.0;
        }
    }
    m.notifications = record
        .history
        .notices
        .iter()
        .filter(|n| matches!(n.notice, Notice::Watch { .. }) && window.contains(&n.at_us))
        .count() as f64;
    let n = m.handoffs as f64;
    m.calls /= n;
    m.notifications /= n;
    m.server /= n;
    m
}

fn perform(effort: Effort) -> Outcome {
    let cases: Vec<(Recipe, usize)> = [Recipe::SimpleLock, Recipe::ScalableLock]
        .iter()
        .flat_map(|&r| WAITING.iter().map(move |&n| (r, n)))
        .collect();
    let measured: Vec<PerHandOff> = cases
        .par_iter()
        .map(|&(r, n)| measure(r, n, effort))
        .collect();
    let pick = |r: Recipe, n: usize| {
        let i = cases.iter().position(|&c| c == (r, n)).expect("measured");
        measured[i]
    };
    let line = |name: &str, r: Recipe| Line {
        name: name.to_string(),
        points: WAITING
            .iter()
            .map(|&n| (n as f64, pick(r, n).client_msgs()))
            .collect(),
    };
    let lines = vec![
        line("simple lock", Recipe::SimpleLock),
        line("scalable lock", Recipe::ScalableLock),
    ];
    let (lo, hi) = (WAITING[0], WAITING[WAITING.len() - 1]);
    let simple = (pick(Recipe::SimpleLock, lo), pick(Recipe::SimpleLock, hi));
    let scalable = (
        pick(Recipe::ScalableLock, lo),
        pick(Recipe::ScalableLock, hi),
    );
    let all_measured = measured.iter().all(|m| m.handoffs > 0);
    let grows = simple.1.client_msgs() > 5.0 * simple.0.client_msgs().max(1.0);
    let flat = scalable.1.client_msgs() <= 1.5 * scalable.0.client_msgs().max(1.0);
    let holds = all_measured && grows && flat;
    let finding = format!(
        "one hand-off of the simple lock cost {} client-server messages with {lo} waiting client and {} with {hi} (and {} and {} watch notifications); the scalable lock {} and {} (and {} and {} notifications){}",
        fmt2(simple.0.client_msgs()),
        fmt2(simple.1.client_msgs()),
        fmt2(simple.0.notifications),
        fmt2(simple.1.notifications),
        fmt2(scalable.0.client_msgs()),
        fmt2(scalable.1.client_msgs()),
        fmt2(scalable.0.notifications),
        fmt2(scalable.1.notifications),
        if holds {
            ": the claim holds (every release of the simple lock wakes the whole herd, which all try create again; the scalable lock wakes only the next in line)"
        } else if !all_measured {
            ": the claim could NOT be measured (a world handed the lock off too few times)"
        } else {
            ": the claim does NOT hold on these numbers"
        }
    );
    let rows = cases
        .iter()
        .zip(&measured)
        .map(|(&(r, n), m)| {
            vec![
                r.word().to_string(),
                n.to_string(),
                m.handoffs.to_string(),
                fmt2(m.client_msgs()),
                fmt2(m.notifications),
                fmt2(m.server),
            ]
        })
        .collect();
    Outcome {
        name: EXPERIMENT.name,
        claim: EXPERIMENT.claim,
        setup: format!(
            "fault-free ZAB, 3 servers, seed 1; n + 2 clients run the lock recipe without end, each holding {HOLD_MS} ms and resting as long after a release (so n wait at every hand-off); after {WARM_UP} acquisitions, {} hand-offs are measured by send time; client-server messages = requests and replies (the heartbeats ClientPing/ClientPong left out); watch notifications counted apart (one message each in ZooKeeper; here they ride on the next reply or heartbeat answer, every 100 ms); server messages = Forward, Proposal, Commit (Ping, Ack, Touch left out)",
            handoffs(effort)
        ),
        columns: [
            "lock",
            "waiting",
            "hand-offs",
            "client-server msgs per hand-off",
            "watch notifications per hand-off",
            "server msgs per hand-off",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        x_label: "waiting clients",
        y_label: "client-server messages per lock hand-off",
        lines,
        holds,
        finding,
    }
}
