//! A Basic Paxos server: acceptor and learner for every register, and the proposer runs of
//! `proposer.rs`. Every acceptor change is journalled and persisted before its reply leaves
//! (the engine holds sends pushed after a persist until the disk syncs): "an acceptor must
//! remember this information even if it fails and then restarts" (Paxos Made Simple §2.3).
//! Planted bug P01 keeps the acceptor state in memory only.

use super::key::RegKey;
use super::proposer::Run;
use super::{BasicConfig, BasicMsg};
use crate::paxos::acceptor::{Answer, Instance};
use crate::paxos::agreement::{DeferredLabel, Vote, Voted, Voter};
use crate::paxos::ballot::Ballot;
use crate::paxos::journal::Journal;
use crate::paxos::lookup::Lookup;
use crate::paxos::PaxosBug;
use splitbrain_api::{stable_hash, Ctx, NodeId, NodeView, Op, Process, Role, Time};
use std::collections::BTreeMap;
use std::rc::Rc;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum BasicTimer {
    /// The earliest proposer deadline (attempt timeout or end of a backoff).
    Wake,
}

/// What survives a crash once synced: the highest round used (so ballots keep increasing
/// across restarts) and the acceptor's journal of (register, new state) changes.
#[derive(Clone, Debug)]
pub struct BasicDurable {
    pub round: u64,
    pub acceptor: Journal<(Rc<str>, Instance<Rc<str>>)>,
}

/// One Basic Paxos server.
pub struct BasicServer {
    pub(super) id: NodeId,
    pub(super) servers: Vec<NodeId>,
    pub(super) cfg: BasicConfig,
    /// The highest round this server used or saw.
    pub(super) round: u64,
    /// Looked up by name only (`describe` sorts them).
    pub(super) acceptors: Lookup<RegKey, Instance<Rc<str>>>,
    journal: Journal<(Rc<str>, Instance<Rc<str>>)>,
    /// What this learner knows was chosen.
    pub(super) learned: Lookup<RegKey, Rc<str>>,
    pub(super) runs: BTreeMap<RegKey, Run>,
    pub(super) wake_at: Option<Time>,
    fresh_votes: Vec<Vote<Rc<str>>>,
    fresh_proposals: Vec<(Option<u64>, u64)>,
    marked: Vec<&'static str>,
}

/// The agreement check's instance id of a register.
pub fn register_id(key: &str) -> u64 {
    stable_hash(key.as_bytes())
}

impl Voted for Rc<str> {
    fn digest(&self) -> u64 {
        stable_hash(self.as_bytes())
    }

    fn label(&self) -> String {
        format!("`{self}`")
    }

    fn deferred_label(&self) -> DeferredLabel {
        let value = self.to_string();
        Box::new(move || format!("`{value}`"))
    }
}

impl BasicServer {
    pub fn new(id: NodeId, servers: Vec<NodeId>, cfg: BasicConfig) -> BasicServer {
        BasicServer {
            id,
            servers,
            cfg,
            round: 0,
            acceptors: Lookup::default(),
            journal: Journal::default(),
            learned: Lookup::default(),
            runs: BTreeMap::new(),
            wake_at: None,
            fresh_votes: Vec::new(),
            fresh_proposals: Vec::new(),
            marked: Vec::new(),
        }
    }

    pub(super) fn mark(&mut self, ctx: &mut Ctx<Self>, name: &'static str) {
        if !self.marked.contains(&name) {
            self.marked.push(name);
            ctx.mark(name);
        }
    }

    /// Persists the round and the acceptor journal; later sends wait for the sync.
    pub(super) fn persist(&self, ctx: &mut Ctx<Self>) {
        ctx.persist(BasicDurable {
            round: self.round,
            acceptor: self.journal.clone(),
        });
    }

    /// Phase 1b or 2b at this server's acceptor; persists a change before the answer.
    pub(super) fn acceptor_answer(
        &mut self,
        ctx: &mut Ctx<Self>,
        key: &Rc<str>,
        ballot: Ballot,
        value: Option<&Rc<str>>,
    ) -> Answer<Rc<str>> {
        self.round = self.round.max(ballot.round);
        let inst = self
            .acceptors
            .get_or_insert_with(RegKey::of(key), Instance::default);
        let (answer, changed) = match value {
            None => inst.prepare(ballot),
            Some(v) => inst.accept(ballot, Rc::clone(v)),
        };
        if let (Some(v), Answer::Accepted) = (value, &answer) {
            self.fresh_votes.push(Vote {
                instance: register_id(key),
                name: Some(Rc::clone(key)),
                ballot,
                value: Rc::clone(v),
            });
        }
        if changed && self.cfg.bug != PaxosBug::VolatileAcceptor {
            let state = inst.clone();
            self.journal.push((Rc::clone(key), state));
            self.persist(ctx);
        }
        answer
    }

