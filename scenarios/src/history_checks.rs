//! Checks over a finished run's client history that need no linearizability search:
//! mutual exclusion of the lock service, and ZooKeeper's ordering guarantees.

use splitbrain_api::{Op, Ret};
use splitbrain_sim::{History, OpStatus, Violation};
use std::collections::BTreeMap;

/// Mutual exclusion for the one-shot lock service: at most one client ever acquires a lock
/// (each lock id is one lock epoch). Indeterminate acquires are not counted either way.
pub fn mutual_exclusion(history: &History) -> Option<Violation> {
    let mut winners: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, h) in history.ops.iter().enumerate() {
        if let (Op::Acquire { lock }, OpStatus::Ok, Some(Ret::Bool { value: true })) =
            (&h.op, h.status, &h.out)
        {
            winners.entry(*lock).or_default().push(i);
        }
    }
    let (lock, who) = winners.into_iter().find(|(_, w)| w.len() > 1)?;
    let first = &history.ops[who[0]];
    let second = &history.ops[who[1]];
    let at_us = first.ret_us.unwrap_or(0).max(second.ret_us.unwrap_or(0));
    let message = format!(
        "{} and {} both acquired lock {lock} (returned at {} and {}): split brain",
        first.client,
        second.client,
        splitbrain_api::ms_label(first.ret_us.unwrap_or(0)),
        splitbrain_api::ms_label(second.ret_us.unwrap_or(0))
    );
    Some(Violation {
        checker: "mutual exclusion".to_string(),
        message,
        at_us,
    })
}

/// ZooKeeper's ordering guarantees (`splitbrain_checkers::zk`) on a `zookeeper` history:
/// the first broken guarantee, named, as the run's violation. The history is handed over in
/// memory ([`crate::zk_handoff`]) exactly as `read_zk_history` reads the run's history file.
pub fn zookeeper_order(history: &History) -> Option<Violation> {
    zookeeper_order_with_ops(history).map(|(v, _)| v)
}

/// [`zookeeper_order`] with the operations that show the broken guarantee (indices into
/// `history.ops`), which the shrinker keeps first.
pub fn zookeeper_order_with_ops(history: &History) -> Option<(Violation, Vec<usize>)> {
    let names = crate::zk_handoff::ClientNames::of(history);
    let h = match crate::zk_handoff::to_zk(history, &names) {
        Ok(h) => h,
        Err(e) => {
            let v = Violation {
                checker: "ZooKeeper ordering".to_string(),
                message: format!("history not checkable: {e}"),
                at_us: 0,
            };
            return Some((v, Vec::new()));
        }
    };
    let report = splitbrain_checkers::zk::check_zk_order(&h);
    let first = report.violations.into_iter().next()?;
    let v = Violation {
        checker: format!("ZooKeeper ordering: {}", first.guarantee.sentence()),
        message: first.message,
        at_us: first.at_us,
    };
    Some((v, first.ops))
}

/// The counter recipe on znode `path` (get-data, then set-data with the version read, again
/// on BadVersion): every acknowledged increment counts once. The successful set-datas, in zxid
/// order, must write consecutive numbers (a repeated number is an increment lost to another
/// client's, a gap one nobody acknowledged, which only an unfinished increment may explain),
/// and the final value (the last write) equals the initial value plus the acknowledged
/// increments, plus at most the unfinished ones.
pub fn zookeeper_counter(history: &History, path: &str) -> Option<Violation> {
    let mut writes: Vec<(u64, i64, usize)> = Vec::new();
    let mut initial: Option<i64> = None;
    let mut unfinished = 0;
    for (i, h) in history.ops.iter().enumerate() {
        match (&h.op, h.status, &h.out) {
            (Op::Create { path: p, data, .. }, OpStatus::Ok, Some(Ret::Created { .. }))
                if p == path =>
            {
                initial = data.parse().ok();
            }
            (Op::SetData { path: p, data, .. }, OpStatus::Ok, Some(Ret::Stat { zxid, .. }))
                if p == path =>
            {
                let Ok(v) = data.parse() else {
                    return Some(counter_violation(format!("{} wrote {data:?}", h.client), 0));
                };
                writes.push((*zxid, v, i));
            }
            (Op::SetData { path: p, .. }, OpStatus::Indeterminate, _) if p == path => {
                unfinished += 1;
            }
            _ => {}
        }
    }
    writes.sort_unstable();
    let mut prev = initial.unwrap_or(0);
    let mut gaps = 0;
    for &(_, v, i) in &writes {
        let op = &history.ops[i];
        let at = op.ret_us.unwrap_or(0);
        if v <= prev {
            let msg = format!(
                "{}'s acknowledged increment wrote {v} after the counter was already {prev}: an \
                 increment was lost or doubled",
                op.client
            );
            return Some(counter_violation(msg, at));
        }
        gaps += v - prev - 1;
        prev = v;
    }
    if gaps > unfinished {
        let msg = format!(
            "the counter {path} ends at {prev}, {gaps} more than the {} acknowledged increments \
             explain, with only {unfinished} unfinished",
            writes.len()
        );
        return Some(counter_violation(msg, 0));
    }
    None
}

