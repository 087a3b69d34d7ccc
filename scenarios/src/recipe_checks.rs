//! The checks of the ZooKeeper recipes (`protocols::zab::recipes`), over a finished run's
//! history and notices alone:
//!
//! - counter: every acknowledged increment counts once (`history_checks::zookeeper_counter`);
//! - simple lock, scalable lock, election: mutual exclusion over virtual time. A client holds
//!   from the answer that shows it the lock (its create of `/lock` returned, its watched read
//!   of `/lock` returned its own token, or its listing of `/locks` or `/election` put one of
//!   its znodes first) until it calls delete on it, learns that its session expired, or the
//!   run ends. Two clients holding at once is a violation, except when the earlier holder's
//!   session expired while it held: ZooKeeper documents that a lock is only as good as its
//!   session (the ephemeral znode went with it, and the holder learns only when it hears
//!   from the service again), so that overlap is reported as that documented exception;
//! - ready: a reader that saw `/ready` of version v reads every configuration key at version
//!   v (an older value breaks the pattern's promise) until its watch on `/ready` fires (a
//!   newer value before that breaks "the watch fires before the changed data can be read").
//!
//! Each check also names the coverage marks the history shows, so a scenario can expect its
//! recipe to have done what it exists for (`lock-handed-off`, `counter-retried`, ...).

use crate::history_checks::zookeeper_counter;
use splitbrain_api::{ms_label, NodeId, Notice, Op, Ret, ZkError};
use splitbrain_protocols::zab::recipes::{self, Recipe};
use splitbrain_sim::{History, HistoryOp, OpStatus, Violation};
use std::collections::BTreeSet;

mod mutex;
mod ready;
#[cfg(test)]
mod tests;

/// What a recipe check found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecipeVerdict {
    pub violation: Option<Violation>,
    /// Documented exceptions: neither a pass nor a violation.
    pub exceptions: Vec<Violation>,
    /// Coverage marks the history shows.
    pub marks: BTreeSet<&'static str>,
}

/// Checks `history` against `recipe`'s promise.
pub fn check(recipe: Recipe, history: &History) -> RecipeVerdict {
    match recipe {
        Recipe::Counter => counter(history),
        Recipe::SimpleLock => mutex::check(&mutex::SIMPLE, history),
        Recipe::ScalableLock => mutex::check(&mutex::SCALABLE, history),
        Recipe::Election => mutex::check(&mutex::ELECTION, history),
        Recipe::Ready => ready::check(history),
    }
}

/// When each client held the lock (or leadership) of a lock or election history, in order
/// of acquisition: `(client, from_us, to_us)` (`to_us` is `u64::MAX` while still held at the
/// end). Empty for the other recipes.
pub fn holds(recipe: Recipe, history: &History) -> Vec<(NodeId, u64, u64)> {
    let rules = match recipe {
        Recipe::SimpleLock => &mutex::SIMPLE,
        Recipe::ScalableLock => &mutex::SCALABLE,
        Recipe::Election => &mutex::ELECTION,
        Recipe::Counter | Recipe::Ready => return Vec::new(),
    };
    mutex::holds(rules, history)
}

fn counter(history: &History) -> RecipeVerdict {
    let path = recipes::COUNTER_PATH;
    let mut marks = BTreeSet::new();
    for h in ok_ops(history) {
        match (&h.op, &h.out) {
            (Op::SetData { path: p, .. }, Some(Ret::Stat { .. })) if p == path => {
                marks.insert("counter-incremented");
            }
            (Op::SetData { path: p, .. }, Some(Ret::Error { error, .. }))
                if p == path && *error == ZkError::BadVersion =>
            {
                marks.insert("counter-retried");
            }
            _ => {}
        }
    }
    RecipeVerdict {
        violation: zookeeper_counter(history, path),
        exceptions: Vec::new(),
        marks,
    }
}

/// Completed operations, in history order.
fn ok_ops(history: &History) -> impl Iterator<Item = &HistoryOp> {
    history.ops.iter().filter(|h| h.status == OpStatus::Ok)
}

/// One client's operations and notices in the order it saw them: each operation's call and
/// return, and each notice between the returns it arrived between.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seen<'a> {
    Call(&'a HistoryOp),
    Return(&'a HistoryOp),
    Notice(u64, &'a Notice),
}

impl Seen<'_> {
    fn at_us(&self) -> u64 {
        match self {
            Seen::Call(op) => op.call_us,
            Seen::Return(op) => op.ret_us.unwrap_or(u64::MAX),
            Seen::Notice(at, _) => *at,
        }
    }
}

/// Client `client`'s view of the run, in order (ties: a notice that arrived after `m`
/// operations ended comes after the m-th return and before the next call).
fn seen_by<'a>(history: &'a History, client: NodeId) -> Vec<Seen<'a>> {
    let mut keyed: Vec<((u64, u64, u8), Seen<'a>)> = Vec::new();
    let ops = history.ops.iter().filter(|h| h.client == client);
    for (i, op) in ops.enumerate() {
        let i = i as u64;
        keyed.push(((op.call_us, 2 * i, 1), Seen::Call(op)));
        if let Some(ret_us) = op.ret_us {
            keyed.push(((ret_us, 2 * i + 1, 1), Seen::Return(op)));
        }
    }
    for n in history.notices.iter().filter(|n| n.client == client) {
        let key = (n.at_us, (2 * n.ops_ended).saturating_sub(1), 2);
        keyed.push((key, Seen::Notice(n.at_us, &n.notice)));
    }
    keyed.sort_by_key(|(k, _)| *k);
    debug_assert!(keyed.windows(2).all(|w| w[0].1.at_us() <= w[1].1.at_us()));
    keyed.into_iter().map(|(_, s)| s).collect()
}

/// Every client that appears in the history, in order.
fn clients(history: &History) -> BTreeSet<NodeId> {
    history
        .ops
        .iter()
        .map(|h| h.client)
        .chain(history.notices.iter().map(|n| n.client))
        .collect()
}

fn violation(checker: &str, message: String, at_us: u64) -> Violation {
    Violation {
        checker: checker.to_string(),
        message,
        at_us,
    }
}

fn at(us: u64) -> String {
    if us == u64::MAX {
        "the end of the run".to_string()
    } else {
        ms_label(us)
    }
}
