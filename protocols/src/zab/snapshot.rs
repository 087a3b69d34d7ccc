//! Snapshots of the delivered state, and the one way a transaction changes that state.
//!
//! A server takes a snapshot every `snapshot_every` deliveries but uses one rarely: a restart
//! recovers from its durable snapshot, a leader sends its snapshot to a follower behind its
//! log. A copy of the state is cheap to take (it shares the data tree's structure), but it
//! makes the server copy each shard and znode it changes next, and the copy is walked when
//! the next snapshot replaces it. So most snapshots hold no state: they hold the snapshot
//! before them and the transactions delivered since, and replay those into a state the first
//! time it is asked for ([`Snapshot::state`]). Every [`COPY_EVERY`]-th snapshot is a copy of
//! the server's state, which bounds both a replay and the chain a snapshot keeps alive.

use super::adopt::Sharing;
use super::log::Txn;
use super::tree::{DataTree, Events};
use crate::kv::{self, CmdKind, Kv};
use splitbrain_api::NodeId;
use std::cell::OnceCell;
use std::rc::Rc;

/// Every this many snapshots of a server, one is a copy of its state (the others replay).
pub const COPY_EVERY: u32 = 4;

/// The delivered state: the key-value store and the ZooKeeper data tree.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct State {
    pub kv: Kv,
    pub tree: DataTree,
}

/// What applying a transaction did, for the server that delivered it to act on.
pub enum Applied {
    /// A ZooKeeper call of `client`; `recorded`: the session table holds the result of its
    /// request `seq` ([`DataTree::record`]).
    Zk {
        client: NodeId,
        seq: u64,
        recorded: bool,
    },
    /// A key-value operation of `client`.
    Kv {
        client: NodeId,
        seq: u64,
        applied: kv::Applied,
    },
    /// `client`'s session opened or closed.
    Session {
        client: NodeId,
        session: u64,
        open: bool,
    },
    Noop,
}

impl State {
    /// Applies `txn`, delivered right after `before`; the watch events it triggers go to
    /// `events`. Delivery and the replay of a snapshot both apply transactions this way.
    pub fn apply(&mut self, txn: &Txn, before: u64, events: &mut Events) -> Applied {
        apply(&mut self.kv, &mut self.tree, txn, before, events, 0)
    }
}

/// [`State::apply`] on a state held as its two parts (as a server holds it), by a server
/// of an ensemble of `others + 1` that all apply the command: the data tree's change is
/// made once for those holding the same tree ([`super::adopt`]). Inlined: it is most of
/// each delivery's work, and a call would add a frame per delivered transaction.
#[inline(always)]
pub fn apply(
    kv: &mut Kv,
    tree: &mut DataTree,
    txn: &Txn,
    before: u64,
    e: &mut Events,
    others: u32,
) -> Applied {
    let sharing = Some(Sharing {
        memo: &txn.cmd.apply_memo,
        others,
    });
    match &txn.cmd.kind {
        CmdKind::Client { client, seq, op } if op.is_zookeeper() => Applied::Zk {
            client: *client,
            seq: *seq,
            recorded: tree.record(*client, *seq, op, before, txn.zxid, e, sharing),
        },
        CmdKind::Client { client, seq, op } => Applied::Kv {
            client: *client,
            seq: *seq,
            applied: kv.apply(*client, *seq, op),
        },
        &CmdKind::Session {
            client,
            session,
            open,
        } => {
            tree.apply_session(client, session, open, txn.zxid, e, sharing);
            Applied::Session {
                client,
                session,
                open,
            }
        }
        CmdKind::Noop => Applied::Noop,
    }
}

/// The delivered state after `zxid`, with the chain value of the history it was built from:
/// a copy of the state, or the snapshot before and the transactions delivered since it.
#[derive(Clone)]
pub struct Snapshot {
    pub zxid: u64,
    pub chain: u64,
    /// Set when taken (a copy), or by the first replay.
    state: OnceCell<State>,
    /// Unless a copy: the snapshot before and the transactions delivered after it, in order.
    replay: Option<(Rc<Snapshot>, Vec<Txn>)>,
    /// Replaying snapshots back to a copy (0: a copy).
    depth: u32,
}

