//! A ZooKeeper history as the checkers read it: splitbrain's JSON history (schema 2, model
//! `zookeeper`) with its ZooKeeper operations, their replies and the clients' notices. The
//! types mirror the file format field for field; they are the checkers' own (this crate
//! depends on no other splitbrain crate).

use serde::{Deserialize, Deserializer};
use std::borrow::Cow;
use std::fmt;

use super::short::same_str;

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
        children: Names<'a>,
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

/// The child names of a `get-children` reply: owned when read from a file, borrowed when a
/// run hands its reply over in memory, in whatever string type the run keeps them (this
/// crate knows none of them), so that no list is copied per check.
#[derive(Clone)]
pub enum Names<'a> {
    Owned(Vec<String>),
    Borrowed(&'a dyn NameList),
}

/// A list of names a run's reply holds: any `Vec` of strings.
pub trait NameList {
    fn count(&self) -> usize;
    fn name(&self, i: usize) -> &str;
    /// [`Names::same_as_sorted`], compiled for the list's own string type (the replay asks
    /// it of every get-children reply; one dynamic call per list, not per name).
    fn same_as_sorted(&self, sorted: &[String]) -> bool;
}

impl<S: AsRef<str>> NameList for Vec<S> {
    fn count(&self) -> usize {
        self.len()
    }

    fn name(&self, i: usize) -> &str {
        self[i].as_ref()
    }

    fn same_as_sorted(&self, sorted: &[String]) -> bool {
        same_names(self, sorted)
    }
}

/// True if `names` (in any order) are exactly the names in `sorted`. Servers list children
/// sorted, so the copy and sort are needed only for a reply that is not: a sorted list
/// that differs differs sorted too.
fn same_names<S: AsRef<str>>(names: &[S], sorted: &[String]) -> bool {
    if names.len() != sorted.len() {
        return false;
    }
    let names = || names.iter().map(AsRef::as_ref);
    if names().zip(sorted).all(|(a, b)| same_str(a, b)) {
        return true;
    }
    if names().is_sorted() {
        return false;
    }
    let mut got: Vec<&str> = names().collect();
    got.sort_unstable();
    got.into_iter().eq(sorted.iter().map(String::as_str))
}

impl Names<'_> {
    pub fn len(&self) -> usize {
        match self {
            Names::Owned(v) => v.len(),
            Names::Borrowed(l) => l.count(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The names in the reply's order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(move |i| match self {
            Names::Owned(v) => v[i].as_str(),
            Names::Borrowed(l) => l.name(i),
        })
    }

    /// True if these names (in any order) are exactly the names in `sorted`.
    pub fn same_as_sorted(&self, sorted: &[String]) -> bool {
        match self {
            Names::Owned(v) => same_names(v, sorted),
            Names::Borrowed(l) => l.same_as_sorted(sorted),
        }
    }

    /// The names joined with `sep`, for messages.
    pub fn join(&self, sep: &str) -> String {
        self.iter().collect::<Vec<_>>().join(sep)
    }
}

impl<'a> From<Vec<String>> for Names<'a> {
    fn from(v: Vec<String>) -> Names<'a> {
        Names::Owned(v)
    }
}

impl PartialEq for Names<'_> {
    fn eq(&self, other: &Names<'_>) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Names<'_> {}

impl fmt::Debug for Names<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'de> Deserialize<'de> for Names<'_> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::deserialize(d).map(Names::Owned)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Borrowed names (in any string type) read, compare and match as the owned ones.
    #[test]
    fn borrowed_names_behave_as_owned_ones() {
        let sorted: Vec<String> = vec!["a".into(), "b".into(), "c".into()];
        let lists: [Vec<&str>; 4] = [
            vec!["a", "b", "c"],
            vec!["c", "a", "b"],
            vec!["a", "b"],
            vec!["a", "b", "d"],
        ];
        for list in &lists {
            let owned = Names::Owned(list.iter().map(|s| s.to_string()).collect());
            let borrowed = Names::Borrowed(list);
            assert_eq!(owned, borrowed);
            assert_eq!(borrowed.iter().collect::<Vec<_>>(), *list);
            assert_eq!(borrowed.join(" "), list.join(" "));
            assert_eq!(format!("{borrowed:?}"), format!("{list:?}"));
            let same = list.len() == 3 && list.contains(&"c");
            assert_eq!(owned.same_as_sorted(&sorted), same, "{list:?}");
            assert_eq!(borrowed.same_as_sorted(&sorted), same, "{list:?}");
        }
    }
}
