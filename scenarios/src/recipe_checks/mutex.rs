//! Mutual exclusion over virtual time for the simple lock, the scalable lock and leader
//! election: each client's holding intervals from its own calls and notices, then no two
//! clients' intervals may overlap, except where the earlier holder's session expired (the
//! documented exception).

use super::{at, clients, seen_by, violation, RecipeVerdict, Seen};
use splitbrain_api::{NodeId, Notice, Op, Ret, ZkError};
use splitbrain_protocols::zab::recipes::{sequence_of, LOCK_PATH};
use splitbrain_sim::{History, OpStatus};
use std::collections::BTreeSet;

/// How a recipe shows who holds it, and its words.
pub struct Rules {
    /// `/lock` for the simple lock, the parent of the queue otherwise.
    path: &'static str,
    queue: bool,
    /// What is held ("the lock", "leadership").
    what: &'static str,
    checker: &'static str,
    acquired_mark: &'static str,
    handoff_mark: &'static str,
    watch_mark: &'static str,
    expired_mark: &'static str,
}

pub const SIMPLE: Rules = Rules {
    path: LOCK_PATH,
    queue: false,
    what: "the lock",
    checker: "simple lock: mutual exclusion",
    acquired_mark: "lock-acquired",
    handoff_mark: "lock-handed-off",
    watch_mark: "lock-watch-fired",
    expired_mark: "lock-holder-expired",
};

pub const SCALABLE: Rules = Rules {
    path: "/locks",
    queue: true,
    what: "the lock",
    checker: "scalable lock: mutual exclusion",
    acquired_mark: "lock-acquired",
    handoff_mark: "lock-handed-off",
    watch_mark: "lock-watch-fired",
    expired_mark: "lock-holder-expired",
};

pub const ELECTION: Rules = Rules {
    path: "/election",
    queue: true,
    what: "leadership",
    checker: "leader election: one leader at a time",
    acquired_mark: "election-leader-chosen",
    handoff_mark: "election-leader-changed",
    watch_mark: "election-watch-fired",
    expired_mark: "election-leader-expired",
};

#[test]
fn the_rules_name_the_programs_paths() {
    use splitbrain_protocols::zab::recipes::QueueKind;
    assert_eq!(SCALABLE.path, QueueKind::Lock.parent());
    assert_eq!(ELECTION.path, QueueKind::Election.parent());
}

/// One stretch of time a client believed it held the lock.
#[derive(Clone, Debug)]
struct Held {
    client: NodeId,
    from: u64,
    /// Its delete call, the moment it learned its session expired, or `u64::MAX`.
    to: u64,
    /// The session it held with expired (it heard so, at any time after acquiring).
    expired: bool,
}

impl Rules {
    /// Whether `op`'s answer shows client `name` that it holds.
    fn acquires(&self, name: &str, op: &splitbrain_sim::HistoryOp) -> bool {
        let own = format!("{name}.");
        if op.status != OpStatus::Ok {
            return false;
        }
        match (&op.op, &op.out) {
            (Op::Create { path, .. }, Some(Ret::Created { .. })) => {
                !self.queue && path == self.path
            }
            (Op::GetData { path, watch: true }, Some(Ret::Data { data, .. })) => {
                !self.queue && path == self.path && data.starts_with(&own)
            }
            (Op::GetChildren { path, .. }, Some(Ret::Children { children, .. })) => {
                let first = children.iter().min_by_key(|c| sequence_of(c));
                self.queue && path == self.path && first.is_some_and(|c| c.starts_with(&own))
            }
            _ => false,
        }
    }

    /// Whether calling `op` gives up what its client holds.
    fn releases(&self, op: &Op) -> bool {
        match op {
            Op::Delete { path, .. } if self.queue => path
                .strip_prefix(self.path)
                .is_some_and(|r| r.starts_with('/')),
            Op::Delete { path, .. } => path == self.path,
            _ => false,
        }
    }

    fn watches(&self, path: &str) -> bool {
        path.starts_with(self.path)
    }
}

