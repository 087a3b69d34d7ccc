//! Leader load: a Raft leader sends every write to every follower, so its messages per write
//! grow with the cluster; a chain head sends each write once, to its successor, whatever the
//! chain's length. Measured on fault-free worlds with writes only.

use super::measure::{busiest, plain, received, run, sent_by, servers, writes_ok};
use super::{fmt2, Effort, Experiment, Line, Outcome};
use rayon::prelude::*;
use serde_json::json;

pub const EXPERIMENT: Experiment = Experiment {
    name: "leader-load",
    claim: "a Raft leader's messages per write grow with the number of replicas; a chain head's stay at about one",
    run: perform,
};

const SIZES: [usize; 3] = [3, 5, 7];
/// The chain's configuration manager: three Raft replicas, servers S1..S3.
const MANAGERS: usize = 3;

/// Messages per completed write: (Raft leader, chain head, busiest chain node).
fn measure(replicas: usize, effort: Effort) -> (f64, f64, f64) {
    let ms = if effort == Effort::Full { 3000 } else { 1000 };
    let writes = json!({"kind": "kv", "keys": 8, "read_percent": 0});
    let raft = run(
        "raft",
        "correct",
        &plain("raft", replicas, 3, ms, writes.clone()),
        1,
    );
    let nodes = servers(0, replicas);
    let (_, leader_sent) = busiest(&sent_by(&raft), &nodes);
    let chain = run(
        "chain",
        "correct",
        &plain("chain", MANAGERS + replicas, 3, ms, writes),
        1,
    );
    let members = servers(MANAGERS, MANAGERS + replicas);
    let chain_sent = sent_by(&chain);
    // Clients send every write to the head: the member that received the most requests.
    let (head, _) = busiest(&received(&chain, &["Request"], None), &members);
    let head_sent = chain_sent.get(&head).copied().unwrap_or(0);
    let (_, busiest_sent) = busiest(&chain_sent, &members);
    let per = |sent: u64, r| sent as f64 / writes_ok(r).max(1) as f64;
    (
        per(leader_sent, &raft),
        per(head_sent, &chain),
        per(busiest_sent, &chain),
    )
}

fn perform(effort: Effort) -> Outcome {
    let rows: Vec<(usize, (f64, f64, f64))> =
        SIZES.par_iter().map(|&n| (n, measure(n, effort))).collect();
    let line = |name: &str, pick: fn(&(f64, f64, f64)) -> f64| Line {
        name: name.to_string(),
        points: rows.iter().map(|(n, m)| (*n as f64, pick(m))).collect(),
    };
    let lines = vec![
        line("Raft leader", |m| m.0),
        line("chain head", |m| m.1),
        line("busiest chain node", |m| m.2),
    ];
    let grows = rows.last().unwrap().1 .0 > rows[0].1 .0 * 1.5;
    let flat = rows.iter().all(|(_, m)| m.1 <= 1.5 && m.1 < m.0);
    let holds = grows && flat;
    let (first, last) = (&rows[0], rows.last().unwrap());
    let finding = format!(
        "the Raft leader sent {} messages per write with {} replicas and {} with {}; the chain head {} and {}{}",
        fmt2(first.1 .0),
        first.0,
        fmt2(last.1 .0),
        last.0,
        fmt2(first.1 .1),
        fmt2(last.1 .1),
        if holds {
            ": the claim holds (the chain's busiest node, its tail, answers clients and acknowledges upstream, about two per write)"
        } else {
            ": the claim does NOT hold on these numbers"
        }
    );
    Outcome {
        name: EXPERIMENT.name,
        claim: EXPERIMENT.claim,
        setup: format!(
            "fault-free, 3 clients writing back to back (puts, appends, cas on 8 keys) for {} s, seed 1; Raft with n servers; chain with n members and a 3-replica Raft manager; messages counted by sender from the trace, over completed writes",
            if effort == Effort::Full { 3 } else { 1 }
        ),
        columns: ["replicas", "Raft leader", "chain head", "busiest chain node"]
            .map(String::from)
            .to_vec(),
        rows: rows
            .iter()
            .map(|(n, m)| vec![n.to_string(), fmt2(m.0), fmt2(m.1), fmt2(m.2)])
            .collect(),
        x_label: "replicas",
        y_label: "messages sent per write",
        lines,
        holds,
        finding,
    }
}
