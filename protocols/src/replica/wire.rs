//! What a [`Replica`](super::Replica) sends: the library's own messages between servers (in a
//! session envelope when the library has sessions) and the key-value client messages, and the
//! numbering most libraries give servers (from 1; 0 means none).

use super::session::Link;
use super::Library;
use crate::kv::{KvMsg, KvWire, WireReply};
use splitbrain_api::{Message, NodeId, Op};
use std::fmt::{self, Debug};
use std::hash::{Hash, Hasher};

/// A message of a replicated service: `M` between servers, [`KvMsg`] with clients.
#[derive(Clone, Debug)]
pub enum Wire<M> {
    /// A library message, with its session header when the library has sessions.
    Peer(Option<Link>, M),
    Kv(KvMsg),
}

impl<M: Message> Message for Wire<M> {
    fn kind(&self) -> &'static str {
        match self {
            Wire::Peer(_, m) => m.kind(),
            Wire::Kv(m) => m.kind(),
        }
    }
}

/// The header (if any), then the library message's own hash; a client message's.
impl<M: Hash> Hash for Wire<M> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Wire::Peer(link, m) => {
                if let Some(link) = link {
                    link.hash(state);
                }
                m.hash(state);
            }
            Wire::Kv(m) => m.hash(state),
        }
    }
}

impl<M: Message + 'static> KvWire for Wire<M> {
    fn request(seq: u64, op: Op) -> Self {
        Wire::Kv(KvMsg::Request { seq, op })
    }

    fn reply(self) -> Option<WireReply> {
        match self {
            Wire::Kv(m) => m.reply(),
            Wire::Peer(..) => None,
        }
    }
}

/// A library's message on splitbrain's wire (boxed: a library message can be large), named
/// and hashed as the library says ([`Library::kind`], [`Library::hash_msg`]).
pub struct PeerMsg<L: Library>(pub Box<L::Msg>);

impl<L: Library> Clone for PeerMsg<L> {
    fn clone(&self) -> PeerMsg<L> {
        PeerMsg(self.0.clone())
    }
}

impl<L: Library> Debug for PeerMsg<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<L: Library> Hash for PeerMsg<L> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        L::hash_msg(&self.0, state);
    }
}

impl<L: Library> Message for PeerMsg<L> {
    fn kind(&self) -> &'static str {
        L::kind(&self.0)
    }
}

/// Server `node` as a library numbers it: `S1` is 1 (most libraries keep 0 for "none").
pub fn peer_id(node: NodeId) -> u64 {
    node.index() as u64 + 1
}

/// The server a library's 1-based id names.
pub fn node_of_peer_id(id: u64) -> NodeId {
    assert!(id >= 1, "library server ids start at 1");
    NodeId::server(id as usize - 1)
}
