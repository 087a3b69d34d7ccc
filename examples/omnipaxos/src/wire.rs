//! The adapter's wire: OmniPaxos's messages between servers (Sequence Paxos and ballot leader
//! election), key-value requests and replies with the clients. Kinds keep OmniPaxos's names
//! (`Promise`, `Accepted`...); `lib.rs` maps the harness's crash-point roles onto them.

use crate::session::Link;
use crate::Command;
use omnipaxos::ballot_leader_election::Ballot;
use omnipaxos::messages::ballot_leader_election::HeartbeatMsg;
use omnipaxos::messages::sequence_paxos::PaxosMsg;
use omnipaxos::messages::Message as OmniMsg;
use splitbrain::api::{Message, NodeId, Op, Ret};
use splitbrain::kv::{KvWire, WireReply};
use std::hash::{Hash, Hasher};

#[derive(Clone, Debug)]
pub enum Wire {
    /// An OmniPaxos message in its session envelope (`session.rs`).
    Omni(Link, Box<OmniMsg<Command>>),
    Request {
        seq: u64,
        op: Op,
    },
    Reply {
        seq: u64,
        ret: Ret,
    },
    Redirect {
        seq: u64,
        hint: Option<NodeId>,
    },
}

impl Message for Wire {
    fn kind(&self) -> &'static str {
        match self {
            Wire::Omni(_, m) => omni_kind(m),
            Wire::Request { .. } => "ClientRequest",
            Wire::Reply { .. } => "ClientReply",
            Wire::Redirect { .. } => "Redirect",
        }
    }
}

fn omni_kind(m: &OmniMsg<Command>) -> &'static str {
    match m {
        OmniMsg::SequencePaxos(p) => match &p.msg {
            PaxosMsg::PrepareReq(_) => "PrepareReq",
            PaxosMsg::Prepare(_) => "Prepare",
            PaxosMsg::Promise(_) => "Promise",
            PaxosMsg::AcceptSync(_) => "AcceptSync",
            PaxosMsg::AcceptDecide(_) => "AcceptDecide",
            PaxosMsg::Accepted(_) => "Accepted",
            PaxosMsg::NotAccepted(_) => "NotAccepted",
            PaxosMsg::Decide(_) => "Decide",
            PaxosMsg::ProposalForward(_) => "ProposalForward",
            PaxosMsg::Compaction(_) => "Compaction",
            PaxosMsg::AcceptStopSign(_) => "AcceptStopSign",
            PaxosMsg::ForwardStopSign(_) => "ForwardStopSign",
        },
        OmniMsg::BLE(b) => match b.msg {
            HeartbeatMsg::Request(_) => "HeartbeatRequest",
            HeartbeatMsg::Reply(_) => "HeartbeatReply",
        },
    }
}

fn ballot<H: Hasher>(b: &Ballot, state: &mut H) {
    (b.config_id, b.n, b.priority, b.pid).hash(state);
}

fn entries<H: Hasher>(es: &[Command], state: &mut H) {
    es.len().hash(state);
    es.iter().for_each(|e| e.hash(state));
}

/// OmniPaxos's messages do not implement `Hash`: the fields that identify the frequent ones
/// feed the trace hash, and the rare ones hash their debug form.
impl Hash for Wire {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Wire::Omni(link, m) => {
                (link, m.get_sender(), m.get_receiver(), omni_kind(m)).hash(state);
                match &**m {
                    OmniMsg::SequencePaxos(p) => match &p.msg {
                        PaxosMsg::AcceptDecide(a) => {
                            ballot(&a.n, state);
                            (a.seq_num.session, a.seq_num.counter, a.decided_idx).hash(state);
                            entries(&a.entries, state);
                        }
                        PaxosMsg::Accepted(a) => {
                            ballot(&a.n, state);
                            a.accepted_idx.hash(state);
                        }
                        PaxosMsg::Decide(d) => {
                            ballot(&d.n, state);
                            (d.seq_num.session, d.seq_num.counter, d.decided_idx).hash(state);
                        }
                        other => format!("{other:?}").hash(state),
                    },
                    OmniMsg::BLE(b) => match &b.msg {
                        HeartbeatMsg::Request(r) => r.round.hash(state),
                        HeartbeatMsg::Reply(r) => {
                            (r.round, r.happy).hash(state);
                            ballot(&r.ballot, state);
                            ballot(&r.leader, state);
                        }
                    },
                }
            }
            Wire::Request { seq, op } => (0u8, seq, op).hash(state),
            Wire::Reply { seq, ret } => (1u8, seq, ret).hash(state),
            Wire::Redirect { seq, hint } => (2u8, seq, hint).hash(state),
        }
    }
}

impl KvWire for Wire {
    fn request(seq: u64, op: Op) -> Self {
        Wire::Request { seq, op }
    }

    fn reply(self) -> Option<WireReply> {
        match self {
            Wire::Reply { seq, ret } => Some(WireReply::Done { seq, ret }),
            Wire::Redirect { seq, hint } => Some(WireReply::Redirect { seq, hint }),
            _ => None,
        }
    }
}

/// OmniPaxos numbers servers from 1 (0 means none); splitbrain's `S1..` have index 0...
pub fn pid(node: NodeId) -> u64 {
    node.index() as u64 + 1
}

pub fn node_of(pid: u64) -> NodeId {
    NodeId::server(pid as usize - 1)
}
