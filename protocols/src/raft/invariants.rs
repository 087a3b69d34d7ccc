//! Raft's cross-node safety properties (§5.2 Figure 3), checked after every server step.
//! Election safety and state machine safety are the engine's built-in checks (fed by views
//! and `ctx.applied`); these two need the logs:
//!
//! - **log matching**: if two logs hold an entry with the same index and term, the logs are
//!   identical up to that index. With hash-chained logs that is one chain value per (index,
//!   term) over every entry any server ever held, so each new entry is one lookup.
//! - **leader completeness**: an entry committed in a term is in the log of every leader of a
//!   later term. Committed entries are recorded (with their chain value) the first time any
//!   server's commit index covers them, and each new leader's log is compared against the
//!   highest one committed before its term.

use super::log::Log;
use super::RaftServer;
use splitbrain_api::{check_by_stepped, ClusterInvariant, NodeId, Scope, Time};
use std::collections::BTreeMap;

/// Log matching, checked on each log change against every entry any server ever held: with
/// hash-chained logs the property is "one chain value per (index, term)", so each new entry
/// is one table lookup instead of a comparison with every other log.
#[derive(Default)]
pub struct LogMatching {
    /// Per log index: the (term, chain, holder) first seen there.
    first: Vec<Option<Seen>>,
    /// Entries of further terms at an index (after a conflict was overwritten).
    more: BTreeMap<(u64, u64), (u64, NodeId)>,
    /// Per server: its log's (base, last index, last chain value) when last registered.
    seen: Vec<(u64, u64, u64)>,
}

#[derive(Clone, Copy)]
struct Seen {
    term: u64,
    chain: u64,
    by: NodeId,
}

fn fingerprint(log: &Log) -> (u64, u64, u64) {
    let last = log.last_index();
    (log.base_index(), last, log.chain_at(last).unwrap_or(0))
}

impl LogMatching {
    /// Registers the entry at `idx` of `id`'s log; `Err` names the first holder of an entry
    /// with the same index and term but another chain.
    fn register(&mut self, id: NodeId, log: &Log, idx: u64) -> Result<(), (NodeId, u64)> {
        let (Some(term), Some(chain)) = (log.term_at(idx), log.chain_at(idx)) else {
            return Ok(());
        };
        let i = idx as usize;
        if self.first.len() <= i {
            self.first.resize((i + 1).max(2 * self.first.len()), None);
        }
        let known = match self.first[i] {
            None => {
                self.first[i] = Some(Seen {
                    term,
                    chain,
                    by: id,
                });
                return Ok(());
            }
            Some(s) if s.term == term => (s.chain, s.by),
            Some(_) => *self.more.entry((idx, term)).or_insert((chain, id)),
        };
        if known.0 == chain {
            Ok(())
        } else {
            Err((known.1, term))
        }
    }

    /// The indices of `log` not registered yet: only the appended ones when the log still
    /// holds what was registered last, else everything it has (a rare truncation or a new
    /// snapshot; registering a known entry again is a lookup).
    fn fresh(&self, i: usize, log: &Log) -> std::ops::RangeInclusive<u64> {
        let (_, last, chain) = self.seen[i];
        let appended = last >= log.base_index() && log.chain_at(last) == Some(chain);
        let from = if appended { last + 1 } else { log.base_index() };
        from..=log.last_index()
    }
}

impl ClusterInvariant<RaftServer> for LogMatching {
    fn name(&self) -> &'static str {
        "log matching"
    }

    fn check(
        &mut self,
        at: Time,
        stepped: NodeId,
        servers: &[Option<&RaftServer>],
    ) -> Result<(), String> {
        check_by_stepped(self, at, stepped, servers)
    }

    /// Each step registers the stepped server's own log.
    fn scope(&self) -> Scope {
        Scope::Stepped
    }

    fn check_stepped(
        &mut self,
        _at: Time,
        stepped: NodeId,
        a: &RaftServer,
        servers: usize,
    ) -> Result<(), String> {
        if self.seen.len() < servers {
            self.seen.resize(servers, (u64::MAX, u64::MAX, 0));
        }
        self.check_log(stepped, a.log())
    }

    fn hears_disk(&self) -> bool {
        false
    }
}

