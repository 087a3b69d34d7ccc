//! One OmniPaxos replica as a `splitbrain::replica::Library`: messages and ticks in; after
//! every call, the storage writes OmniPaxos made go to the simulated disk (incremental writes:
//! an append costs the appended entries), its outgoing messages leave once those writes are
//! durable, and newly decided entries go to the key-value service.

use crate::storage::{Disk, Store, Writes};
use crate::wire::Peer;
use crate::Command;
use omnipaxos::util::LogEntry;
use omnipaxos::{ClusterConfig, OmniPaxos, ServerConfig};
use splitbrain::api::{Dur, NodeId, NodeView, Role};
use splitbrain::kv::Cmd;
use splitbrain::replica::{node_of_peer_id, peer_id, Io, Library};
use std::rc::Rc;

/// One call of OmniPaxos's `tick`.
pub const TICK: Dur = Dur::ms(10);
/// Ticks per heartbeat round of ballot leader election (a leader is suspected after one round
/// without its heartbeat).
const ELECTION_TICKS: u64 = 5;
/// Ticks before OmniPaxos resends what may have been lost.
const RESEND_TICKS: u64 = 10;

pub struct OmniServer {
    me: u64,
    paxos: OmniPaxos<Command, Store>,
    writes: Writes,
    /// Decided entries applied so far (OmniPaxos indexes from 0).
    applied: usize,
    outbox: Vec<omnipaxos::messages::Message<Command>>,
}

impl Library for OmniServer {
    type Config = ();
    type Msg = Peer;
    type Disk = Disk;
    const TICK: Dur = TICK;
    /// OmniPaxos assumes TCP-like sessions. A peer silent for two heartbeat rounds broke its
    /// session (every server sends every peer a heartbeat each round).
    const SESSIONS: Option<Dur> = Some(Dur::us(2 * ELECTION_TICKS * TICK.as_us()));

    fn start(_: &(), io: &mut Io<Self>, servers: &[NodeId], disk: Option<&Disk>) -> Self {
        let writes = Writes::default();
        let store = Store::new(disk.cloned().unwrap_or_default(), writes.clone());
        let cluster = ClusterConfig {
            configuration_id: 1,
            nodes: servers.iter().map(|&s| peer_id(s)).collect(),
            flexible_quorum: None,
        };
        let server = ServerConfig {
            pid: peer_id(io.id()),
            election_tick_timeout: ELECTION_TICKS,
            resend_message_tick_timeout: RESEND_TICKS,
            ..ServerConfig::default()
        };
        let paxos = cluster
            .build_for_server(server, store)
            .expect("a valid OmniPaxos configuration");
        let (me, applied, outbox) = (peer_id(io.id()), 0, Vec::new());
        OmniServer {
            me,
            paxos,
            writes,
            applied,
            outbox,
        }
    }

    fn tick(&mut self, _io: &mut Io<Self>) {
        self.paxos.tick();
    }

    fn receive(&mut self, _io: &mut Io<Self>, _from: NodeId, msg: Peer) {
        self.paxos.handle_incoming(*msg.0);
    }

    fn reconnected(&mut self, _io: &mut Io<Self>, peer: NodeId) {
        self.paxos.reconnected(peer_id(peer));
    }

    fn leader(&self) -> Option<NodeId> {
        let leader = self.paxos.get_current_leader();
        leader.map(|(l, _)| node_of_peer_id(l))
    }

    fn propose(&mut self, _io: &mut Io<Self>, cmd: Rc<Cmd>) -> bool {
        self.paxos.append(Command(cmd)).is_ok()
    }

    /// Its writes to the disk, then (behind a barrier, so no promise or acceptance runs ahead
    /// of its write) its messages, then decided entries.
    fn flush(&mut self, io: &mut Io<Self>) {
        io.write_journal(&self.writes);
        io.barrier();
        self.paxos.take_outgoing_messages(&mut self.outbox);
        for m in self.outbox.drain(..) {
            io.send(node_of_peer_id(m.get_receiver()), Peer(Box::new(m)));
        }
        let decided = self.paxos.get_decided_idx();
        if decided <= self.applied {
            return;
        }
        let entries = self.paxos.read_entries(self.applied..decided);
        for entry in entries.expect("decided entries are in the log") {
            let LogEntry::Decided(Command(cmd)) = entry else {
                panic!("no snapshots, trims or reconfigurations here: {entry:?}");
            };
            self.applied += 1;
            io.apply(self.applied as u64, &cmd);
        }
    }

    fn view(&self) -> NodeView {
        let promise = self.paxos.get_promise();
        let leads = self.paxos.get_current_leader() == Some((self.me, true));
        NodeView {
            role: if leads { Role::Leader } else { Role::Follower },
            // A ballot is (n, priority, pid); one number per ballot, in ballot order.
            term: (u64::from(promise.n) << 16) | (u64::from(promise.priority) << 8) | promise.pid,
            commit: self.paxos.get_decided_idx() as u64,
            log_len: self.paxos.get_accepted_idx() as u64,
        }
    }
}
