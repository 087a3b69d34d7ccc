//! The Basic Paxos lab: implement single-decree Paxos ("Paxos Made Simple") as a service of
//! write-once registers, as a sans-IO `Process`. A client's `Propose { key, value }` asks the
//! service to choose a value for register `key`; the answer is the value chosen, which may be
//! another client's. Every server is proposer, acceptor and learner, one Paxos instance per
//! register. `cargo test --release -p paxos-skeleton --test suite -- --ignored --nocapture`
//! runs the graded suite (Basic, Duel, RPCCount, Deaf, Partition, Persist, Old,
//! ManyUnreliable, Lots) against this crate.
//!
//! What is given: the messages (their `kind` names are what the suite's crash points fire
//! after: keep them), the ballot, the client (`KvClient`, the shared client library, which
//! sends a request to a server, retries at the next one with the same request id after a
//! silence and gives up after a bound), and the plumbing to the suite (`entry`).
//!
//! What is yours: every `TODO` below. The rules of the world (`docs/architecture.md`, the
//! Process contract): handlers run to completion and push effects into `ctx`; `ctx.persist(d)`
//! makes `d` your durable state once the disk syncs, and messages you send after it in the
//! same handler leave only then (a promise or an acceptance must not leave before it is on
//! disk); a crash loses your memory and, sometimes, an unsynced write; `on_start` gets the
//! last synced state back. Draw backoff delays from `ctx.rng()` (dueling proposers need
//! them), read time with `ctx.now()`.

// The handlers are left for the student: until they are written, most of this is unused.
#![allow(dead_code, unused_variables)]

use splitbrain_api::{Ctx, Dur, Message, NodeId, NodeView, Op, Process, Protocol, Ret, Role};
use splitbrain_protocols::kv::{KvClient, KvWire, WireReply};
use splitbrain_scenarios::lab::{LabEntry, LabParams};
use std::collections::BTreeMap;

/// The registry entry the suite runs: `LabEntry` builds `Lab` per run.
pub fn entry() -> LabEntry<Lab> {
    LabEntry {
        name: "paxos-skeleton",
        build: |_params: LabParams| Lab,
        model: "write-once",
    }
}

/// The protocol: a `PaxosServer` per server, a `KvClient` per client.
pub struct Lab;

impl Protocol for Lab {
    type Server = PaxosServer;
    type Client = KvClient<Msg>;

    fn server(&self, id: NodeId, servers: &[NodeId]) -> PaxosServer {
        PaxosServer::new(id, servers.to_vec())
    }

    fn client(&self, id: NodeId, servers: &[NodeId]) -> KvClient<Msg> {
        KvClient::new(id, servers.to_vec())
    }
}

/// A proposal number: unique per proposer (the id breaks ties) and totally ordered.
#[derive(Copy, Clone, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ballot {
    pub round: u64,
    pub proposer: u64,
}

/// One register's acceptor state.
#[derive(Clone, Debug, Default)]
pub struct Acceptor {
    /// The highest ballot promised.
    pub promised: Ballot,
    /// The highest-ballot proposal accepted, if any.
    pub accepted: Option<(Ballot, String)>,
}

/// What survives a crash once synced.
#[derive(Clone, Debug, Default)]
pub struct Durable {
    /// The highest round this server used, so its ballots keep growing across restarts.
    pub round: u64,
    pub acceptors: BTreeMap<String, Acceptor>,
}

/// Paxos' messages and the client protocol; `key` names the register. Keep the `kind` names.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum Msg {
    Prepare {
        key: String,
        ballot: Ballot,
    },
    /// Phase 1b, with the highest-ballot proposal this acceptor accepted.
    Promise {
        key: String,
        ballot: Ballot,
        accepted: Option<(Ballot, String)>,
    },
    Accept {
        key: String,
        ballot: Ballot,
        value: String,
    },
    Accepted {
        key: String,
        ballot: Ballot,
    },
    /// A prepare or accept of `ballot` refused: the acceptor promised `promised`.
    Nack {
        key: String,
        ballot: Ballot,
        promised: Ballot,
    },
    /// To the learners: `value` was chosen for `key`.
    Decided {
        key: String,
        value: String,
    },
    /// A client's request `seq` (from the client library): `Op::Propose { key, value }`.
    ClientRequest {
        seq: u64,
        op: Op,
    },
    /// The answer to request `seq`: `Ret::Value { value: Some(chosen) }`.
    ClientReply {
        seq: u64,
        ret: Ret,
    },
}

