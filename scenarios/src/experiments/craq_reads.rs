//! CRAQ reads: chain replication answers every read at the tail, so the tail carries the
//! whole read load; CRAQ answers a read of a clean object at whichever member the client
//! asks and only asks the tail about dirty ones, so read load spreads over the chain.
//! Measured as the busiest member's share of the read work (client reads it answered plus
//! version queries it was asked) on a read-heavy load, and the read throughput that share
//! allows: if every member can do at most R units of read work per second, the chain serves
//! at most R / share reads per second (the busiest member saturates first).

use super::measure::{busiest, plain, received, run, servers};
use super::{fmt2, Effort, Experiment, Line, Outcome};
use rayon::prelude::*;
use serde_json::json;

pub const EXPERIMENT: Experiment = Experiment {
    name: "craq-reads",
    claim: "chain replication serves every read at the tail; CRAQ spreads reads over every member",
    run: perform,
};

const SIZES: [usize; 3] = [3, 5, 7];
const MANAGERS: usize = 3;

/// The busiest member's share of the read work, for `variant` with `members` members.
fn share(variant: &str, members: usize, ms: u64) -> f64 {
    let load = json!({"kind": "kv", "keys": 16, "read_percent": 90});
    let r = run(
        "chain",
        variant,
        &plain("chain", MANAGERS + members, 6, ms, load),
        1,
    );
    let nodes = servers(MANAGERS, MANAGERS + members);
    let mut work = received(&r, &["Request"], Some("Get"));
    for (node, n) in received(&r, &["VersionQuery"], None) {
        *work.entry(node).or_insert(0) += n;
    }
    let total: u64 = nodes.iter().filter_map(|n| work.get(n)).sum();
    let (_, top) = busiest(&work, &nodes);
    top as f64 / total.max(1) as f64
}

fn perform(effort: Effort) -> Outcome {
    let ms = if effort == Effort::Full { 3000 } else { 1000 };
    let rows: Vec<(usize, f64, f64)> = SIZES
        .par_iter()
        .map(|&n| (n, share("correct", n, ms), share("craq", n, ms)))
        .collect();
    let holds = rows.iter().all(|r| r.1 > 0.9 && r.2 < 0.6);
    let last = rows.last().unwrap();
    let finding = format!(
        "the busiest member did {} of the read work with tail reads and {} with CRAQ at {} members (read throughput {}x vs {}x one member's capacity){}",
        fmt2(last.1),
        fmt2(last.2),
        last.0,
        fmt2(1.0 / last.1.max(1e-9)),
        fmt2(1.0 / last.2.max(1e-9)),
        if holds {
            ": the claim holds (with CRAQ the share falls as members are added; dirty reads still ask the tail)"
        } else {
            ": the claim does NOT hold on these numbers"
        }
    );
    let line = |name: &str, pick: fn(&(usize, f64, f64)) -> f64| Line {
        name: name.to_string(),
        points: rows.iter().map(|r| (r.0 as f64, pick(r))).collect(),
    };
    Outcome {
        name: EXPERIMENT.name,
        claim: EXPERIMENT.claim,
        setup: format!(
            "fault-free chain with n members after a 3-replica Raft manager, 6 clients back to back, 90% reads on 16 keys, {} s, seed 1; read work per member = client reads delivered to it + version queries it was asked (from the trace); read throughput = 1 / busiest share, in units of one member's read capacity (the simulator gives members no service time, so throughput is derived from where the work lands, not timed)",
            ms / 1000
        ),
        columns: [
            "members",
            "tail reads: busiest share",
            "CRAQ: busiest share",
            "tail reads: throughput (x one member)",
            "CRAQ: throughput (x one member)",
        ]
        .map(String::from)
        .to_vec(),
        rows: rows
            .iter()
            .map(|r| {
                let capacity = |share: f64| fmt2(1.0 / share.max(1e-9));
                vec![
                    r.0.to_string(),
                    fmt2(r.1),
                    fmt2(r.2),
                    capacity(r.1),
                    capacity(r.2),
                ]
            })
            .collect(),
        x_label: "chain members",
        y_label: "busiest member's share of reads",
        lines: vec![line("tail reads", |r| r.1), line("CRAQ", |r| r.2)],
        holds,
        finding,
    }
}
