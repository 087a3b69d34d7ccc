//! Commands that carry client operations through a replicated log: a no-op (what a new
//! leader proposes to commit its term or fill a hole) or a client operation with its session
//! id and request id, each with a stable digest computed once (what `ctx.applied` reports and
//! what traces hash). A command also remembers the last link of a log's hash chain computed
//! over it ([`LinkMemo`]), for the replicas that extend their chains by the same link, and
//! ZAB's first apply of it to a data tree ([`ApplyMemo`]), for the servers that apply it to
//! the same tree.

use crate::zab::ApplyMemo;
use splitbrain_api::zk::MultiOp;
use splitbrain_api::{stable_hash, Fnv1a, NodeId, Op};
use std::cell::Cell;
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
#[derive(Clone, PartialEq, Eq)]
pub struct Cmd {
    pub digest: u64,
    pub kind: CmdKind,
    pub link: LinkMemo,
    /// ZAB's data tree: the first apply of the command, for the servers that apply it to
    /// the same tree (no part of the command either).
    pub apply_memo: ApplyMemo,
}

impl std::fmt::Debug for Cmd {
    // The command itself: the memo is no part of it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cmd")
            .field("digest", &self.digest)
            .field("kind", &self.kind)
            .finish()
    }
}

/// The last link of a log's hash chain computed over a command: the chain value before it,
/// the index it was appended at and the chain value after. A command is shared (`Rc`) by
/// the logs of every replica, which append it at the same index after the same history: the
/// first computes the link, the others find it here (any other history computes its own).
/// It is no part of the command: every memo compares equal to every other.
#[derive(Clone, Default)]
pub struct LinkMemo(Cell<Option<(u64, u64, u64)>>);

impl LinkMemo {
    /// The chain value after `prev` extended at `index`: remembered, or `compute`d (and
    /// remembered in place of the last).
    #[inline]
    pub fn get_or(&self, prev: u64, index: u64, compute: impl FnOnce() -> u64) -> u64 {
        match self.0.get() {
            Some((p, i, next)) if (p, i) == (prev, index) => next,
            _ => {
                let next = compute();
                self.0.set(Some((prev, index, next)));
                next
            }
        }
    }
}

impl PartialEq for LinkMemo {
    fn eq(&self, _: &LinkMemo) -> bool {
        true
    }
}

impl Eq for LinkMemo {}

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
            link: LinkMemo::default(),
            apply_memo: ApplyMemo::default(),
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
            link: LinkMemo::default(),
            apply_memo: ApplyMemo::default(),
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
            link: LinkMemo::default(),
            apply_memo: ApplyMemo::default(),
        })
    }
}

impl Cmd {
    /// The command as bytes, for a library whose log entries carry opaque data (raft-rs):
    /// a no-op is empty, a client command its client index, request id and operation (JSON).
    /// Panics on a ZooKeeper session command, which no such library carries.
    pub fn to_bytes(&self) -> Vec<u8> {
        match &self.kind {
            CmdKind::Noop => Vec::new(),
            CmdKind::Client { client, seq, op } => {
                serde_json::to_vec(&(client.index(), seq, op)).expect("operations serialise")
            }
            CmdKind::Session { .. } => panic!("session commands have no byte form"),
        }
    }

    /// The command [`Cmd::to_bytes`] wrote (an empty entry is a no-op, as a library's own
    /// entries of a new term often are).
    pub fn from_bytes(data: &[u8]) -> Rc<Cmd> {
        if data.is_empty() {
            return Cmd::noop();
        }
        let (client, seq, op): (usize, u64, Op) =
            serde_json::from_slice(data).expect("entry data written by Cmd::to_bytes");
        Cmd::client(NodeId::client(client), seq, op)
    }
}

fn op_bytes(op: &Op, out: &mut Fnv1a) {
    match op {
        Op::Get { key } => text(out, 1, key),
        Op::Put { key, value } => {
            text(out, 2, key);
            text(out, 3, value);
        }
        Op::Append { key, value } => {
            text(out, 4, key);
            text(out, 5, value);
        }
        Op::Cas { key, from, to } => {
            text(out, 6, key);
            match from {
                Some(f) => text(out, 7, f),
                None => text(out, 8, ""),
            }
            text(out, 9, to);
        }
        Op::Acquire { lock } => text(out, 10, &lock.to_string()),
        Op::Release { lock } => text(out, 11, &lock.to_string()),
        Op::Propose { key, value } => {
            text(out, 12, key);
            text(out, 13, value);
        }
        zk => zk_op_bytes(zk, out),
    }
}

