//! One OmniPaxos replica as a `splitbrain::replica::Library`: messages and ticks in; after
//! every call, the replica moves the storage writes OmniPaxos made to the simulated disk
//! (incremental writes: an append costs the appended entries), its outgoing messages leave
//! once those writes are durable, and newly decided entries go to the key-value service.

use crate::storage::Disk;
use crate::Command;
use omnipaxos::messages::ballot_leader_election::HeartbeatMsg;
use omnipaxos::messages::Message as OmniMsg;
use omnipaxos::util::LogEntry;
use omnipaxos::{ClusterConfig, OmniPaxos, ServerConfig};
use splitbrain::api::{Dur, NodeId, NodeView, Role};
use splitbrain::kv::Cmd;
use splitbrain::replica::{node_of_peer_id, peer_id, variant_name, Io, Journaled, Library};
use std::rc::Rc;

/// Ticks per heartbeat round of ballot leader election (a leader is suspected after one round
/// without its heartbeat).
const ELECTION_TICKS: u64 = 5;
/// Ticks before OmniPaxos resends what may have been lost.
const RESEND_TICKS: u64 = 10;

pub struct OmniServer {
    paxos: OmniPaxos<Command, Journaled<Disk>>,
}

impl Library for OmniServer {
    type Config = ();
    type Msg = OmniMsg<Command>;
    type Disk = Disk;
    /// One call of OmniPaxos's `tick`.
    const TICK: Dur = Dur::ms(10);
    /// OmniPaxos assumes TCP-like sessions. A peer silent for two heartbeat rounds broke its
    /// session (every server sends every peer a heartbeat each round).
    const SESSIONS: Option<Dur> = Some(Dur::us(2 * ELECTION_TICKS * Self::TICK.as_us()));

    fn start(_: &(), io: &mut Io<Self>, servers: &[NodeId], disk: Option<&Disk>) -> Self {
        let store = io.journaled(disk);
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
        let paxos = cluster.build_for_server(server, store);
        let paxos = paxos.expect("a valid OmniPaxos configuration");
        OmniServer { paxos }
    }

    fn tick(&mut self, _io: &mut Io<Self>) {
        self.paxos.tick();
    }

    fn receive(&mut self, _io: &mut Io<Self>, _from: NodeId, msg: OmniMsg<Command>) {
        self.paxos.handle_incoming(msg);
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

    /// Its messages (behind the barrier the replica put after its writes, so no promise or
    /// acceptance runs ahead of its write), then the entries decided since the last call.
    fn flush(&mut self, io: &mut Io<Self>) {
        let mut outgoing = Vec::new();
        self.paxos.take_outgoing_messages(&mut outgoing);
        io.send_all(outgoing, |m| m.get_receiver());
        let decided = self.paxos.read_decided_suffix(io.applied() as usize);
        io.apply_next(decided.into_iter().flatten().map(|entry| match entry {
            LogEntry::Decided(Command(cmd)) => cmd,
            other => panic!("no snapshots, trims or reconfigurations here: {other:?}"),
        }));
    }

    /// Sequence Paxos's messages by their own names (`Promise`, `Accepted`...), which the
    /// entry's crash roles name; ballot leader election's are heartbeats.
    fn kind(msg: &OmniMsg<Command>) -> &'static str {
        match msg {
            OmniMsg::SequencePaxos(p) => variant_name(&p.msg),
            OmniMsg::BLE(b) => match b.msg {
                HeartbeatMsg::Request(_) => "HeartbeatRequest",
                HeartbeatMsg::Reply(_) => "HeartbeatReply",
            },
        }
    }

    fn view(&self) -> NodeView {
        let promise = self.paxos.get_promise();
        let leads = self.paxos.get_current_leader() == Some((self.paxos.get_pid(), true));
        NodeView {
            role: if leads { Role::Leader } else { Role::Follower },
            // A ballot is (n, priority, pid); one number per ballot, in ballot order.
            term: (u64::from(promise.n) << 16) | (u64::from(promise.priority) << 8) | promise.pid,
            commit: self.paxos.get_decided_idx() as u64,
            log_len: self.paxos.get_accepted_idx() as u64,
        }
    }
}
