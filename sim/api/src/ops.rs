//! Client operations and their results: the vocabulary of recorded histories.
//!
//! The JSON shape (`{"f": "put", "key": .., "value": ..}`, `{"r": "value", ..}`) is the one the
//! checkers read back, so it is part of the file format and changes only with a schema bump.
//! History schema 2 added the ZooKeeper operations and results (types in [`crate::zk`]);
//! every schema-1 operation reads the same in schema 2.

use crate::text::Text;
use crate::zk::{self, CreateMode, MultiOp, MultiResult, Stat, ZkError};
use serde::{Deserialize, Serialize};

/// An operation a client asks a replicated service to perform.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "f", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Op {
    /// Key-value read.
    Get { key: Text },
    /// Key-value blind write.
    Put { key: Text, value: Text },
    /// Key-value append to the current string (missing = empty).
    Append { key: Text, value: Text },
    /// Key-value compare-and-set; missing compares as `null`.
    Cas {
        key: Text,
        from: Option<Text>,
        to: Text,
    },
    /// Write-once register (Basic Paxos): propose `value` for `key`; returns the value chosen
    /// (`Ret::Value`), which is `value` only if this proposal won.
    Propose { key: Text, value: Text },
    /// Test-and-set on a lock: true for the one client that wins it.
    Acquire { lock: u64 },
    /// Gives a held lock back.
    Release { lock: u64 },
    /// ZooKeeper: creates `path` (a sequential mode appends the parent's next sequence
    /// number); returns `Ret::Created` with the path made.
    Create {
        path: Text,
        data: Text,
        mode: CreateMode,
    },
    /// ZooKeeper: deletes `path` if it has `version` (`None`: any version) and no children.
    Delete { path: Text, version: Option<u32> },
    /// ZooKeeper: the stat of `path`, or `None` (`Ret::Stat`); `watch` sets a one-shot watch
    /// for its creation, deletion or data change.
    Exists { path: Text, watch: bool },
    /// ZooKeeper: data and stat of `path` (`Ret::Data`); `watch` watches deletion and data
    /// changes.
    GetData { path: Text, watch: bool },
    /// ZooKeeper: sets the data of `path` if it has `version` (`None`: any version); returns
    /// the new stat (`Ret::Stat`).
    SetData {
        path: Text,
        data: Text,
        version: Option<u32>,
    },
    /// ZooKeeper: the names of the children of `path` (`Ret::Children`); `watch` watches
    /// child creation and deletion and the znode's own deletion.
    GetChildren { path: Text, watch: bool },
    /// ZooKeeper: the connected server catches up with the leader (`Ret::Synced`); the next
    /// read sees every write committed before the sync began.
    Sync { path: Text },
    /// ZooKeeper: every step in one transaction, or none (`Ret::Multi`, or `Ret::Error`
    /// naming the step that failed).
    Multi { ops: Vec<MultiOp> },
}

/// What a completed operation returned.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "r", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Ret {
    /// A read's value (`None` = key absent).
    Value { value: Option<String> },
    /// A write took effect.
    Done,
    /// A conditional operation's outcome (cas applied, lock acquired).
    Bool { value: bool },
    /// ZooKeeper `create`: the path made (with its sequence suffix) by transaction `zxid`.
    Created { path: Text, zxid: u64 },
    /// ZooKeeper `delete` took effect as transaction `zxid`.
    Deleted { zxid: u64 },
    /// ZooKeeper `exists` (`None`: no such znode) or `set-data` (the stat after the write).
    Stat { stat: Option<Stat>, zxid: u64 },
    /// ZooKeeper `get-data`.
    Data { data: Text, stat: Stat, zxid: u64 },
    /// ZooKeeper `get-children`: the child names (any order) and the parent's stat.
    Children {
        children: Vec<Text>,
        stat: Stat,
        zxid: u64,
    },
    /// ZooKeeper `sync`: the server had applied every transaction up to `zxid`.
    Synced { zxid: u64 },
    /// ZooKeeper `multi` took effect as transaction `zxid`: one result per step.
    Multi {
        results: Vec<MultiResult>,
        zxid: u64,
    },
    /// ZooKeeper error; `step` names the failing step of a `multi` (0-based). `zxid` is the
    /// state the error was decided against.
    Error {
        error: ZkError,
        zxid: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<u32>,
    },
}

impl Op {
    /// The key or lock this operation touches, for partitioning and display.
    pub fn key_label(&self) -> String {
        match self {
            Op::Get { key }
            | Op::Put { key, .. }
            | Op::Append { key, .. }
            | Op::Cas { key, .. }
            | Op::Propose { key, .. } => key.to_string(),
            Op::Acquire { lock } | Op::Release { lock } => format!("lock{lock}"),
            Op::Create { path, .. }
            | Op::Delete { path, .. }
            | Op::Exists { path, .. }
            | Op::GetData { path, .. }
            | Op::SetData { path, .. }
            | Op::GetChildren { path, .. }
            | Op::Sync { path } => path.to_string(),
            Op::Multi { .. } => "multi".to_string(),
        }
    }

