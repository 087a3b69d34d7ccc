//! The acceptor's rules for one instance ("Paxos Made Simple" §2.2, P1a): promise a ballot at
//! least as high as any promised (the same ballot again is a retransmission of its proposer),
//! accept a proposal unless a higher ballot was promised. Shared by Basic Paxos (one instance
//! per register) and Multi-Paxos (one promise for all slots, one accepted value per slot).

use super::ballot::Ballot;

/// An acceptor's answer to a prepare or an accept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer<V> {
    /// Promised (prepare): with the highest-ballot proposal accepted so far.
    Promise(Option<(Ballot, V)>),
    /// Accepted (accept).
    Accepted,
    /// Refused: a higher ballot was promised.
    Nack(Ballot),
}

/// One instance's acceptor state: what must be durable before an answer leaves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Instance<V> {
    pub promised: Ballot,
    pub accepted: Option<(Ballot, V)>,
}

impl<V: Clone> Instance<V> {
    /// Phase 1b. Returns whether the state changed (so it must be persisted).
    pub fn prepare(&mut self, b: Ballot) -> (Answer<V>, bool) {
        if b < self.promised {
            return (Answer::Nack(self.promised), false);
        }
        let changed = b > self.promised;
        self.promised = b;
        (Answer::Promise(self.accepted.clone()), changed)
    }

    /// Phase 2b. Returns whether the state changed.
    pub fn accept(&mut self, b: Ballot, v: V) -> (Answer<V>, bool) {
        if b < self.promised {
            return (Answer::Nack(self.promised), false);
        }
        self.promised = b;
        self.accepted = Some((b, v));
        (Answer::Accepted, true)
    }
}

/// Phase 2a's value rule (P2c): the value of the highest-ballot proposal among the promises,
/// folded in one promise at a time.
pub fn adopt<V>(best: &mut Option<(Ballot, V)>, reported: Option<(Ballot, V)>) {
    if let Some((b, v)) = reported {
        if best.as_ref().is_none_or(|(bb, _)| b > *bb) {
            *best = Some((b, v));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(round: u64, node: u8) -> Ballot {
        Ballot { round, node }
    }

    #[test]
    fn a_promise_refuses_lower_ballots_and_reports_the_accepted_value() {
        let mut i: Instance<&str> = Instance::default();
        assert_eq!(i.prepare(b(2, 1)), (Answer::Promise(None), true));
        assert_eq!(i.prepare(b(2, 1)), (Answer::Promise(None), false));
        assert_eq!(i.prepare(b(1, 3)), (Answer::Nack(b(2, 1)), false));
        assert_eq!(i.accept(b(1, 3), "x"), (Answer::Nack(b(2, 1)), false));
        assert_eq!(i.accept(b(2, 1), "v"), (Answer::Accepted, true));
        assert_eq!(
            i.prepare(b(3, 0)),
            (Answer::Promise(Some((b(2, 1), "v"))), true)
        );
    }

    #[test]
    fn adopt_keeps_the_highest_ballot() {
        let mut best = None;
        adopt(&mut best, Some((b(1, 2), "old")));
        adopt(&mut best, None);
        adopt(&mut best, Some((b(4, 0), "new")));
        adopt(&mut best, Some((b(3, 9), "mid")));
        assert_eq!(best, Some((b(4, 0), "new")));
    }
}