fn counter_violation(message: String, at_us: u64) -> Violation {
    Violation {
        checker: "counter: every acknowledged increment counts once".to_string(),
        message,
        at_us,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use splitbrain_api::NodeId;
    use splitbrain_api::{Stat, ZkError};
    use splitbrain_sim::HistoryOp;

    fn zk(client: usize, call: u64, op: Op, out: Ret) -> HistoryOp {
        HistoryOp {
            client: NodeId::client(client),
            call_us: call,
            ret_us: Some(call + 5),
            status: OpStatus::Ok,
            op,
            out: Some(out),
        }
    }

    fn zk_history(read_zxid: u64) -> History {
        let stat = Stat {
            czxid: 1,
            mzxid: 1,
            pzxid: 1,
            version: 0,
            cversion: 0,
            ephemeral_owner: None,
        };
        let create = Op::Create {
            path: "/a".into(),
            data: "x".into(),
            mode: splitbrain_api::CreateMode::Persistent,
        };
        let get = Op::GetData {
            path: "/a".into(),
            watch: false,
        };
        let data = Ret::Data {
            data: "x".into(),
            stat,
            zxid: read_zxid,
        };
        let exists = Ret::Error {
            error: ZkError::NodeExists,
            zxid: 1,
            step: None,
        };
        History {
            schema_version: splitbrain_sim::HISTORY_SCHEMA_VERSION,
            model: "zookeeper".into(),
            ops: vec![
                zk(
                    0,
                    0,
                    create.clone(),
                    Ret::Created {
                        path: "/a".into(),
                        zxid: 1,
                    },
                ),
                zk(1, 10, get, data),
                zk(1, 20, create, exists),
            ],
            notices: Vec::new(),
        }
    }

    fn increment(client: usize, zxid: u64, value: i64) -> HistoryOp {
        let stat = Stat {
            czxid: 1,
            mzxid: zxid,
            pzxid: 1,
            version: value as u32,
            cversion: 0,
            ephemeral_owner: None,
        };
        let op = Op::SetData {
            path: "/c".into(),
            data: value.to_string().into(),
            version: Some(value as u32 - 1),
        };
        let out = Ret::Stat {
            stat: Some(stat),
            zxid,
        };
        zk(client, zxid * 10, op, out)
    }

    fn counter(values: &[(usize, u64, i64)]) -> History {
        let create = Op::Create {
            path: "/c".into(),
            data: "0".into(),
            mode: splitbrain_api::CreateMode::Persistent,
        };
        let mut ops = vec![zk(
            0,
            0,
            create,
            Ret::Created {
                path: "/c".into(),
                zxid: 1,
            },
        )];
        ops.extend(values.iter().map(|&(c, z, v)| increment(c, z, v)));
        History {
            schema_version: splitbrain_sim::HISTORY_SCHEMA_VERSION,
            model: "zookeeper".into(),
            ops,
            notices: Vec::new(),
        }
    }

    #[test]
    fn counter_increments_count_once() {
        let ok = counter(&[(0, 2, 1), (1, 3, 2), (0, 4, 3)]);
        assert_eq!(zookeeper_counter(&ok, "/c"), None);
        // Two clients both wrote 2: one increment was lost.
        let lost = counter(&[(0, 2, 1), (1, 3, 2), (0, 4, 2)]);
        let v = zookeeper_counter(&lost, "/c").expect("a lost increment");
        assert!(v.message.contains("lost or doubled"), "{}", v.message);
        // 1 then 3: an increment nobody acknowledged, explained only by an unfinished one.
        let mut gap = counter(&[(0, 2, 1), (1, 4, 3)]);
        assert!(zookeeper_counter(&gap, "/c").is_some());
        let mut unfinished = increment(2, 3, 2);
        unfinished.status = OpStatus::Indeterminate;
        unfinished.out = None;
        gap.ops.push(unfinished);
        assert_eq!(zookeeper_counter(&gap, "/c"), None);
    }

    /// The run's own history, handed to the ordering checker: a read at its true zxid passes;
    /// one whose zxid says it saw nothing though it returned /a's data is named.
    #[test]
    fn zookeeper_histories_get_the_ordering_check() {
        assert_eq!(zookeeper_order(&zk_history(1)), None);
        let v = zookeeper_order(&zk_history(0)).expect("a false zxid");
        assert!(
            v.checker
                .contains("a read reflects the writes up to its zxid"),
            "{v:?}"
        );
        assert!(v.message.contains("C2's get-data /a"), "{}", v.message);
    }

    /// The in-memory handoff equals reading the run's JSON history file back.
    #[test]
    fn the_zookeeper_handoff_equals_reading_the_history_file_back() {
        let mut h = zk_history(1);
        h.ops[1].status = OpStatus::Indeterminate;
        h.ops[1].out = None;
        h.ops[1].ret_us = None;
        let multi = Op::Multi {
            ops: vec![splitbrain_api::MultiOp::Check {
                path: "/a".into(),
                version: 0,
            }],
        };
        let done = Ret::Multi {
            results: vec![splitbrain_api::MultiResult::Checked],
            zxid: 2,
        };
        h.ops.push(zk(0, 30, multi, done));
        h.notices.push(splitbrain_sim::HistoryNotice {
            client: NodeId::client(1),
            at_us: 12,
            ops_ended: 0,
            notice: splitbrain_api::Notice::Expired { session: 3 },
        });
        let text = serde_json::to_string(&h).unwrap();
        let read = splitbrain_checkers::zk::read_zk_history(&text, "h").unwrap();
        let names = crate::zk_handoff::ClientNames::of(&h);
        assert_eq!(crate::zk_handoff::to_zk(&h, &names).unwrap(), read);
    }

    fn acquire(client: usize, lock: u64, won: bool, status: OpStatus) -> HistoryOp {
        HistoryOp {
            client: NodeId::client(client),
            call_us: 0,
            ret_us: Some(10),
            status,
            op: Op::Acquire { lock },
            out: (status == OpStatus::Ok).then_some(Ret::Bool { value: won }),
        }
    }

    #[test]
    fn two_winners_of_one_lock_violate_mutual_exclusion() {
        let h = History {
            schema_version: 1,
            model: "mutex".into(),
            notices: Vec::new(),
            ops: vec![
                acquire(0, 3, true, OpStatus::Ok),
                acquire(1, 3, true, OpStatus::Ok),
            ],
        };
        let v = mutual_exclusion(&h).expect("violation");
        assert!(
            v.message.contains("C1 and C2 both acquired lock 3"),
            "{}",
            v.message
        );
    }

    #[test]
    fn one_winner_per_lock_passes() {
        let h = History {
            schema_version: 1,
            model: "mutex".into(),
            notices: Vec::new(),
            ops: vec![
                acquire(0, 3, true, OpStatus::Ok),
                acquire(1, 3, false, OpStatus::Ok),
                acquire(1, 4, true, OpStatus::Ok),
                acquire(0, 4, true, OpStatus::Indeterminate),
            ],
        };
        assert_eq!(mutual_exclusion(&h), None);
    }
}
