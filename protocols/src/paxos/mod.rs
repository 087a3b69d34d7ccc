//! Paxos in two forms, sharing ballots, the acceptor's rules, the agreement check and the
//! planted bugs:
//!
//! - `basic`: Basic Paxos ("Paxos Made Simple", Lamport 2001) as a service of independent
//!   write-once registers, one single-decree instance per key. Every server is proposer,
//!   acceptor and learner.
//! - `multi`: Multi-Paxos with a stable leader ("Paxos Made Moderately Complex", van Renesse &
//!   Altinbuken 2015): phase 1 once for all later slots, slots applied in order to the shared
//!   key-value state machine (`crate::kv`), snapshots, catch-up, confirmed reads.
//!
//! - `ballot`: `(round, proposer)` ballots; `acceptor`: promise and accept rules and the value
//!   rule P2c; `agreement`: the online agreement and validity check; `slots`: Multi-Paxos'
//!   per-slot state in a sliding window; `lookup`: a lookup-only hash map for registers and
//!   the check's instances.

pub mod acceptor;
pub mod agreement;
pub mod ballot;
pub mod basic;
pub mod journal;
pub mod lookup;
pub mod multi;
pub mod slots;
pub mod variants;

use splitbrain_api::{Dur, SimRng};

/// A planted bug (`../shared/BUGS.md`), or none: one deviation each from the correct
/// implementation, tested where it applies with `cfg.bug == PaxosBug::...`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PaxosBug {
    None,
    /// P01: acceptors keep promises and accepted values in memory only; a restart forgets.
    VolatileAcceptor,
    /// P02: ballots carry no proposer id and their round is not durable (restarts from 0).
    NonUniqueBallots,
    /// P03: the proposer (new leader) keeps its own value instead of adopting the value of
    /// the highest-numbered proposal reported in phase 1.
    OwnValue,
    /// P06 (Multi-Paxos): the new leader fills slots without re-proposing the values phase 1
    /// reported.
    NoRepropose,
    /// Not a safety bug: a preempted proposer retries at once, with no randomised backoff, so
    /// dueling proposers can livelock (the lecture's liveness failure).
    NoBackoff,
}

/// Randomised exponential backoff between a proposer's attempts: the wait is drawn uniformly
/// below a ceiling that doubles per failed attempt (from `min` up to `max`).
#[derive(Copy, Clone, Debug)]
pub struct Backoff {
    pub min: Dur,
    pub max: Dur,
}

impl Backoff {
    /// The wait before attempt `attempt` (0 = the first retry); zero under `NoBackoff`.
    pub fn wait(&self, bug: PaxosBug, attempt: u32, rng: &mut SimRng) -> Dur {
        use rand::Rng;
        if bug == PaxosBug::NoBackoff {
            return Dur::us(0);
        }
        let ceiling = (self.min.as_us() << attempt.min(16)).min(self.max.as_us());
        Dur::us(rng.gen_range(ceiling / 4..=ceiling))
    }
}

/// The quorum size of `n` acceptors.
pub fn majority(n: usize) -> usize {
    n / 2 + 1
}
