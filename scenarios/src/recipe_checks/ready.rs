//! The "ready" configuration pattern: after a reader's `exists /ready` (with a watch) found
//! the `/ready` of configuration version v (known by the zxid that created it, from the
//! writer's calls), each configuration key it reads must hold version v until the watch
//! fires: an older value means it did not see the whole configuration written before
//! `/ready`; a newer one means it saw the writer's next changes before the watch event that
//! announces them.

use super::{at, clients, seen_by, violation, RecipeVerdict, Seen};
use splitbrain_api::{Notice, Op, Ret};
use splitbrain_protocols::zab::recipes::{CONFIG_PATH, READY_PATH};
use splitbrain_sim::{History, OpStatus};
use std::collections::BTreeMap;

const CHECKER: &str = "ready znode: a reader that sees /ready sees the configuration before it";

/// The configuration version of each `/ready` by the zxid that created it.
fn ready_versions(history: &History) -> BTreeMap<u64, u64> {
    history
        .ops
        .iter()
        .filter(|h| h.status == OpStatus::Ok)
        .filter_map(|h| match (&h.op, &h.out) {
            (Op::Create { path, data, .. }, Some(Ret::Created { zxid, .. }))
                if path == READY_PATH =>
            {
                Some((*zxid, version_of(data)?))
            }
            _ => None,
        })
        .collect()
}

/// `v7` -> 7.
fn version_of(data: &str) -> Option<u64> {
    data.strip_prefix('v')?.parse().ok()
}

pub fn check(history: &History) -> RecipeVerdict {
    let versions = ready_versions(history);
    let mut v = RecipeVerdict::default();
    for c in clients(history) {
        // The version of the /ready this client saw and has not heard change since.
        let mut saw: Option<u64> = None;
        for seen in seen_by(history, c) {
            match seen {
                Seen::Return(op) if op.status == OpStatus::Ok => match (&op.op, &op.out) {
                    (Op::Exists { path, watch: true }, Some(Ret::Stat { stat, .. }))
                        if path == READY_PATH =>
                    {
                        saw = stat.as_ref().and_then(|s| versions.get(&s.czxid).copied());
                        if stat.is_none() {
                            v.marks.insert("ready-waited");
                        }
                    }
                    (Op::GetData { path, .. }, Some(Ret::Data { data, .. }))
                        if path.starts_with(CONFIG_PATH) =>
                    {
                        let (Some(want), Some(got)) = (saw, version_of(data)) else {
                            continue;
                        };
                        v.marks.insert("ready-config-read");
                        if got != want && v.violation.is_none() {
                            let at_us = op.ret_us.unwrap_or(0);
                            v.violation = Some(mismatch(c, path, want, got, at_us));
                        }
                    }
                    _ => {}
                },
                Seen::Notice(_, Notice::Watch { path, .. }) if path == READY_PATH => {
                    v.marks.insert("ready-watch-fired");
                    saw = None;
                }
                Seen::Notice(_, Notice::Expired { .. }) => saw = None,
                _ => {}
            }
        }
    }
    v
}

fn mismatch(
    client: splitbrain_api::NodeId,
    path: &str,
    want: u64,
    got: u64,
    at_us: u64,
) -> splitbrain_sim::Violation {
    let message = if got < want {
        format!(
            "{client} saw /ready of configuration version {want}, then read {path} at version \
             {got} (at {}): the configuration written before /ready was not all visible",
            at(at_us)
        )
    } else {
        format!(
            "{client} saw /ready of configuration version {want}, then read {path} at the newer \
             version {got} (at {}) before its watch on /ready fired: a watch event must reach \
             the client before it can read the change",
            at(at_us)
        )
    };
    violation(CHECKER, message, at_us)
}
