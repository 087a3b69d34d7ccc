//! Agreement and validity, judged from the acceptors' own state changes rather than from any
//! learner's word: a value is chosen for an instance (a register, a slot) once a majority of
//! acceptors accepted it in one ballot. At most one value may ever be chosen per instance
//! (agreement), and a chosen value must be one a client proposed (validity). Checked after
//! every server step, from the votes that step cast.

use super::ballot::Ballot;
use splitbrain_api::{ClusterInvariant, NodeId, Time};
use std::collections::{BTreeMap, BTreeSet};

/// A value an acceptor can vote for: a stable digest, and a label for messages.
pub trait Voted: Clone {
    fn digest(&self) -> u64;
    fn label(&self) -> String;
}

/// One acceptance: `instance` (a register's id or a slot) took `value` at `ballot`.
#[derive(Clone, Debug)]
pub struct Vote<V> {
    pub instance: u64,
    /// The instance's name where it has one (a register's key); slots go by number.
    pub name: Option<std::rc::Rc<str>>,
    pub ballot: Ballot,
    pub value: V,
}

/// What a server shows the agreement check after a step.
pub trait Voter {
    type Value: Voted;
    /// The acceptances this server performed in its last handler.
    fn fresh_votes(&self) -> &[Vote<Self::Value>];
    /// Values clients proposed to this server in its last handler, with the instance they
    /// were proposed for (`None`: any instance, as a Multi-Paxos command may land in any slot).
    fn fresh_proposals(&self) -> &[(Option<u64>, u64)];
}

struct Chosen {
    digest: u64,
    label: String,
    ballot: Ballot,
    voters: u32,
}

/// The agreement and validity check over every acceptor of a world.
pub struct Agreement {
    /// "register" or "slot", for messages.
    what: &'static str,
    /// Values valid in every instance without a client proposing them (a no-op).
    always_valid: Vec<u64>,
    votes: BTreeMap<(u64, Ballot, u64), u32>,
    chosen: BTreeMap<u64, Chosen>,
    proposed: BTreeSet<(Option<u64>, u64)>,
}

impl Agreement {
    pub fn new(what: &'static str, always_valid: Vec<u64>) -> Agreement {
        Agreement {
            what,
            always_valid,
            votes: BTreeMap::new(),
            chosen: BTreeMap::new(),
            proposed: BTreeSet::new(),
        }
    }

    /// Records one vote by server `by` of `n`; `Err` says what broke.
    pub fn record<V: Voted>(&mut self, by: usize, n: usize, vote: &Vote<V>) -> Result<(), String> {
        let digest = vote.value.digest();
        let voters = self
            .votes
            .entry((vote.instance, vote.ballot, digest))
            .or_insert(0);
        *voters |= 1 << by;
        let voters = *voters;
        if (voters.count_ones() as usize) * 2 <= n {
            return Ok(());
        }
        let what = match &vote.name {
            Some(n) => format!("{} {n}", self.what),
            None => format!("{} {}", self.what, vote.instance),
        };
        if let Some(c) = self.chosen.get(&vote.instance) {
            if c.digest == digest {
                return Ok(());
            }
            return Err(format!(
                "{what}: {} was chosen at ballot {} (accepted by {}) and {} at ballot {} (accepted by {})",
                c.label,
                c.ballot,
                names(c.voters),
                vote.value.label(),
                vote.ballot,
                names(voters)
            ));
        }
        let valid = self.always_valid.contains(&digest)
            || self.proposed.contains(&(None, digest))
            || self.proposed.contains(&(Some(vote.instance), digest));
        if !valid {
            return Err(format!(
                "{what}: {} was chosen at ballot {} but no client proposed it (validity)",
                vote.value.label(),
                vote.ballot
            ));
        }
        self.chosen.insert(
            vote.instance,
            Chosen {
                digest,
                label: vote.value.label(),
                ballot: vote.ballot,
                voters,
            },
        );
        Ok(())
    }
}

fn names(mask: u32) -> String {
    (0..32)
        .filter(|i| mask & (1 << i) != 0)
        .map(|i| NodeId::server(i).to_string())
        .collect::<Vec<_>>()
        .join(",")
}

impl<S: Voter> ClusterInvariant<S> for Agreement {
    fn name(&self) -> &'static str {
        "agreement"
    }

    fn check(&mut self, _at: Time, stepped: NodeId, servers: &[Option<&S>]) -> Result<(), String> {
        let Some(Some(s)) = servers.get(stepped.index()) else {
            return Ok(());
        };
        for p in s.fresh_proposals() {
            self.proposed.insert(*p);
        }
        for vote in s.fresh_votes() {
            self.record(stepped.index(), servers.len(), vote)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Voted for &'static str {
        fn digest(&self) -> u64 {
            splitbrain_api::stable_hash(self.as_bytes())
        }
        fn label(&self) -> String {
            self.to_string()
        }
    }

    fn vote(instance: u64, round: u64, value: &'static str) -> Vote<&'static str> {
        Vote {
            instance,
            name: None,
            ballot: Ballot { round, node: 0 },
            value,
        }
    }

    fn checker() -> Agreement {
        let mut a = Agreement::new("register", Vec::new());
        for v in ["a", "b"] {
            a.proposed.insert((Some(1), v.digest()));
        }
        a
    }

    #[test]
    fn two_majorities_for_different_values_break_agreement() {
        let mut a = checker();
        a.record(0, 3, &vote(1, 1, "a")).unwrap();
        a.record(1, 3, &vote(1, 1, "a")).unwrap();
        a.record(1, 3, &vote(1, 2, "b")).unwrap();
        let e = a.record(2, 3, &vote(1, 2, "b")).unwrap_err();
        assert!(
            e.contains("register 1: a was chosen at ballot 1.0 (accepted by S1,S2) and b"),
            "{e}"
        );
    }

    #[test]
    fn the_chosen_value_in_a_later_ballot_is_fine() {
        let mut a = checker();
        a.record(0, 3, &vote(1, 1, "a")).unwrap();
        a.record(1, 3, &vote(1, 1, "a")).unwrap();
        a.record(1, 3, &vote(1, 2, "a")).unwrap();
        a.record(2, 3, &vote(1, 2, "a")).unwrap();
        // A minority for another value is not a choice.
        a.record(0, 3, &vote(1, 3, "b")).unwrap();
    }

    #[test]
    fn a_value_no_client_proposed_breaks_validity() {
        let mut a = checker();
        a.record(0, 3, &vote(2, 1, "a")).unwrap();
        let e = a.record(1, 3, &vote(2, 1, "a")).unwrap_err();
        assert!(e.contains("no client proposed it"), "{e}");
    }
}
