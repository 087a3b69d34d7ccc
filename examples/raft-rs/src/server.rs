//! One raft-rs `RawNode` as a `splitbrain::replica::Library`: ticks and messages in, the
//! `Ready` loop out (sends, the simulated disk, committed entries for the key-value service).

use crate::disk::Disk;
use crate::wire;
use raft::eraftpb::{ConfState, Entry, Message as RaftMsg};
use raft::storage::MemStorage;
use raft::{Config, RawNode, StateRole};
use splitbrain::api::{Dur, NodeId, NodeView, Rng, Role};
use splitbrain::kv::Cmd;
use splitbrain::replica::{node_of_peer_id, peer_id, Io, Library};
use std::hash::Hasher;
use std::rc::Rc;

/// Election timeout: randomized in `ELECTION_TICKS..2 * ELECTION_TICKS` ticks (100-200 ms).
pub const ELECTION_TICKS: usize = 10;
const HEARTBEAT_TICKS: usize = 3;

pub struct RaftRs {
    node: RawNode<MemStorage>,
    /// Term and role after the last call into raft-rs (a change means it re-drew its
    /// election timeout from its thread-local RNG, which we replace by a draw of our own).
    seen: (u64, StateRole),
}

impl Library for RaftRs {
    type Config = ();
    type Msg = RaftMsg;
    type Disk = Disk;
    /// One tick of raft-rs's logical clock.
    const TICK: Dur = Dur::ms(10);

    fn start(_: &(), io: &mut Io<Self>, servers: &[NodeId], disk: Option<&Disk>) -> RaftRs {
        let voters: Vec<u64> = servers.iter().map(|&s| peer_id(s)).collect();
        let storage = MemStorage::new_with_conf_state(ConfState::from((voters, Vec::new())));
        if let Some(disk) = disk {
            let mut store = storage.wl();
            store.append(&disk.entries).expect("a log read back");
            store.set_hardstate(disk.hard_state.clone());
        }
        let config = Config {
            id: peer_id(io.id()),
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
        // u64::MAX: no term seen, so the first flush draws our own first election timeout.
        let seen = (u64::MAX, StateRole::Follower);
        RaftRs { node, seen }
    }

    fn tick(&mut self, _io: &mut Io<Self>) {
        self.node.tick();
    }

    fn receive(&mut self, _io: &mut Io<Self>, _from: NodeId, msg: RaftMsg) {
        // An error is a message raft-rs ignores (a stale peer's); nothing to do.
        let _ignored = self.node.step(msg);
    }

    /// raft-rs's `leader_id` is its own id exactly while it leads.
    fn leader(&self) -> Option<NodeId> {
        let leader = self.node.raft.leader_id;
        (leader != raft::INVALID_ID).then(|| node_of_peer_id(leader))
    }

    fn propose(&mut self, _io: &mut Io<Self>, cmd: Rc<Cmd>) -> bool {
        self.node.propose(Vec::new(), cmd.to_bytes()).is_ok()
    }

    /// Our own election timeout if raft-rs reset its own, then its Ready.
    fn flush(&mut self, io: &mut Io<Self>) {
        let now = (self.node.raft.term, self.node.raft.state);
        if now != self.seen {
            let ticks = io.rng().gen_range(ELECTION_TICKS..2 * ELECTION_TICKS);
            self.node.raft.set_randomized_election_timeout(ticks);
            self.seen = now;
        }
        self.handle_ready(io);
    }

    fn kind(msg: &RaftMsg) -> &'static str {
        wire::kind(msg)
    }

    fn hash_msg<H: Hasher>(msg: &RaftMsg, state: &mut H) {
        wire::hash(msg, state);
    }

    fn view(&self) -> NodeView {
        let raft = &self.node.raft;
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

impl RaftRs {
    /// raft-rs's Ready contract: leader messages may leave before the local write; the
    /// entries and hard state are persisted; messages that need them durable go after it.
    fn handle_ready(&mut self, io: &mut Io<Self>) {
        if !self.node.has_ready() {
            return;
        }
        let mut rd = self.node.ready();
        io.send_all(rd.take_messages(), |m| m.to);
        assert!(rd.snapshot().metadata.is_none(), "no snapshots here");
        apply(io, rd.take_committed_entries());
        if let Some(first) = rd.entries().first() {
            let store = self.node.mut_store().wl().append(rd.entries());
            store.expect("entries follow the log");
            // Entry `i` is at position `i - 1`; the new ones replace any from the first on.
            let (at, entries) = (first.index as usize - 1, rd.entries().to_vec());
            io.write(move |disk: &mut Disk| disk.entries.replace_from(at, &entries));
        }
        if let Some(hs) = rd.hs() {
            self.node.mut_store().wl().set_hardstate(hs.clone());
            let hs = hs.clone();
            io.write(move |disk: &mut Disk| disk.hard_state = hs);
        }
        io.barrier();
        io.send_all(rd.take_persisted_messages(), |m| m.to);
        let mut light = self.node.advance(rd);
        if let Some(commit) = light.commit_index() {
            self.node.mut_store().wl().mut_hard_state().commit = commit;
        }
        io.send_all(light.take_messages(), |m| m.to);
        apply(io, light.take_committed_entries());
        self.node.advance_apply();
    }
}

/// Committed entries to the key-value service (an empty one is a new leader's no-op).
fn apply(io: &mut Io<RaftRs>, entries: Vec<Entry>) {
    for e in entries {
        io.apply(e.index, &Cmd::from_bytes(&e.data));
    }
}
