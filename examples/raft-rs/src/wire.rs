//! raft-rs's messages on splitbrain's wire. Kinds use splitbrain Raft's names where the meaning
//! is the same (`AppendEntries`, `AppendOk`, `VoteGranted`...), so the Raft catalogue's crash
//! points fire on raft-rs too.

use raft::eraftpb::{Message as RaftMsg, MessageType};
use splitbrain::api::Message;
use std::hash::{Hash, Hasher};

/// One raft-rs message between servers.
#[derive(Clone, Debug)]
pub struct Peer(pub Box<RaftMsg>);

impl Message for Peer {
    fn kind(&self) -> &'static str {
        use MessageType::*;
        match (self.0.get_msg_type(), self.0.reject) {
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
}

/// raft-rs's protobuf messages do not implement `Hash`: the fields that identify a message
/// feed the trace hash instead.
impl Hash for Peer {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let m = &self.0;
        (m.get_msg_type() as i32, m.from, m.to, m.term).hash(state);
        (m.log_term, m.index, m.commit, m.reject, m.reject_hint).hash(state);
        for e in m.entries.iter() {
            (e.term, e.index, &e.data[..]).hash(state);
        }
    }
}
