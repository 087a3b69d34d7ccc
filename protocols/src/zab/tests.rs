//! Paper rules checked on one server driven by hand (no simulator): each test names the rule
//! of the Zab paper (DSN 2011) it pins and, where a planted bug deviates from it, shows the
//! deviation too.

use super::log::{zxid, Txn};
use super::server::{Phase, ZabServer};
use super::{ReadMode, ZabBug, ZabConfig, ZabMsg};
use crate::kv::Cmd;
use rand::SeedableRng;
use splitbrain_api::{Ctx, Effect, NodeId, Op, Process, SimRng, Time};

fn leader_id() -> NodeId {
    NodeId::server(0)
}

/// S2 following S1 in `epoch`, synchronised, with an empty history.
fn follower(bug: ZabBug, epoch: u64) -> ZabServer {
    let servers = (0..3).map(NodeId::server).collect();
    let mut s = ZabServer::new(
        NodeId::server(1),
        servers,
        ZabConfig::new(bug, ReadMode::Broadcast),
    );
    s.accepted_epoch = epoch;
    s.current_epoch = epoch;
    s.promised = Some((epoch, leader_id()));
    s.phase = Phase::Following {
        leader: leader_id(),
        synced: true,
    };
    s
}

fn deliver(s: &mut ZabServer, from: NodeId, msg: ZabMsg) -> Vec<Effect<ZabServer>> {
    let mut rng = SimRng::seed_from_u64(1);
    let mut effects = Vec::new();
    let mut ctx = Ctx::new(s.id, Time(1_000), &mut rng, &mut effects);
    s.on_message(&mut ctx, from, msg);
    s.invariants();
    effects
}

fn txn(epoch: u64, n: u64) -> Txn {
    let op = Op::Put {
        key: "k".into(),
        value: n.to_string().into(),
    };
    Txn {
        zxid: zxid(epoch, n),
        cmd: Cmd::client(NodeId::client(0), n, op),
    }
}

/// The index of the first effect matching `f`.
fn position(
    effects: &[Effect<ZabServer>],
    f: impl Fn(&Effect<ZabServer>) -> bool,
) -> Option<usize> {
    effects.iter().position(f)
}

fn is_persist(e: &Effect<ZabServer>) -> bool {
    matches!(e, Effect::Persist { .. })
}

#[test]
fn a_follower_acknowledges_a_proposal_of_its_epoch_only_after_it_is_durable() {
    let mut s = follower(ZabBug::None, 2);
    let msg = ZabMsg::Proposal {
        epoch: 2,
        prev: 0,
        txns: vec![txn(2, 1)].into(),
    };
    let effects = deliver(&mut s, leader_id(), msg);
    let ack = position(&effects, |e| {
        matches!(e, Effect::Send { msg: ZabMsg::Ack { last_zxid, .. }, .. } if *last_zxid == zxid(2, 1))
    })
    .expect("acknowledged");
    let persist = position(&effects, is_persist).expect("logged");
    let barrier = position(&effects, |e| matches!(e, Effect::Barrier)).expect("barrier");
    assert!(persist < ack && barrier < ack);
}

#[test]
fn a_follower_refuses_a_proposal_of_an_older_epoch_unless_z06() {
    let old = ZabMsg::Proposal {
        epoch: 1,
        prev: 0,
        txns: vec![txn(1, 1)].into(),
    };
    let deposed = NodeId::server(2);
    let mut s = follower(ZabBug::None, 2);
    let effects = deliver(&mut s, deposed, old.clone());
    assert_eq!(s.log.last_zxid(), 0, "nothing logged");
    assert!(!effects.iter().any(|e| matches!(e, Effect::Send { .. })));
    let mut bad = follower(ZabBug::NoEpochCheck, 2);
    let effects = deliver(&mut bad, deposed, old);
    assert_eq!(bad.log.last_zxid(), zxid(1, 1), "Z06 logs it");
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::Send { to, msg: ZabMsg::Ack { .. } } if *to == deposed)));
}

#[test]
fn a_follower_refuses_a_new_epoch_below_the_one_it_accepted() {
    let mut s = follower(ZabBug::None, 3);
    s.phase = Phase::Following {
        leader: leader_id(),
        synced: false,
    };
    s.promised = None;
    let effects = deliver(&mut s, leader_id(), ZabMsg::NewEpoch { epoch: 2 });
    assert!(!effects.iter().any(|e| matches!(e, Effect::Send { .. })));
    assert_eq!(s.accepted_epoch, 3);
}

/// The epoch it accepted already, from another prospective leader: acknowledged, but as not
/// fresh, so this leader cannot count it towards its quorum (one leader per epoch).
#[test]
fn a_follower_acknowledges_the_epoch_it_accepted_already_as_not_fresh() {
    let mut s = follower(ZabBug::None, 3);
    s.phase = Phase::Following {
        leader: leader_id(),
        synced: false,
    };
    s.promised = Some((3, NodeId::server(2)));
    let effects = deliver(&mut s, leader_id(), ZabMsg::NewEpoch { epoch: 3 });
    let fresh: Vec<bool> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send {
                msg: ZabMsg::AckEpoch { fresh, .. },
                ..
            } => Some(*fresh),
            _ => None,
        })
        .collect();
    assert_eq!(fresh, vec![false]);
    assert_eq!(s.promised, Some((3, leader_id())));
    let effects = deliver(&mut s, leader_id(), ZabMsg::NewEpoch { epoch: 4 });
    assert!(effects.iter().any(|e| matches!(
        e,
        Effect::Send {
            msg: ZabMsg::AckEpoch { fresh: true, .. },
            ..
        }
    )));
}

