//! Guided exploration: seeds whose runs reached rare coverage marks (`ctx.mark`) lend their
//! set of fault kinds to later seeds, with one kind flipped, so exploration leans toward the
//! fault mixes that reach unusual states. Guidance changes only between fixed-size chunks of
//! seeds, and each seed's choice is a pure function of the seed and the guidance, so results
//! do not depend on the number of jobs.

use crate::explore::SeedResult;
use crate::generator::Kind;
use std::collections::BTreeMap;

/// Seeds per guidance update (fixed, so the answer never depends on `--jobs`).
pub const CHUNK: usize = 64;
/// Elite fault-kind sets kept.
const ELITES: usize = 32;

/// What the exploration has learned so far.
#[derive(Default)]
pub struct Guidance {
    counts: BTreeMap<String, u64>,
    seen: u64,
    elites: Vec<Vec<Kind>>,
}

fn mix(seed: u64) -> u64 {
    let mut x = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

impl Guidance {
    /// The fault kinds `seed` must use, or `None` to let its own swarm draw decide (half the
    /// seeds stay unguided so exploration never collapses onto one mix).
    pub fn forced_for(&self, seed: u64, available: &[Kind]) -> Option<Vec<Kind>> {
        if self.elites.is_empty() || available.is_empty() {
            return None;
        }
        let h = mix(seed);
        if h.is_multiple_of(2) {
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

    /// Learns from a chunk of results, in seed-list order.
    pub fn learn(&mut self, chunk: &[SeedResult]) {
        for r in chunk {
            self.seen += 1;
            for m in &r.marks {
                *self.counts.entry(m.clone()).or_insert(0) += 1;
            }
        }
        // Rare: reached by at most a quarter of the seeds so far, or the rarest mark yet.
        let rarest = self.counts.values().copied().min().unwrap_or(0);
        let rare_at = (self.seen / 4).max(rarest).max(1);
        for r in chunk {
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
        }
    }

    #[test]
    fn seeds_reaching_rare_marks_lend_their_fault_kinds() {
        let mut g = Guidance::default();
        let available = [Kind::Partition, Kind::Crash, Kind::Pause];
        assert_eq!(
            g.forced_for(1, &available),
            None,
            "no guidance before learning"
        );
        let mut chunk: Vec<SeedResult> = (0..40)
            .map(|s| result(s, &["common"], vec![Kind::Pause]))
            .collect();
        chunk.push(result(
            40,
            &["common", "rare"],
            vec![Kind::Crash, Kind::Partition],
        ));
        g.learn(&chunk);
        assert_eq!(g.elites, vec![vec![Kind::Crash, Kind::Partition]]);
        let forced: Vec<_> = (0..200)
            .filter_map(|s| g.forced_for(s, &available))
            .collect();
        assert!(
            forced.len() > 50 && forced.len() < 150,
            "about half the seeds are guided"
        );
        assert!(forced.iter().all(|k| !k.is_empty() && k.len() <= 3));
        assert_eq!(
            g.forced_for(7, &available),
            g.forced_for(7, &available),
            "pure in the seed"
        );
    }
}
