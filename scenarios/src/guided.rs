//! Guided exploration, in the spirit of coverage-guided fuzzing. The coverage signal is the
//! protocol's own marks (`ctx.mark`: elections, truncations, snapshot installs, commits of
//! old-term entries, ...), each counted in buckets of how often a run reached it (1, 2-3,
//! 4-7, ...), and the order in which a run first reached each pair of marks (AFL's edges,
//! for marks: "a follower held a newer entry, then an old-term entry was committed" is new
//! coverage even when both marks were reached before, apart or the other way round). A run
//! that reaches a feature no earlier run reached is kept in a corpus,
//! written out (see [`crate::mutate`]); later seeds run mutants of kept runs: the same world
//! with a fault placed right after a protocol event the kept run marked, rare marks chosen
//! more often. Other seeds take the fault-kind set of a seed that reached a rare mark, with
//! one kind flipped, until the corpus has runs; then an eighth run the correlated edit of a
//! kept run and an eighth its late edit ([`crate::mutate`]); for a protocol that declares hint
//! marks (events where correlated faults are worth trying first), most correlated edits anchor
//! on them and the cut edit takes half the late edit's share. Half the seeds always run their
//! own draw, so exploration never collapses onto one line.
//!
//! Guidance changes only between fixed-size chunks of seeds, and each seed's plan is a pure
//! function of the seed and the guidance, so results do not depend on the number of jobs.

use crate::explore::SeedResult;
use crate::generator::Kind;
use crate::mutate::{apply, Family, Mutation};
use crate::scenario::Scenario;
use splitbrain_api::FaultBudget;
use splitbrain_sim::MarkAt;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Seeds per guidance update (fixed, so the answer never depends on `--jobs`).
pub const CHUNK: usize = 64;
/// Elite fault-kind sets kept.
const ELITES: usize = 32;
/// Runs kept for mutation.
const CORPUS: usize = 512;
/// Splits the correlated edit's seeds from the late edit's, apart from a mutant's other draws.
const PEERS_SALT: u64 = 0x0070_6565_7273;
/// Mutants descend from a seed through at most this many mutations.
const MAX_DEPTH: usize = 8;

/// A run kept for mutation: how to re-derive it and what it reached.
pub struct Kept {
    /// The seed its chain starts from, with the fault kinds forced on it, if any.
    pub root: u64,
    pub kinds: Option<Vec<Kind>>,
    pub chain: Vec<Mutation>,
    /// The scenario it ran, written out.
    pub scenario: Arc<Scenario>,
    pub marks: BTreeMap<String, u64>,
    pub mark_at: BTreeMap<String, MarkAt>,
}

/// What one seed of a guided exploration runs.
pub enum Plan {
    /// Its own swarm draw.
    Own,
    /// Its own seed with exactly these fault kinds.
    Kinds(Vec<Kind>),
    /// A mutant: the world of `root` as `scenario` (a kept run with `chain`'s last mutation).
    Mutant {
        root: u64,
        kinds: Option<Vec<Kind>>,
        chain: Vec<Mutation>,
        scenario: Box<Scenario>,
    },
}

/// What the exploration has learned so far.
#[derive(Default)]
pub struct Guidance {
    counts: BTreeMap<String, u64>,
    seen: u64,
    elites: Vec<Vec<Kind>>,
    features: BTreeSet<(String, u32)>,
    corpus: Vec<Arc<Kept>>,
    /// The protocol's hint marks ([`crate::registry::ProtocolEntry::hints`]).
    hints: Vec<String>,
}

pub(crate) use splitbrain_api::splitmix64 as mix;

/// The bucket of a mark count: 1, 2-3, 4-7, ... (AFL's hit-count classes, coarser).
fn bucket(count: u64) -> u32 {
    64 - count.leading_zeros()
}

