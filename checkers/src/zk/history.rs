//! A ZooKeeper history as the checkers read it: splitbrain's JSON history (schema 2, model
//! `zookeeper`) with its ZooKeeper operations, their replies and the clients' notices. The
//! types mirror the file format field for field; they are the checkers' own (this crate
//! depends on no other splitbrain crate).

use serde::Deserialize;
use std::borrow::Cow;

/// A string of a history: owned when read from a file, borrowed when a run hands its
/// history over in memory (no copy of every path and value per check).
pub type Text<'a> = Cow<'a, str>;

/// A znode's stat as a reply reports it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stat {
    pub czxid: u64,
    pub mzxid: u64,
    pub pzxid: u64,
    pub version: u32,
    pub cversion: u32,
    pub ephemeral_owner: Option<u64>,
}

/// How `create` makes its znode.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Persistent,
    Ephemeral,
    Sequential,
    EphemeralSequential,
}

impl Mode {
    pub fn is_ephemeral(self) -> bool {
        matches!(self, Mode::Ephemeral | Mode::EphemeralSequential)
    }

    pub fn is_sequential(self) -> bool {
        matches!(self, Mode::Sequential | Mode::EphemeralSequential)
    }
}

/// ZooKeeper's error names.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
pub enum ZkError {
    NodeExists,
    NoNode,
    BadVersion,
    NotEmpty,
    NoChildrenForEphemerals,
}

/// A step of `multi`, or a single write.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "f", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Step<'a> {
    Create {
        path: Text<'a>,
        data: Text<'a>,
        mode: Mode,
    },
    Delete {
        path: Text<'a>,
        version: Option<u32>,
    },
    SetData {
        path: Text<'a>,
        data: Text<'a>,
        version: Option<u32>,
    },
    Check {
        path: Text<'a>,
        version: u32,
    },
}

impl Step<'_> {
    /// This step with its strings borrowed from it.
    pub fn borrowed(&self) -> Step<'_> {
        match self {
            Step::Create { path, data, mode } => Step::Create {
                path: Cow::Borrowed(path),
                data: Cow::Borrowed(data),
                mode: *mode,
            },
            Step::Delete { path, version } => Step::Delete {
                path: Cow::Borrowed(path),
                version: *version,
            },
            Step::SetData {
                path,
                data,
                version,
            } => Step::SetData {
                path: Cow::Borrowed(path),
                data: Cow::Borrowed(data),
                version: *version,
            },
            Step::Check { path, version } => Step::Check {
                path: Cow::Borrowed(path),
                version: *version,
            },
        }
    }
}

/// A ZooKeeper call.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "f", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Call<'a> {
    Create {
        path: Text<'a>,
        data: Text<'a>,
        mode: Mode,
    },
    Delete {
        path: Text<'a>,
        version: Option<u32>,
    },
    Exists {
        path: Text<'a>,
        watch: bool,
    },
    GetData {
        path: Text<'a>,
        watch: bool,
    },
    SetData {
        path: Text<'a>,
        data: Text<'a>,
        version: Option<u32>,
    },
    GetChildren {
        path: Text<'a>,
        watch: bool,
    },
    Sync {
        path: Text<'a>,
    },
    Multi {
        ops: Vec<Step<'a>>,
    },
}

impl<'a> Call<'a> {
    /// The steps of a write request (one for a single write), borrowing this call's
    /// strings; `None` for reads and sync.
    pub fn steps(&self) -> Option<Vec<Step<'_>>> {
        let mut steps = Vec::new();
        self.push_steps(&mut steps).then_some(steps)
    }

    /// Appends the steps of a write request to `steps` (as [`Call::steps`] gives them);
    /// false, appending nothing, for reads and sync.
    pub fn push_steps<'s>(&'s self, steps: &mut Vec<Step<'s>>) -> bool {
        match self {
            Call::Create { path, data, mode } => steps.push(Step::Create {
                path: Cow::Borrowed(path),
                data: Cow::Borrowed(data),
                mode: *mode,
            }),
            Call::Delete { path, version } => steps.push(Step::Delete {
                path: Cow::Borrowed(path),
                version: *version,
            }),
            Call::SetData {
                path,
                data,
                version,
            } => steps.push(Step::SetData {
                path: Cow::Borrowed(path),
                data: Cow::Borrowed(data),
                version: *version,
            }),
            Call::Multi { ops } => steps.extend(ops.iter().map(Step::borrowed)),
            Call::Exists { .. }
            | Call::GetData { .. }
            | Call::GetChildren { .. }
            | Call::Sync { .. } => return false,
        }
        true
    }

    /// True for a write request (one with steps), without building the steps.
    pub fn is_write(&self) -> bool {
        matches!(
            self,
            Call::Create { .. } | Call::Delete { .. } | Call::SetData { .. } | Call::Multi { .. }
        )
    }

    /// The watch this call sets, if any: (path, what it watches).
    pub fn watch(&self) -> Option<(&str, WatchOn)> {
        match self {
            Call::Exists { path, watch: true } => Some((path, WatchOn::Exists)),
            Call::GetData { path, watch: true } => Some((path, WatchOn::Data)),
            Call::GetChildren { path, watch: true } => Some((path, WatchOn::Children)),
            _ => None,
        }
    }
}

