//! Swarm shapes: a scenario's `vary` block makes every seed draw the shape of its world and
//! its load, not only which faults are on: cluster size (odd and even, inside the protocol's
//! range), clients, key space and read share, the length of the safety phase, the protocol's
//! tuning parameters, how often and how long each fault kind strikes, which message kinds
//! crash points fire after, and whether the links start slow and duplicating.
//!
//! The draw comes from the seed's own `Shape` stream, in a fixed order, every value drawn
//! whether or not a command-line size overrides it, so `--servers 4` changes the cluster and
//! nothing else. [`draw`] turns the scenario into a concrete one (no `vary`), which is what
//! the run uses and what `shrink` writes out, so a repro needs no draw.

use crate::generator::ALL_KINDS;
use crate::scenario::Scenario;
use crate::workload::WorkloadSpec;
use rand::seq::SliceRandom;
use rand::Rng;
use serde::{Deserialize, Serialize};
use splitbrain_api::SimRng;
use splitbrain_sim::rng::{stream, Stream};
use splitbrain_sim::{Fault, Latency, LinkProfile, Timed};
use std::collections::BTreeMap;
use std::ops::RangeInclusive;

/// An inclusive range of whole numbers: `[lo, hi]` draws uniformly, `{"log": [lo, hi]}`
/// log-uniformly (each doubling of `value + 1` equally likely, so small values are as well
/// represented as large ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Span {
    Uniform([u64; 2]),
    Log { log: [u64; 2] },
}

impl Span {
    fn bounds(self) -> (u64, u64) {
        match self {
            Span::Uniform([a, b]) | Span::Log { log: [a, b] } => (a.min(b), a.max(b)),
        }
    }

    /// A value in the range (clipped to `within`); always one draw from `rng`.
    fn draw(self, rng: &mut SimRng, within: RangeInclusive<u64>) -> u64 {
        let (lo, hi) = self.bounds();
        let (lo, hi) = (
            lo.clamp(*within.start(), *within.end()),
            hi.clamp(*within.start(), *within.end()),
        );
        let u: f64 = rng.gen();
        let v = match self {
            Span::Uniform(_) => lo as f64 + u * (hi - lo + 1) as f64,
            Span::Log { .. } => {
                let (a, b) = (((lo + 1) as f64).ln(), ((hi + 2) as f64).ln());
                (a + u * (b - a)).exp() - 1.0
            }
        };
        (v.floor() as u64).clamp(lo, hi)
    }
}

/// What a swarm scenario varies per seed. Every field is optional; what is absent keeps the
/// scenario's own value.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vary {
    /// Cluster size, clipped to the protocol's range of servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub servers: Option<Span>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clients: Option<Span>,
    /// Keys of a `kv` workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<Span>,
    /// Read share of a `kv` workload, in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_percent: Option<Span>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safety_ms: Option<Span>,
    /// The generator's mean fault duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_fault_ms: Option<Span>,
    /// Each generator rate is scaled by its own factor, in percent, drawn from this range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_percent: Option<Span>,
    /// The protocol's tuning parameters (names it declares).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, Span>,
    /// Each seed keeps a random non-empty subset of the generator's crash-point kinds, so
    /// some seeds crash only right after, say, a vote grant, and do so often.
    #[serde(default)]
    pub crash_point_subset: bool,
    /// Each seed draws a random non-empty subset of the partition shapes (isolate, partial,
    /// cut-link, bridge, split), so some seeds cut only pairs of servers, say, and often.
    #[serde(default)]
    pub partition_shape_subset: bool,
    /// Percent of seeds whose links start slow: long-tail delays (mean tail 1..=150 ms,
    /// capped at five times that), duplicates and reordering, until the liveness phase.
    #[serde(default)]
    pub slow_network_percent: u32,
}

