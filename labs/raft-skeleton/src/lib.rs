//! The Raft lab: implement Raft (elections, log replication, persistence, snapshots) and the
//! key-value service over it, as in MIT 6.5840's labs 3 and 4, as a sans-IO `Process`. The
//! simulated world delivers your messages, fires your timer, writes your disk and injects
//! faults; `cargo test --release -p raft-skeleton -- --ignored` runs the graded suite (the
//! tests you know: InitialElection ... SnapshotInstallCrash) against this crate.
//!
//! What is given: the messages (their `kind` names are what the suite's crash points fire
//! after: keep them), the client (`KvClient`, the shared client library, which finds the
//! leader, retries with the same request id and gives up after a bound), the key-value state
//! machine with its session table (`Kv`: apply each committed command once, in log order, and
//! a retried request is answered from the table), and the plumbing to the suite (`entry`).
//!
//! What is yours: every `TODO` below. The rules of the world (see `docs/architecture.md`, the
//! Process contract): handlers run to completion and push effects into `ctx`; `ctx.persist(d)`
//! makes `d` your durable state once the disk syncs, and messages you send after it in the
//! same handler leave only then (a vote or an append ack must not leave before what it
//! promises is on disk); `ctx.barrier()` holds later sends until every earlier write is
//! durable; a crash loses your memory and, sometimes, an unsynced write; `on_start` gets the
//! last synced state back. Draw election timeouts from `ctx.rng()`, read time with
//! `ctx.now()`. Call `ctx.applied(index, digest)` for every command you apply, so the
//! harness can check that every server applies the same command at each index.

// The handlers are left for the student: until they are written, most of this is unused.
#![allow(dead_code, unused_variables)]

use splitbrain_api::{Ctx, Dur, Message, NodeId, NodeView, Op, Process, Protocol, Ret, Role};
use splitbrain_protocols::kv::{Kv, KvClient, KvWire, WireReply};
use splitbrain_scenarios::lab::{LabEntry, LabParams};

/// The registry entry the suite runs: `LabEntry` builds `Lab` per run.
pub fn entry() -> LabEntry<Lab> {
    LabEntry {
        name: "raft-skeleton",
        build: |params| Lab { params },
        model: "kv",
    }
}

/// The protocol: a `RaftServer` per server, a `KvClient` per client.
pub struct Lab {
    params: LabParams,
}

impl Protocol for Lab {
    type Server = RaftServer;
    type Client = KvClient<Msg>;

    fn server(&self, id: NodeId, servers: &[NodeId]) -> RaftServer {
        RaftServer::new(id, servers.to_vec(), self.params)
    }

    fn client(&self, id: NodeId, servers: &[NodeId]) -> KvClient<Msg> {
        KvClient::new(id, servers.to_vec())
    }
}

/// A log entry: a client's command (or, for a new leader's first entry, none).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct Entry {
    pub term: u64,
    /// `(client, request id, operation)`; `None` for a no-op.
    pub command: Option<(NodeId, u64, Op)>,
}

/// What survives a crash once synced (Figure 2's persistent state; add the snapshot in 3D).
#[derive(Clone, Debug)]
pub struct Durable {
    pub term: u64,
    pub voted_for: Option<NodeId>,
    pub log: Vec<Entry>,
}

/// Raft's RPCs and the client protocol. Keep the `kind` names.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum Msg {
    RequestVote {
        term: u64,
        last_index: u64,
        last_term: u64,
    },
    VoteReply {
        term: u64,
        granted: bool,
    },
    AppendEntries {
        term: u64,
        prev_index: u64,
        prev_term: u64,
        entries: Vec<Entry>,
        commit: u64,
    },
    AppendReply {
        term: u64,
        success: bool,
        /// On success, the last index the follower now matches.
        match_index: u64,
    },
    /// A client's request `seq` (from the client library).
    ClientRequest {
        seq: u64,
        op: Op,
    },
    /// The answer to request `seq`.
    ClientReply {
        seq: u64,
        ret: Ret,
    },
    /// "Not the leader; try `hint`."
    NotLeader {
        seq: u64,
        hint: Option<NodeId>,
    },
}