/// A run's coverage features: each mark with its count bucket, and each ordered pair of
/// marks `a>b` whose first occurrences came in that order (bucket 0).
fn features(
    marks: &BTreeMap<String, u64>,
    mark_at: &BTreeMap<String, MarkAt>,
) -> Vec<(String, u32)> {
    let mut out: Vec<(String, u32)> = marks.iter().map(|(m, &c)| (m.clone(), bucket(c))).collect();
    for (a, at) in mark_at {
        for (b, bt) in mark_at {
            if at.first_us < bt.first_us {
                out.push((format!("{a}>{b}"), 0));
            }
        }
    }
    out
}

/// The plan that runs `parent` with `m` applied.
fn mutant_of(parent: &Kept, m: Mutation, budget: &FaultBudget) -> Plan {
    let scenario = apply(&parent.scenario, &parent.mark_at, &m, budget);
    let mut chain = parent.chain.clone();
    chain.push(m);
    Plan::Mutant {
        root: parent.root,
        kinds: parent.kinds.clone(),
        chain,
        scenario: Box::new(scenario),
    }
}

impl Guidance {
    /// Guidance for a protocol that declares `hints`.
    pub fn with_hints(hints: &[&str]) -> Guidance {
        Guidance {
            hints: hints.iter().map(|h| h.to_string()).collect(),
            ..Guidance::default()
        }
    }

    /// What `seed` runs: its own draw for half the seeds (a fresh seed finds as much as a
    /// mutant does for many bugs, and these are the seeds the uniform swarm runs too, so
    /// guided mode finds what they find at the same run), and before the corpus has any run,
    /// an elite fault-kind set for the other half. Once it has runs, a quarter are mutants of
    /// kept runs, an eighth run the correlated edit and an eighth the late edit
    /// ([`crate::mutate::Family`]); with hint marks, a sixteenth the late edit and a
    /// sixteenth the cut edit.
    pub fn plan(&self, seed: u64, available: &[Kind], budget: &FaultBudget) -> Plan {
        let h = mix(seed);
        let any = !self.corpus.is_empty();
        match h % 4 {
            0 | 2 => Plan::Own,
            1 if any => match (mix(h ^ PEERS_SALT) % 4, self.hints.is_empty()) {
                (0 | 2, false) | (0 | 1, true) => self.correlated(h, budget, Family::Peers),
                (1, false) => self.correlated(h, budget, Family::Cut),
                _ => self.mutant(h, budget, Family::Late),
            },
            3 if any => self.mutant(h, budget, Family::Single),
            _ => self.kinds_for(h, available).map_or(Plan::Own, Plan::Kinds),
        }
    }

    /// The fault kinds a guided seed uses: an elite set with one kind flipped.
    fn kinds_for(&self, h: u64, available: &[Kind]) -> Option<Vec<Kind>> {
        if self.elites.is_empty() || available.is_empty() {
            return None;
        }
        let mut kinds = self.elites[(h >> 8) as usize % self.elites.len()].clone();
        let flip = available[(h >> 24) as usize % available.len()];
        match kinds.iter().position(|&k| k == flip) {
            Some(i) if kinds.len() > 1 => {
                kinds.remove(i);
            }
            Some(_) => {}
            None => kinds.push(flip),
        }
        kinds.sort();
        Some(kinds)
    }