impl Default for Snapshot {
    fn default() -> Snapshot {
        Snapshot::copy(0, 0, State::default())
    }
}

impl Snapshot {
    /// A snapshot holding `state`.
    pub fn copy(zxid: u64, chain: u64, state: State) -> Snapshot {
        Snapshot {
            zxid,
            chain,
            state: OnceCell::from(state),
            replay: None,
            depth: 0,
        }
    }

    /// The state after `base` and `txns` (delivered after it, in order, up to `zxid`),
    /// replayed when asked for.
    pub fn replaying(base: Rc<Snapshot>, txns: Vec<Txn>, zxid: u64, chain: u64) -> Snapshot {
        let depth = base.depth + 1;
        Snapshot {
            zxid,
            chain,
            state: OnceCell::new(),
            replay: Some((base, txns)),
            depth,
        }
    }

    /// Whether the snapshot after this one is due to be a copy.
    pub fn next_is_copy(&self) -> bool {
        self.depth + 1 >= COPY_EVERY
    }

    /// The state, replayed (once) if this snapshot holds none yet.
    pub fn state(&self) -> &State {
        self.state.get_or_init(|| {
            let (base, txns) = self.replay.as_ref().expect("a replaying snapshot");
            let mut state = base.state().clone();
            let mut before = base.zxid;
            let mut events = Events::new(false);
            for txn in txns {
                state.apply(txn, before, &mut events);
                before = txn.zxid;
            }
            state
        })
    }
}

impl PartialEq for Snapshot {
    fn eq(&self, other: &Snapshot) -> bool {
        (self.zxid, self.chain) == (other.zxid, other.chain) && self.state() == other.state()
    }
}

impl Eq for Snapshot {}

impl std::hash::Hash for Snapshot {
    // The chain stands for the whole prefix; hashing the state would cost its size per trace.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.zxid, self.chain).hash(state);
    }
}

impl std::fmt::Debug for Snapshot {
    // As a snapshot that holds its state reads, replayed or not.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state();
        f.debug_struct("Snapshot")
            .field("zxid", &self.zxid)
            .field("chain", &self.chain)
            .field("kv", &state.kv)
            .field("tree", &state.tree)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::Cmd;
    use splitbrain_api::zk::CreateMode;
    use splitbrain_api::Op;

    fn txns(from: u64, client: NodeId) -> Vec<Txn> {
        let create = Op::Create {
            path: format!("/n{from}").into(),
            data: "x".into(),
            mode: CreateMode::Ephemeral,
        };
        let set = Op::SetData {
            path: format!("/n{from}").into(),
            data: "y".into(),
            version: None,
        };
        let put = Op::Put {
            key: "k".into(),
            value: from.to_string().into(),
        };
        let cmds = [
            Cmd::session(client, from, true),
            Cmd::client(client, from, create),
            Cmd::client(client, from + 1, put),
            Cmd::client(client, from + 2, set),
            Cmd::session(client, from, false),
        ];
        let zxids = from..;
        zxids
            .zip(cmds)
            .map(|(zxid, cmd)| Txn { zxid, cmd })
            .collect()
    }

    #[test]
    fn a_replayed_state_is_the_state_delivery_built() {
        let client = NodeId::client(0);
        let mut live = State::default();
        let mut snapshot = Rc::new(Snapshot::default());
        let mut before = 0;
        for round in 0..2 * COPY_EVERY as u64 {
            let batch = txns(1 + round * 10, client);
            for txn in &batch {
                live.apply(txn, before, &mut Events::new(true));
                before = txn.zxid;
            }
            let next = if snapshot.next_is_copy() {
                Snapshot::copy(before, round, live.clone())
            } else {
                Snapshot::replaying(snapshot.clone(), batch, before, round)
            };
            snapshot = Rc::new(next);
            assert_eq!(snapshot.depth, ((round + 1) % u64::from(COPY_EVERY)) as u32);
            assert_eq!(snapshot.state(), &live, "round {round}");
        }
        assert!(live.tree.session(client).is_some() && live.kv.session(client).is_some());
    }
}
