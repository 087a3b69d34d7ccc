//! Raft's cross-node safety properties (§5.2 Figure 3), checked after every server step.
//! Election safety and state machine safety are the engine's built-in checks (fed by views
//! and `ctx.applied`); these two need the logs:
//!
//! - **log matching**: if two logs hold an entry with the same index and term, the logs are
//!   identical up to that index. With hash-chained logs it is one comparison per pair, at the
//!   highest index where the terms agree.
//! - **leader completeness**: an entry committed in a term is in the log of every leader of a
//!   later term. Committed entries are recorded (with their chain value) the first time any
//!   server's commit index covers them, and each new leader's log is compared against the
//!   highest one committed before its term.

use super::log::Log;
use super::RaftServer;
use splitbrain_api::{ClusterInvariant, NodeId, Time};

/// Log matching over all pairs of running servers, re-checked when a server's log changes.
#[derive(Default)]
pub struct LogMatching {
    /// Per server: its log's (base, last index, last chain value) at the last check.
    seen: Vec<(u64, u64, u64)>,
}

fn fingerprint(log: &Log) -> (u64, u64, u64) {
    let last = log.last_index();
    (log.base_index(), last, log.chain_at(last).unwrap_or(0))
}

/// The highest index both logs know with equal terms must carry equal chains.
fn compare(a: &Log, b: &Log) -> Result<(), u64> {
    let lo = a.base_index().max(b.base_index());
    let mut idx = a.last_index().min(b.last_index());
    while idx >= lo {
        if a.term_at(idx) == b.term_at(idx) {
            return if a.chain_at(idx) == b.chain_at(idx) {
                Ok(())
            } else {
                Err(idx)
            };
        }
        if idx == 0 {
            break;
        }
        idx -= 1;
    }
    Ok(())
}

impl ClusterInvariant<RaftServer> for LogMatching {
    fn name(&self) -> &'static str {
        "log matching"
    }

    fn check(
        &mut self,
        _at: Time,
        stepped: NodeId,
        servers: &[Option<&RaftServer>],
    ) -> Result<(), String> {
        let i = stepped.index();
        let Some(a) = servers[i] else {
            return Ok(());
        };
        if self.seen.len() < servers.len() {
            self.seen.resize(servers.len(), (u64::MAX, 0, 0));
        }
        let fp = fingerprint(a.log());
        if self.seen[i] == fp {
            return Ok(());
        }
        self.seen[i] = fp;
        for (j, b) in servers.iter().enumerate() {
            let Some(b) = b.filter(|_| j != i) else {
                continue;
            };
            if let Err(idx) = compare(a.log(), b.log()) {
                return Err(format!(
                    "{stepped} and {} both hold an entry of term {} at index {idx} but their \
                     logs differ at or before it",
                    NodeId::server(j),
                    a.log().term_at(idx).unwrap_or(0)
                ));
            }
        }
        Ok(())
    }
}

struct Committed {
    chain: u64,
    entry_term: u64,
    /// The term of the server that first reported it committed.
    commit_term: u64,
    by: NodeId,
}

/// Leader completeness, checked when a server first leads a term.
#[derive(Default)]
pub struct LeaderCompleteness {
    /// Indexed by log index: what was first seen committed there (indices inside a
    /// snapshot that no server reported one by one stay `None`).
    committed: Vec<Option<Committed>>,
    top: u64,
    /// Per server: the last term it was checked as leader in.
    checked: Vec<u64>,
}

impl LeaderCompleteness {
    fn record(&mut self, id: NodeId, s: &RaftServer) {
        let commit = s.commit_index();
        if commit <= self.top {
            return;
        }
        let from = (self.top + 1).max(s.log().base_index());
        if self.committed.len() <= commit as usize {
            self.committed.resize_with(commit as usize + 1, || None);
        }
        for idx in from..=commit {
            if let (Some(chain), Some(entry_term)) = (s.log().chain_at(idx), s.log().term_at(idx)) {
                self.committed[idx as usize].get_or_insert(Committed {
                    chain,
                    entry_term,
                    commit_term: s.term(),
                    by: id,
                });
            }
        }
        self.top = commit;
    }

    fn committed_at(&self, idx: u64) -> Option<&Committed> {
        self.committed.get(idx as usize).and_then(Option::as_ref)
    }

    fn check_leader(&self, id: NodeId, s: &RaftServer) -> Result<(), String> {
        let term = s.term();
        let Some((idx, c)) = self.committed.iter().enumerate().rev().find_map(|(i, c)| {
            c.as_ref()
                .filter(|c| c.commit_term < term)
                .map(|c| (i as u64, c))
        }) else {
            return Ok(());
        };
        let log = s.log();
        let what = format!(
            "the entry of term {} at index {idx} (committed by {} in term {})",
            c.entry_term, c.by, c.commit_term
        );
        if idx > log.last_index() {
            return Err(format!(
                "{id} became leader in term {term} without {what}: its log ends at {}",
                log.last_index()
            ));
        }
        // Entries inside the leader's snapshot are compared at the snapshot point.
        let (at, want) = if idx < log.base_index() {
            match self.committed_at(log.base_index()) {
                Some(c) if c.commit_term < term => (log.base_index(), c.chain),
                _ => return Ok(()),
            }
        } else {
            (idx, c.chain)
        };
        if log.chain_at(at) != Some(want) {
            return Err(format!(
                "{id} became leader in term {term} with a log that differs from {what} at or \
                 before index {at}"
            ));
        }
        Ok(())
    }
}

impl ClusterInvariant<RaftServer> for LeaderCompleteness {
    fn name(&self) -> &'static str {
        "leader completeness"
    }

    fn check(
        &mut self,
        _at: Time,
        stepped: NodeId,
        servers: &[Option<&RaftServer>],
    ) -> Result<(), String> {
        let i = stepped.index();
        let Some(s) = servers[i] else {
            return Ok(());
        };
        if self.checked.len() < servers.len() {
            self.checked.resize(servers.len(), 0);
        }
        if s.is_leader() && self.checked[i] != s.term() {
            self.checked[i] = s.term();
            self.check_leader(stepped, s)?;
        }
        self.record(stepped, s);
        Ok(())
    }
}

/// The invariants a Raft world runs with.
pub fn all() -> Vec<Box<dyn ClusterInvariant<RaftServer>>> {
    vec![
        Box::new(LogMatching::default()),
        Box::new(LeaderCompleteness::default()),
    ]
}