    /// True for a ZooKeeper operation (the `zookeeper` history model).
    pub fn is_zookeeper(&self) -> bool {
        matches!(
            self,
            Op::Create { .. }
                | Op::Delete { .. }
                | Op::Exists { .. }
                | Op::GetData { .. }
                | Op::SetData { .. }
                | Op::GetChildren { .. }
                | Op::Sync { .. }
                | Op::Multi { .. }
        )
    }

    /// A short label such as `put k1=x` for timelines.
    pub fn label(&self) -> String {
        match self {
            Op::Get { key } => format!("get {key}"),
            Op::Put { key, value } => format!("put {key}={value}"),
            Op::Append { key, value } => format!("append {key}+={value}"),
            Op::Cas { key, from, to } => format!("cas {key} {from:?}->{to}"),
            Op::Propose { key, value } => format!("propose {key}:={value}"),
            Op::Acquire { lock } => format!("acquire lock{lock}"),
            Op::Release { lock } => format!("release lock{lock}"),
            Op::Create { path, data, mode } => zk::create_label(path, data, *mode),
            Op::Delete { path, version } => {
                format!("delete {path}{}", zk::version_label(version))
            }
            Op::Exists { path, watch } => format!("exists {path}{}", watch_label(*watch)),
            Op::GetData { path, watch } => format!("get-data {path}{}", watch_label(*watch)),
            Op::SetData {
                path,
                data,
                version,
            } => format!("set-data {path}={data}{}", zk::version_label(version)),
            Op::GetChildren { path, watch } => {
                format!("get-children {path}{}", watch_label(*watch))
            }
            Op::Sync { path } => format!("sync {path}"),
            Op::Multi { ops } => {
                let steps: Vec<String> = ops.iter().map(MultiOp::label).collect();
                format!("multi [{}]", steps.join("; "))
            }
        }
    }
}

fn watch_label(watch: bool) -> &'static str {
    if watch {
        " (watch)"
    } else {
        ""
    }
}

impl Ret {
    pub fn label(&self) -> String {
        match self {
            Ret::Value { value: Some(v) } => format!("={v}"),
            Ret::Value { value: None } => "=nil".to_string(),
            Ret::Done => "ok".to_string(),
            Ret::Bool { value } => format!("{value}"),
            Ret::Created { path, zxid } => format!("{path} @{}", zk::zxid_label(*zxid)),
            Ret::Deleted { zxid } => format!("deleted @{}", zk::zxid_label(*zxid)),
            Ret::Stat { stat: None, zxid } => format!("none @{}", zk::zxid_label(*zxid)),
            Ret::Stat {
                stat: Some(stat),
                zxid,
            } => format!("{} @{}", zk::stat_label(stat), zk::zxid_label(*zxid)),
            Ret::Data { data, stat, zxid } => {
                format!(
                    "={data} {} @{}",
                    zk::stat_label(stat),
                    zk::zxid_label(*zxid)
                )
            }
            Ret::Children { children, zxid, .. } => {
                format!("[{}] @{}", children.join(" "), zk::zxid_label(*zxid))
            }
            Ret::Synced { zxid } => format!("synced @{}", zk::zxid_label(*zxid)),
            Ret::Multi { results, zxid } => {
                let parts: Vec<String> = results.iter().map(MultiResult::label).collect();
                format!("[{}] @{}", parts.join("; "), zk::zxid_label(*zxid))
            }
            Ret::Error { error, zxid, step } => {
                let at = step.map_or(String::new(), |s| format!(" (step {s})"));
                format!("{}{at} @{}", error.word(), zk::zxid_label(*zxid))
            }
        }
    }

