//! The counter recipe (the mini-transaction of the ZooKeeper lecture): read `/counter` with
//! its version, write the number plus one conditioned on that version, and start over when
//! another client's write came first (BadVersion). An increment whose write was left
//! indeterminate is not retried (it may have taken effect): the check counts it as
//! unfinished.

use super::{error_of, more, Ended, Program};
use splitbrain_api::{CreateMode, Notice, Op, Ret, ZkError};

/// The znode every counter client increments.
pub const COUNTER_PATH: &str = "/counter";

#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    /// Make sure `/counter` exists (NodeExists is fine).
    Create,
    Read,
    /// Write `value` if the znode still has `version`.
    Write {
        value: i64,
        version: u32,
    },
    Done,
}

/// One client's counter program.
pub struct Counter {
    step: Step,
    /// Increments finished (acknowledged or left indeterminate).
    done: u64,
    rounds: Option<u64>,
}

impl Counter {
    pub fn new(rounds: Option<u64>) -> Counter {
        Counter {
            step: Step::Create,
            done: 0,
            rounds,
        }
    }

    fn next_increment(&mut self) {
        self.done += 1;
        self.step = if more(self.done, self.rounds) {
            Step::Read
        } else {
            Step::Done
        };
    }
}

impl Program for Counter {
    fn next_call(&mut self) -> Option<Op> {
        let path = COUNTER_PATH;
        Some(match &self.step {
            Step::Create => Op::Create {
                path: path.into(),
                data: "0".into(),
                mode: CreateMode::Persistent,
            },
            Step::Read => Op::GetData {
                path: path.into(),
                watch: false,
            },
            Step::Write { value, version } => Op::SetData {
                path: path.into(),
                data: value.to_string().into(),
                version: Some(*version),
            },
            Step::Done => return None,
        })
    }

    fn on_end(&mut self, _op: &Op, end: Ended<'_>, _now_us: u64) {
        let step = std::mem::replace(&mut self.step, Step::Done);
        self.step = match (step, end) {
            (Step::Create, _) => Step::Read,
            (Step::Read, Ended::Ok(Ret::Data { data, stat, .. })) => match data.parse::<i64>() {
                Ok(n) => Step::Write {
                    value: n + 1,
                    version: stat.version,
                },
                Err(_) => panic!("the counter holds {data:?}, not a number"),
            },
            (Step::Read, e) if error_of(e) == Some(ZkError::NoNode) => Step::Create,
            (Step::Read, _) => Step::Read,
            (Step::Write { .. }, Ended::Ok(Ret::Stat { .. }) | Ended::Unknown) => {
                self.step = Step::Read;
                self.next_increment();
                return;
            }
            // BadVersion (someone else's increment came first), NoNode, or not applied.
            (Step::Write { .. }, _) => Step::Read,
            (Step::Done, _) => Step::Done,
        };
    }

    fn on_notice(&mut self, _notice: &Notice, _now_us: u64) -> bool {
        false
    }
}
