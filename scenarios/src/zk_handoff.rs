//! A run's `zookeeper` history as the ordering checker's [`ZkHistory`], built in memory
//! field for field: what `read_zk_history` would read back from the run's JSON history file
//! (a test holds the two equal), without printing and parsing it once per seed. Its strings
//! are borrowed from the run's history (and the clients' names from [`ClientNames`]), not
//! copied.

use splitbrain_api::{
    CreateMode, MultiOp, MultiResult, NodeId, Notice, Op, Ret, Stat, WatchKind, ZkError,
};
use splitbrain_checkers::zk::history as zk;
use splitbrain_checkers::zk::ZkHistory;
use splitbrain_sim::{History as RunHistory, OpStatus};
use std::borrow::Cow;

/// The name of every client of a history, written once (not once per operation). A
/// history has a handful of clients: a list searched front to back is quicker than a map.
pub struct ClientNames(Vec<(NodeId, String)>);

impl ClientNames {
    pub fn of(run: &RunHistory) -> ClientNames {
        let mut names: Vec<(NodeId, String)> = Vec::new();
        let clients = run.ops.iter().map(|o| o.client);
        for c in clients.chain(run.notices.iter().map(|n| n.client)) {
            if !names.iter().any(|(n, _)| *n == c) {
                names.push((c, c.to_string()));
            }
        }
        ClientNames(names)
    }

    fn name(&self, c: NodeId) -> Cow<'_, str> {
        let (_, name) = self.0.iter().find(|(n, _)| *n == c).expect("named in `of`");
        Cow::Borrowed(name)
    }
}

/// The checker's history; `Err` names an operation that is not a ZooKeeper operation.
pub fn to_zk<'a>(run: &'a RunHistory, names: &'a ClientNames) -> Result<ZkHistory<'a>, String> {
    let mut ops = Vec::with_capacity(run.ops.len());
    for (i, op) in run.ops.iter().enumerate() {
        let call =
            call(&op.op).ok_or_else(|| format!("ops[{i}]: {} is not ZooKeeper", op.op.label()))?;
        let out = match &op.out {
            None => None,
            Some(r) => {
                Some(reply(r).ok_or_else(|| format!("ops[{i}]: {} is not ZooKeeper", r.label()))?)
            }
        };
        ops.push(zk::ZkOp {
            client: names.name(op.client),
            call_us: op.call_us,
            ret_us: op.ret_us,
            status: match op.status {
                OpStatus::Ok => zk::Status::Ok,
                OpStatus::Fail => zk::Status::Fail,
                OpStatus::Indeterminate => zk::Status::Indeterminate,
            },
            op: call,
            out,
        });
    }
    let notices = run
        .notices
        .iter()
        .map(|n| zk::ZkNotice {
            client: names.name(n.client),
            at_us: n.at_us,
            ops_ended: n.ops_ended,
            notice: notice(&n.notice),
        })
        .collect();
    Ok(ZkHistory {
        schema_version: run.schema_version,
        model: run.model.clone(),
        ops,
        notices,
    })
}

fn mode(m: CreateMode) -> zk::Mode {
    match m {
        CreateMode::Persistent => zk::Mode::Persistent,
        CreateMode::Ephemeral => zk::Mode::Ephemeral,
        CreateMode::Sequential => zk::Mode::Sequential,
        CreateMode::EphemeralSequential => zk::Mode::EphemeralSequential,
    }
}

fn step(s: &MultiOp) -> zk::Step<'_> {
    match s {
        MultiOp::Create {
            path,
            data,
            mode: m,
        } => zk::Step::Create {
            path: path.into(),
            data: data.into(),
            mode: mode(*m),
        },
        MultiOp::Delete { path, version } => zk::Step::Delete {
            path: path.into(),
            version: *version,
        },
        MultiOp::SetData {
            path,
            data,
            version,
        } => zk::Step::SetData {
            path: path.into(),
            data: data.into(),
            version: *version,
        },
        MultiOp::Check { path, version } => zk::Step::Check {
            path: path.into(),
            version: *version,
        },
    }
}

