//! Endpoint identities. Servers and clients share one id space so that partitions, traces and
//! reports treat them alike; they print as `S1..Sn` and `C1..Cm`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Client ids start here so a server index and a client index never collide.
const CLIENT_BASE: u32 = 1 << 16;

/// One endpoint on the simulated network: a server (`S1`, ...) or a client (`C1`, ...).
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(u32);

impl NodeId {
    /// The server with zero-based index `i` (printed `S{i+1}`).
    pub const fn server(i: usize) -> NodeId {
        NodeId(i as u32)
    }

    /// The client with zero-based index `i` (printed `C{i+1}`).
    pub const fn client(i: usize) -> NodeId {
        NodeId(CLIENT_BASE + i as u32)
    }

    /// The raw id, for hashing into the trace.
    pub const fn raw(self) -> u32 {
        self.0
    }

    pub const fn is_client(self) -> bool {
        self.0 >= CLIENT_BASE
    }

    /// Zero-based index among servers or among clients.
    pub const fn index(self) -> usize {
        if self.is_client() {
            (self.0 - CLIENT_BASE) as usize
        } else {
            self.0 as usize
        }
    }

    /// Dense index over all endpoints of a world with `servers` servers: servers first.
    pub const fn slot(self, servers: usize) -> usize {
        if self.is_client() {
            servers + self.index()
        } else {
            self.index()
        }
    }

    /// Parses `S3` or `C1` (case-insensitive).
    pub fn parse(text: &str) -> Option<NodeId> {
        let (kind, num) = text.split_at(text.len().min(1));
        let n: usize = num.parse().ok()?;
        if n == 0 {
            return None;
        }
        match kind {
            "S" | "s" => Some(NodeId::server(n - 1)),
            "C" | "c" => Some(NodeId::client(n - 1)),
            _ => None,
        }
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.is_client() { 'C' } else { 'S' };
        write!(f, "{}{}", kind, self.index() + 1)
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for NodeId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for NodeId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<NodeId, D::Error> {
        let text = String::deserialize(d)?;
        NodeId::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("`{text}` is not a node name like S1 or C2"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for id in [
            NodeId::server(0),
            NodeId::server(4),
            NodeId::client(0),
            NodeId::client(9),
        ] {
            assert_eq!(NodeId::parse(&id.to_string()), Some(id));
        }
        assert_eq!(NodeId::server(2).to_string(), "S3");
        assert_eq!(NodeId::client(0).to_string(), "C1");
        assert_eq!(NodeId::parse("S0"), None);
        assert_eq!(NodeId::parse("X1"), None);
    }

    #[test]
    fn slots_put_servers_before_clients() {
        assert_eq!(NodeId::server(2).slot(3), 2);
        assert_eq!(NodeId::client(0).slot(3), 3);
    }
}
