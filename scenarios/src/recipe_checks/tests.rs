//! Hand-written histories for each recipe check: one that keeps the recipe's promise and
//! ones that break it (or fall under the documented exception).

use super::*;
use splitbrain_api::{CreateMode, Stat};
use splitbrain_sim::HistoryNotice;

/// A history built call by call.
#[derive(Default)]
struct Build {
    ops: Vec<HistoryOp>,
    notices: Vec<HistoryNotice>,
}

fn stat(czxid: u64) -> Stat {
    Stat {
        czxid,
        mzxid: czxid,
        pzxid: czxid,
        version: 0,
        cversion: 0,
        ephemeral_owner: None,
    }
}

impl Build {
    /// Client `c` (1-based, as people name them) called `op` at `call` and got `out` at
    /// `call + 5`.
    fn op(mut self, c: usize, call: u64, op: Op, out: Ret) -> Build {
        self.ops.push(HistoryOp {
            client: NodeId::client(c - 1),
            call_us: call,
            ret_us: Some(call + 5),
            status: OpStatus::Ok,
            op,
            out: Some(out),
        });
        self
    }

    fn notice(mut self, c: usize, at_us: u64, notice: Notice) -> Build {
        let client = NodeId::client(c - 1);
        let ops_ended = self
            .ops
            .iter()
            .filter(|h| h.client == client && h.ret_us.is_some_and(|r| r <= at_us))
            .count() as u64;
        self.notices.push(HistoryNotice {
            client,
            at_us,
            ops_ended,
            notice,
        });
        self
    }

    fn watch(self, c: usize, at_us: u64, path: &str) -> Build {
        let notice = Notice::Watch {
            path: path.into(),
            kind: splitbrain_api::WatchKind::NodeDeleted,
            zxid: 0,
        };
        self.notice(c, at_us, notice)
    }

    fn history(self) -> History {
        let mut ops = self.ops;
        ops.sort_by_key(|h| h.call_us);
        History {
            schema_version: splitbrain_sim::HISTORY_SCHEMA_VERSION,
            model: "zookeeper".into(),
            ops,
            notices: self.notices,
        }
    }
}

fn create(path: &str, data: &str, mode: CreateMode) -> Op {
    Op::Create {
        path: path.into(),
        data: data.into(),
        mode,
    }
}

fn created(path: &str, zxid: u64) -> Ret {
    Ret::Created {
        path: path.into(),
        zxid,
    }
}

fn error(error: ZkError) -> Ret {
    Ret::Error {
        error,
        zxid: 0,
        step: None,
    }
}

fn delete(path: &str) -> Op {
    Op::Delete {
        path: path.into(),
        version: None,
    }
}

fn lock_create(token: &str) -> Op {
    create("/lock", token, CreateMode::Ephemeral)
}

/// C1 takes the simple lock and releases it at 50; C2 finds it taken, watches it, is woken
/// and takes it; `c2_takes_at` moves C2's create.
fn simple_lock(c2_takes_at: u64) -> Build {
    let watch_read = Op::GetData {
        path: "/lock".into(),
        watch: true,
    };
    Build::default()
        .op(1, 0, lock_create("C1.1"), created("/lock", 1))
        .op(2, 10, lock_create("C2.1"), error(ZkError::NodeExists))
        .op(
            2,
            16,
            watch_read,
            Ret::Data {
                data: "C1.1".into(),
                stat: stat(1),
                zxid: 1,
            },
        )
        .op(1, 50, delete("/lock"), Ret::Deleted { zxid: 2 })
        .watch(2, 55, "/lock")
        .op(2, c2_takes_at, lock_create("C2.2"), created("/lock", 3))
        .op(
            2,
            c2_takes_at + 40,
            delete("/lock"),
            Ret::Deleted { zxid: 4 },
        )
}

#[test]
fn a_simple_lock_handed_off_through_a_watch_passes() {
    let v = check(Recipe::SimpleLock, &simple_lock(56).history());
    assert_eq!(v.violation, None);
    assert!(v.exceptions.is_empty());
    for mark in [
        "lock-acquired",
        "lock-handed-off",
        "lock-watch-fired",
        "lock-contended",
    ] {
        assert!(v.marks.contains(mark), "{mark} missing: {:?}", v.marks);
    }
}