fn call(op: &Op) -> Option<zk::Call<'_>> {
    Some(match op {
        Op::Create {
            path,
            data,
            mode: m,
        } => zk::Call::Create {
            path: path.into(),
            data: data.into(),
            mode: mode(*m),
        },
        Op::Delete { path, version } => zk::Call::Delete {
            path: path.into(),
            version: *version,
        },
        Op::Exists { path, watch } => zk::Call::Exists {
            path: path.into(),
            watch: *watch,
        },
        Op::GetData { path, watch } => zk::Call::GetData {
            path: path.into(),
            watch: *watch,
        },
        Op::SetData {
            path,
            data,
            version,
        } => zk::Call::SetData {
            path: path.into(),
            data: data.into(),
            version: *version,
        },
        Op::GetChildren { path, watch } => zk::Call::GetChildren {
            path: path.into(),
            watch: *watch,
        },
        Op::Sync { path } => zk::Call::Sync { path: path.into() },
        Op::Multi { ops } => zk::Call::Multi {
            ops: ops.iter().map(step).collect(),
        },
        _ => return None,
    })
}

fn stat(s: &Stat) -> zk::Stat {
    zk::Stat {
        czxid: s.czxid,
        mzxid: s.mzxid,
        pzxid: s.pzxid,
        version: s.version,
        cversion: s.cversion,
        ephemeral_owner: s.ephemeral_owner,
    }
}

fn error(e: ZkError) -> zk::ZkError {
    match e {
        ZkError::NodeExists => zk::ZkError::NodeExists,
        ZkError::NoNode => zk::ZkError::NoNode,
        ZkError::BadVersion => zk::ZkError::BadVersion,
        ZkError::NotEmpty => zk::ZkError::NotEmpty,
        ZkError::NoChildrenForEphemerals => zk::ZkError::NoChildrenForEphemerals,
    }
}

fn result(r: &MultiResult) -> zk::StepResult<'_> {
    match r {
        MultiResult::Created { path } => zk::StepResult::Created { path: path.into() },
        MultiResult::Deleted => zk::StepResult::Deleted,
        MultiResult::Stat { stat: s } => zk::StepResult::Stat { stat: stat(s) },
        MultiResult::Checked => zk::StepResult::Checked,
    }
}

fn reply(r: &Ret) -> Option<zk::Reply<'_>> {
    Some(match r {
        Ret::Created { path, zxid } => zk::Reply::Created {
            path: path.into(),
            zxid: *zxid,
        },
        Ret::Deleted { zxid } => zk::Reply::Deleted { zxid: *zxid },
        Ret::Stat { stat: s, zxid } => zk::Reply::Stat {
            stat: s.as_ref().map(stat),
            zxid: *zxid,
        },
        Ret::Data {
            data,
            stat: s,
            zxid,
        } => zk::Reply::Data {
            data: data.into(),
            stat: stat(s),
            zxid: *zxid,
        },
        Ret::Children {
            children,
            stat: s,
            zxid,
        } => zk::Reply::Children {
            children: zk::Names::Borrowed(children),
            stat: stat(s),
            zxid: *zxid,
        },
        Ret::Synced { zxid } => zk::Reply::Synced { zxid: *zxid },
        Ret::Multi { results, zxid } => zk::Reply::Multi {
            results: results.iter().map(result).collect(),
            zxid: *zxid,
        },
        Ret::Error {
            error: e,
            zxid,
            step,
        } => zk::Reply::Error {
            error: error(*e),
            zxid: *zxid,
            step: *step,
        },
        Ret::Value { .. } | Ret::Done | Ret::Bool { .. } => return None,
    })
}

fn notice(n: &Notice) -> zk::Notice<'_> {
    match n {
        Notice::Watch { path, kind, zxid } => zk::Notice::Watch {
            path: path.into(),
            kind: match kind {
                WatchKind::NodeCreated => zk::WatchKind::NodeCreated,
                WatchKind::NodeDeleted => zk::WatchKind::NodeDeleted,
                WatchKind::NodeDataChanged => zk::WatchKind::NodeDataChanged,
                WatchKind::NodeChildrenChanged => zk::WatchKind::NodeChildrenChanged,
            },
            zxid: *zxid,
        },
        Notice::Connected { session } => zk::Notice::Connected { session: *session },
        Notice::Expired { session } => zk::Notice::Expired { session: *session },
    }
}
