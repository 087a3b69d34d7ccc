//! A portfolio: one seed budget spread over a protocol's whole catalogue and its swarm, for
//! the one command CI runs (`explore PROTOCOL --all-scenarios`). The swarm scenarios (those
//! whose generator draws the fault mix per seed) share half the budget, since they are what
//! finds bugs no scenario was written for; the hand-written scenarios share the other half
//! equally, each at least one seed. Every part starts at the budget's first seed, so a part's
//! seeds are the ones `explore --scenario NAME --seeds A..B` runs, and a failure reproduces
//! with the scenario's own name. Left out, with the reason: scenarios that go beyond the
//! protocol's fault budget (a failure there would not mean a bug), the own scenarios of other
//! correct variants but the swarm (a teaching variant's world, such as a single manager
//! replica, is not this variant's), and scenarios whose schedule names nodes the variant's world does not have.

use crate::registry::ProtocolEntry;
use crate::runner::RunOptions;
use crate::scenario::Scenario;
use splitbrain_api::{Expect, VariantInfo};
use std::ops::Range;

/// One scenario of a portfolio and its share of the seeds.
#[derive(Clone, Debug)]
pub struct Part {
    pub scenario: Scenario,
    pub seeds: Range<u64>,
    /// Whether the scenario draws its fault mix per seed (a swarm).
    pub swarm: bool,
}

/// Whether a scenario is a swarm: its generator draws which fault kinds are on per seed.
pub fn is_swarm(scenario: &Scenario) -> bool {
    scenario.generator.as_ref().is_some_and(|g| g.swarm)
}

/// A scenario left out of a portfolio, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub scenario: String,
    pub reason: String,
}

/// The protocol's catalogue as `variant` runs it with `run`'s sizes, with `budget` shared out:
/// swarms first, then the others in catalogue order; and the scenarios left out.
pub fn plan(
    entry: &dyn ProtocolEntry,
    variant: &VariantInfo,
    run: &RunOptions,
    budget: Range<u64>,
) -> (Vec<Part>, Vec<Skipped>) {
    let mut skipped = Vec::new();
    let mut kept = Vec::new();
    for s in entry.scenarios() {
        match not_for(entry, variant, run, &s) {
            Some(reason) => skipped.push(Skipped {
                scenario: s.name.clone(),
                reason,
            }),
            None => kept.push(s),
        }
    }
    (share(kept, budget), skipped)
}

/// Why `variant` does not run `scenario` in a portfolio, if it does not.
fn not_for(
    entry: &dyn ProtocolEntry,
    variant: &VariantInfo,
    run: &RunOptions,
    scenario: &Scenario,
) -> Option<String> {
    if scenario.beyond_budget {
        return Some("goes beyond the fault budget".to_string());
    }
    let info = entry.info();
    let owners: Vec<&VariantInfo> = info
        .variants
        .iter()
        .filter(|v| v.scenario == scenario.name)
        .collect();
    let others_correct = owners
        .iter()
        .all(|v| v.expect == Expect::Pass && v.name != variant.name);
    if !owners.is_empty() && others_correct && !is_swarm(scenario) {
        let names: Vec<&str> = owners.iter().map(|v| v.name).collect();
        return Some(format!("the world of variant {}", names.join(", ")));
    }
    if scenario.vary.is_some() {
        return None;
    }
    let servers = run
        .servers
        .or(scenario.servers)
        .unwrap_or_else(|| entry.default_servers(variant));
    let clients = run.clients.unwrap_or(scenario.clients);
    scenario
        .check_nodes(servers, clients)
        .err()
        .map(|e| format!("needs another world: {e}"))
}

/// `scenarios` with `budget` shared out (see the module documentation).
pub fn share(scenarios: Vec<Scenario>, budget: Range<u64>) -> Vec<Part> {
    let (swarms, others): (Vec<Scenario>, Vec<Scenario>) =
        scenarios.into_iter().partition(is_swarm);
    let total = budget.end.saturating_sub(budget.start);
    let swarm_total = match (swarms.is_empty(), others.is_empty()) {
        (true, _) => 0,
        (false, true) => total,
        (false, false) => total.div_ceil(2),
    };
    let mut parts = spread(swarms, swarm_total, budget.start, true);
    parts.extend(spread(others, total - swarm_total, budget.start, false));
    parts
}

