//! Hand-written ZooKeeper histories for the ordering checker's tests: operations, replies
//! and notices as JSON, checked at once. Included with `#[path]` by each test file.

#![allow(dead_code)] // Each includer uses its own part of it.

use splitbrain_checkers::zk::{check_zk_order, read_zk_history, Guarantee, ZkReport};

/// One operation: client, call and return times, the call and the reply (JSON).
pub fn op(client: &str, call: u64, ret: u64, f: &str, r: &str) -> String {
    format!(
        r#"{{"client": "{client}", "call_us": {call}, "ret_us": {ret}, "status": "ok", "op": {f}, "out": {r}}}"#
    )
}

/// An operation whose client never learned the outcome.
pub fn unfinished(client: &str, call: u64, f: &str) -> String {
    format!(
        r#"{{"client": "{client}", "call_us": {call}, "ret_us": null, "status": "indeterminate", "op": {f}, "out": null}}"#
    )
}

pub fn notice(client: &str, at: u64, ops_ended: u64, n: &str) -> String {
    format!(r#"{{"client": "{client}", "at_us": {at}, "ops_ended": {ops_ended}, "notice": {n}}}"#)
}

pub fn check(ops: &[String], notices: &[String]) -> ZkReport {
    let text = format!(
        r#"{{"schema_version": 2, "model": "zookeeper", "ops": [{}], "notices": [{}]}}"#,
        ops.join(",\n"),
        notices.join(",\n")
    );
    let h = read_zk_history(&text, "h.json").expect("a valid history");
    check_zk_order(&h)
}

pub fn stat(cz: u64, mz: u64, pz: u64, version: u32, cversion: u32) -> String {
    format!(
        r#"{{"czxid": {cz}, "mzxid": {mz}, "pzxid": {pz}, "version": {version}, "cversion": {cversion}, "ephemeral_owner": null}}"#
    )
}

pub fn create(path: &str, data: &str) -> String {
    format!(r#"{{"f": "create", "path": "{path}", "data": "{data}", "mode": "persistent"}}"#)
}

pub fn created(path: &str, z: u64) -> String {
    format!(r#"{{"r": "created", "path": "{path}", "zxid": {z}}}"#)
}

pub fn set(path: &str, data: &str) -> String {
    format!(r#"{{"f": "set-data", "path": "{path}", "data": "{data}", "version": null}}"#)
}

pub fn set_ok(st: &str, z: u64) -> String {
    format!(r#"{{"r": "stat", "stat": {st}, "zxid": {z}}}"#)
}

pub fn get(path: &str, watch: bool) -> String {
    format!(r#"{{"f": "get-data", "path": "{path}", "watch": {watch}}}"#)
}

pub fn data(d: &str, st: &str, z: u64) -> String {
    format!(r#"{{"r": "data", "data": "{d}", "stat": {st}, "zxid": {z}}}"#)
}

pub fn watch(path: &str, kind: &str, z: u64) -> String {
    format!(r#"{{"n": "watch", "path": "{path}", "kind": "{kind}", "zxid": {z}}}"#)
}

pub fn broken(r: &ZkReport) -> Vec<Guarantee> {
    r.violations.iter().map(|v| v.guarantee).collect()
}

pub fn assert_passes(r: &ZkReport) {
    assert!(r.passed(), "{:#?}", r.violations);
}

pub fn assert_breaks(r: &ZkReport, g: Guarantee) {
    assert!(
        broken(r).contains(&g),
        "expected {g:?}, got {:#?}",
        r.violations
    );
}

/// An ephemeral-sequential create under `parent` (`parent/n-` and the sequence number).
pub fn seq_eph(parent: &str) -> String {
    format!(
        r#"{{"f": "create", "path": "{parent}/n-", "data": "", "mode": "ephemeral-sequential"}}"#
    )
}

pub fn delete(path: &str) -> String {
    format!(r#"{{"f": "delete", "path": "{path}", "version": null}}"#)
}

/// `exists(path, watch: true)`.
pub fn exists_watch(path: &str) -> String {
    format!(r#"{{"f": "exists", "path": "{path}", "watch": true}}"#)
}

/// The stat of an ephemeral znode created (and never changed) at `cz`.
pub fn eph_stat(cz: u64) -> String {
    format!(
        r#"{{"czxid": {cz}, "mzxid": {cz}, "pzxid": {cz}, "version": 0, "cversion": 0, "ephemeral_owner": 99}}"#
    )
}

pub fn get_children(path: &str) -> String {
    format!(r#"{{"f": "get-children", "path": "{path}", "watch": false}}"#)
}

/// A get-children reply: `children`, the parent's stat `st`, at zxid `z`.
pub fn children(kids: &[&str], st: &str, z: u64) -> String {
    let kids: Vec<String> = kids.iter().map(|k| format!("\"{k}\"")).collect();
    format!(
        r#"{{"r": "children", "children": [{}], "stat": {st}, "zxid": {z}}}"#,
        kids.join(", ")
    )
}

pub fn expired(session: u64) -> String {
    format!(r#"{{"n": "expired", "session": {session}}}"#)
}
