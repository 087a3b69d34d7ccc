//! One raft-rs `RawNode` as a splitbrain server: messages and ticks in, the `Ready` loop out
//! (sends, the simulated disk, committed entries applied to the key-value state machine).

use crate::disk::Disk;
use crate::wire::{node_of, raft_id, Wire};
use raft::eraftpb::{ConfState, Entry, Message as RaftMsg};
use raft::storage::MemStorage;
use raft::{Config, RawNode, StateRole};
use splitbrain::api::{stable_hash, Ctx, Dur, NodeId, NodeView, Op, Process, Rng, Role};
use splitbrain::kv::{Applied, Cmd, Kv};
use std::collections::BTreeSet;

/// One tick of raft-rs's logical clock.
pub const TICK: Dur = Dur::ms(10);
/// Election timeout: randomized in `ELECTION_TICKS..2 * ELECTION_TICKS` ticks (100-200 ms).
pub const ELECTION_TICKS: usize = 10;
const HEARTBEAT_TICKS: usize = 3;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Timer {
    Tick,
}

pub struct RaftRsServer {
    id: NodeId,
    servers: Vec<NodeId>,
    node: Option<RawNode<MemStorage>>,
    kv: Kv,
    /// Requests this server proposed and must answer once their entry is applied.
    waiting: BTreeSet<(NodeId, u64)>,
    /// Term and role after the last call into raft-rs (a change means it re-drew its
    /// election timeout from its thread-local RNG, which we replace by a draw of our own).
    seen: (u64, StateRole),
}

impl RaftRsServer {
    pub fn new(id: NodeId, servers: &[NodeId]) -> RaftRsServer {
        RaftRsServer {
            id,
            servers: servers.to_vec(),
            node: None,
            kv: Kv::default(),
            waiting: BTreeSet::new(),
            seen: (0, StateRole::Follower),
        }
    }

    fn node(&mut self) -> &mut RawNode<MemStorage> {
        self.node.as_mut().expect("started")
    }

    /// After every call into raft-rs: our own election timeout if it reset, then its Ready.
    fn after_call(&mut self, ctx: &mut Ctx<Self>) {
        let now = (self.node().raft.term, self.node().raft.state);
        if now != self.seen {
            let ticks = ctx.rng().gen_range(ELECTION_TICKS..2 * ELECTION_TICKS);
            self.node().raft.set_randomized_election_timeout(ticks);
            if now.1 == StateRole::Leader {
                ctx.mark("leader-elected");
                if now.0 > 2 {
                    ctx.mark("leader-change");
                }
            }
            self.seen = now;
        }
        self.handle_ready(ctx);
    }

    /// raft-rs's Ready contract: leader messages may leave before the local write; the
    /// entries and hard state are persisted; messages that need them durable go after it.
    fn handle_ready(&mut self, ctx: &mut Ctx<Self>) {
        if !self.node().has_ready() {
            return;
        }
        let mut rd = self.node().ready();
        self.send(ctx, rd.take_messages());
        assert!(
            rd.snapshot().metadata.is_none(),
            "this adapter takes no snapshots"
        );
        self.apply(ctx, rd.take_committed_entries());
        if !rd.entries().is_empty() {
            let store = self.node().mut_store().wl().append(rd.entries());
            store.expect("entries follow the log");
            let entries = rd.entries().to_vec();
            ctx.write(move |disk: &mut Disk| disk.append(&entries));
        }
        if let Some(hs) = rd.hs() {
            self.node().mut_store().wl().set_hardstate(hs.clone());
            let hs = hs.clone();
            ctx.write(move |disk: &mut Disk| disk.hard_state = hs);
        }
        ctx.barrier();
        self.send(ctx, rd.take_persisted_messages());
        let mut light = self.node().advance(rd);
        if let Some(commit) = light.commit_index() {
            self.node().mut_store().wl().mut_hard_state().commit = commit;
        }
        self.send(ctx, light.take_messages());
        self.apply(ctx, light.take_committed_entries());
        self.node().advance_apply();
    }

    fn send(&self, ctx: &mut Ctx<Self>, msgs: Vec<RaftMsg>) {
        for m in msgs {
            ctx.send(node_of(m.to), Wire::Raft(Box::new(m)));
        }
    }

