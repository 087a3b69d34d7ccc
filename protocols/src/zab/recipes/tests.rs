//! Each program driven by hand: the calls it makes for the answers and notices it gets.

use super::*;
use splitbrain_api::{CreateMode, Stat, WatchKind, ZkError};

fn params(rounds: u64) -> RecipeParams {
    RecipeParams {
        rounds: Some(rounds),
        hold_us: 1_000,
        keys: 2,
        recheck_us: None,
    }
}

fn stat(version: u32) -> Stat {
    Stat {
        czxid: 1,
        mzxid: 1,
        pzxid: 1,
        version,
        cversion: 0,
        ephemeral_owner: None,
    }
}

fn error(error: ZkError) -> Ret {
    Ret::Error {
        error,
        zxid: 1,
        step: None,
    }
}

/// Makes the program's next call, checks it, and answers it with `ret`.
fn answer(p: &mut dyn Program, expect: &Op, ret: Option<Ret>, now: u64) {
    let call = p.next_call().expect("a call");
    assert_eq!(&call, expect);
    let end = ret.as_ref().map_or(Ended::Unknown, Ended::Ok);
    p.on_end(&call, end, now);
}

fn watch_event(path: &str) -> Notice {
    Notice::Watch {
        path: path.into(),
        kind: WatchKind::NodeDeleted,
        zxid: 9,
    }
}

#[test]
fn the_counter_reads_again_after_bad_version_and_stops_after_its_rounds() {
    let mut p = Recipe::Counter.program(0, params(1));
    let path = || "/counter".to_string();
    let create = Op::Create {
        path: path().into(),
        data: "0".into(),
        mode: CreateMode::Persistent,
    };
    answer(&mut *p, &create, Some(error(ZkError::NodeExists)), 1);
    let read = Op::GetData {
        path: path().into(),
        watch: false,
    };
    let data = |n: &str, v| Ret::Data {
        data: n.into(),
        stat: stat(v),
        zxid: 1,
    };
    answer(&mut *p, &read, Some(data("4", 4)), 2);
    let write = |n: &str, v| Op::SetData {
        path: path().into(),
        data: n.into(),
        version: Some(v),
    };
    answer(&mut *p, &write("5", 4), Some(error(ZkError::BadVersion)), 3);
    answer(&mut *p, &read, Some(data("5", 5)), 4);
    let ok = Ret::Stat {
        stat: Some(stat(6)),
        zxid: 2,
    };
    answer(&mut *p, &write("6", 5), Some(ok), 5);
    assert_eq!(p.next_call(), None, "one round only");
}

#[test]
fn a_simple_lock_loser_waits_for_the_watch_then_tries_again() {
    let mut p = Recipe::SimpleLock.program(1, params(1));
    let create = |token: &str| Op::Create {
        path: "/lock".into(),
        data: token.into(),
        mode: CreateMode::Ephemeral,
    };
    answer(
        &mut *p,
        &create("C2.1"),
        Some(error(ZkError::NodeExists)),
        1,
    );
    let read = Op::GetData {
        path: "/lock".into(),
        watch: true,
    };
    let held_by = Ret::Data {
        data: "C1.1".into(),
        stat: stat(0),
        zxid: 1,
    };
    answer(&mut *p, &read, Some(held_by), 2);
    assert_eq!(p.next_call(), None, "waits for the watch");
    assert!(!p.on_notice(&watch_event("/other"), 3));
    assert!(p.on_notice(&watch_event("/lock"), 4), "the watch wakes it");
    let created = Ret::Created {
        path: "/lock".into(),
        zxid: 3,
    };
    answer(&mut *p, &create("C2.1"), Some(created), 5);
    assert_eq!(p.not_before(), Some(1_005), "holds for hold_us");
    let delete = Op::Delete {
        path: "/lock".into(),
        version: None,
    };
    answer(&mut *p, &delete, Some(Ret::Deleted { zxid: 4 }), 1_006);
    assert_eq!(p.next_call(), None);
}

#[test]
fn an_indeterminate_create_is_checked_by_reading_the_lock() {
    let mut p = Recipe::SimpleLock.program(0, params(1));
    let create = Op::Create {
        path: "/lock".into(),
        data: "C1.1".into(),
        mode: CreateMode::Ephemeral,
    };
    answer(&mut *p, &create, None, 1);
    let read = Op::GetData {
        path: "/lock".into(),
        watch: true,
    };
    let mine = Ret::Data {
        data: "C1.1".into(),
        stat: stat(0),
        zxid: 1,
    };
    answer(&mut *p, &read, Some(mine), 2);
    assert_eq!(p.not_before(), Some(1_002), "it was its own: held");
}

