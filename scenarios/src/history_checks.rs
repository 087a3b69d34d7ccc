//! Checks over a finished run's client history that need no linearizability search.

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

#[cfg(test)]
mod tests {
    use super::*;
    use splitbrain_api::NodeId;
    use splitbrain_sim::HistoryOp;

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