impl Message for Msg {
    fn kind(&self) -> &'static str {
        match self {
            Msg::Prepare { .. } => "Prepare",
            Msg::Promise { .. } => "Promise",
            Msg::Accept { .. } => "Accept",
            Msg::Accepted { .. } => "Accepted",
            Msg::Nack { .. } => "Nack",
            Msg::Decided { .. } => "Decided",
            Msg::ClientRequest { .. } => "ClientRequest",
            Msg::ClientReply { .. } => "ClientReply",
        }
    }
}

impl KvWire for Msg {
    fn request(seq: u64, op: Op) -> Msg {
        Msg::ClientRequest { seq, op }
    }

    fn reply(self) -> Option<WireReply> {
        match self {
            Msg::ClientReply { seq, ret } => Some(WireReply::Done { seq, ret }),
            _ => None,
        }
    }
}

/// The one timer: a tick every `TICK` of the server's own clock.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Timer {
    Tick,
}

/// How often `on_timer` runs. Messages take 0.5-2 ms when nothing is wrong; an attempt that
/// has heard nothing for ~60 ms is worth retrying with a higher ballot after a random backoff
/// of 10-160 ms.
pub const TICK: Dur = Dur::ms(10);

/// One server: proposer, acceptor and learner for every register.
pub struct PaxosServer {
    id: NodeId,
    servers: Vec<NodeId>,
    round: u64,
    acceptors: BTreeMap<String, Acceptor>,
    /// What this learner knows was chosen.
    learned: BTreeMap<String, String>,
    /// Clients waiting for a register's value: (client, request id).
    waiting: BTreeMap<String, Vec<(NodeId, u64)>>,
}

impl PaxosServer {
    fn new(id: NodeId, servers: Vec<NodeId>) -> PaxosServer {
        PaxosServer {
            id,
            servers,
            round: 0,
            acceptors: BTreeMap::new(),
            learned: BTreeMap::new(),
            waiting: BTreeMap::new(),
        }
    }

    fn on_client_request(&mut self, ctx: &mut Ctx<Self>, client: NodeId, seq: u64, op: Op) {
        // TODO: answer at once if the register is learned; otherwise remember the client and
        // start (or join) a proposal for `key` with a fresh ballot: phase 1 to every acceptor.
    }

    fn on_prepare(&mut self, ctx: &mut Ctx<Self>, from: NodeId, key: String, ballot: Ballot) {
        // TODO: promise if `ballot` is above every ballot promised for `key` (persist first),
        // reporting the highest-ballot proposal accepted; otherwise Nack.
    }

    fn on_promise(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: Msg) {
        // TODO: on promises from a majority for your current ballot, send Accept with the value
        // of the highest-ballot accepted proposal among them (P2c), or your own if none.
    }

    fn on_accept(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: Msg) {
        // TODO: accept unless a higher ballot was promised (persist first); otherwise Nack.
    }

    fn on_accepted(&mut self, ctx: &mut Ctx<Self>, from: NodeId, key: String, ballot: Ballot) {
        // TODO: a majority accepted one ballot: the value is chosen. Tell every learner, and
        // answer the waiting clients.
    }

    fn on_nack(&mut self, ctx: &mut Ctx<Self>, key: String, promised: Ballot) {
        // TODO: preempted: remember the higher round, back off for a random time, try again.
    }

    fn on_decided(&mut self, ctx: &mut Ctx<Self>, key: String, value: String) {
        // TODO: learn the value; answer any client waiting for this register.
    }

    fn on_tick(&mut self, ctx: &mut Ctx<Self>) {
        // TODO: retry attempts that timed out or whose backoff ended.
    }
}

impl Process for PaxosServer {
    type Msg = Msg;
    type Timer = Timer;
    type Durable = Durable;

    fn on_start(&mut self, ctx: &mut Ctx<Self>, durable: Option<&Durable>) {
        // TODO: restore the round and the acceptors from `durable`.
        ctx.set_timer(Timer::Tick, TICK);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Prepare { key, ballot } => self.on_prepare(ctx, from, key, ballot),
            Msg::Promise { .. } => self.on_promise(ctx, from, msg),
            Msg::Accept { .. } => self.on_accept(ctx, from, msg),
            Msg::Accepted { key, ballot } => self.on_accepted(ctx, from, key, ballot),
            Msg::Nack { key, promised, .. } => self.on_nack(ctx, key, promised),
            Msg::Decided { key, value } => self.on_decided(ctx, key, value),
            Msg::ClientRequest { seq, op } => self.on_client_request(ctx, from, seq, op),
            Msg::ClientReply { .. } => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: Timer) {
        self.on_tick(ctx);
        ctx.set_timer(Timer::Tick, TICK);
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
