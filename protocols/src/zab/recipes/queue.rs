//! The scalable lock and leader election (ZooKeeper's recipes): every contender creates an
//! ephemeral-sequential znode under one parent and lists the children; the lowest sequence
//! number holds the lock (is the leader). Everyone else watches only the znode just below its
//! own and lists again when that one goes, so a release wakes one client, not all of them.
//! The znode's name starts with the contender's token (`C3.7-`, as ZooKeeper's recipes put a
//! GUID in it), so a contender whose create was left indeterminate finds its znode when it
//! lists (and holds through it if it is the lowest: it is this client's session's).

use super::{more, sequence_of, Ended, Program, RecipeParams};
use splitbrain_api::{CreateMode, Notice, Op, Ret, Text, ZkError};

/// What the queue is used for: its parent znode and its words.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum QueueKind {
    /// The scalable lock under `/locks`.
    Lock,
    /// Leader election under `/election`: the leader serves a term, then steps down.
    Election,
}

impl QueueKind {
    pub fn parent(self) -> &'static str {
        match self {
            QueueKind::Lock => "/locks",
            QueueKind::Election => "/election",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    /// Make sure the parent exists (NodeExists is fine).
    Parent,
    Enqueue,
    List,
    /// Watch the next lower znode.
    Watch(String),
    /// Watching the next lower znode: nothing to do until the watch fires (or, if set,
    /// until `recheck_at`, when it lists again).
    Waiting {
        recheck_at: Option<u64>,
    },
    Held {
        until: u64,
    },
    /// Released: enqueue again at `until`.
    Rest {
        until: u64,
    },
    Release,
    Done,
}

/// One contender's program.
pub struct Queue {
    kind: QueueKind,
    name: String,
    step: Step,
    attempt: u64,
    /// This attempt's znode (full path), once known.
    mine: Option<String>,
    /// A watch fired since the last list: list again rather than wait.
    poked: bool,
    held: u64,
    p: RecipeParams,
}

impl Queue {
    pub fn new(kind: QueueKind, name: String, p: RecipeParams) -> Queue {
        Queue {
            kind,
            name,
            step: Step::Parent,
            attempt: 1,
            mine: None,
            poked: false,
            held: 0,
            p,
        }
    }

    fn token(&self) -> String {
        format!("{}.{}-", self.name, self.attempt)
    }

    fn child(&self, name: &str) -> String {
        format!("{}/{name}", self.kind.parent())
    }

    /// Done with one round: rest as long as a hold before the next (so a release hands the
    /// lock to a waiter, not back to the releaser), or stop.
    fn released(&mut self, now_us: u64) -> Step {
        self.held += 1;
        self.attempt += 1;
        self.mine = None;
        if more(self.held, self.p.rounds) {
            Step::Rest {
                until: now_us + self.p.hold_us,
            }
        } else {
            Step::Done
        }
    }

    /// What a listing means: hold when this client's lowest znode is the lowest of all,
    /// watch the znode just below it otherwise, enqueue again when it has none.
    fn listed(&mut self, children: &[Text], now_us: u64) -> Step {
        let own = format!("{}.", self.name);
        let mut queue: Vec<&Text> = children.iter().collect();
        queue.sort_by_key(|c| sequence_of(c));
        let Some(at) = queue.iter().position(|c| c.starts_with(&own)) else {
            // The create did not take effect: a new attempt.
            self.attempt += 1;
            return Step::Enqueue;
        };
        self.mine = Some(self.child(queue[at]));
        if at == 0 {
            return Step::Held {
                until: now_us + self.p.hold_us,
            };
        }
        Step::Watch(self.child(queue[at - 1]))
    }

    fn after(&mut self, step: Step, end: Ended<'_>, now_us: u64) -> Step {
        match (step, end) {
            (Step::Parent, Ended::Failed) => Step::Parent,
            (Step::Parent, _) => Step::Enqueue,
            (Step::Enqueue, Ended::Ok(Ret::Created { path, .. })) => {
                self.mine = Some(path.to_string());
                Step::List
            }
            (
                Step::Enqueue,
                Ended::Ok(Ret::Error {
                    error: ZkError::NoNode,
                    ..
                }),
            ) => Step::Parent,
            (Step::Enqueue, Ended::Unknown) => Step::List,
            (Step::Enqueue, _) => Step::Enqueue,
            (Step::List, Ended::Ok(Ret::Children { children, .. })) => {
                self.listed(children, now_us)
            }
            (Step::List, Ended::Ok(_)) => Step::Parent,
            (Step::List, _) => Step::List,
            (Step::Watch(_), Ended::Ok(Ret::Stat { stat: Some(_), .. })) if !self.poked => {
                Step::Waiting {
                    recheck_at: self.p.recheck_at(now_us),
                }
            }
            (Step::Watch(_), Ended::Ok(_)) => Step::List,
            (Step::Watch(path), _) => Step::Watch(path),
            (Step::Release, Ended::Ok(_)) => self.released(now_us),
            (Step::Release, _) => Step::Release,
            (other, _) => other,
        }
    }
}

impl Program for Queue {
    fn not_before(&self) -> Option<u64> {
        match self.step {
            Step::Held { until } | Step::Rest { until } => Some(until),
            Step::Waiting { recheck_at } => recheck_at,
            _ => None,
        }
    }

    fn next_call(&mut self) -> Option<Op> {
        let parent = self.kind.parent();
        match self.step {
            Step::Rest { .. } => self.step = Step::Enqueue,
            Step::Waiting {
                recheck_at: Some(_),
            } => self.step = Step::List,
            _ => {}
        }
        match &self.step {
            Step::Parent => Some(Op::Create {
                path: parent.into(),
                data: String::new().into(),
                mode: CreateMode::Persistent,
            }),
            Step::Enqueue => Some(Op::Create {
                path: self.child(&self.token()).into(),
                data: self.name.clone().into(),
                mode: CreateMode::EphemeralSequential,
            }),
            Step::List => {
                self.poked = false;
                Some(Op::GetChildren {
                    path: parent.into(),
                    watch: false,
                })
            }
            Step::Watch(path) => Some(Op::Exists {
                path: path.clone().into(),
                watch: true,
            }),
            Step::Held { .. } | Step::Release => {
                self.step = Step::Release;
                let path = self.mine.clone().expect("a holder knows its znode");
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
            Notice::Watch { path, .. } if path.starts_with(self.kind.parent()) => {
                self.poked = true;
                let wake = matches!(self.step, Step::Waiting { .. });
                if wake {
                    self.step = Step::List;
                }
                wake
            }
            Notice::Expired { .. } => {
                // The session's znode is gone, and its watches with it.
                self.step = match self.step {
                    Step::Done => return false,
                    Step::Held { .. } | Step::Release => self.released(now_us),
                    _ => {
                        self.attempt += 1;
                        self.mine = None;
                        Step::Enqueue
                    }
                };
                true
            }
            _ => false,
        }
    }
}
