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
/// the first broken guarantee, named, as the run's violation. The history goes to the checker
/// as the JSON `check` would read from the run's history file.
pub fn zookeeper_order(history: &History) -> Option<Violation> {
    let text = serde_json::to_vec(history).expect("a history serialises");
    let text = String::from_utf8(text).expect("JSON is UTF-8");
    let h = match splitbrain_checkers::zk::read_zk_history(&text, "the run's history") {
        Ok(h) => h,
        Err(e) => {
            return Some(Violation {
                checker: "ZooKeeper ordering".to_string(),
                message: format!("history not checkable: {e}"),
                at_us: 0,
            })
        }
    };
    let report = splitbrain_checkers::zk::check_zk_order(&h);
    let first = report.violations.first()?;
    Some(Violation {
        checker: format!("ZooKeeper ordering: {}", first.guarantee.sentence()),
        message: first.message.clone(),
        at_us: first.at_us,
    })
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
