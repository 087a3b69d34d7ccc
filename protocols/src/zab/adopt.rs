//! One apply of a transaction per ensemble. Every server applies every committed transaction
//! to its data tree, and in a healthy ensemble the trees are the same: the servers that
//! applied the same transactions from the same empty tree share one content (`Rc`). So the
//! first server to apply a shared command ([`crate::kv::Cmd`]) remembers in it the content it
//! changed, the content after and what the change returned (the result, the watch events);
//! a server whose content is that content adopts the content after and the outcome instead of
//! applying. Is means the very allocation (nothing changes a content in place while it is
//! shared) or, for a server whose content was rebuilt apart (restarted from a snapshot), a
//! content found equal part by part, most parts by identity ([`Content::same_as`]): never a
//! hash, so a server whose tree differs in any way (diverged by a planted bug) never matches
//! and applies the command itself. What is each server's own (its table of results, its
//! watches, its replies) is still done by each.

use super::tree::{Content, DataTree, Events, WatchEvent};
use splitbrain_api::Ret;
use std::cell::RefCell;
use std::rc::Rc;

/// What the first server to apply a command did to its tree, for the others to adopt. It is
/// no part of the command: every memo compares equal to every other, and a copy is empty.
/// Held in the command itself (no allocation of its own) and read in place by the adopters.
#[derive(Default)]
pub struct ApplyMemo(RefCell<Option<Outcome>>);

impl Clone for ApplyMemo {
    fn clone(&self) -> ApplyMemo {
        ApplyMemo::default()
    }
}

impl PartialEq for ApplyMemo {
    fn eq(&self, _: &ApplyMemo) -> bool {
        true
    }
}

impl Eq for ApplyMemo {}

/// An apply of a command: to what content and with which inputs, and what came of it.
struct Outcome {
    /// The content applied to (held, so its address is not reused and it is not changed in
    /// place while remembered).
    before: Rc<Content>,
    key: Key,
    after: Rc<Content>,
    /// The result, shared by every server that records it.
    ret: Option<Rc<Ret>>,
    /// Every watch event of the change (collected whether the first server wanted them).
    events: Vec<WatchEvent>,
    /// Servers still expected to adopt it: the memo is dropped when none is.
    left: u32,
}

/// What a change depends on besides the content and the command: the zxid delivered before
/// it and its own zxid. (Whatever else it reads, such as the owner of the ephemeral znodes
/// it creates, is part of the content.)
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Key {
    pub before: u64,
    pub zxid: u64,
}

/// A shared command's memo, and how many other servers apply the command.
#[derive(Clone, Copy)]
pub struct Sharing<'a> {
    pub memo: &'a ApplyMemo,
    pub others: u32,
}

impl Outcome {
    /// Whether this is the outcome of the change at `key` on a content equal to `content`:
    /// the very one (most), else one rebuilt apart and found equal (a server that restarted
    /// from a snapshot rejoins the shared content).
    #[inline(always)]
    fn fits(&self, content: &Rc<Content>, key: Key) -> bool {
        self.key == key && (Rc::ptr_eq(content, &self.before) || content.same_as(&self.before))
    }
}

impl DataTree {
    /// Runs `change` (a transaction's change of the content at `key`, which reads nothing
    /// else of the tree) or adopts its outcome from `sharing`'s memo; the first to run it
    /// remembers its outcome there (a change that fails, as most do, too: adopting its
    /// result is quicker than finding it again). Out of line: one copy for delivery and
    /// replay.
    #[inline(never)]
    pub(super) fn change_once(
        &mut self,
        sharing: Option<Sharing<'_>>,
        key: Key,
        events: &mut Events,
        change: impl FnOnce(&mut DataTree, &mut Events) -> Option<Rc<Ret>>,
    ) -> Option<Rc<Ret>> {
        let Some(sharing) = sharing.filter(|s| s.others > 0) else {
            return change(self, events);
        };
        let mut slot = sharing.memo.0.borrow_mut();
        match &mut *slot {
            Some(memo) if memo.fits(&self.content, key) => {
                self.adopt(memo, events);
                if memo.left > 0 {
                    return memo.ret.clone();
                }
                // The last adopter takes the result and drops the rest.
                return slot.take().and_then(|memo| memo.ret);
            }
            Some(_) => {
                drop(slot);
                return change(self, events);
            }
            None => {}
        }
        drop(slot);
        let before = self.content.clone();
        let mut all = Events::new(true);
        let ret = change(self, &mut all);
        if events.wanted() {
            events.extend_from(all.list());
        }
        *sharing.memo.0.borrow_mut() = Some(Outcome {
            before,
            key,
            after: self.content.clone(),
            ret: ret.clone(),
            events: all.into_list(),
            left: sharing.others,
        });
        ret
    }