    /// A mutant: a mark drawn with weight 1/(seeds that reached it), a kept run that reached
    /// it, and a mutation anchored on its first or last occurrence.
    fn mutant(&self, h: u64, budget: &FaultBudget, family: Family) -> Plan {
        let mut reached: BTreeSet<&str> = BTreeSet::new();
        for k in &self.corpus {
            reached.extend(k.marks.keys().map(String::as_str));
        }
        let weights: Vec<(&str, f64)> = reached
            .into_iter()
            .map(|m| {
                (
                    m,
                    1.0 / self.counts.get(m).copied().unwrap_or(1).max(1) as f64,
                )
            })
            .collect();
        let total: f64 = weights.iter().map(|(_, w)| w).sum();
        let h2 = mix(h);
        let mut u = (h2 >> 11) as f64 / (1u64 << 53) as f64 * total;
        let mut anchor = weights[weights.len() - 1].0;
        for (m, w) in &weights {
            if u < *w {
                anchor = m;
                break;
            }
            u -= w;
        }
        let holders: Vec<&Arc<Kept>> = self
            .corpus
            .iter()
            .filter(|k| k.marks.contains_key(anchor))
            .collect();
        let h3 = mix(h2);
        let parent = holders[(h3 % holders.len() as u64) as usize];
        let m = Mutation {
            anchor: anchor.to_string(),
            last: (h3 >> 40) & 1 == 1,
            op: mix(h3) >> 16,
            family,
        };
        mutant_of(parent, m, budget)
    }

    /// A correlated or cut edit ([`Family::Peers`], [`Family::Cut`]). Three times in four,
    /// when a kept run reached one of the protocol's hint marks, anchored on a hint mark (drawn
    /// uniformly among those reached) of a kept run that reached it; otherwise on a kept run
    /// drawn uniformly and one of the marks it reached, drawn uniformly: the power of these
    /// edits lies in the timing of common events (a leader about to hear its followers'
    /// answers), which rarity weighting would hardly ever pick.
    fn correlated(&self, h: u64, budget: &FaultBudget, family: Family) -> Plan {
        let h2 = mix(mix(h ^ PEERS_SALT));
        let h3 = mix(h2);
        let hinted: Vec<&String> = self
            .hints
            .iter()
            .filter(|m| self.corpus.iter().any(|k| k.marks.contains_key(*m)))
            .collect();
        let (parent, anchor) = if !hinted.is_empty() && !(h2 >> 32).is_multiple_of(4) {
            let anchor = hinted[(h3 % hinted.len() as u64) as usize];
            let holders: Vec<&Arc<Kept>> = self
                .corpus
                .iter()
                .filter(|k| k.marks.contains_key(anchor))
                .collect();
            (holders[(h2 % holders.len() as u64) as usize], anchor)
        } else {
            let parent = &self.corpus[(h2 % self.corpus.len() as u64) as usize];
            let Some(anchor) = parent
                .marks
                .keys()
                .nth((h3 % parent.marks.len().max(1) as u64) as usize)
            else {
                return Plan::Own;
            };
            (parent, anchor)
        };
        let m = Mutation {
            anchor: anchor.clone(),
            last: (h3 >> 40) & 1 == 1,
            op: mix(h3) >> 16,
            family,
        };
        mutant_of(parent, m, budget)
    }

    /// True when a run that reached `marks` (with counts, first reached as `mark_at` says)
    /// would reach something new.
    pub fn is_new(
        &self,
        marks: &BTreeMap<String, u64>,
        mark_at: &BTreeMap<String, MarkAt>,
    ) -> bool {
        features(marks, mark_at)
            .iter()
            .any(|f| !self.features.contains(f))
    }

    /// Learns from a chunk of results, in seed-list order, with the runs kept for mutation
    /// (`kept[i]` for `chunk[i]`, present when it reached something new when it ran).
    pub fn learn(&mut self, chunk: &[SeedResult], kept: Vec<Option<Kept>>) {
        for r in chunk {
            self.seen += 1;
            for m in &r.marks {
                *self.counts.entry(m.clone()).or_insert(0) += 1;
            }
        }
        self.learn_kinds(chunk);
        for k in kept.into_iter().flatten() {
            if !self.is_new(&k.marks, &k.mark_at) {
                continue;
            }
            self.features.extend(features(&k.marks, &k.mark_at));
            if k.chain.len() < MAX_DEPTH {
                self.corpus.push(Arc::new(k));
            }
        }
        if self.corpus.len() > CORPUS {
            let extra = self.corpus.len() - CORPUS;
            self.corpus.drain(..extra);
        }
    }