/// A ZooKeeper call's bytes: a tag per field, strings with their length, numbers little
/// endian (written directly: a debug form cost a visible share of a ZooKeeper run).
fn zk_op_bytes(op: &Op, out: &mut Fnv1a) {
    match op {
        Op::Create { path, data, mode } => {
            text(out, 20, path);
            text(out, 21, data);
            out.write(&[22, *mode as u8]);
        }
        Op::Delete { path, version } => {
            text(out, 23, path);
            version_bytes(out, *version);
        }
        Op::Exists { path, watch } => watched(out, 24, path, *watch),
        Op::GetData { path, watch } => watched(out, 25, path, *watch),
        Op::GetChildren { path, watch } => watched(out, 26, path, *watch),
        Op::SetData {
            path,
            data,
            version,
        } => {
            text(out, 27, path);
            text(out, 28, data);
            version_bytes(out, *version);
        }
        Op::Sync { path } => text(out, 29, path),
        Op::Multi { ops } => {
            out.write(&[30]);
            out.write(&(ops.len() as u32).to_le_bytes());
            ops.iter().for_each(|step| multi_step_bytes(step, out));
        }
        kv => unreachable!("{} is a key-value operation", kv.label()),
    }
}

fn multi_step_bytes(step: &MultiOp, out: &mut Fnv1a) {
    match step {
        MultiOp::Create { path, data, mode } => {
            text(out, 31, path);
            text(out, 32, data);
            out.write(&[33, *mode as u8]);
        }
        MultiOp::Delete { path, version } => {
            text(out, 34, path);
            version_bytes(out, *version);
        }
        MultiOp::SetData {
            path,
            data,
            version,
        } => {
            text(out, 35, path);
            text(out, 36, data);
            version_bytes(out, *version);
        }
        MultiOp::Check { path, version } => {
            text(out, 37, path);
            version_bytes(out, Some(*version));
        }
    }
}

/// A tagged string: tag, length (u32), bytes.
fn text(out: &mut Fnv1a, tag: u8, s: &str) {
    out.write(&[tag]);
    out.write(&(s.len() as u32).to_le_bytes());
    out.write(s.as_bytes());
}

fn watched(out: &mut Fnv1a, tag: u8, path: &str, watch: bool) {
    text(out, tag, path);
    out.write(&[u8::from(watch)]);
}

/// A version (`None`: any version, ZooKeeper's -1).
fn version_bytes(out: &mut Fnv1a, version: Option<u32>) {
    match version {
        Some(v) => {
            out.write(&[38]);
            out.write(&v.to_le_bytes());
        }
        None => out.write(&[39]),
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

    /// ZooKeeper calls that differ in any field (including which step of a multi a path
    /// belongs to) get different digests.
    #[test]
    fn zookeeper_calls_differing_in_a_field_differ_in_digest() {
        use splitbrain_api::zk::CreateMode;
        let c = NodeId::client(0);
        let set = |path: &str, data: &str, version| Op::SetData {
            path: path.into(),
            data: data.into(),
            version,
        };
        let check = |path: &str, version| MultiOp::Check {
            path: path.into(),
            version,
        };
        let ops = [
            set("/a", "x", None),
            set("/a", "x", Some(0)),
            set("/a", "y", None),
            set("/ax", "", None),
            Op::Create {
                path: "/a".into(),
                data: "x".into(),
                mode: CreateMode::Persistent,
            },
            Op::Create {
                path: "/a".into(),
                data: "x".into(),
                mode: CreateMode::Ephemeral,
            },
            Op::Delete {
                path: "/a".into(),
                version: None,
            },
            Op::Sync { path: "/a".into() },
            Op::Multi {
                ops: vec![check("/a", 0), check("/b", 0)],
            },
            Op::Multi {
                ops: vec![check("/a", 0)],
            },
            Op::Multi {
                ops: vec![check("/a", 1), check("/b", 0)],
            },
        ];
        let digests: std::collections::BTreeSet<u64> = ops
            .iter()
            .map(|op| Cmd::client(c, 1, op.clone()).digest)
            .collect();
        assert_eq!(digests.len(), ops.len());
    }

    #[test]
    fn a_command_comes_back_from_its_bytes() {
        let op = Op::Append {
            key: "k".into(),
            value: "x".into(),
        };
        let cmd = Cmd::client(NodeId::client(4), 7, op);
        assert_eq!(Cmd::from_bytes(&cmd.to_bytes()), cmd);
        assert_eq!(Cmd::from_bytes(&Cmd::noop().to_bytes()), Cmd::noop());
    }
}