/// One client's holding intervals, and the marks its view shows.
fn intervals_of(
    rules: &Rules,
    history: &History,
    client: NodeId,
    marks: &mut BTreeSet<&'static str>,
) -> Vec<Held> {
    let name = client.to_string();
    let mut session = None;
    let mut holding: Option<(u64, Option<u64>)> = None;
    let mut out: Vec<(Held, Option<u64>)> = Vec::new();
    let mut expired = BTreeSet::new();
    let close = |from: u64, to: u64, sess: Option<u64>, out: &mut Vec<_>| {
        let held = Held {
            client,
            from,
            to,
            expired: false,
        };
        out.push((held, sess));
    };
    for seen in seen_by(history, client) {
        match seen {
            Seen::Notice(_, Notice::Connected { session: s }) => session = Some(*s),
            Seen::Notice(t, Notice::Expired { session: s }) => {
                expired.insert(*s);
                if let Some((from, sess)) = holding.take() {
                    close(from, t, sess, &mut out);
                }
            }
            Seen::Notice(_, Notice::Watch { path, .. }) if rules.watches(path) => {
                marks.insert(rules.watch_mark);
            }
            Seen::Call(op) if holding.is_some() && rules.releases(&op.op) => {
                let (from, sess) = holding.take().expect("holding");
                close(from, op.call_us, sess, &mut out);
            }
            Seen::Return(op) if holding.is_none() && rules.acquires(&name, op) => {
                holding = Some((op.ret_us.expect("returned"), session));
            }
            _ => {}
        }
    }
    if let Some((from, sess)) = holding {
        close(from, u64::MAX, sess, &mut out);
    }
    out.into_iter()
        .map(|(mut h, sess)| {
            h.expired = sess.is_some_and(|s| expired.contains(&s));
            h
        })
        .collect()
}

/// Every client's holding intervals, by acquisition time.
fn all_intervals(
    rules: &Rules,
    history: &History,
    marks: &mut BTreeSet<&'static str>,
) -> Vec<Held> {
    let mut held: Vec<Held> = Vec::new();
    for c in clients(history) {
        held.extend(intervals_of(rules, history, c, marks));
    }
    held.sort_by_key(|h| (h.from, h.to));
    held
}

/// `(client, from_us, to_us)` of every holding interval, by acquisition time.
pub fn holds(rules: &Rules, history: &History) -> Vec<(NodeId, u64, u64)> {
    let held = all_intervals(rules, history, &mut BTreeSet::new());
    held.iter().map(|h| (h.client, h.from, h.to)).collect()
}

/// Mutual exclusion for `rules`' recipe over the whole history.
pub fn check(rules: &Rules, history: &History) -> RecipeVerdict {
    let mut v = RecipeVerdict::default();
    let held = all_intervals(rules, history, &mut v.marks);
    let contended = history.ops.iter().any(|h| {
        matches!(
            &h.out,
            Some(Ret::Error {
                error: ZkError::NodeExists,
                ..
            })
        ) && matches!(&h.op, Op::Create { path, .. } if path == rules.path)
    });
    if contended {
        v.marks.insert("lock-contended");
    }
    if !held.is_empty() {
        v.marks.insert(rules.acquired_mark);
    }
    if held.windows(2).any(|w| w[0].client != w[1].client) {
        v.marks.insert(rules.handoff_mark);
    }
    for (i, a) in held.iter().enumerate() {
        for b in held[i + 1..].iter().take_while(|b| b.from < a.to) {
            if a.client == b.client {
                continue;
            }
            let finding = overlap(rules, a, b);
            if a.expired || b.expired {
                v.marks.insert(rules.expired_mark);
                v.exceptions.push(finding);
            } else if v.violation.is_none() {
                v.violation = Some(finding);
            }
        }
    }
    v
}

/// Two clients holding at once: `a` acquired first, `b` while `a` still held.
fn overlap(rules: &Rules, a: &Held, b: &Held) -> splitbrain_sim::Violation {
    let message = if a.expired || b.expired {
        let gone = if a.expired { a } else { b };
        format!(
            "documented exception, not a pass and not a plain violation: {} held {} from {} \
             until {}, and {} from {}; {}'s session expired while it held {} (its ephemeral \
             znode went with the session, and it learned so only later), which ZooKeeper \
             documents: a lock is only as good as the holder's session",
            a.client,
            rules.what,
            at(a.from),
            at(a.to),
            b.client,
            at(b.from),
            gone.client,
            rules.what,
        )
    } else {
        format!(
            "{} and {} both held {}: {} from {} until {}, {} from {}",
            a.client,
            b.client,
            rules.what,
            a.client,
            at(a.from),
            at(a.to),
            b.client,
            at(b.from),
        )
    };
    violation(rules.checker, message, b.from)
}
