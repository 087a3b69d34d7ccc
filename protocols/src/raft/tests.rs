//! Paper rules checked on one server driven by hand (no simulator): each test cites the
//! section it pins and, where a planted bug deviates from it, shows the deviation too.

use super::log::{Cmd, Entry};
use super::snapshot::Snapshot;
use super::{RaftBug, RaftConfig, RaftMsg, RaftServer, ReadMode};
use crate::kv::Kv;
use rand::SeedableRng;
use splitbrain_api::{Ctx, Effect, NodeId, Op, Process, Role, SimRng, Time};
use std::rc::Rc;

fn server(bug: RaftBug) -> RaftServer {
    let servers = (0..3).map(NodeId::server).collect();
    RaftServer::new(
        NodeId::server(1),
        servers,
        RaftConfig::new(bug, ReadMode::ReadIndex, false),
    )
}

/// Delivers `msg` from S1; returns the effects.
fn deliver(s: &mut RaftServer, msg: RaftMsg) -> Vec<Effect<RaftServer>> {
    let mut rng = SimRng::seed_from_u64(1);
    let mut effects = Vec::new();
    let mut ctx = Ctx::new(s.id, Time(1_000), &mut rng, &mut effects);
    s.on_message(&mut ctx, NodeId::server(0), msg);
    s.invariants();
    effects
}

fn entry(term: u64, n: u64) -> Entry {
    let op = Op::Put {
        key: "k".into(),
        value: n.to_string().into(),
    };
    Entry {
        term,
        cmd: Cmd::client(NodeId::client(0), n, op),
    }
}

fn append(term: u64, prev: (u64, u64), entries: Vec<Entry>, commit: u64) -> RaftMsg {
    RaftMsg::AppendEntries {
        term,
        prev_index: prev.0,
        prev_term: prev.1,
        entries,
        commit,
        round: 0,
    }
}

fn acked(effects: &[Effect<RaftServer>]) -> Option<u64> {
    effects.iter().find_map(|e| match e {
        Effect::Send {
            msg:
                RaftMsg::AppendReply {
                    success: true,
                    match_index,
                    ..
                },
            ..
        } => Some(*match_index),
        _ => None,
    })
}

/// Figure 2, AppendEntries receiver step 3: truncate only on a real conflict. A delayed
/// AppendEntries carrying a prefix of what the follower already holds changes nothing.
#[test]
fn a_delayed_shorter_append_does_not_truncate_the_log() {
    let mut s = server(RaftBug::None);
    let all = vec![entry(1, 1), entry(1, 2), entry(1, 3)];
    deliver(&mut s, append(1, (0, 0), all, 0));
    let fx = deliver(&mut s, append(1, (0, 0), vec![entry(1, 1)], 0));
    assert_eq!(s.log().last_index(), 3);
    assert_eq!(
        acked(&fx),
        Some(1),
        "the ack covers only what the message carried"
    );
}

/// §5.3: a conflicting entry (same index, other term) cuts the log from there.
#[test]
fn a_conflicting_entry_truncates_from_the_conflict() {
    let mut s = server(RaftBug::None);
    deliver(
        &mut s,
        append(1, (0, 0), vec![entry(1, 1), entry(1, 2), entry(1, 3)], 0),
    );
    deliver(&mut s, append(2, (1, 1), vec![entry(2, 9)], 0));
    assert_eq!(s.log().last_index(), 2);
    assert_eq!(s.log().term_at(2), Some(2));
}

/// §5.3 fast backup: a follower with a conflicting term reports it and its first index.
#[test]
fn a_failed_consistency_check_reports_the_conflicting_term_and_its_first_index() {
    let mut s = server(RaftBug::None);
    deliver(
        &mut s,
        append(1, (0, 0), vec![entry(1, 1), entry(2, 2), entry(2, 3)], 0),
    );
    let fx = deliver(&mut s, append(3, (3, 3), vec![], 0));
    let hint = fx.iter().find_map(|e| match e {
        Effect::Send {
            msg:
                RaftMsg::AppendReply {
                    success: false,
                    conflict_term,
                    conflict_index,
                    ..
                },
            ..
        } => Some((*conflict_term, *conflict_index)),
        _ => None,
    });
    assert_eq!(hint, Some((Some(2), 2)));
}

fn snapshot_at(index: u64) -> Rc<Snapshot> {
    Rc::new(Snapshot {
        index,
        term: 1,
        chain: 0,
        kv: Kv::default(),
    })
}

fn install(index: u64) -> RaftMsg {
    RaftMsg::InstallSnapshot {
        term: 1,
        snapshot: snapshot_at(index),
        round: 0,
    }
}

/// Figure 13 / §7: a snapshot no newer than the commit index is a delayed or duplicated
/// copy and is ignored; planted bug R16 installs it and loses the acknowledged tail.
#[test]
fn a_snapshot_older_than_the_commit_index_is_ignored() {
    for (bug, kept) in [(RaftBug::None, 4), (RaftBug::StaleSnapshot, 2)] {
        let mut s = server(bug);
        let all = (1..=4).map(|n| entry(1, n)).collect();
        deliver(&mut s, append(1, (0, 0), all, 3));
        assert_eq!(s.commit_index(), 3);
        deliver(&mut s, install(2));
        assert_eq!(s.log().last_index(), kept, "{bug:?}");
    }
}

/// §5.1: a vote granted for an earlier term does not count in a later one (R14 counts it).
#[test]
fn a_grant_from_an_earlier_term_is_not_counted() {
    for (bug, leads) in [(RaftBug::None, false), (RaftBug::StaleTermReplies, true)] {
        let mut s = server(bug);
        let mut rng = SimRng::seed_from_u64(1);
        let mut effects = Vec::new();
        for at in [1_000, 1_000_000] {
            // Two election timeouts: the first election's grants arrive in the second.
            let mut ctx = Ctx::new(s.id, Time(at), &mut rng, &mut effects);
            s.on_timer(&mut ctx, super::server::ServerTimer::Election);
        }
        assert_eq!(s.term(), 2, "two elections started");
        let mut ctx = Ctx::new(s.id, Time(1_000_001), &mut rng, &mut effects);
        let grant = RaftMsg::VoteReply {
            term: 1,
            granted: true,
            pre_vote: false,
        };
        s.on_message(&mut ctx, NodeId::server(2), grant);
        assert_eq!(s.view().role == Role::Leader, leads, "{bug:?}");
    }
}

/// §5.4.1: the election restriction compares last terms first (R15 compares indices only).
#[test]
fn a_longer_log_of_an_older_term_does_not_win_a_vote() {
    for (bug, granted) in [(RaftBug::None, false), (RaftBug::IndexOnlyElection, true)] {
        let mut s = server(bug);
        deliver(&mut s, append(2, (0, 0), vec![entry(2, 1)], 0));
        let ask = RaftMsg::RequestVote {
            term: 3,
            last_index: 5,
            last_term: 1,
            pre_vote: false,
        };
        let fx = deliver(&mut s, ask);
        let got = fx.iter().any(|e| {
            matches!(
                e,
                Effect::Send {
                    msg: RaftMsg::VoteReply { granted: true, .. },
                    ..
                }
            )
        });
        assert_eq!(got, granted, "{bug:?}");
    }
}