    /// The zxid a ZooKeeper reply reflects; `None` for other services' results.
    pub fn zxid(&self) -> Option<u64> {
        match self {
            Ret::Value { .. } | Ret::Done | Ret::Bool { .. } => None,
            Ret::Created { zxid, .. }
            | Ret::Deleted { zxid }
            | Ret::Stat { zxid, .. }
            | Ret::Data { zxid, .. }
            | Ret::Children { zxid, .. }
            | Ret::Synced { zxid }
            | Ret::Multi { zxid, .. }
            | Ret::Error { zxid, .. } => Some(*zxid),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zk::{Notice, WatchKind};

    fn stat(version: u32) -> Stat {
        Stat {
            czxid: 0x1_0000_0002,
            mzxid: 0x1_0000_0005,
            pzxid: 0x1_0000_0002,
            version,
            cversion: 0,
            ephemeral_owner: None,
        }
    }

    /// The JSON of ZooKeeper operations and results is the history file format: pinned.
    #[test]
    fn zookeeper_operations_have_the_documented_json_shape() {
        let cases: Vec<(Op, &str)> = vec![
            (
                Op::Create {
                    path: "/lock/n-".into(),
                    data: "".into(),
                    mode: CreateMode::EphemeralSequential,
                },
                r#"{"f":"create","path":"/lock/n-","data":"","mode":"ephemeral-sequential"}"#,
            ),
            (
                Op::Delete {
                    path: "/a".into(),
                    version: None,
                },
                r#"{"f":"delete","path":"/a","version":null}"#,
            ),
            (
                Op::GetData {
                    path: "/a".into(),
                    watch: true,
                },
                r#"{"f":"get-data","path":"/a","watch":true}"#,
            ),
            (
                Op::Multi {
                    ops: vec![
                        MultiOp::Check {
                            path: "/a".into(),
                            version: 2,
                        },
                        MultiOp::SetData {
                            path: "/a".into(),
                            data: "x".into(),
                            version: Some(2),
                        },
                    ],
                },
                r#"{"f":"multi","ops":[{"f":"check","path":"/a","version":2},{"f":"set-data","path":"/a","data":"x","version":2}]}"#,
            ),
        ];
        for (op, json) in cases {
            assert_eq!(serde_json::to_string(&op).unwrap(), json);
            assert_eq!(serde_json::from_str::<Op>(json).unwrap(), op);
            assert!(op.is_zookeeper());
        }
        let rets: Vec<(Ret, &str)> = vec![
            (
                Ret::Data {
                    data: "x".into(),
                    stat: stat(3),
                    zxid: 0x1_0000_0007,
                },
                r#"{"r":"data","data":"x","stat":{"czxid":4294967298,"mzxid":4294967301,"pzxid":4294967298,"version":3,"cversion":0,"ephemeral_owner":null},"zxid":4294967303}"#,
            ),
            (
                Ret::Error {
                    error: ZkError::BadVersion,
                    zxid: 9,
                    step: Some(1),
                },
                r#"{"r":"error","error":"BadVersion","zxid":9,"step":1}"#,
            ),
            (
                Ret::Error {
                    error: ZkError::NoNode,
                    zxid: 9,
                    step: None,
                },
                r#"{"r":"error","error":"NoNode","zxid":9}"#,
            ),
            (
                Ret::Stat {
                    stat: None,
                    zxid: 4,
                },
                r#"{"r":"stat","stat":null,"zxid":4}"#,
            ),
        ];
        for (ret, json) in rets {
            assert_eq!(serde_json::to_string(&ret).unwrap(), json);
            assert_eq!(serde_json::from_str::<Ret>(json).unwrap(), ret);
        }
        let n = Notice::Watch {
            path: "/a".into(),
            kind: WatchKind::NodeDeleted,
            zxid: 3,
        };
        let json = r#"{"n":"watch","path":"/a","kind":"NodeDeleted","zxid":3}"#;
        assert_eq!(serde_json::to_string(&n).unwrap(), json);
    }

    /// Schema-1 operations and results read exactly as before.
    #[test]
    fn schema_one_operations_still_read() {
        let op: Op = serde_json::from_str(r#"{"f":"cas","key":"k","from":null,"to":"1"}"#).unwrap();
        assert!(!op.is_zookeeper());
        let ret: Ret = serde_json::from_str(r#"{"r":"value","value":null}"#).unwrap();
        assert_eq!(ret, Ret::Value { value: None });
        assert_eq!(ret.zxid(), None);
        assert!(serde_json::from_str::<Op>(r#"{"f":"create","path":"/a"}"#).is_err());
    }

    #[test]
    fn labels_name_the_call_the_zxid_and_the_error() {
        let op = Op::SetData {
            path: "/cfg".into(),
            data: "7".into(),
            version: Some(2),
        };
        assert_eq!(op.label(), "set-data /cfg=7 v2");
        let ret = Ret::Stat {
            stat: Some(stat(3)),
            zxid: 0x1_0000_0007,
        };
        assert_eq!(ret.label(), "v3 m1:5 @1:7");
        let err = Ret::Error {
            error: ZkError::NotEmpty,
            zxid: 0x2_0000_0001,
            step: None,
        };
        assert_eq!(err.label(), "NotEmpty @2:1");
        assert_eq!(err.zxid(), Some(0x2_0000_0001));
        let create = Op::Create {
            path: "/e".into(),
            data: "d".into(),
            mode: CreateMode::Ephemeral,
        };
        assert_eq!(create.label(), "create /e=d (ephemeral)");
    }
}