    /// Rare: reached by at most a quarter of the seeds so far, or the rarest mark yet.
    fn learn_kinds(&mut self, chunk: &[SeedResult]) {
        let rarest = self.counts.values().copied().min().unwrap_or(0);
        let rare_at = (self.seen / 4).max(rarest).max(1);
        for r in chunk.iter().filter(|r| r.derived.is_none()) {
            let rare = r
                .marks
                .iter()
                .any(|m| self.counts.get(m).is_some_and(|&c| c <= rare_at));
            if rare && !self.elites.contains(&r.fault_kinds) {
                self.elites.push(r.fault_kinds.clone());
            }
        }
        if self.elites.len() > ELITES {
            let extra = self.elites.len() - ELITES;
            self.elites.drain(..extra);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use splitbrain_api::NodeId;
    use splitbrain_sim::Outcome;

    fn result(seed: u64, marks: &[&str], kinds: Vec<Kind>) -> SeedResult {
        SeedResult {
            seed,
            outcome: Outcome::Pass,
            trace_hash: 0,
            message: String::new(),
            marks: marks.iter().map(|m| m.to_string()).collect(),
            fault_kinds: kinds,
            forced: false,
            derived: None,
            zk_linearizability: None,
        }
    }

    fn kept(root: u64, marks: &[(&str, u64)]) -> Kept {
        let text = r#"{"name": "k", "clients": 1, "safety_ms": 5000, "servers": 3,
            "workload": {"kind": "kv", "keys": 2}}"#;
        let at = MarkAt {
            first_us: 1_000_000,
            first_node: NodeId::server(1),
            last_us: 2_000_000,
            last_node: NodeId::server(2),
        };
        Kept {
            root,
            kinds: None,
            chain: Vec::new(),
            scenario: Arc::new(Scenario::from_json(text, "t").expect("parses")),
            marks: marks.iter().map(|(m, c)| (m.to_string(), *c)).collect(),
            mark_at: marks.iter().map(|(m, _)| (m.to_string(), at)).collect(),
        }
    }

    #[test]
    fn seeds_reaching_rare_marks_lend_their_fault_kinds() {
        let mut g = Guidance::default();
        let available = [Kind::Partition, Kind::Crash, Kind::Pause];
        let budget = FaultBudget::minority();
        assert!(matches!(g.plan(1, &available, &budget), Plan::Own));
        let mut chunk: Vec<SeedResult> = (0..40)
            .map(|s| result(s, &["common"], vec![Kind::Pause]))
            .collect();
        chunk.push(result(
            40,
            &["common", "rare"],
            vec![Kind::Crash, Kind::Partition],
        ));
        g.learn(&chunk, Vec::new());
        assert_eq!(g.elites, vec![vec![Kind::Crash, Kind::Partition]]);
        let forced: Vec<Vec<Kind>> = (0..200)
            .filter_map(|s| match g.plan(s, &available, &budget) {
                Plan::Kinds(k) => Some(k),
                _ => None,
            })
            .collect();
        assert!(
            forced.len() > 50 && forced.len() < 150,
            "about half the seeds are guided before any run is kept: {}",
            forced.len()
        );
        assert!(forced.iter().all(|k| !k.is_empty() && k.len() <= 3));
    }

    #[test]
    fn two_known_marks_reached_in_a_new_order_are_new_coverage() {
        let mut g = Guidance::default();
        let at = |first_us| MarkAt {
            first_us,
            first_node: NodeId::server(0),
            last_us: first_us,
            last_node: NodeId::server(0),
        };
        let marks: BTreeMap<String, u64> = [("a".to_string(), 1), ("b".to_string(), 1)].into();
        let a_then_b: BTreeMap<String, MarkAt> =
            [("a".to_string(), at(1)), ("b".to_string(), at(2))].into();
        let b_then_a: BTreeMap<String, MarkAt> =
            [("a".to_string(), at(2)), ("b".to_string(), at(1))].into();
        let mut k = kept(0, &[("a", 1), ("b", 1)]);
        k.mark_at = a_then_b.clone();
        g.learn(&[result(0, &["a", "b"], vec![])], vec![Some(k)]);
        assert!(!g.is_new(&marks, &a_then_b));
        assert!(g.is_new(&marks, &b_then_a), "b before a was never seen");
    }

    #[test]
    fn runs_reaching_new_marks_are_kept_and_mutated_around_rare_marks() {
        let mut g = Guidance::default();
        let budget = FaultBudget::minority();
        let chunk: Vec<SeedResult> = (0..50)
            .map(|s| {
                result(
                    s,
                    if s == 7 {
                        &["common", "rare"]
                    } else {
                        &["common"]
                    },
                    vec![],
                )
            })
            .collect();
        let kept_runs = (0..50)
            .map(|s| {
                Some(if s == 7 {
                    kept(s, &[("common", 1), ("rare", 1)])
                } else {
                    kept(s, &[("common", 1)])
                })
            })
            .collect();
        g.learn(&chunk, kept_runs);
        assert_eq!(
            g.corpus.len(),
            2,
            "the first run and the one that reached `rare`"
        );
        assert!(!g.is_new(&[("common".to_string(), 1)].into(), &BTreeMap::new()));
        assert!(
            g.is_new(&[("common".to_string(), 5)].into(), &BTreeMap::new()),
            "a new count bucket"
        );
        let anchors: Vec<String> = (0..400)
            .filter_map(|s| match g.plan(s, &[], &budget) {
                Plan::Mutant { chain, root, .. } => {
                    assert!(root == 0 || root == 7);
                    assert_eq!(chain.len(), 1);
                    Some(chain[0].anchor.clone())
                }
                _ => None,
            })
            .collect();
        // A quarter are plain mutants, an eighth run the correlated edit and an eighth the
        // late edit: half, 200 of 400 expected.
        assert!(
            (160..240).contains(&anchors.len()),
            "half are mutants: {}",
            anchors.len()
        );
        let rare = anchors.iter().filter(|a| *a == "rare").count();
        assert!(
            rare * 2 > anchors.len(),
            "the rare mark anchors most: {rare}"
        );
    }

    #[test]
    fn hint_marks_anchor_most_correlated_and_cut_edits() {
        let mut g = Guidance::with_hints(&["hinted"]);
        let budget = FaultBudget::minority();
        let chunk: Vec<SeedResult> = (0..20)
            .map(|s| result(s, &["a", "b", "c", "hinted"], vec![]))
            .collect();
        let mut first = kept(0, &[("a", 1), ("b", 1), ("c", 1)]);
        first.marks.insert("d".into(), 1);
        let kept_runs = vec![Some(first), Some(kept(1, &[("a", 1), ("hinted", 1)]))];
        g.learn(&chunk[..2], kept_runs);
        let mut by_family: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for s in 0..2000 {
            let Plan::Mutant { chain, root, .. } = g.plan(s, &[], &budget) else {
                continue;
            };
            let m = &chain[0];
            let family = format!("{:?}", m.family);
            let e = by_family.entry(family).or_default();
            e.1 += 1;
            if m.anchor == "hinted" {
                assert_eq!(root, 1, "a run that reached the hint");
                e.0 += 1;
            }
        }
        let share = |f: &str| {
            let (hinted, all) = by_family[f];
            hinted as f64 / all as f64
        };
        assert!(share("Peers") > 0.7, "{by_family:?}");
        assert!(share("Cut") > 0.7, "{by_family:?}");
        assert!(share("Single") < 0.6, "{by_family:?}");
        let count = |f: &str| by_family[f].1;
        assert!(
            count("Peers") > count("Cut") * 3 / 2 && count("Late") * 3 / 2 < count("Peers"),
            "with hints, the correlated edit an eighth, the cut and late edits a sixteenth each: {by_family:?}"
        );
    }
}