/// The scenario a seed runs: `scenario` with its `vary` block drawn (unchanged without one).
/// `servers_range` is the protocol's; `servers` (`--servers`) replaces the drawn size, after
/// it was drawn, so only the size changes.
pub fn draw(
    scenario: &Scenario,
    seed: u64,
    servers_range: RangeInclusive<usize>,
    servers: Option<usize>,
) -> Scenario {
    let Some(vary) = &scenario.vary else {
        return scenario.clone();
    };
    let mut s = scenario.clone();
    s.vary = None;
    let rng = &mut stream(seed, Stream::Shape);
    let range = *servers_range.start() as u64..=*servers_range.end() as u64;
    let pick = |span: Option<Span>, rng: &mut SimRng, within: RangeInclusive<u64>, keep: u64| {
        // The draw happens either way so that later draws do not move.
        let drawn = span
            .unwrap_or(Span::Uniform([keep, keep]))
            .draw(rng, within);
        if span.is_some() {
            drawn
        } else {
            keep
        }
    };
    let own = s.servers.unwrap_or(*servers_range.start()) as u64;
    let drawn = pick(vary.servers, rng, range, own) as usize;
    s.servers = Some(servers.unwrap_or(drawn));
    s.clients = pick(vary.clients, rng, 1..=64, s.clients as u64) as usize;
    if let WorkloadSpec::Kv {
        keys, read_percent, ..
    } = &mut s.workload
    {
        *keys = pick(vary.keys, rng, 1..=1_000, *keys);
        *read_percent = pick(vary.read_percent, rng, 0..=100, u64::from(*read_percent)) as u32;
    } else {
        pick(vary.keys, rng, 1..=1_000, 1);
        pick(vary.read_percent, rng, 0..=100, 0);
    }
    s.safety_ms = pick(vary.safety_ms, rng, 1..=3_600_000, s.safety_ms);
    draw_generator(&mut s, vary, rng);
    draw_network(&mut s, vary, rng);
    for (name, span) in &vary.params {
        s.params.insert(name.clone(), span.draw(rng, 0..=1_000_000));
    }
    s
}

/// One line for people: what a drawn scenario's seed chose (beyond servers and clients).
pub fn summary(s: &Scenario) -> String {
    let mut parts = Vec::new();
    if let WorkloadSpec::Kv {
        keys, read_percent, ..
    } = &s.workload
    {
        parts.push(format!("{keys} keys, {read_percent}% reads"));
    }
    parts.push(format!("safety phase {} ms", s.safety_ms));
    if !s.params.is_empty() {
        let p: Vec<String> = s.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        parts.push(p.join(" "));
    }
    if let Some(g) = &s.generator {
        let rates: Vec<String> = g
            .rates
            .iter()
            .map(|(k, r)| format!("{}={r:.2}/s", k.name()))
            .collect();
        parts.push(format!(
            "faults {} (mean {} ms)",
            rates.join(" "),
            g.mean_fault_ms
        ));
        if g.rates.contains_key(&crate::generator::Kind::CrashPoint) {
            parts.push(format!(
                "crash points after {}",
                g.crash_point_kinds.join("/")
            ));
        }
    }
    if s.schedule
        .0
        .first()
        .is_some_and(|t| matches!(t.fault, Fault::Link { .. }))
    {
        parts.push("slow links from the start".to_string());
    }
    parts.join(", ")
}

/// Fault rates, durations and crash-point kinds.
fn draw_generator(s: &mut Scenario, vary: &Vary, rng: &mut SimRng) {
    let mean = s.generator.as_ref().map_or(300, |g| g.mean_fault_ms);
    let mean = vary
        .mean_fault_ms
        .map_or(mean, |span| span.draw(rng, 1..=3_600_000));
    let scales: Vec<f64> = ALL_KINDS
        .iter()
        .map(|_| {
            vary.rate_percent
                .map_or(100, |span| span.draw(rng, 0..=100_000)) as f64
                / 100.0
        })
        .collect();
    let subset: Vec<bool> = (0..16).map(|_| rng.gen_bool(0.5)).collect();
    let mut shapes = crate::generator::ALL_SHAPES.to_vec();
    shapes.shuffle(rng);
    shapes.truncate(rng.gen_range(1..=shapes.len()));
    shapes.sort();
    let order: Vec<u64> = (0..ALL_KINDS.len()).map(|_| rng.gen()).collect();
    let Some(g) = &mut s.generator else { return };
    g.mean_fault_ms = mean;
    if g.swarm && g.kinds.is_none() {
        // How many kinds are on, then which (the generator's coin per kind rarely gives one).
        let listed: Vec<crate::generator::Kind> = ALL_KINDS
            .iter()
            .copied()
            .filter(|k| g.rates.get(k).is_some_and(|&r| r > 0.0))
            .collect();
        if !listed.is_empty() {
            let mut pick = stream(order[0], Stream::Shape);
            g.kinds = Some(crate::generator::swarm_kinds(listed, &mut pick));
        }
    }
    for (kind, scale) in ALL_KINDS.iter().zip(&scales) {
        if let Some(rate) = g.rates.get_mut(kind) {
            *rate = (*rate * scale).min(1_000.0);
        }
    }
    if vary.partition_shape_subset {
        g.partition_shapes = Some(shapes);
    }
    if vary.crash_point_subset && g.crash_point_kinds.len() > 1 {
        let kept: Vec<String> = g
            .crash_point_kinds
            .iter()
            .zip(subset.iter().cycle())
            .filter(|(_, &on)| on)
            .map(|(k, _)| k.clone())
            .collect();
        if !kept.is_empty() {
            g.crash_point_kinds = kept;
        }
    }
}

