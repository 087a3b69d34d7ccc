//! The client messages of the key-value service, written once: a request, its reply, and the
//! redirect of a server that does not serve it (with the leader it knows of). A protocol embeds
//! [`KvMsg`] as one variant of its own message enum and its clients are [`KvClient`]s over that
//! enum; the kinds (`ClientRequest`, `ClientReply`, `Redirect`) and the hashing are the same for
//! every protocol that does.
//!
//! [`KvClient`]: super::KvClient

use super::client::{KvWire, WireReply};
use splitbrain_api::{Message, NodeId, Op, Ret};
use std::hash::{Hash, Hasher};

/// A message between a key-value client and a server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvMsg {
    /// Client to server: request `seq` of this client asks for `op`.
    Request { seq: u64, op: Op },
    /// Server to client: request `seq` took effect (or was read) with this result.
    Reply { seq: u64, ret: Ret },
    /// Server to client: not served here, nothing happened (`hint`: the leader it knows of),
    /// so the client may retry anywhere with the same `seq`.
    Redirect { seq: u64, hint: Option<NodeId> },
}

impl KvMsg {
    /// What the message means to a client, if it is an answer.
    pub fn reply(self) -> Option<WireReply> {
        match self {
            KvMsg::Reply { seq, ret } => Some(WireReply::Done { seq, ret }),
            KvMsg::Redirect { seq, hint } => Some(WireReply::Redirect { seq, hint }),
            KvMsg::Request { .. } => None,
        }
    }
}

impl Message for KvMsg {
    fn kind(&self) -> &'static str {
        match self {
            KvMsg::Request { .. } => "ClientRequest",
            KvMsg::Reply { .. } => "ClientReply",
            KvMsg::Redirect { .. } => "Redirect",
        }
    }
}

impl Hash for KvMsg {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            KvMsg::Request { seq, op } => (0u8, seq, op).hash(state),
            KvMsg::Reply { seq, ret } => (1u8, seq, ret).hash(state),
            KvMsg::Redirect { seq, hint } => (2u8, seq, hint).hash(state),
        }
    }
}

/// A protocol whose servers speak nothing but client messages (a single-server service).
impl KvWire for KvMsg {
    fn request(seq: u64, op: Op) -> KvMsg {
        KvMsg::Request { seq, op }
    }

    fn reply(self) -> Option<WireReply> {
        KvMsg::reply(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_reads_replies_and_redirects_and_ignores_requests() {
        let get = Op::Get { key: "k".into() };
        assert_eq!(KvMsg::request(3, get.clone()).kind(), "ClientRequest");
        assert_eq!(KvMsg::Request { seq: 3, op: get }.reply(), None);
        let done = KvMsg::Reply {
            seq: 3,
            ret: Ret::Done,
        };
        assert_eq!(
            done.reply(),
            Some(WireReply::Done {
                seq: 3,
                ret: Ret::Done
            })
        );
        let hint = Some(NodeId::server(1));
        assert_eq!(
            KvMsg::Redirect { seq: 4, hint }.reply(),
            Some(WireReply::Redirect { seq: 4, hint })
        );
    }
}