    fn apply(&mut self, ctx: &mut Ctx<Self>, entries: Vec<Entry>) {
        for e in entries {
            if e.data.is_empty() {
                ctx.applied(e.index, stable_hash(b"noop"));
                continue;
            }
            let (client, seq, op) = decode(&e.data);
            ctx.applied(e.index, Cmd::client(client, seq, op.clone()).digest);
            let applied = self.kv.apply(client, seq, &op);
            if !self.waiting.remove(&(client, seq)) {
                continue;
            }
            if let Applied::Fresh(ret) | Applied::Duplicate(ret) = applied {
                ctx.send(client, Wire::Reply { seq, ret });
            }
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<Self>, client: NodeId, seq: u64, op: Op) {
        let raft = &self.node().raft;
        if raft.state != StateRole::Leader {
            let hint = (raft.leader_id != raft::INVALID_ID).then(|| node_of(raft.leader_id));
            ctx.send(client, Wire::Redirect { seq, hint });
            return;
        }
        match self.node().propose(Vec::new(), encode(client, seq, &op)) {
            Ok(()) => {
                self.waiting.insert((client, seq));
            }
            Err(_) => ctx.send(client, Wire::Redirect { seq, hint: None }),
        }
        self.after_call(ctx);
    }
}

impl Process for RaftRsServer {
    type Msg = Wire;
    type Timer = Timer;
    type Durable = Disk;

    fn on_start(&mut self, ctx: &mut Ctx<Self>, durable: Option<&Disk>) {
        let voters: Vec<u64> = self.servers.iter().map(|&s| raft_id(s)).collect();
        let storage = MemStorage::new_with_conf_state(ConfState::from((voters, Vec::new())));
        if let Some(disk) = durable {
            let mut store = storage.wl();
            store.append(&disk.entries).expect("a log read back");
            store.set_hardstate(disk.hard_state.clone());
            ctx.mark("recovered");
        }
        let config = Config {
            id: raft_id(self.id),
            election_tick: ELECTION_TICKS,
            heartbeat_tick: HEARTBEAT_TICKS,
            max_size_per_msg: 1 << 20,
            max_inflight_msgs: 64,
            check_quorum: true,
            pre_vote: true,
            ..Config::default()
        };
        let logger = slog::Logger::root(slog::Discard, slog::o!());
        let node = RawNode::new(&config, storage, &logger).expect("a valid raft-rs config");
        self.seen = (u64::MAX, StateRole::Follower); // force our own first election timeout
        self.node = Some(node);
        ctx.set_timer(Timer::Tick, TICK);
        self.after_call(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: Wire) {
        match msg {
            Wire::Raft(m) => {
                // An error is a message raft-rs ignores (a stale peer's); nothing to do.
                let _ignored = self.node().step(*m);
                self.after_call(ctx);
            }
            Wire::Request { seq, op } => self.on_request(ctx, from, seq, op),
            Wire::Reply { .. } | Wire::Redirect { .. } => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, _timer: Timer) {
        self.node().tick();
        ctx.set_timer(Timer::Tick, TICK);
        self.after_call(ctx);
    }

    fn view(&self) -> NodeView {
        let Some(node) = &self.node else {
            return NodeView::default();
        };
        let raft = &node.raft;
        let role = match raft.state {
            StateRole::Leader => Role::Leader,
            StateRole::Candidate | StateRole::PreCandidate => Role::Candidate,
            StateRole::Follower => Role::Follower,
        };
        NodeView {
            role,
            term: raft.term,
            commit: raft.raft_log.committed,
            log_len: raft.raft_log.last_index(),
        }
    }
}

/// A client command as raft-rs entry data: client index, request id and the operation.
fn encode(client: NodeId, seq: u64, op: &Op) -> Vec<u8> {
    serde_json::to_vec(&(client.index(), seq, op)).expect("operations serialise")
}

fn decode(data: &[u8]) -> (NodeId, u64, Op) {
    let (client, seq, op): (usize, u64, Op) =
        serde_json::from_slice(data).expect("entries hold what `encode` wrote");
    (NodeId::client(client), seq, op)
}
