//! A new leader's phase 1 rule, driven by hand: it re-proposes the highest-ballot value every
//! promise reported and fills holes with no-ops; P06 and P03 break exactly that rule.

use super::server::MultiTimer;
use super::{MultiConfig, MultiMsg, MultiServer, ReadMode};
use crate::kv::{Cmd, CmdKind};
use crate::paxos::ballot::Ballot;
use crate::paxos::PaxosBug;
use rand::SeedableRng;
use splitbrain_api::{Ctx, Effect, NodeId, Op, Process, SimRng, Time};
use std::rc::Rc;

fn put(v: &str) -> Rc<Cmd> {
    let op = Op::Put {
        key: "k".into(),
        value: v.into(),
    };
    Cmd::client(NodeId::client(0), 1, op)
}

fn step(
    s: &mut MultiServer,
    at_ms: u64,
    f: impl FnOnce(&mut MultiServer, &mut Ctx<MultiServer>),
) -> Vec<Effect<MultiServer>> {
    let mut rng = SimRng::seed_from_u64(7);
    let mut effects = Vec::new();
    let mut ctx = Ctx::new(
        s.id,
        Time::ZERO + splitbrain_api::Dur::ms(at_ms),
        &mut rng,
        &mut effects,
    );
    f(s, &mut ctx);
    effects
}

/// The slots and commands of the first Accept the leader sent to `to`.
fn proposals(effects: &[Effect<MultiServer>], to: NodeId) -> Vec<(u64, String)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send {
                to: t,
                msg: MultiMsg::Accept { entries, .. },
            } if *t == to => Some(entries.to_vec()),
            _ => None,
        })
        .flatten()
        .map(|(slot, cmd)| {
            let label = match &cmd.kind {
                CmdKind::Noop | CmdKind::Session { .. } => "noop".to_string(),
                CmdKind::Client { op, .. } => op.label(),
            };
            (slot, label)
        })
        .collect()
}

/// S1 campaigns; its own acceptor holds `own`; S2 promises reporting `reported`.
fn elect(
    bug: PaxosBug,
    own: Vec<(u64, Ballot, Rc<Cmd>)>,
    reported: Vec<(u64, Ballot, Rc<Cmd>)>,
) -> Vec<(u64, String)> {
    let servers: Vec<NodeId> = (0..3).map(NodeId::server).collect();
    let mut s = MultiServer::new(
        servers[0],
        servers.clone(),
        MultiConfig::new(bug, ReadMode::Confirm),
    );
    step(&mut s, 0, |s, ctx| s.on_start(ctx, None));
    for (slot, b, cmd) in own {
        s.accepted.insert(slot, (b, cmd));
    }
    step(&mut s, 1000, |s, ctx| s.on_timer(ctx, MultiTimer::Election));
    let ballot = s.role.view(s.promised).1;
    let effects = step(&mut s, 1001, |s, ctx| {
        let msg = MultiMsg::Promise {
            ballot,
            compacted: 0,
            snapshot: None,
            accepted: reported,
        };
        s.on_message(ctx, servers[1], msg)
    });
    assert!(s.is_leader(), "a majority promised");
    proposals(&effects, servers[1])
}

fn b(round: u64, node: u8) -> Ballot {
    Ballot { round, node }
}

#[test]
fn a_new_leader_reproposes_the_highest_reported_value_and_fills_holes_with_noops() {
    let got = elect(
        PaxosBug::None,
        vec![(2, b(1, 0), put("old"))],
        vec![(2, b(3, 1), put("new")), (4, b(2, 1), put("x"))],
    );
    let want = vec![
        (1, "noop".to_string()),
        (2, "put k=new".to_string()),
        (3, "noop".to_string()),
        (4, "put k=x".to_string()),
    ];
    assert_eq!(got, want);
}

#[test]
fn p06_fills_reported_slots_with_noops_and_p03_keeps_its_own_value() {
    let own = || vec![(2, b(1, 0), put("old"))];
    let reported = || vec![(2, b(3, 1), put("new")), (4, b(2, 1), put("x"))];
    let p06 = elect(PaxosBug::NoRepropose, own(), reported());
    assert!(p06.iter().all(|(_, l)| l == "noop"), "{p06:?}");
    let p03 = elect(PaxosBug::OwnValue, own(), reported());
    assert_eq!(p03[1], (2, "put k=old".to_string()));
    assert_eq!(p03[3], (4, "put k=x".to_string()));
}