#[test]
fn a_scalable_lock_waiter_watches_only_the_next_lower_znode() {
    let mut p = Recipe::ScalableLock.program(2, params(1));
    let parent = Op::Create {
        path: "/locks".into(),
        data: String::new().into(),
        mode: CreateMode::Persistent,
    };
    answer(&mut *p, &parent, Some(error(ZkError::NodeExists)), 1);
    let enqueue = Op::Create {
        path: "/locks/C3.1-".into(),
        data: "C3".into(),
        mode: CreateMode::EphemeralSequential,
    };
    let mine = Ret::Created {
        path: "/locks/C3.1-0000000007".into(),
        zxid: 2,
    };
    answer(&mut *p, &enqueue, Some(mine), 2);
    let list = Op::GetChildren {
        path: "/locks".into(),
        watch: false,
    };
    let queue = Ret::Children {
        children: vec![
            "C3.1-0000000007".into(),
            "C1.1-0000000003".into(),
            "C2.1-0000000005".into(),
        ],
        stat: stat(0),
        zxid: 2,
    };
    answer(&mut *p, &list, Some(queue), 3);
    let watch = Op::Exists {
        path: "/locks/C2.1-0000000005".into(),
        watch: true,
    };
    let there = Ret::Stat {
        stat: Some(stat(0)),
        zxid: 2,
    };
    answer(&mut *p, &watch, Some(there), 4);
    assert_eq!(p.next_call(), None, "waits");
    assert!(p.on_notice(&watch_event("/locks/C2.1-0000000005"), 5));
    let alone = Ret::Children {
        children: vec!["C3.1-0000000007".into()],
        stat: stat(0),
        zxid: 3,
    };
    answer(&mut *p, &list, Some(alone), 6);
    assert_eq!(p.not_before(), Some(1_006), "first in line: held");
}

#[test]
fn an_ending_from_before_session_expiry_is_not_passed_on() {
    let mut p = Recipe::SimpleLock.program(0, params(2));
    let call = p.next_call().expect("create");
    assert!(p.on_notice(&Notice::Expired { session: 1 }, 1));
    let created = Ret::Created {
        path: "/lock".into(),
        zxid: 3,
    };
    p.on_end(&call, Ended::Ok(&created), 2);
    assert_eq!(
        p.not_before(),
        None,
        "not held: that create was the old session's"
    );
    assert!(matches!(p.next_call(), Some(Op::Create { .. })));
}

#[test]
fn a_ready_reader_reads_the_configuration_only_once_ready_exists() {
    let mut p = Recipe::Ready.program(1, params(1));
    let check = Op::Exists {
        path: "/ready".into(),
        watch: true,
    };
    let absent = Ret::Stat {
        stat: None,
        zxid: 1,
    };
    answer(&mut *p, &check, Some(absent), 1);
    assert_eq!(p.next_call(), None, "waits for /ready");
    assert!(p.on_notice(&watch_event("/ready"), 2));
    let present = Ret::Stat {
        stat: Some(stat(0)),
        zxid: 2,
    };
    answer(&mut *p, &check, Some(present), 3);
    for k in 0..2 {
        let read = Op::GetData {
            path: config_key(k).into(),
            watch: false,
        };
        let value = Ret::Data {
            data: version_value(1).into(),
            stat: stat(1),
            zxid: 2,
        };
        answer(&mut *p, &read, Some(value), 4);
    }
    assert_eq!(p.next_call(), None, "one full read");
}

#[test]
fn the_ready_writer_hides_ready_while_it_rewrites_the_configuration() {
    let mut p = Recipe::Ready.program(0, params(1));
    let mut calls = Vec::new();
    while let Some(call) = p.next_call() {
        let ret = Ret::Done;
        p.on_end(&call, Ended::Ok(&ret), 10);
        calls.push(call.label());
    }
    let delete_ready = calls.iter().position(|c| c.starts_with("delete /ready"));
    let create_ready = calls.iter().position(|c| c.starts_with("create /ready"));
    let writes: Vec<usize> = (0..calls.len())
        .filter(|&i| calls[i].starts_with("set-data /config"))
        .collect();
    assert_eq!(writes.len(), 2, "{calls:?}");
    assert!(
        delete_ready < Some(writes[0]) && create_ready > Some(writes[1]),
        "{calls:?}"
    );
}
