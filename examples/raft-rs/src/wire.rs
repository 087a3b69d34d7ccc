//! raft-rs's messages on splitbrain's wire. Kinds use splitbrain Raft's names where the meaning
//! is the same (`AppendEntries`, `AppendOk`, `VoteGranted`...), so the Raft catalogue's crash
//! points fire on raft-rs too.

use raft::eraftpb::{Message as RaftMsg, MessageType};
use std::hash::{Hash, Hasher};

/// A raft-rs message's kind (`Library::kind`).
pub fn kind(m: &RaftMsg) -> &'static str {
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

/// The fields that identify a raft-rs message, for the trace hash (`Library::hash_msg`): its
/// entries' payloads are hashed as bytes, cheaper than formatting them.
pub fn hash<H: Hasher>(m: &RaftMsg, state: &mut H) {
    (m.get_msg_type() as i32, m.from, m.to, m.term).hash(state);
    (m.log_term, m.index, m.commit, m.reject, m.reject_hint).hash(state);
    for e in m.entries.iter() {
        (e.term, e.index, &e.data[..]).hash(state);
    }
}
