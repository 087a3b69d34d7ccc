//! Read scaling: ZooKeeper answers a read at whichever server the client is connected to, so
//! read load spreads as servers are added, at the price of reads that may miss recent writes
//! (ZooKeeper promises ordered reads, not linearizable ones); Raft answers every read at the
//! leader, so the leader carries the whole read load however many servers there are, and no
//! read is ever stale. Measured on fault-free, read-heavy worlds: the busiest server's share
//! of the client requests answered, the read throughput that share allows, and how stale the
//! ZooKeeper reads were.

use super::measure::{busiest, plain, run, servers};
use super::{fmt2, Effort, Experiment, Line, Outcome};
use crate::runner::RunResult;
use rayon::prelude::*;
use serde_json::json;
use splitbrain_api::{Op, Ret};
use splitbrain_sim::{OpStatus, Outcome as RunOutcome, TraceKind};
use std::collections::BTreeMap;

pub const EXPERIMENT: Experiment = Experiment {
    name: "read-scaling",
    claim: "ZooKeeper spreads reads over every server (some of them stale); Raft serves every read at the leader, none stale",
    run: perform,
};

const SIZES: [usize; 3] = [3, 5, 7];
/// Clients, enough to spread over the largest ensemble.
const CLIENTS: usize = 14;

/// One size's numbers.
#[derive(Clone, Copy)]
struct Row {
    servers: usize,
    zk_share: f64,
    raft_share: f64,
    /// Reads that missed a write completed before they were called, per cent.
    zk_stale_percent: f64,
    /// The longest a stale read lagged: from the completion of the first write it missed to
    /// the read's call, in ms.
    zk_max_lag_ms: f64,
}

/// Client requests answered by each server: replies of kind `reply` delivered to clients.
fn answered(r: &RunResult, reply: &str, servers: &[splitbrain_api::NodeId]) -> (u64, u64) {
    let mut by: BTreeMap<splitbrain_api::NodeId, u64> = BTreeMap::new();
    for e in r.record.trace.iter().flatten() {
        if e.kind == TraceKind::Deliver && e.label.starts_with(reply) {
            if let Some(from) = e.peer.filter(|p| servers.contains(p)) {
                *by.entry(from).or_insert(0) += 1;
            }
        }
    }
    let total = by.values().sum();
    (busiest(&by, servers).1, total)
}

/// The zxid a completed ZooKeeper write took effect as, if `op` is one.
fn write_zxid(op: &Op, ret: &Ret) -> Option<u64> {
    let write = matches!(
        op,
        Op::Create { .. } | Op::Delete { .. } | Op::SetData { .. } | Op::Multi { .. }
    );
    match ret {
        Ret::Created { zxid, .. }
        | Ret::Deleted { zxid }
        | Ret::Stat { zxid, .. }
        | Ret::Multi { zxid, .. }
            if write =>
        {
            Some(*zxid)
        }
        _ => None,
    }
}

/// The zxid of the state a completed ZooKeeper read reflects, if `op` is a read.
fn read_zxid(op: &Op, ret: &Ret) -> Option<u64> {
    let read = matches!(
        op,
        Op::GetData { .. } | Op::Exists { .. } | Op::GetChildren { .. }
    );
    match ret {
        Ret::Data { zxid, .. } | Ret::Stat { zxid, .. } | Ret::Children { zxid, .. } if read => {
            Some(*zxid)
        }
        _ => None,
    }
}

/// Stale reads (per cent of reads) and the longest lag of one (ms): a read is stale when a
/// write that had completed before the read was called has a higher zxid than its state.
fn staleness(r: &RunResult) -> (f64, f64) {
    let ok = r
        .record
        .history
        .ops
        .iter()
        .filter(|o| o.status == OpStatus::Ok);
    let mut writes: Vec<(u64, u64)> = Vec::new();
    let mut reads: Vec<(u64, u64)> = Vec::new();
    for o in ok {
        let (Some(ret), Some(end)) = (&o.out, o.ret_us) else {
            continue;
        };
        if let Some(z) = write_zxid(&o.op, ret) {
            writes.push((end, z));
        } else if let Some(z) = read_zxid(&o.op, ret) {
            reads.push((o.call_us, z));
        }
    }
    let (mut stale, mut max_lag_us) = (0u64, 0u64);
    for &(call, seen) in &reads {
        let missed = writes
            .iter()
            .filter(|&&(end, z)| end < call && z > seen)
            .map(|&(end, _)| end)
            .min();
        if let Some(first) = missed {
            stale += 1;
            max_lag_us = max_lag_us.max(call - first);
        }
    }
    let percent = 100.0 * stale as f64 / reads.len().max(1) as f64;
    (percent, max_lag_us as f64 / 1e3)
}

/// Seeds averaged per size (clients pick their servers at random: one seed can crowd some).
const SEEDS: [u64; 3] = [1, 2, 3];