    fn on_prepare(&mut self, ctx: &mut Ctx<Self>, from: NodeId, key: Rc<str>, ballot: Ballot) {
        if let Some(value) = self.learned.get(&RegKey::of(&key)) {
            let value = Rc::clone(value);
            ctx.send(from, BasicMsg::Decided { key, value });
            return;
        }
        let preempts = self
            .runs
            .get(&RegKey::of(&key))
            .map(|r| r.ballot)
            .filter(|&own| own < ballot);
        let reply = match self.acceptor_answer(ctx, &key, ballot, None) {
            Answer::Promise(accepted) => BasicMsg::Promise {
                key: Rc::clone(&key),
                ballot,
                accepted,
            },
            Answer::Nack(promised) => BasicMsg::Nack {
                key: Rc::clone(&key),
                ballot,
                promised,
            },
            Answer::Accepted => unreachable!("a prepare is never accepted"),
        };
        ctx.barrier();
        ctx.send(from, reply);
        if let Some(own) = preempts {
            // This server's own acceptor now refuses its attempt: it is preempted.
            self.on_nack(ctx, key, own, ballot);
        }
    }

    fn on_accept(
        &mut self,
        ctx: &mut Ctx<Self>,
        from: NodeId,
        key: Rc<str>,
        b: Ballot,
        v: Rc<str>,
    ) {
        let reply = match self.acceptor_answer(ctx, &key, b, Some(&v)) {
            Answer::Accepted => BasicMsg::Accepted { key, ballot: b },
            Answer::Nack(promised) => BasicMsg::Nack {
                key,
                ballot: b,
                promised,
            },
            Answer::Promise(_) => unreachable!("an accept is never a promise"),
        };
        ctx.barrier();
        ctx.send(from, reply);
    }

    fn on_client(&mut self, ctx: &mut Ctx<Self>, client: NodeId, seq: u64, op: Op) {
        let Op::Propose { key, value } = op else {
            panic!("Basic Paxos serves write-once registers (propose) only, not {op:?}");
        };
        self.fresh_proposals
            .push((Some(register_id(&key)), stable_hash(value.as_bytes())));
        self.propose(ctx, client, seq, key.as_str().into(), value.as_str().into());
    }
}

impl Process for BasicServer {
    type Msg = BasicMsg;
    type Timer = BasicTimer;
    type Durable = BasicDurable;

    fn on_start(&mut self, ctx: &mut Ctx<Self>, durable: Option<&BasicDurable>) {
        let Some(d) = durable else {
            return;
        };
        self.mark(ctx, "recovered");
        if self.cfg.bug != PaxosBug::NonUniqueBallots {
            self.round = d.round;
        }
        if self.cfg.bug != PaxosBug::VolatileAcceptor {
            d.acceptor.for_each(|(key, state)| {
                self.acceptors.insert(RegKey::of(key), state.clone());
            });
            self.journal = d.acceptor.recovered();
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: BasicMsg) {
        self.fresh_votes.clear();
        self.fresh_proposals.clear();
        match msg {
            BasicMsg::Prepare { key, ballot } => self.on_prepare(ctx, from, key, ballot),
            BasicMsg::Accept { key, ballot, value } => {
                self.on_accept(ctx, from, key, ballot, value)
            }
            BasicMsg::Promise {
                key,
                ballot,
                accepted,
            } => self.on_promise(ctx, from, key, ballot, accepted),
            BasicMsg::Accepted { key, ballot } => self.on_accepted(ctx, from, key, ballot),
            BasicMsg::Nack {
                key,
                ballot,
                promised,
            } => self.on_nack(ctx, key, ballot, promised),
            BasicMsg::Decided { key, value } => self.learn(ctx, key, value, false),
            BasicMsg::ClientRequest { seq, op } => self.on_client(ctx, from, seq, op),
            BasicMsg::ClientReply { .. } => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, _timer: BasicTimer) {
        self.fresh_votes.clear();
        self.fresh_proposals.clear();
        self.wake_at = None;
        self.on_wake(ctx);
    }

    fn describe(&self) -> Vec<(&'static str, String)> {
        self.describe_fields()
    }

    fn view(&self) -> NodeView {
        NodeView {
            role: Role::Member,
            term: self.round,
            commit: self.learned.len() as u64,
            log_len: self.acceptors.len() as u64,
        }
    }
}

impl Voter for BasicServer {
    type Value = Rc<str>;

    fn fresh_votes(&self) -> &[Vote<Rc<str>>] {
        &self.fresh_votes
    }

    fn fresh_proposals(&self) -> &[(Option<u64>, u64)] {
        &self.fresh_proposals
    }

    fn votes_wait_for_disk(&self) -> bool {
        self.cfg.bug != PaxosBug::VolatileAcceptor
    }
}