    /// Takes the content after `memo`'s change and its events; counts this server off.
    #[inline(always)]
    fn adopt(&mut self, memo: &mut Outcome, events: &mut Events) {
        // Most changes fail (a create of a znode that exists, a stale version), leaving the
        // content as it was: no reference counts to touch then.
        if !Rc::ptr_eq(&self.content, &memo.after) {
            self.content = memo.after.clone();
        }
        if events.wanted() {
            events.extend_from(&memo.events);
        }
        memo.left -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::{Cmd, Kv};
    use crate::zab::log::Txn;
    use crate::zab::snapshot::{apply, Applied};
    use splitbrain_api::zk::CreateMode;
    use splitbrain_api::{NodeId, Op};

    const CLIENT: NodeId = NodeId::client(0);

    fn create(path: &str) -> Op {
        Op::Create {
            path: path.into(),
            data: "d".into(),
            mode: CreateMode::Persistent,
        }
    }

    fn set(path: &str, version: u32) -> Op {
        Op::SetData {
            path: path.into(),
            data: "x".into(),
            version: Some(version),
        }
    }

    /// A tree built by `ops` (client requests 1, 2, ... at zxids 1, 2, ...), unshared.
    fn built(ops: &[Op]) -> DataTree {
        let mut tree = DataTree::default();
        for (i, op) in ops.iter().enumerate() {
            let n = i as u64 + 1;
            tree.apply(CLIENT, n, op, n - 1, n, &mut Events::new(false));
        }
        tree
    }

    /// Applies `txn` (after zxid `before`) as a server of an ensemble of `servers`; returns
    /// the events it collected and the result recorded.
    fn deliver(
        tree: &mut DataTree,
        txn: &Txn,
        before: u64,
        servers: u32,
    ) -> (Vec<WatchEvent>, Ret) {
        let (applied, events) = apply_as(tree, txn, before, servers);
        assert!(matches!(applied, Applied::Zk { recorded: true, .. }));
        (events.into_list(), tree.result_of(CLIENT))
    }

    /// Applies `txn` (after zxid `before`) as a server of an ensemble of `servers`, collecting
    /// every watch event; returns what `apply` said and the events.
    fn apply_as(tree: &mut DataTree, txn: &Txn, before: u64, servers: u32) -> (Applied, Events) {
        let mut events = Events::new(true);
        let applied = apply(
            &mut Kv::default(),
            tree,
            txn,
            before,
            &mut events,
            servers - 1,
        );
        (applied, events)
    }

    /// Applies `txn` (after zxid `before`) as a server of an ensemble of `servers`; returns
    /// whether the result was recorded.
    fn recorded(tree: &mut DataTree, txn: &Txn, before: u64, servers: u32) -> bool {
        let (applied, _) = apply_as(tree, txn, before, servers);
        let Applied::Zk { recorded, .. } = applied else {
            panic!("a ZooKeeper call")
        };
        recorded
    }

    #[test]
    fn the_owner_of_an_ephemeral_and_a_closed_session_come_with_the_content() {
        // Session 7 of the client opened at 1, /a created at 2; then (3) /a set on two
        // servers, the session closed on two others.
        let mut open = DataTree::default();
        open.apply_session(CLIENT, 7, true, 1, &mut Events::new(false), None);
        open.apply(CLIENT, 1, &create("/a"), 1, 2, &mut Events::new(false));
        let mut closed = open.clone();
        open.apply(CLIENT, 2, &set("/a", 0), 2, 3, &mut Events::new(false));
        closed.apply_session(CLIENT, 7, false, 3, &mut Events::new(false), None);
        let ephemeral = Op::Create {
            path: "/a/e".into(),
            data: "x".into(),
            mode: CreateMode::Ephemeral,
        };
        let expected = Ret::Created {
            path: "/a/e".into(),
            zxid: 4,
        };
        // Either kind of server first: the others of its kind adopt, the others apply.
        for open_first in [true, false] {
            let txn = Txn {
                zxid: 4,
                cmd: Cmd::client(CLIENT, 3, ephemeral.clone()),
            };
            let mut servers = [open.clone(), closed.clone(), open.clone(), closed.clone()];
            if !open_first {
                servers.swap(0, 1);
            }
            for tree in servers.iter_mut() {
                let is_open = tree.client_session(CLIENT) == Some(7);
                assert_eq!(
                    recorded(tree, &txn, 3, 4),
                    is_open,
                    "open first: {open_first}"
                );
                if is_open {
                    assert_eq!(tree.result_of(CLIENT), expected);
                    assert_eq!(tree.stat("/a/e").unwrap().ephemeral_owner, Some(7));
                } else {
                    assert!(tree.stat("/a/e").is_none());
                    assert_eq!(tree.session(CLIENT).map(|(seq, _)| seq), Some(1));
                }
            }
            // The servers of a kind end equal; the open ones share the first's change when
            // theirs was the first apply (the memo holds one outcome: the other kind's
            // first apply leaves them each to apply their own).
            let (a, b) = if open_first { (0, 1) } else { (1, 0) };
            assert!(servers[a] == servers[2] && servers[b] == servers[3]);
            assert_eq!(
                Rc::ptr_eq(&servers[a].content, &servers[2].content),
                open_first
            );
        }
    }

    #[test]
    fn servers_on_one_content_adopt_the_first_apply_and_a_different_tree_applies_its_own() {
        let history = [create("/a"), create("/a/b"), create("/c")];
        let base = built(&history);
        let txn = Txn {
            zxid: 4,
            cmd: Cmd::client(CLIENT, 4, set("/a/b", 0)),
        };
        // Applied alone (an ensemble of one shares nothing).
        let fresh = |mut tree: DataTree| {
            let (events, ret) = deliver(&mut tree, &txn, 3, 1);
            (tree, events, ret)
        };
        let (expected, expected_events, expected_ret) = fresh(base.clone());
        // Four servers: three share the base content, one rebuilt it apart (a restart).
        let (mut first, mut second) = (base.clone(), base.clone());
        let mut apart = built(&history);
        // The fourth's tree differs in one znode (another client set it): there the set of
        // /a/b at version 0 fails.
        let mut differs = base.clone();
        let other = NodeId::client(1);
        differs.apply(other, 1, &set("/a/b", 0), 3, 3, &mut Events::new(false));
        let (differs_expected, _, differs_ret) = fresh(differs.clone());

        let ran = deliver(&mut first, &txn, 3, 4);
        assert_eq!(ran, (expected_events.clone(), expected_ret.clone()));
        for tree in [&mut second, &mut apart] {
            let adopted = deliver(tree, &txn, 3, 4);
            assert!(Rc::ptr_eq(&tree.content, &first.content), "adopted");
            assert_eq!(adopted, (expected_events.clone(), expected_ret.clone()));
            assert_eq!(*tree, expected);
        }
        let own = deliver(&mut differs, &txn, 3, 4);
        assert!(!Rc::ptr_eq(&differs.content, &first.content));
        assert_eq!(own.1, differs_ret);
        assert_ne!(own.1, expected_ret, "the change fails on this tree");
        assert_eq!(differs, differs_expected);
        assert_eq!(first, expected);
    }

    #[test]
    fn a_command_applied_after_another_zxid_is_applied_again() {
        let base = built(&[create("/a")]);
        let txn = |zxid| Txn {
            zxid,
            cmd: Cmd::client(CLIENT, 2, create("/a/n")),
        };
        let (mut one, mut two) = (base.clone(), base.clone());
        let shared = txn(2);
        deliver(&mut one, &shared, 1, 3);
        let later = Txn {
            zxid: 3,
            cmd: shared.cmd.clone(),
        };
        let (_, ret) = deliver(&mut two, &later, 1, 3);
        assert_eq!(
            ret,
            Ret::Created {
                path: "/a/n".into(),
                zxid: 3
            }
        );
        assert_eq!(two, {
            let mut tree = base.clone();
            deliver(&mut tree, &txn(3), 1, 1);
            tree
        });
    }
}