#[test]
fn newleader_is_acknowledged_after_the_synced_history_is_durable_unless_z02() {
    let sync = ZabMsg::Sync {
        epoch: 3,
        trunc_to: None,
        snapshot: None,
        prev: 0,
        txns: vec![txn(2, 1), txn(2, 2)],
    };
    let acked = |e: &Effect<ZabServer>| matches!(e, Effect::Send { msg: ZabMsg::AckNewLeader { last_zxid, .. }, .. } if *last_zxid == zxid(2, 2));
    for (bug, durable_first) in [(ZabBug::None, true), (ZabBug::AckBeforeDurable, false)] {
        let mut s = follower(bug, 3);
        s.current_epoch = 2;
        s.phase = Phase::Following {
            leader: leader_id(),
            synced: false,
        };
        let effects = deliver(&mut s, leader_id(), sync.clone());
        let ack = position(&effects, acked).expect("acknowledged");
        let persist = position(&effects, is_persist).expect("persisted");
        assert_eq!(persist < ack, durable_first, "{bug:?}");
        assert_eq!(s.current_epoch, 3);
    }
}

#[test]
fn trunc_drops_the_txns_the_new_leader_never_had_before_the_diff() {
    let mut s = follower(ZabBug::None, 3);
    s.current_epoch = 1;
    for t in [txn(1, 1), txn(1, 2), txn(1, 3)] {
        s.log_mut().append(t);
    }
    s.phase = Phase::Following {
        leader: leader_id(),
        synced: false,
    };
    let sync = ZabMsg::Sync {
        epoch: 3,
        trunc_to: Some(zxid(1, 1)),
        snapshot: None,
        prev: zxid(1, 1),
        txns: vec![txn(2, 1)],
    };
    deliver(&mut s, leader_id(), sync);
    assert!(!s.log.contains(zxid(1, 2)) && !s.log.contains(zxid(1, 3)));
    assert_eq!(s.log.last_zxid(), zxid(2, 1));
}

#[test]
fn a_restarted_server_recovers_its_epochs_and_history_from_disk() {
    let mut s = follower(ZabBug::None, 2);
    let msg = ZabMsg::Proposal {
        epoch: 2,
        prev: 0,
        txns: vec![txn(2, 1)].into(),
    };
    let effects = deliver(&mut s, leader_id(), msg);
    let durable = effects
        .into_iter()
        .find_map(|e| match e {
            Effect::Persist { durable } => Some(durable),
            _ => None,
        })
        .expect("persisted");
    let servers = (0..3).map(NodeId::server).collect();
    let mut back = ZabServer::new(s.id, servers, s.cfg);
    let mut rng = SimRng::seed_from_u64(2);
    let mut effects = Vec::new();
    let mut ctx = Ctx::new(back.id, Time(5_000), &mut rng, &mut effects);
    back.on_start(&mut ctx, Some(&durable));
    assert_eq!((back.accepted_epoch, back.current_epoch), (2, 2));
    assert_eq!(back.log.last_zxid(), zxid(2, 1));
    assert_eq!(back.phase, Phase::Looking);
    assert_eq!(
        back.delivered, 0,
        "nothing is delivered before a leader commits it"
    );
}

/// A follower synchronised in epoch 2 (after a TRUNC to 0) that then logged and delivered
/// proposals of the epoch: a duplicate of that Sync, or one delayed past them, must not take
/// it back (zab-zk-watches seed 906 tripped "TRUNC below a delivered transaction"). It keeps
/// its longer history and acknowledges it; a Sync that holds more than it is taken from its
/// last zxid on.
#[test]
fn a_sync_of_the_current_epoch_never_takes_a_follower_back() {
    let mut s = follower(ZabBug::None, 2);
    let proposal = ZabMsg::Proposal {
        epoch: 2,
        prev: 0,
        txns: vec![txn(2, 1), txn(2, 2)].into(),
    };
    deliver(&mut s, leader_id(), proposal);
    let commit = ZabMsg::Commit {
        epoch: 2,
        zxid: zxid(2, 1),
    };
    deliver(&mut s, leader_id(), commit);
    assert_eq!(s.delivered, zxid(2, 1));
    let stale = ZabMsg::Sync {
        epoch: 2,
        trunc_to: Some(0),
        snapshot: None,
        prev: 0,
        txns: vec![],
    };
    let effects = deliver(&mut s, leader_id(), stale);
    assert_eq!(s.log.last_zxid(), zxid(2, 2), "nothing dropped");
    assert!(effects.iter().any(|e| matches!(e, Effect::Send { msg: ZabMsg::AckNewLeader { last_zxid, .. }, .. } if *last_zxid == zxid(2, 2))));
    let longer = ZabMsg::Sync {
        epoch: 2,
        trunc_to: Some(0),
        snapshot: None,
        prev: 0,
        txns: vec![txn(2, 1), txn(2, 2), txn(2, 3)],
    };
    deliver(&mut s, leader_id(), longer);
    assert_eq!(s.log.last_zxid(), zxid(2, 3));
    assert_eq!(s.delivered, zxid(2, 1));
}
