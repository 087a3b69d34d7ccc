//! The adapter's wire: raft-rs's messages between servers, key-value requests and replies
//! with the clients. Message kinds use splitbrain Raft's names where the meaning is the same
//! (`AppendEntries`, `AppendOk`, `VoteGranted`, `ClientReply`...), so the Raft catalogue's
//! crash points fire on raft-rs too.

use raft::eraftpb::{Message as RaftMsg, MessageType};
use splitbrain::api::{Message, NodeId, Op, Ret};
use splitbrain::kv::{KvWire, WireReply};
use std::hash::{Hash, Hasher};

#[derive(Clone, Debug)]
pub enum Wire {
    Raft(Box<RaftMsg>),
    Request { seq: u64, op: Op },
    Reply { seq: u64, ret: Ret },
    Redirect { seq: u64, hint: Option<NodeId> },
}

impl Message for Wire {
    fn kind(&self) -> &'static str {
        match self {
            Wire::Raft(m) => raft_kind(m),
            Wire::Request { .. } => "ClientRequest",
            Wire::Reply { .. } => "ClientReply",
            Wire::Redirect { .. } => "Redirect",
        }
    }
}

fn raft_kind(m: &RaftMsg) -> &'static str {
    use MessageType::*;
    match (m.get_msg_type(), m.reject) {
        (MsgAppend, _) => "AppendEntries",
        (MsgAppendResponse, false) => "AppendOk",
        (MsgAppendResponse, true) => "AppendRejected",
        (MsgRequestVote, _) => "RequestVote",
        (MsgRequestVoteResponse, false) => "VoteGranted",
        (MsgRequestVoteResponse, true) => "VoteDenied",
        (MsgRequestPreVote, _) => "RequestPreVote",
        (MsgRequestPreVoteResponse, _) => "PreVoteResponse",
        (MsgHeartbeat, _) => "Heartbeat",
        (MsgHeartbeatResponse, _) => "HeartbeatOk",
        (MsgSnapshot, _) => "InstallSnapshot",
        (MsgTimeoutNow, _) => "TimeoutNow",
        _ => "RaftOther",
    }
}

/// raft-rs's protobuf messages do not implement `Hash`: the fields that identify a message
/// feed the trace hash instead.
impl Hash for Wire {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Wire::Raft(m) => {
                (m.get_msg_type() as i32, m.from, m.to, m.term).hash(state);
                (m.log_term, m.index, m.commit, m.reject, m.reject_hint).hash(state);
                for e in m.entries.iter() {
                    (e.term, e.index, &e.data[..]).hash(state);
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

/// raft-rs numbers peers from 1; splitbrain's servers are `S1..` with index 0...
pub fn raft_id(node: NodeId) -> u64 {
    node.index() as u64 + 1
}

pub fn node_of(raft_id: u64) -> NodeId {
    NodeId::server(raft_id as usize - 1)
}
