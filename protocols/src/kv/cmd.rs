//! Commands that carry client operations through a replicated log: a no-op (what a new
//! leader proposes to commit its term or fill a hole) or a client operation with its session
//! id and request id, each with a stable digest computed once (what `ctx.applied` reports and
//! what traces hash).

use splitbrain_api::{stable_hash, Fnv1a, NodeId, Op};
use std::hash::{Hash, Hasher};
use std::rc::Rc;

/// What an entry asks the state machine to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CmdKind {
    /// The entry a new leader appends to commit its term (§5.4.2, §8).
    Noop,
    /// A client operation with its session id (client) and request id (seq), §6.3.
    Client { client: NodeId, seq: u64, op: Op },
    /// A ZooKeeper session of `client` opens or (expired) closes.
    Session {
        client: NodeId,
        session: u64,
        open: bool,
    },
}

/// A command and its digest (computed once, at creation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cmd {
    pub digest: u64,
    pub kind: CmdKind,
}

impl Hash for Cmd {
    // The digest identifies the command; hashing it alone keeps trace hashing cheap.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.digest.hash(state);
    }
}

impl Cmd {
    pub fn noop() -> Rc<Cmd> {
        Rc::new(Cmd {
            digest: stable_hash(b"noop"),
            kind: CmdKind::Noop,
        })
    }

    /// A client command; the digest covers client id, request id and the operation.
    pub fn client(client: NodeId, seq: u64, op: Op) -> Rc<Cmd> {
        let mut h = Fnv1a::default();
        h.write(&client.raw().to_le_bytes());
        h.write(&seq.to_le_bytes());
        op_bytes(&op, &mut h);
        Rc::new(Cmd {
            digest: h.finish(),
            kind: CmdKind::Client { client, seq, op },
        })
    }
}

impl Cmd {
    /// Opens (`open`) or closes ZooKeeper session `session` of `client`.
    pub fn session(client: NodeId, session: u64, open: bool) -> Rc<Cmd> {
        let mut h = Fnv1a::default();
        h.write(b"session");
        h.write(&client.raw().to_le_bytes());
        h.write(&session.to_le_bytes());
        h.write(&[u8::from(open)]);
        Rc::new(Cmd {
            digest: h.finish(),
            kind: CmdKind::Session {
                client,
                session,
                open,
            },
        })
    }
}

fn op_bytes(op: &Op, out: &mut Fnv1a) {
    let mut field = |tag: u8, s: &str| {
        out.write(&[tag]);
        out.write(&(s.len() as u32).to_le_bytes());
        out.write(s.as_bytes());
    };
    match op {
        Op::Get { key } => field(1, key),
        Op::Put { key, value } => {
            field(2, key);
            field(3, value);
        }
        Op::Append { key, value } => {
            field(4, key);
            field(5, value);
        }
        Op::Cas { key, from, to } => {
            field(6, key);
            match from {
                Some(f) => field(7, f),
                None => field(8, ""),
            }
            field(9, to);
        }
        Op::Acquire { lock } => field(10, &lock.to_string()),
        Op::Release { lock } => field(11, &lock.to_string()),
        Op::Propose { key, value } => {
            field(12, key);
            field(13, value);
        }
        // Not key-value operations; their debug form is deterministic and unambiguous.
        zk => field(14, &format!("{zk:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The streamed command digest equals FNV-1a over the concatenated bytes.
    #[test]
    fn streamed_digest_equals_hashing_the_bytes() {
        let op = Op::Cas {
            key: "k1".into(),
            from: Some("c2.7".into()),
            to: "c1.9".into(),
        };
        let c = NodeId::client(2);
        let mut bytes = c.raw().to_le_bytes().to_vec();
        bytes.extend_from_slice(&9u64.to_le_bytes());
        for (tag, s) in [(6u8, "k1"), (7, "c2.7"), (9, "c1.9")] {
            bytes.push(tag);
            bytes.extend_from_slice(&(s.len() as u32).to_le_bytes());
            bytes.extend_from_slice(s.as_bytes());
        }
        assert_eq!(Cmd::client(c, 9, op).digest, stable_hash(&bytes));
    }
}
