//! What the experiments share: building a plain scenario from its JSON, running one world of
//! a built-in protocol with its trace, and reading numbers off the trace and the history
//! (messages each server sent, who served which requests, latency quantiles).

use crate::registry::find_protocol;
use crate::runner::{resolve_variant, run_seed, RunOptions, RunResult};
use crate::scenario::Scenario;
use splitbrain_api::NodeId;
use splitbrain_sim::{OpStatus, TraceKind};
use std::collections::BTreeMap;

/// A scenario from its JSON (the experiments write theirs the way a user would).
pub fn scenario(json: serde_json::Value) -> Scenario {
    serde_json::from_value(json).expect("an experiment's scenario is well-formed")
}

/// A fault-free world: `clients` clients issuing operations back to back for `safety_ms`,
/// then a short quiet phase; `workload` is the scenario's `workload` object.
pub fn plain(
    protocol: &str,
    servers: usize,
    clients: usize,
    safety_ms: u64,
    workload: serde_json::Value,
) -> Scenario {
    scenario(serde_json::json!({
        "name": "experiment",
        "protocol": protocol,
        "servers": servers,
        "clients": clients,
        "safety_ms": safety_ms,
        "liveness_ms": 500,
        "workload": workload,
    }))
}

/// Runs `seed` of `scenario` with `variant` of `protocol`, keeping the full trace.
pub fn run(protocol: &str, variant: &str, scenario: &Scenario, seed: u64) -> RunResult {
    run_with(protocol, variant, scenario, seed, true)
}

/// Runs `seed` of `scenario` with `variant` of `protocol`; `full_trace` keeps the trace.
pub fn run_with(
    protocol: &str,
    variant: &str,
    scenario: &Scenario,
    seed: u64,
    full_trace: bool,
) -> RunResult {
    let entry = find_protocol(protocol).expect("experiments use built-in protocols");
    let variant = resolve_variant(entry.as_ref(), Some(variant)).expect("a built-in variant");
    let opts = RunOptions {
        full_trace,
        skip_evidence: true,
        ..RunOptions::default()
    };
    run_seed(entry.as_ref(), &variant, scenario, seed, &opts).expect("the experiment runs")
}

/// Messages each node sent (delivered, dropped, cut or lost at a down receiver; a network
/// duplicate is not a send), by sender.
pub fn sent_by(result: &RunResult) -> BTreeMap<NodeId, u64> {
    let mut sent = BTreeMap::new();
    for e in trace(result) {
        let delta: i64 = match e.kind {
            TraceKind::Deliver | TraceKind::Drop | TraceKind::Cut | TraceKind::LostAtDown => 1,
            TraceKind::Duplicate => -1,
            _ => 0,
        };
        if let (Some(from), true) = (e.peer, delta != 0) {
            let n = sent.entry(from).or_insert(0i64);
            *n += delta;
        }
    }
    sent.into_iter()
        .map(|(k, v)| (k, v.max(0) as u64))
        .collect()
}

/// Messages delivered to each node whose label starts with one of `kinds` and, when given,
/// contains `detail` (`Request` carrying `Get`, say).
pub fn received(result: &RunResult, kinds: &[&str], detail: Option<&str>) -> BTreeMap<NodeId, u64> {
    let mut got = BTreeMap::new();
    for e in trace(result) {
        let wanted = e.kind == TraceKind::Deliver
            && kinds.iter().any(|k| e.label.starts_with(k))
            && detail.is_none_or(|d| e.label.contains(d));
        if let (true, Some(to)) = (wanted, e.node) {
            *got.entry(to).or_insert(0) += 1;
        }
    }
    got
}

fn trace(result: &RunResult) -> &[splitbrain_sim::TraceEvent] {
    result
        .record
        .trace
        .as_deref()
        .expect("experiments run with the full trace")
}

/// Completed operations that are not reads (`get`).
pub fn writes_ok(result: &RunResult) -> u64 {
    result
        .record
        .history
        .ops
        .iter()
        .filter(|op| op.status == OpStatus::Ok && !op.op.label().starts_with("get "))
        .count() as u64
}

/// Latencies in ms of completed operations called in `[from_us, to_us)` whose label starts
/// with `prefix` (empty: all).
pub fn latencies_ms(result: &RunResult, from_us: u64, to_us: u64, prefix: &str) -> Vec<f64> {
    result
        .record
        .history
        .ops
        .iter()
        .filter(|op| op.status == OpStatus::Ok && (from_us..to_us).contains(&op.call_us))
        .filter(|op| op.op.label().starts_with(prefix))
        .filter_map(|op| op.ret_us.map(|r| (r - op.call_us) as f64 / 1e3))
        .collect()
}

/// The `q` quantile (0..=1) of `xs` (nearest rank); NaN when empty.
pub fn quantile(xs: &[f64], q: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// The node of `nodes` with the largest count (the first on ties), and that count.
pub fn busiest(counts: &BTreeMap<NodeId, u64>, nodes: &[NodeId]) -> (NodeId, u64) {
    nodes
        .iter()
        .map(|&n| (n, counts.get(&n).copied().unwrap_or(0)))
        .fold((nodes[0], 0), |best, c| if c.1 > best.1 { c } else { best })
}

/// Servers `S{from+1}..=S{to}` (0-based indices `from..to`).
pub fn servers(from: usize, to: usize) -> Vec<NodeId> {
    (from..to).map(NodeId::server).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_nearest_rank() {
        let xs = [5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(quantile(&xs, 0.5), 3.0);
        assert_eq!(quantile(&xs, 1.0), 5.0);
        assert_eq!(quantile(&xs, 0.0), 1.0);
        assert!(quantile(&[], 0.5).is_nan());
    }
}