/// What a watch set by a read looks for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum WatchOn {
    /// `exists`: creation, data change or deletion.
    Exists,
    /// `get-data`: data change or deletion.
    Data,
    /// `get-children`: a child created or deleted, or the znode deleted.
    Children,
}

/// The result of one step of a `multi` that took effect.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "r", rename_all = "kebab-case", deny_unknown_fields)]
pub enum StepResult<'a> {
    Created { path: Text<'a> },
    Deleted,
    Stat { stat: Stat },
    Checked,
}

/// A ZooKeeper reply.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "r", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Reply<'a> {
    Created {
        path: Text<'a>,
        zxid: u64,
    },
    Deleted {
        zxid: u64,
    },
    Stat {
        stat: Option<Stat>,
        zxid: u64,
    },
    Data {
        data: Text<'a>,
        stat: Stat,
        zxid: u64,
    },
    Children {
        children: Cow<'a, [String]>,
        stat: Stat,
        zxid: u64,
    },
    Synced {
        zxid: u64,
    },
    Multi {
        results: Vec<StepResult<'a>>,
        zxid: u64,
    },
    Error {
        error: ZkError,
        zxid: u64,
        #[serde(default)]
        step: Option<u32>,
    },
}

impl Reply<'_> {
    pub fn zxid(&self) -> u64 {
        match self {
            Reply::Created { zxid, .. }
            | Reply::Deleted { zxid }
            | Reply::Stat { zxid, .. }
            | Reply::Data { zxid, .. }
            | Reply::Children { zxid, .. }
            | Reply::Synced { zxid }
            | Reply::Multi { zxid, .. }
            | Reply::Error { zxid, .. } => *zxid,
        }
    }
}

/// How an operation ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Ok,
    Fail,
    Indeterminate,
}

/// One client operation.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZkOp<'a> {
    pub client: Text<'a>,
    pub call_us: u64,
    pub ret_us: Option<u64>,
    pub status: Status,
    pub op: Call<'a>,
    pub out: Option<Reply<'a>>,
}

impl<'a> ZkOp<'a> {
    /// The reply of an operation that returned one.
    pub fn reply(&self) -> Option<&Reply<'a>> {
        match self.status {
            Status::Ok => self.out.as_ref(),
            Status::Fail | Status::Indeterminate => None,
        }
    }
}

/// What changed about a watched znode.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub enum WatchKind {
    NodeCreated,
    NodeDeleted,
    NodeDataChanged,
    NodeChildrenChanged,
}

/// A notice a client heard outside any operation.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "n", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Notice<'a> {
    Watch {
        path: Text<'a>,
        kind: WatchKind,
        zxid: u64,
    },
    Connected {
        session: u64,
    },
    Expired {
        session: u64,
    },
}

/// A notice in a client's history: after the first `ops_ended` of its operations ended.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZkNotice<'a> {
    pub client: Text<'a>,
    pub at_us: u64,
    pub ops_ended: u64,
    pub notice: Notice<'a>,
}

/// A whole ZooKeeper history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ZkHistory<'a> {
    pub schema_version: u32,
    pub model: String,
    pub ops: Vec<ZkOp<'a>>,
    #[serde(default)]
    pub notices: Vec<ZkNotice<'a>>,
}

/// A ZooKeeper history file that cannot be read: names the file, line and field.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: field `{field}`: {message}")]
pub struct ZkReadError {
    pub file: String,
    pub line: usize,
    pub field: String,
    pub message: String,
}

/// Reads a ZooKeeper history from JSON text; `file` names it in errors. Schema 1 had no
/// ZooKeeper operations, so only schema 2 is a ZooKeeper history.
pub fn read_zk_history(text: &str, file: &str) -> Result<ZkHistory<'static>, ZkReadError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let h: ZkHistory<'static> = serde_path_to_error::deserialize(de).map_err(|e| ZkReadError {
        file: file.to_string(),
        line: e.inner().line(),
        field: e.path().to_string(),
        message: e.inner().to_string(),
    })?;
    let bad = |field: &str, message: String| ZkReadError {
        file: file.to_string(),
        line: 1,
        field: field.to_string(),
        message,
    };
    if h.schema_version != 2 {
        return Err(bad(
            "schema_version",
            format!(
                "version {} has no ZooKeeper operations (ZooKeeper histories are schema 2)",
                h.schema_version
            ),
        ));
    }
    if h.model != "zookeeper" {
        return Err(bad(
            "model",
            format!("`{}` is not a ZooKeeper history (model zookeeper)", h.model),
        ));
    }
    Ok(h)
}