impl Message for Msg {
    fn kind(&self) -> &'static str {
        match self {
            Msg::RequestVote { .. } => "RequestVote",
            Msg::VoteReply { granted: true, .. } => "VoteGranted",
            Msg::VoteReply { .. } => "VoteDenied",
            Msg::AppendEntries { .. } => "AppendEntries",
            Msg::AppendReply { success: true, .. } => "AppendOk",
            Msg::AppendReply { .. } => "AppendReject",
            Msg::ClientRequest { .. } => "ClientRequest",
            Msg::ClientReply { .. } => "ClientReply",
            Msg::NotLeader { .. } => "NotLeader",
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
            Msg::NotLeader { seq, hint } => Some(WireReply::Redirect { seq, hint }),
            _ => None,
        }
    }
}

/// The one timer: a tick every `TICK` of the server's own clock.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Timer {
    Tick,
}

/// How often `on_timer` runs. Election timeouts of 150-300 ms and heartbeats every 50 ms
/// work well in this world (messages take 0.5-2 ms when nothing is wrong).
pub const TICK: Dur = Dur::ms(10);

/// One Raft server and the key-value service over it.
pub struct RaftServer {
    id: NodeId,
    servers: Vec<NodeId>,
    params: LabParams,
    role: Role,
    term: u64,
    voted_for: Option<NodeId>,
    log: Vec<Entry>,
    commit: u64,
    applied: u64,
    /// The service's state machine: apply committed commands here, in log order.
    kv: Kv,
}

impl RaftServer {
    fn new(id: NodeId, servers: Vec<NodeId>, params: LabParams) -> RaftServer {
        RaftServer {
            id,
            servers,
            params,
            role: Role::Follower,
            term: 0,
            voted_for: None,
            log: Vec::new(),
            commit: 0,
            applied: 0,
            kv: Kv::default(),
        }
    }

    fn on_request_vote(&mut self, ctx: &mut Ctx<Self>, from: NodeId, term: u64, last: (u64, u64)) {
        // TODO(3A, 3C): Figure 2's RequestVote receiver; persist before you reply.
    }

    fn on_vote_reply(&mut self, ctx: &mut Ctx<Self>, from: NodeId, term: u64, granted: bool) {
        // TODO(3A): count votes of your current term only; a majority makes you leader.
    }

    fn on_append_entries(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: Msg) {
        // TODO(3A, 3B): Figure 2's AppendEntries receiver (heartbeats too).
    }

    fn on_append_reply(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: Msg) {
        // TODO(3B): advance match/next indices; commit entries of your term on a majority.
    }

    fn on_client_request(&mut self, ctx: &mut Ctx<Self>, client: NodeId, seq: u64, op: Op) {
        // TODO(3B, 4A): a leader appends the command and answers once it is applied;
        // everyone else redirects.
        ctx.send(client, Msg::NotLeader { seq, hint: None });
    }

    fn on_tick(&mut self, ctx: &mut Ctx<Self>) {
        // TODO(3A): start an election when the timeout passes; a leader sends heartbeats.
    }
}

impl Process for RaftServer {
    type Msg = Msg;
    type Timer = Timer;
    type Durable = Durable;

    fn on_start(&mut self, ctx: &mut Ctx<Self>, durable: Option<&Durable>) {
        // TODO(3C): restore term, vote and log from `durable`.
        ctx.set_timer(Timer::Tick, TICK);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: Msg) {
        match msg {
            Msg::RequestVote {
                term,
                last_index,
                last_term,
            } => self.on_request_vote(ctx, from, term, (last_index, last_term)),
            Msg::VoteReply { term, granted } => self.on_vote_reply(ctx, from, term, granted),
            Msg::AppendEntries { .. } => self.on_append_entries(ctx, from, msg),
            Msg::AppendReply { .. } => self.on_append_reply(ctx, from, msg),
            Msg::ClientRequest { seq, op } => self.on_client_request(ctx, from, seq, op),
            Msg::ClientReply { .. } | Msg::NotLeader { .. } => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: Timer) {
        self.on_tick(ctx);
        ctx.set_timer(Timer::Tick, TICK);
    }

    fn view(&self) -> NodeView {
        NodeView {
            role: self.role,
            term: self.term,
            commit: self.commit,
            log_len: self.log.len() as u64,
        }
    }
}