impl LogMatching {
    /// Registers what is new in `stepped`'s log (`seen` is sized for it).
    fn check_log(&mut self, stepped: NodeId, log: &Log) -> Result<(), String> {
        let i = stepped.index();
        let fp = fingerprint(log);
        if self.seen[i] == fp {
            return Ok(());
        }
        for idx in self.fresh(i, log) {
            if let Err((other, term)) = self.register(stepped, log, idx) {
                return Err(if other == stepped {
                    format!(
                        "{stepped} holds an entry of term {term} at index {idx} again, but its log \
                         now differs at or before it from its own earlier log with that entry"
                    )
                } else {
                    format!(
                        "{stepped} and {other} both hold an entry of term {term} at index {idx} \
                         but their logs differ at or before it"
                    )
                });
            }
        }
        self.seen[i] = fp;
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
        at: Time,
        stepped: NodeId,
        servers: &[Option<&RaftServer>],
    ) -> Result<(), String> {
        check_by_stepped(self, at, stepped, servers)
    }

    /// A new leader is judged against what was seen committed before: its own state alone.
    fn scope(&self) -> Scope {
        Scope::Stepped
    }

    fn check_stepped(
        &mut self,
        _at: Time,
        stepped: NodeId,
        s: &RaftServer,
        servers: usize,
    ) -> Result<(), String> {
        let i = stepped.index();
        if self.checked.len() < servers {
            self.checked.resize(servers, 0);
        }
        if s.is_leader() && self.checked[i] != s.term() {
            self.checked[i] = s.term();
            self.check_leader(stepped, s)?;
        }
        self.record(stepped, s);
        Ok(())
    }

    fn hears_disk(&self) -> bool {
        false
    }
}

/// The invariants a Raft world runs with.
pub fn all() -> Vec<Box<dyn ClusterInvariant<RaftServer>>> {
    vec![
        Box::new(LogMatching::default()),
        Box::new(LeaderCompleteness::default()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raft::log::{Cmd, Entry};
    use splitbrain_api::Op;

    /// A log of (term, command number) entries; equal numbers are equal commands.
    fn log_of(entries: &[(u64, u64)]) -> Log {
        let mut log = Log::default();
        for &(term, n) in entries {
            let op = Op::Get {
                key: format!("k{n}").into(),
            };
            log.push(Entry {
                term,
                cmd: Cmd::client(NodeId::client(0), n, op),
            });
        }
        log
    }

    fn checker() -> LogMatching {
        LogMatching {
            seen: vec![(u64::MAX, u64::MAX, 0); 3],
            ..LogMatching::default()
        }
    }

    #[test]
    fn same_index_and_term_with_another_prefix_is_a_violation() {
        let mut lm = checker();
        let s1 = NodeId::server(0);
        assert!(lm.check_log(s1, &log_of(&[(1, 1), (2, 2)])).is_ok());
        // Index 2 of term 2 on S2, but after a different entry at index 1.
        let err = lm
            .check_log(NodeId::server(1), &log_of(&[(1, 9), (2, 2)]))
            .unwrap_err();
        assert!(err.contains("S1") && err.contains("index 1"), "{err}");
    }

    #[test]
    fn agreeing_logs_and_an_overwritten_conflict_of_another_term_pass() {
        let mut lm = checker();
        let (s1, s2) = (NodeId::server(0), NodeId::server(1));
        assert!(lm.check_log(s1, &log_of(&[(1, 1), (1, 2), (1, 3)])).is_ok());
        assert!(lm.check_log(s2, &log_of(&[(1, 1), (1, 2)])).is_ok());
        // S2 appends, then loses index 2's term-1 entry to a term-2 leader's (§5.3).
        let mut log = log_of(&[(1, 1), (1, 2), (1, 3)]);
        assert!(lm.check_log(s2, &log).is_ok());
        log.truncate_from(2);
        log.push(Entry {
            term: 2,
            cmd: Cmd::noop(),
        });
        assert!(lm.check_log(s2, &log).is_ok());
        // A third server holding that term-2 entry agrees; another entry at (2, term 2) not.
        let mut same = log_of(&[(1, 1)]);
        same.push(Entry {
            term: 2,
            cmd: Cmd::noop(),
        });
        assert!(lm.check_log(NodeId::server(2), &same).is_ok());
        assert!(lm.check_log(s1, &log_of(&[(1, 1), (2, 7)])).is_err());
    }
}