#[test]
fn two_simple_lock_holders_at_once_are_a_violation() {
    // C2's create returns at 35 while C1 holds until its delete at 50.
    let v = check(Recipe::SimpleLock, &simple_lock(30).history());
    let found = v.violation.expect("an overlap");
    assert!(
        found.message.contains("C1 and C2 both held the lock"),
        "{}",
        found.message
    );
    assert_eq!(found.at_us, 35);
}

#[test]
fn a_holder_whose_session_expired_is_the_documented_exception() {
    // C1 holds from 5; its session expires and C2 takes the lock at 45; C1 hears of the
    // expiry at 80 (when it reaches the service again).
    let h = Build::default()
        .notice(1, 0, Notice::Connected { session: 1 })
        .notice(2, 0, Notice::Connected { session: 2 })
        .op(1, 0, lock_create("C1.1"), created("/lock", 1))
        .op(2, 40, lock_create("C2.1"), created("/lock", 3))
        .notice(1, 80, Notice::Expired { session: 1 })
        .history();
    let v = check(Recipe::SimpleLock, &h);
    assert_eq!(v.violation, None, "expiry is not a plain violation");
    assert_eq!(v.exceptions.len(), 1, "nor a pass");
    let msg = &v.exceptions[0].message;
    assert!(
        msg.contains("documented exception") && msg.contains("C1's session expired"),
        "{msg}"
    );
    assert!(v.marks.contains("lock-holder-expired"));
    // Without the expiry it is a plain violation.
    let h = Build::default()
        .notice(1, 0, Notice::Connected { session: 1 })
        .op(1, 0, lock_create("C1.1"), created("/lock", 1))
        .op(2, 40, lock_create("C2.1"), created("/lock", 3))
        .history();
    assert!(check(Recipe::SimpleLock, &h).violation.is_some());
}

fn children(names: &[&str]) -> Ret {
    Ret::Children {
        children: names.iter().map(|&s| s.into()).collect(),
        stat: stat(1),
        zxid: 0,
    }
}

fn list(parent: &str) -> Op {
    Op::GetChildren {
        path: parent.into(),
        watch: false,
    }
}

/// C1 and C2 queue under `parent`; C1 is first and releases at 50; C2 watches C1's znode and
/// lists again when woken; `c2_list` is what C2's second listing (at 60) shows.
fn queue(parent: &str, c2_second_list_at: u64) -> History {
    let (a, b) = ("C1.1-0000000000", "C2.1-0000000001");
    let p = |n: &str| format!("{parent}/{n}");
    let eph = CreateMode::EphemeralSequential;
    Build::default()
        .op(1, 0, create(&p("C1.1-"), "C1", eph), created(&p(a), 2))
        .op(2, 2, create(&p("C2.1-"), "C2", eph), created(&p(b), 3))
        .op(1, 10, list(parent), children(&[b, a]))
        .op(2, 12, list(parent), children(&[a, b]))
        .op(
            2,
            20,
            Op::Exists {
                path: p(a).into(),
                watch: true,
            },
            Ret::Stat {
                stat: Some(stat(2)),
                zxid: 3,
            },
        )
        .op(1, 50, delete(&p(a)), Ret::Deleted { zxid: 4 })
        .watch(2, 55, &p(a))
        .op(2, c2_second_list_at, list(parent), children(&[b]))
        .history()
}

#[test]
fn the_scalable_lock_passes_to_the_next_in_line() {
    let v = check(Recipe::ScalableLock, &queue("/locks", 60));
    assert_eq!(v.violation, None);
    assert!(v.marks.contains("lock-handed-off") && v.marks.contains("lock-watch-fired"));
}

#[test]
fn a_listing_that_puts_a_second_client_first_while_one_holds_is_a_violation() {
    let v = check(Recipe::ScalableLock, &queue("/locks", 30));
    let found = v.violation.expect("an overlap");
    assert!(found.message.contains("C1 and C2 both held the lock"));
}

