//! The simple lock: whoever creates the ephemeral znode `/lock` holds the lock; a client that
//! finds it taken sets a watch on it (`exists`) and tries again when the watch fires. Every
//! release wakes every waiter, which all try again at once: the herd effect. The znode's
//! data is the holder's token (`C3.7`: client C3's seventh attempt), so a client whose
//! create was left indeterminate reads `/lock` to learn whether it is its own.

use super::{error_of, more, Ended, Program, RecipeParams};
use splitbrain_api::{CreateMode, Notice, Op, Ret, ZkError};

/// The lock's znode.
pub const LOCK_PATH: &str = "/lock";

#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Create,
    /// Read `/lock` with a watch: its data says whether it is this client's own (a create
    /// left indeterminate may have taken effect); otherwise wait for the watch.
    Watch,
    /// The watch is set: nothing to do until it fires (or, if set, until `recheck_at`).
    Waiting {
        recheck_at: Option<u64>,
    },
    /// Holding the lock until `until` (µs).
    Held {
        until: u64,
    },
    /// Released: try again at `until`.
    Rest {
        until: u64,
    },
    Release,
    /// The delete was indeterminate: read `/lock` (no watch) to see if it is still ours.
    VerifyRelease,
    Done,
}

/// One client's simple-lock program.
pub struct SimpleLock {
    name: String,
    step: Step,
    /// Attempts so far (the token of the current one is `name.attempt`).
    attempt: u64,
    /// A watch on `/lock` fired since the last read: do not wait for another.
    poked: bool,
    held: u64,
    p: RecipeParams,
}

impl SimpleLock {
    pub fn new(name: String, p: RecipeParams) -> SimpleLock {
        SimpleLock {
            name,
            step: Step::Create,
            attempt: 1,
            poked: false,
            held: 0,
            p,
        }
    }

    fn token(&self) -> String {
        format!("{}.{}", self.name, self.attempt)
    }

    /// Data this client wrote in any attempt.
    fn is_mine(&self, data: &str) -> bool {
        data.strip_prefix(&self.name)
            .is_some_and(|rest| rest.starts_with('.'))
    }

    fn hold(&self, now_us: u64) -> Step {
        Step::Held {
            until: now_us + self.p.hold_us,
        }
    }

    /// Done with one round: rest as long as a hold before the next (so a release hands the
    /// lock to a waiter, not back to the releaser), or stop.
    fn released(&mut self, now_us: u64) -> Step {
        self.held += 1;
        self.attempt += 1;
        if more(self.held, self.p.rounds) {
            Step::Rest {
                until: now_us + self.p.hold_us,
            }
        } else {
            Step::Done
        }
    }

    fn after(&mut self, step: Step, end: Ended<'_>, now_us: u64) -> Step {
        let lost = error_of(end) == Some(ZkError::NoNode);
        match (step, end) {
            (Step::Create, Ended::Ok(Ret::Created { .. })) => self.hold(now_us),
            (Step::Create, Ended::Ok(_) | Ended::Unknown) => Step::Watch,
            (Step::Create, Ended::Failed) => Step::Create,
            (Step::Watch, Ended::Ok(Ret::Data { data, .. })) if self.is_mine(data) => {
                self.hold(now_us)
            }
            (Step::Watch, Ended::Ok(Ret::Data { .. })) if !self.poked => Step::Waiting {
                recheck_at: self.p.recheck_at(now_us),
            },
            (Step::Watch, _) if lost => {
                self.attempt += 1;
                Step::Create
            }
            (Step::Watch, _) => Step::Watch,
            (Step::Release, Ended::Ok(_)) => self.released(now_us),
            (Step::Release, Ended::Failed) => Step::Release,
            (Step::Release, Ended::Unknown) => Step::VerifyRelease,
            (Step::VerifyRelease, Ended::Ok(Ret::Data { data, .. })) if self.is_mine(data) => {
                Step::Release
            }
            (Step::VerifyRelease, Ended::Ok(_)) => self.released(now_us),
            (other, _) => other,
        }
    }
}

impl Program for SimpleLock {
    fn not_before(&self) -> Option<u64> {
        match self.step {
            Step::Held { until } | Step::Rest { until } => Some(until),
            Step::Waiting { recheck_at } => recheck_at,
            _ => None,
        }
    }

    fn next_call(&mut self) -> Option<Op> {
        let path = LOCK_PATH;
        match self.step {
            Step::Rest { .. } => self.step = Step::Create,
            Step::Waiting {
                recheck_at: Some(_),
            } => self.step = Step::Watch,
            _ => {}
        }
        match self.step {
            Step::Create => Some(Op::Create {
                path: path.into(),
                data: self.token().into(),
                mode: CreateMode::Ephemeral,
            }),
            Step::Watch => {
                self.poked = false;
                Some(Op::GetData {
                    path: path.into(),
                    watch: true,
                })
            }
            Step::VerifyRelease => Some(Op::GetData {
                path: path.into(),
                watch: false,
            }),
            Step::Held { .. } | Step::Release => {
                self.step = Step::Release;
                Some(Op::Delete {
                    path: path.into(),
                    version: None,
                })
            }
            Step::Waiting { .. } | Step::Rest { .. } | Step::Done => None,
        }
    }

    fn on_end(&mut self, _op: &Op, end: Ended<'_>, now_us: u64) {
        let step = std::mem::replace(&mut self.step, Step::Done);
        self.step = self.after(step, end, now_us);
    }

    fn on_notice(&mut self, notice: &Notice, now_us: u64) -> bool {
        match notice {
            Notice::Watch { path, .. } if path == LOCK_PATH => {
                self.poked = true;
                let wake = matches!(self.step, Step::Waiting { .. });
                if wake {
                    self.step = Step::Create;
                }
                wake
            }
            Notice::Expired { .. } => {
                // The session's ephemeral znode is gone, and its watches with it.
                self.step = match self.step {
                    Step::Done => return false,
                    Step::Held { .. } | Step::Release | Step::VerifyRelease => {
                        self.released(now_us)
                    }
                    _ => Step::Create,
                };
                true
            }
            _ => false,
        }
    }
}