fn measure_seed(n: usize, ms: u64, seed: u64) -> Row {
    let nodes = servers(0, n);
    let zk_load = json!({"kind": "zookeeper", "paths": 4, "read_percent": 90});
    let zk = run(
        "zab",
        "correct",
        &plain("zab", n, CLIENTS, ms, zk_load),
        seed,
    );
    let kv_load = json!({"kind": "kv", "keys": 4, "read_percent": 90});
    let raft = run(
        "raft",
        "correct",
        &plain("raft", n, CLIENTS, ms, kv_load),
        seed,
    );
    assert_eq!(
        raft.record.outcome,
        RunOutcome::Pass,
        "Raft's reads are linearizable (the run's checks pass)"
    );
    let (zk_top, zk_total) = answered(&zk, "ZkReply", &nodes);
    let (raft_top, raft_total) = answered(&raft, "ClientReply", &nodes);
    let (zk_stale_percent, zk_max_lag_ms) = staleness(&zk);
    Row {
        servers: n,
        zk_share: zk_top as f64 / zk_total.max(1) as f64,
        raft_share: raft_top as f64 / raft_total.max(1) as f64,
        zk_stale_percent,
        zk_max_lag_ms,
    }
}

/// The mean of each figure over `SEEDS` (the largest lag for the lag).
fn measure(n: usize, ms: u64) -> Row {
    let runs: Vec<Row> = SEEDS.iter().map(|&s| measure_seed(n, ms, s)).collect();
    let mean = |pick: fn(&Row) -> f64| runs.iter().map(pick).sum::<f64>() / runs.len() as f64;
    Row {
        servers: n,
        zk_share: mean(|r| r.zk_share),
        raft_share: mean(|r| r.raft_share),
        zk_stale_percent: mean(|r| r.zk_stale_percent),
        zk_max_lag_ms: runs.iter().map(|r| r.zk_max_lag_ms).fold(0.0, f64::max),
    }
}

fn perform(effort: Effort) -> Outcome {
    let ms = if effort == Effort::Full { 3000 } else { 1000 };
    let rows: Vec<Row> = SIZES.par_iter().map(|&n| measure(n, ms)).collect();
    let last = rows.last().expect("sizes");
    let spreads = last.zk_share < rows[0].zk_share && last.zk_share < 0.5;
    let holds = spreads && rows.iter().all(|r| r.raft_share > 0.95);
    let capacity = |share: f64| fmt2(1.0 / share.max(1e-9));
    let finding = format!(
        "with {} servers the busiest ZooKeeper server answered {} of the requests (read throughput {}x one server's) and {}% of its reads were stale (up to {} ms); Raft's leader answered {} ({}x), none stale{}",
        last.servers,
        fmt2(last.zk_share),
        capacity(last.zk_share),
        fmt2(last.zk_stale_percent),
        fmt2(last.zk_max_lag_ms),
        fmt2(last.raft_share),
        capacity(last.raft_share),
        if holds {
            ": the claim holds"
        } else {
            ": the claim does NOT hold on these numbers"
        }
    );
    let line = |name: &str, pick: fn(&Row) -> f64| Line {
        name: name.to_string(),
        points: rows.iter().map(|r| (r.servers as f64, pick(r))).collect(),
    };
    Outcome {
        name: EXPERIMENT.name,
        claim: EXPERIMENT.claim,
        setup: format!(
            "fault-free ZooKeeper (zab, reads at the connected server) and Raft (reads at the leader), n servers, {CLIENTS} clients back to back, 90% reads on 4 paths / keys, {} s, seeds 1-3 averaged; share = requests answered by the busiest server / all answered (replies delivered to clients, from the trace); throughput = 1 / share in units of one server's capacity (derived: servers have no service time); a ZooKeeper read is stale when a write that completed before it was called has a higher zxid than the state it reflects; Raft's reads are linearizable (its run passes the checker)",
            ms / 1000
        ),
        columns: [
            "servers",
            "ZooKeeper: busiest share",
            "Raft: busiest share",
            "ZooKeeper: throughput (x one server)",
            "Raft: throughput (x one server)",
            "ZooKeeper: stale reads %",
            "ZooKeeper: max lag ms",
        ]
        .map(String::from)
        .to_vec(),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.servers.to_string(),
                    fmt2(r.zk_share),
                    fmt2(r.raft_share),
                    capacity(r.zk_share),
                    capacity(r.raft_share),
                    fmt2(r.zk_stale_percent),
                    fmt2(r.zk_max_lag_ms),
                ]
            })
            .collect(),
        x_label: "servers",
        y_label: "busiest server's share of requests",
        lines: vec![
            line("ZooKeeper", |r| r.zk_share),
            line("Raft", |r| r.raft_share),
        ],
        holds,
        finding,
    }
}
