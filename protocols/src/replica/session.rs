//! Session-based FIFO links between servers, emulated over splitbrain's links, for a library
//! that assumes TCP-like sessions (no reordering or duplication within a session) and wants to
//! be told when a session to a peer is re-established (OmniPaxos's `reconnected(peer)`).
//! splitbrain's links lose, reorder and duplicate, and have no connections to announce. Every
//! server-to-server message therefore carries a [`Link`] header: the sender's incarnation (a
//! boot counter on its disk), the incarnation of the receiver it believes it talks to, and a
//! per-peer sequence number. The receiver delivers a message only if it is newer than the last
//! one it delivered from that sender (a late or repeated message becomes a lost one, which such
//! a library recovers from, as from a dropped connection), and reports a broken session when a
//! sequence number was skipped (a message of the session was lost), the sender restarted, or
//! the sender was silent for longer than the library's silence bound.

use splitbrain_api::{Dur, NodeId, Time};
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

/// What the receiver does with a message: hand it to the library or not, and whether the
/// session with its sender broke first (the library is then told it reconnected).
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
    /// Deliver, the session intact (what every message gets without sessions).
    pub const DELIVER: Verdict = Verdict {
        deliver: true,
        reconnect: false,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The session emulation a session-based library needs: a late or repeated message is dropped
    /// (a loss, never a reordering), and a skipped message, a restarted sender or a long silence
    /// break the session (the server then calls `reconnected`).
    #[test]
    fn sessions_turn_reordering_into_loss_and_report_broken_sessions() {
        let silence = Dur::ms(100);
        let (a, b) = (NodeId::server(0), NodeId::server(1));
        let mut sender = Sessions::new(1, silence);
        let mut receiver = Sessions::new(1, silence);
        let links: Vec<Link> = (0..4).map(|_| sender.stamp(b)).collect();
        let at = |ms: u64| Time(ms * 1000);
        let deliver = |reconnect| Verdict {
            deliver: true,
            reconnect,
        };
        let drop = |reconnect| Verdict {
            deliver: false,
            reconnect,
        };
        assert_eq!(receiver.receive(a, links[0], at(1)), deliver(false));
        assert_eq!(
            receiver.receive(a, links[0], at(2)),
            drop(false),
            "duplicate"
        );
        assert_eq!(
            receiver.receive(a, links[2], at(3)),
            deliver(true),
            "links[1] skipped"
        );
        assert_eq!(receiver.receive(a, links[1], at(4)), drop(false), "late");
        assert_eq!(
            receiver.receive(a, links[3], at(200)),
            deliver(true),
            "silent 197 ms"
        );
        let mut restarted = Sessions::new(2, silence);
        let first = restarted.stamp(b);
        assert_eq!(
            receiver.receive(a, first, at(201)),
            deliver(true),
            "new incarnation"
        );
        assert_eq!(
            receiver.receive(a, links[3], at(202)),
            drop(false),
            "old incarnation"
        );
        // A message addressed to the receiver's previous incarnation is not delivered to its next.
        let mut reply = receiver.stamp(a);
        assert_eq!(restarted.receive(b, reply, at(203)), deliver(false));
        reply.to_inc = 1;
        reply.seq += 1;
        assert_eq!(
            restarted.receive(b, reply, at(204)),
            drop(false),
            "to A's first life"
        );
    }
}
