//! Session-based FIFO links, emulated over splitbrain's links. OmniPaxos assumes TCP-like
//! sessions between servers (no reordering or duplication within a session) and a call of
//! `reconnected(peer)` whenever a session to a peer is re-established; splitbrain's links lose,
//! reorder and duplicate, and have no connections to announce. Every server-to-server message
//! therefore carries a `Link` header: the sender's incarnation (a boot counter on its disk),
//! the incarnation of the receiver it believes it talks to, and a per-peer sequence number.
//! The receiver delivers a message only if it is newer than the last one it delivered from that
//! sender (a late or repeated message becomes a lost one, which OmniPaxos recovers from), and
//! reports a broken session, for which the server calls `reconnected`, when a sequence number
//! was skipped (a message of the session was lost), the sender restarted, or the sender was
//! silent for longer than `SILENCE`.

use splitbrain::api::{Dur, NodeId, Time};
use std::collections::BTreeMap;

/// The header a server puts on each of its messages to another server.
#[derive(Copy, Clone, Debug, Hash, PartialEq, Eq)]
pub struct Link {
    /// The sender's incarnation (1 on its first start).
    pub from_inc: u64,
    /// The receiver's incarnation as the sender last heard it (0: never heard from it).
    pub to_inc: u64,
    /// 1, 2, 3... per receiver within the sender's incarnation.
    pub seq: u64,
}

/// What the receiver does with a message: hand it to OmniPaxos or not, and whether the session
/// with its sender broke first (the server then calls `reconnected(sender)`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub deliver: bool,
    pub reconnect: bool,
}

#[derive(Default)]
struct Peer {
    /// The peer's incarnation as last heard (0: never heard).
    inc: u64,
    /// Sequence number of the last message sent to it.
    sent: u64,
    /// Sequence number and arrival time of the last message delivered from it.
    delivered: Option<(u64, Time)>,
}

/// One server's sessions with its peers (lost on a crash, like its connections).
pub struct Sessions {
    me: u64,
    silence: Dur,
    peers: BTreeMap<NodeId, Peer>,
}

impl Sessions {
    /// Sessions of a server in incarnation `me`; a peer silent for longer than `silence` broke
    /// its session.
    pub fn new(me: u64, silence: Dur) -> Sessions {
        Sessions {
            me,
            silence,
            peers: BTreeMap::new(),
        }
    }

    /// The header of the next message to `to`.
    pub fn stamp(&mut self, to: NodeId) -> Link {
        let peer = self.peers.entry(to).or_default();
        peer.sent += 1;
        Link {
            from_inc: self.me,
            to_inc: peer.inc,
            seq: peer.sent,
        }
    }

    /// Judges a message from `from` that arrived at `now`.
    pub fn receive(&mut self, from: NodeId, link: Link, now: Time) -> Verdict {
        let peer = self.peers.entry(from).or_default();
        if link.from_inc < peer.inc {
            return Verdict::DROP; // from the sender's life before a restart
        }
        let restarted = peer.inc != 0 && link.from_inc > peer.inc;
        if link.from_inc > peer.inc {
            peer.inc = link.from_inc;
            peer.delivered = None;
        }
        let to_me = link.to_inc == 0 || link.to_inc == self.me;
        let last = peer.delivered.map_or(0, |(seq, _)| seq);
        if !to_me || link.seq <= last {
            // Sent to this server's previous life, or older than what was delivered.
            return Verdict {
                deliver: false,
                reconnect: restarted,
            };
        }
        let broke = peer
            .delivered
            .is_some_and(|(seq, at)| link.seq > seq + 1 || now.saturating_sub(at) > self.silence);
        peer.delivered = Some((link.seq, now));
        Verdict {
            deliver: true,
            reconnect: restarted || broke,
        }
    }
}

impl Verdict {
    const DROP: Verdict = Verdict {
        deliver: false,
        reconnect: false,
    };
}
