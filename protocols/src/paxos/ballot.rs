//! Ballots (proposal numbers, "Paxos Made Simple" §2.2): `(round, proposer)`, ordered by round
//! then proposer id, so two proposers never use the same ballot, and a proposer picks a round
//! above every round it has seen. Planted bug P02 drops the proposer id (every proposer is 0).

use serde::Serialize;

/// A ballot. `node` is the proposer's server index (0 for everyone under P02).
#[derive(Copy, Clone, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Ballot {
    pub round: u64,
    pub node: u8,
}

impl Ballot {
    /// The zero ballot: below every ballot a proposer uses.
    pub const ZERO: Ballot = Ballot { round: 0, node: 0 };

    /// One number for views and reports (`term`): round and proposer, order-preserving.
    pub fn as_term(self) -> u64 {
        (self.round << 8) | u64::from(self.node)
    }
}

impl std::fmt::Display for Ballot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "({},S{})", self.round, u32::from(self.node) + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ballots_order_by_round_then_proposer_and_encode_in_order() {
        let a = Ballot { round: 3, node: 2 };
        let b = Ballot { round: 3, node: 4 };
        let c = Ballot { round: 4, node: 0 };
        assert!(Ballot::ZERO < a && a < b && b < c);
        assert!(a.as_term() < b.as_term() && b.as_term() < c.as_term());
        assert_eq!(
            a.to_string(),
            "(3,S3)",
            "round and proposer as people name servers"
        );
    }
}