/// `total` seeds over `scenarios`: equal shares, the remainder to the first ones, at least one
/// seed each.
fn spread(scenarios: Vec<Scenario>, total: u64, from: u64, swarm: bool) -> Vec<Part> {
    let n = scenarios.len() as u64;
    scenarios
        .into_iter()
        .enumerate()
        .map(|(i, scenario)| {
            let extra = u64::from((i as u64) < total % n.max(1));
            let count = (total / n.max(1) + extra).max(1);
            Part {
                scenario,
                seeds: from..from + count,
                swarm,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(name: &str, swarm: bool) -> Scenario {
        let generator = if swarm {
            r#", "generator": {"rates": {"crash": 1.0}, "swarm": true}"#
        } else {
            ""
        };
        let text = format!(
            r#"{{"name": "{name}", "clients": 1, "safety_ms": 100,
                "workload": {{"kind": "kv", "keys": 1}}{generator}}}"#
        );
        Scenario::from_json(&text, "t").expect("parses")
    }

    fn shares(parts: &[Part]) -> Vec<(String, u64, bool)> {
        parts
            .iter()
            .map(|p| {
                (
                    p.scenario.name.clone(),
                    p.seeds.end - p.seeds.start,
                    p.swarm,
                )
            })
            .collect()
    }

    #[test]
    fn the_swarm_gets_half_and_the_catalogue_shares_the_rest() {
        let list = vec![
            scenario("a", false),
            scenario("swarm", true),
            scenario("b", false),
            scenario("c", false),
        ];
        let parts = share(list, 100..1100);
        assert_eq!(
            shares(&parts),
            vec![
                ("swarm".to_string(), 500, true),
                ("a".to_string(), 167, false),
                ("b".to_string(), 167, false),
                ("c".to_string(), 166, false),
            ]
        );
        assert!(parts.iter().all(|p| p.seeds.start == 100));
        let total: u64 = parts.iter().map(|p| p.seeds.end - p.seeds.start).sum();
        assert_eq!(total, 1000, "the whole budget, no more");
    }

    #[test]
    fn every_scenario_runs_at_least_one_seed() {
        let list = (0..5)
            .map(|i| scenario(&format!("s{i}"), false))
            .chain([scenario("swarm", true)])
            .collect();
        let parts = share(list, 0..4);
        assert_eq!(parts.len(), 6);
        assert_eq!(parts[0].seeds, 0..2, "the swarm's half");
        assert!(parts.iter().all(|p| p.seeds.end > p.seeds.start));
    }

    #[test]
    fn without_a_swarm_the_catalogue_shares_everything() {
        let parts = share(vec![scenario("a", false), scenario("b", false)], 0..10);
        assert_eq!(shares(&parts)[0].1 + shares(&parts)[1].1, 10);
    }

    fn planned(protocol: &str, variant: &str) -> (Vec<String>, Vec<Skipped>) {
        let entry = crate::registry::find_protocol(protocol).unwrap();
        let v = crate::runner::resolve_variant(entry.as_ref(), Some(variant)).unwrap();
        let (parts, skipped) = plan(entry.as_ref(), &v, &RunOptions::default(), 0..100);
        let names = parts.iter().map(|p| p.scenario.name.clone()).collect();
        (names, skipped)
    }

    #[test]
    fn a_variant_skips_the_worlds_of_other_correct_variants_and_those_it_cannot_run() {
        let (names, skipped) = planned("chain", "correct");
        assert_eq!(names[0], "chain-swarm");
        assert!(
            names.contains(&"chain-split".to_string()),
            "a bug's scenario is run"
        );
        let names_skipped: Vec<&str> = skipped.iter().map(|s| s.scenario.as_str()).collect();
        assert_eq!(
            names_skipped,
            [
                "chain-partial-partition-stall",
                "chain-spof-manager",
                "chain-craq",
                "chain-zk-manager"
            ],
            "the worlds of no-reachability, spof-manager, craq and zk-manager"
        );
        assert!(skipped[1].reason.contains("spof-manager"));
        let (names, _) = planned("chain", "spof-manager");
        assert!(names.contains(&"chain-spof-manager".to_string()));
        let (_, skipped) = planned("tas", "single");
        assert!(
            skipped
                .iter()
                .any(|s| s.scenario == "tas-split-explicit" && s.reason.contains("S2")),
            "one server cannot run a schedule that names S2: {skipped:?}"
        );
        let (names, skipped) = planned("raft", "R01");
        assert!(skipped.is_empty() && names.len() == 22, "{skipped:?}");
    }
}