/// Slow links from the start, for some seeds: long-tail delays and reordering on every link,
/// rare duplicates. (Many duplicates on every link for a whole phase make Raft answer each
/// duplicated append reply to a lagging follower with another append, a storm that ends the
/// run at its event bound; duplicates come from the generator's short link faults instead.)
fn draw_network(s: &mut Scenario, vary: &Vary, rng: &mut SimRng) {
    let slow = rng.gen_range(0..100) < vary.slow_network_percent;
    let mean_tail_us = Span::Log { log: [1, 150] }.draw(rng, 1..=150) * 1_000;
    let duplicate = rng.gen_range(0.0..0.02);
    let reorder = rng.gen_range(0.0..0.3);
    if !slow {
        return;
    }
    let profile = LinkProfile {
        latency: Latency::LongTail {
            min_us: 500,
            mean_tail_us,
            max_us: (mean_tail_us * 5).min(600_000),
        },
        jitter_us: 1_000,
        drop: 0.0,
        duplicate,
        reorder,
        reorder_window_us: 50_000,
    };
    let fault = Fault::Link {
        from: None,
        to: None,
        profile,
    };
    s.schedule.0.insert(0, Timed { at_us: 0, fault });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn swarm() -> Scenario {
        let text = r#"{"name": "s", "clients": 3, "safety_ms": 8000, "servers": 5,
            "generator": {"rates": {"crash": 1.0, "crash-point": 1.0}, "swarm": true,
                          "crash_point_kinds": ["A", "B", "C"]},
            "workload": {"kind": "kv", "keys": 4},
            "vary": {"servers": [3, 7], "clients": [1, 5], "keys": {"log": [1, 8]},
                     "read_percent": [0, 90], "safety_ms": [2000, 8000],
                     "mean_fault_ms": {"log": [50, 800]}, "rate_percent": {"log": [25, 400]},
                     "params": {"max_batch": [1, 8]}, "crash_point_subset": true,
                     "slow_network_percent": 50}}"#;
        Scenario::from_json(text, "t").expect("parses")
    }

    #[test]
    fn the_shape_is_a_function_of_the_seed_and_spans_its_ranges() {
        let s = swarm();
        let a = draw(&s, 11, 1..=16, None);
        let b = draw(&s, 11, 1..=16, None);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        assert!(a.vary.is_none());
        let sizes: std::collections::BTreeSet<usize> = (0..200)
            .map(|seed| draw(&s, seed, 1..=16, None).servers.unwrap())
            .collect();
        assert_eq!(sizes.into_iter().collect::<Vec<_>>(), vec![3, 4, 5, 6, 7]);
        let slow = (0..200)
            .filter(|&seed| !draw(&s, seed, 1..=16, None).schedule.0.is_empty())
            .count();
        assert!((60..140).contains(&slow), "about half start slow: {slow}");
        let subsets: std::collections::BTreeSet<Vec<String>> = (0..200)
            .map(|seed| {
                draw(&s, seed, 1..=16, None)
                    .generator
                    .unwrap()
                    .crash_point_kinds
            })
            .collect();
        assert!(subsets.len() > 3 && subsets.iter().all(|k| !k.is_empty()));
    }

    #[test]
    fn the_protocol_range_bounds_the_cluster() {
        let s = swarm();
        for seed in 0..100 {
            let n = draw(&s, seed, 3..=4, None).servers.unwrap();
            assert!((3..=4).contains(&n), "{n}");
        }
    }

    #[test]
    fn a_servers_override_changes_the_size_and_no_other_draw() {
        let s = swarm();
        for seed in 0..50 {
            let (own, four) = (
                draw(&s, seed, 1..=16, None),
                draw(&s, seed, 1..=16, Some(4)),
            );
            assert_eq!(four.servers, Some(4));
            assert_eq!(own.clients, four.clients);
            assert_eq!(own.safety_ms, four.safety_ms);
            assert_eq!(own.params, four.params);
            let g = |x: &Scenario| serde_json::to_string(&x.generator).unwrap();
            assert_eq!(g(&own), g(&four));
            assert_eq!(own.schedule.len(), four.schedule.len());
        }
    }

    #[test]
    fn a_scenario_without_vary_is_run_as_written() {
        let mut s = swarm();
        s.vary = None;
        let d = draw(&s, 5, 1..=16, None);
        assert_eq!(d.servers, Some(5));
        assert_eq!(d.clients, 3);
        assert!(d.params.is_empty());
    }

    #[test]
    fn log_spans_favour_no_end_of_the_range() {
        let rng = &mut stream(1, Stream::Shape);
        let span = Span::Log { log: [1, 64] };
        let small = (0..1000).filter(|_| span.draw(rng, 0..=1000) <= 8).count();
        assert!((350..650).contains(&small), "{small}");
    }
}