#[test]
fn election_has_one_leader_at_a_time() {
    let v = check(Recipe::Election, &queue("/election", 60));
    assert_eq!(v.violation, None);
    assert!(v.marks.contains("election-leader-changed"));
    let v = check(Recipe::Election, &queue("/election", 30));
    let found = v.violation.expect("two leaders");
    assert!(found.checker.contains("one leader at a time"));
    assert!(found.message.contains("both held leadership"));
}

/// The writer (C1) publishes version 1 (/ready created by zxid 10) and, after 100, deletes
/// /ready and writes version 2; the reader (C2) sees /ready and reads key k0, which shows
/// `first`, then reads it again at 200 (`second`), after the watch fired at `watch_at`.
fn ready(first: &str, second: &str, watch_at: u64) -> History {
    let read = |c: usize, at: u64, v: &str| {
        let op = Op::GetData {
            path: "/config/k0".into(),
            watch: false,
        };
        let out = Ret::Data {
            data: v.into(),
            stat: stat(1),
            zxid: 0,
        };
        (c, at, op, out)
    };
    let mut b = Build::default()
        .op(
            1,
            0,
            create("/ready", "v1", CreateMode::Persistent),
            created("/ready", 10),
        )
        .op(1, 100, delete("/ready"), Ret::Deleted { zxid: 11 })
        .op(
            2,
            20,
            Op::Exists {
                path: "/ready".into(),
                watch: true,
            },
            Ret::Stat {
                stat: Some(stat(10)),
                zxid: 10,
            },
        )
        .watch(2, watch_at, "/ready");
    for (c, at, op, out) in [read(2, 30, first), read(2, 200, second)] {
        b = b.op(c, at, op, out);
    }
    b.history()
}

#[test]
fn a_reader_that_saw_ready_sees_its_configuration() {
    let v = check(Recipe::Ready, &ready("v1", "v2", 150));
    assert_eq!(v.violation, None);
    assert!(v.marks.contains("ready-config-read") && v.marks.contains("ready-watch-fired"));
}

#[test]
fn an_older_value_after_ready_breaks_the_pattern() {
    let v = check(Recipe::Ready, &ready("v0", "v2", 150));
    let found = v.violation.expect("a stale key");
    assert!(
        found.message.contains("at version 0") && found.message.contains("not all visible"),
        "{}",
        found.message
    );
}

#[test]
fn a_newer_value_before_the_watch_fires_breaks_the_watch_order() {
    // The watch arrives at 250, after the read at 200 already showed version 2.
    let v = check(Recipe::Ready, &ready("v1", "v2", 250));
    let found = v.violation.expect("a read ahead of the watch");
    assert!(
        found.message.contains("before its watch on /ready fired"),
        "{}",
        found.message
    );
}

fn increment(c: usize, at: u64, value: i64, out: Ret) -> Build {
    let op = Op::SetData {
        path: "/counter".into(),
        data: value.to_string().into(),
        version: Some(value as u32 - 1),
    };
    Build::default().op(c, at, op, out)
}

fn set_ok(zxid: u64) -> Ret {
    Ret::Stat {
        stat: Some(stat(1)),
        zxid,
    }
}

fn merge(parts: Vec<Build>) -> History {
    let mut all = Build::default();
    for p in parts {
        all.ops.extend(p.ops);
    }
    all.history()
}

#[test]
fn the_counter_counts_each_acknowledged_increment_once() {
    let ok = merge(vec![
        Build::default().op(
            1,
            0,
            create("/counter", "0", CreateMode::Persistent),
            created("/counter", 1),
        ),
        increment(1, 10, 1, set_ok(2)),
        increment(2, 12, 1, error(ZkError::BadVersion)),
        increment(2, 30, 2, set_ok(3)),
    ]);
    let v = check(Recipe::Counter, &ok);
    assert_eq!(v.violation, None);
    assert!(v.marks.contains("counter-retried") && v.marks.contains("counter-incremented"));
    // Both clients' increments acknowledged as writing 1: one was lost.
    let lost = merge(vec![
        Build::default().op(
            1,
            0,
            create("/counter", "0", CreateMode::Persistent),
            created("/counter", 1),
        ),
        increment(1, 10, 1, set_ok(2)),
        increment(2, 12, 1, set_ok(3)),
    ]);
    assert!(check(Recipe::Counter, &lost).violation.is_some());
}
