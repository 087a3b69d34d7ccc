//! The ZooKeeper part of the history vocabulary: znode stat, create modes, the errors as
//! ZooKeeper names them, the sub-operations of `multi` and their results, and the notices a
//! client receives outside any operation (watch events, session changes).
//!
//! Every ZooKeeper reply carries `zxid`: the zxid of the state it reflects (the last
//! transaction applied to the tree the reply was computed from; for a write, its own zxid).
//! A ZooKeeper error is a result (`status: ok`, `{"r": "error", ..}`), not a failed operation:
//! `fail` still means the request definitely never took effect.

use crate::text::Text;
use serde::{Deserialize, Serialize};

/// How `create` makes its znode.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CreateMode {
    /// Stays until deleted.
    Persistent,
    /// Deleted when the creating session ends.
    Ephemeral,
    /// Persistent, with the parent's next sequence number (10 digits) appended to the name.
    Sequential,
    /// Ephemeral and sequential.
    EphemeralSequential,
}

impl CreateMode {
    pub fn is_ephemeral(self) -> bool {
        matches!(
            self,
            CreateMode::Ephemeral | CreateMode::EphemeralSequential
        )
    }

    pub fn is_sequential(self) -> bool {
        matches!(
            self,
            CreateMode::Sequential | CreateMode::EphemeralSequential
        )
    }

    pub fn word(self) -> &'static str {
        match self {
            CreateMode::Persistent => "persistent",
            CreateMode::Ephemeral => "ephemeral",
            CreateMode::Sequential => "sequential",
            CreateMode::EphemeralSequential => "ephemeral-sequential",
        }
    }
}

/// A znode's stat, as ZooKeeper returns it (the fields a history needs).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stat {
    /// The zxid of the transaction that created the znode.
    pub czxid: u64,
    /// The zxid of the last transaction that changed its data (its creation at first).
    pub mzxid: u64,
    /// The zxid of the last transaction that added or removed one of its children (its
    /// creation at first).
    pub pzxid: u64,
    /// Number of data changes since creation.
    pub version: u32,
    /// Number of child additions and removals since creation.
    pub cversion: u32,
    /// The session that owns an ephemeral znode; `None` for a persistent one.
    pub ephemeral_owner: Option<u64>,
}

/// The errors of the data tree, named as ZooKeeper names them.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ZkError {
    /// `create` of a path that exists.
    NodeExists,
    /// The znode (or, for `create`, its parent) does not exist.
    NoNode,
    /// A conditional `delete`, `set-data` or `check` named another version.
    BadVersion,
    /// `delete` of a znode that has children.
    NotEmpty,
    /// `create` under an ephemeral znode.
    NoChildrenForEphemerals,
}

impl ZkError {
    pub fn word(self) -> &'static str {
        match self {
            ZkError::NodeExists => "NodeExists",
            ZkError::NoNode => "NoNode",
            ZkError::BadVersion => "BadVersion",
            ZkError::NotEmpty => "NotEmpty",
            ZkError::NoChildrenForEphemerals => "NoChildrenForEphemerals",
        }
    }
}

/// One step of a `multi`: all of them take effect in one transaction, or none does.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "f", rename_all = "kebab-case", deny_unknown_fields)]
pub enum MultiOp {
    Create {
        path: Text,
        data: Text,
        mode: CreateMode,
    },
    /// `version: None` deletes whatever the version (ZooKeeper's -1).
    Delete { path: Text, version: Option<u32> },
    SetData {
        path: Text,
        data: Text,
        version: Option<u32>,
    },
    /// Fails the whole `multi` with BadVersion (or NoNode) unless `path` has `version`.
    Check { path: Text, version: u32 },
}

impl MultiOp {
    pub fn label(&self) -> String {
        match self {
            MultiOp::Create { path, data, mode } => create_label(path, data, *mode),
            MultiOp::Delete { path, version } => format!("delete {path}{}", version_label(version)),
            MultiOp::SetData {
                path,
                data,
                version,
            } => format!("set {path}={data}{}", version_label(version)),
            MultiOp::Check { path, version } => format!("check {path} v{version}"),
        }
    }
}

/// The result of one step of a `multi` that took effect.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "r", rename_all = "kebab-case", deny_unknown_fields)]
pub enum MultiResult {
    /// A `create`: the path made (with its sequence suffix).
    Created {
        path: String,
    },
    Deleted,
    /// A `set-data`: the znode's stat afterwards.
    Stat {
        stat: Stat,
    },
    Checked,
}

impl MultiResult {
    pub fn label(&self) -> String {
        match self {
            MultiResult::Created { path } => format!("created {path}"),
            MultiResult::Deleted => "deleted".to_string(),
            MultiResult::Stat { stat } => format!("v{}", stat.version),
            MultiResult::Checked => "checked".to_string(),
        }
    }
}

/// What changed about a watched znode.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum WatchKind {
    /// The znode an `exists` watch names was created.
    NodeCreated,
    /// The watched znode was deleted (fires data and child watches).
    NodeDeleted,
    /// `set-data` changed the watched znode (an `exists` or `get-data` watch).
    NodeDataChanged,
    /// A child of the watched znode was created or deleted (a `get-children` watch).
    NodeChildrenChanged,
}

/// Something a client hears outside any operation, recorded in its history in the order it
/// arrived (see the sim's `HistoryNotice`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "n", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Notice {
    /// A one-shot watch fired: the transaction `zxid` changed `path` as `kind` says.
    Watch {
        path: String,
        kind: WatchKind,
        zxid: u64,
    },
    /// The client holds session `session` from now on (a new session, or the same one
    /// moved to another server).
    Connected { session: u64 },
    /// Session `session` expired: its ephemeral znodes are gone and its watches with it.
    Expired { session: u64 },
}

impl Notice {
    pub fn label(&self) -> String {
        match self {
            Notice::Watch { path, kind, zxid } => {
                format!("watch {kind:?} {path} @{}", zxid_label(*zxid))
            }
            Notice::Connected { session } => format!("session {session:#x} connected"),
            Notice::Expired { session } => format!("session {session:#x} expired"),
        }
    }
}

/// A zxid as people read it: `epoch:counter` (`3:17` is the 17th transaction of epoch 3).
pub fn zxid_label(zxid: u64) -> String {
    format!("{}:{}", zxid >> 32, zxid & 0xffff_ffff)
}

pub(crate) fn create_label(path: &str, data: &str, mode: CreateMode) -> String {
    match mode {
        CreateMode::Persistent => format!("create {path}={data}"),
        m => format!("create {path}={data} ({})", m.word()),
    }
}

pub(crate) fn version_label(version: &Option<u32>) -> String {
    version.map_or(String::new(), |v| format!(" v{v}"))
}

pub(crate) fn stat_label(stat: &Stat) -> String {
    format!("v{} m{}", stat.version, zxid_label(stat.mzxid))
}
