//! The "ready" znode configuration pattern (ZooKeeper paper §2.3): the writer (client C1)
//! deletes `/ready`, rewrites every key `/config/k0..` with the new version's value (`v3`),
//! and creates `/ready` again (data: the version). A reader checks `/ready` with a watch and,
//! only when it exists, reads the configuration: ZooKeeper's ordering promises that it then
//! sees the whole configuration written before `/ready`, and that the watch fires before it
//! could read a newer version's values.

use super::{error_of, more, Ended, Program, RecipeParams};
use splitbrain_api::{CreateMode, Notice, Op, Ret, ZkError};

pub const READY_PATH: &str = "/ready";
pub const CONFIG_PATH: &str = "/config";

/// The path of configuration key `j`.
pub fn config_key(j: u64) -> String {
    format!("{CONFIG_PATH}/k{j}")
}

/// The value of every key in configuration version `v`.
pub fn version_value(v: u64) -> String {
    format!("v{v}")
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum WriterStep {
    /// Create `/config` and its keys with version 0 (NodeExists is fine); the index is the key
    /// (`None`: `/config` itself).
    Setup(Option<u64>),
    DeleteReady,
    Write(u64),
    CreateReady,
    /// Wait until `until`, then the next version.
    Pause {
        until: u64,
    },
    Done,
}

/// The writer's program: one configuration version per round.
pub struct ReadyWriter {
    step: WriterStep,
    version: u64,
    p: RecipeParams,
}

impl ReadyWriter {
    pub fn new(p: RecipeParams) -> ReadyWriter {
        ReadyWriter {
            step: WriterStep::Setup(None),
            version: 0,
            p,
        }
    }

    fn after(&mut self, step: WriterStep, end: Ended<'_>, now_us: u64) -> WriterStep {
        let done = matches!(end, Ended::Ok(_));
        let error = error_of(end);
        match step {
            WriterStep::Setup(_) if !done => step,
            WriterStep::Setup(None) if self.p.keys > 0 => WriterStep::Setup(Some(0)),
            WriterStep::Setup(Some(j)) if j + 1 < self.p.keys => WriterStep::Setup(Some(j + 1)),
            WriterStep::Setup(_) => self.next_version(),
            WriterStep::DeleteReady if done => WriterStep::Write(0),
            // Indeterminate writes are repeated: set-data without a version is idempotent.
            WriterStep::Write(j) if done && j + 1 < self.p.keys => WriterStep::Write(j + 1),
            WriterStep::Write(_) if done => WriterStep::CreateReady,
            WriterStep::CreateReady if done && error != Some(ZkError::NoNode) => {
                WriterStep::Pause {
                    until: now_us + self.p.hold_us,
                }
            }
            other => other,
        }
    }

    fn next_version(&mut self) -> WriterStep {
        if !more(self.version, self.p.rounds) {
            return WriterStep::Done;
        }
        self.version += 1;
        WriterStep::DeleteReady
    }
}

impl Program for ReadyWriter {
    fn not_before(&self) -> Option<u64> {
        match self.step {
            WriterStep::Pause { until } => Some(until),
            _ => None,
        }
    }

    fn next_call(&mut self) -> Option<Op> {
        if let WriterStep::Pause { .. } = self.step {
            self.step = self.next_version();
        }
        let create = |path: String, data: String| Op::Create {
            path: path.into(),
            data: data.into(),
            mode: CreateMode::Persistent,
        };
        Some(match self.step {
            WriterStep::Setup(None) => create(CONFIG_PATH.to_string(), String::new()),
            WriterStep::Setup(Some(j)) => create(config_key(j), version_value(0)),
            WriterStep::DeleteReady => Op::Delete {
                path: READY_PATH.into(),
                version: None,
            },
            WriterStep::Write(j) => Op::SetData {
                path: config_key(j).into(),
                data: version_value(self.version).into(),
                version: None,
            },
            WriterStep::CreateReady => create(READY_PATH.to_string(), version_value(self.version)),
            WriterStep::Pause { .. } | WriterStep::Done => return None,
        })
    }

    fn on_end(&mut self, _op: &Op, end: Ended<'_>, now_us: u64) {
        let step = std::mem::replace(&mut self.step, WriterStep::Done);
        self.step = self.after(step, end, now_us);
    }

    fn on_notice(&mut self, _notice: &Notice, _now_us: u64) -> bool {
        false
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum ReaderStep {
    /// `exists /ready` with a watch.
    Check,
    /// `/ready` is absent and watched: wait for it (or, if set, until `recheck_at`).
    Waiting {
        recheck_at: Option<u64>,
    },
    /// Read key `j` of the configuration.
    Read(u64),
    /// Wait until `until` before checking again.
    Pause {
        until: u64,
    },
    Done,
}

/// A reader's program: reads the whole configuration whenever `/ready` exists.
pub struct ReadyReader {
    step: ReaderStep,
    reads: u64,
    poked: bool,
    p: RecipeParams,
}

impl ReadyReader {
    pub fn new(p: RecipeParams) -> ReadyReader {
        ReadyReader {
            step: ReaderStep::Check,
            reads: 0,
            poked: false,
            p,
        }
    }

    fn after(&mut self, step: ReaderStep, end: Ended<'_>, now_us: u64) -> ReaderStep {
        let pause = ReaderStep::Pause {
            until: now_us + self.p.hold_us / 4,
        };
        match (step, end) {
            (ReaderStep::Check, Ended::Ok(Ret::Stat { stat: Some(_), .. })) => {
                if self.p.keys == 0 {
                    pause
                } else {
                    ReaderStep::Read(0)
                }
            }
            (ReaderStep::Check, Ended::Ok(_)) if !self.poked => ReaderStep::Waiting {
                recheck_at: self.p.recheck_at(now_us),
            },
            (ReaderStep::Check, _) => ReaderStep::Check,
            (ReaderStep::Read(j), Ended::Ok(_)) if j + 1 < self.p.keys => ReaderStep::Read(j + 1),
            (ReaderStep::Read(_), Ended::Ok(_)) => {
                self.reads += 1;
                if more(self.reads, self.p.rounds) {
                    pause
                } else {
                    ReaderStep::Done
                }
            }
            // A read that did not answer: start over from /ready.
            (ReaderStep::Read(_), _) => ReaderStep::Check,
            (other, _) => other,
        }
    }
}

impl Program for ReadyReader {
    fn not_before(&self) -> Option<u64> {
        match self.step {
            ReaderStep::Pause { until } => Some(until),
            ReaderStep::Waiting { recheck_at } => recheck_at,
            _ => None,
        }
    }

    fn next_call(&mut self) -> Option<Op> {
        if let ReaderStep::Pause { .. }
        | ReaderStep::Waiting {
            recheck_at: Some(_),
        } = self.step
        {
            self.step = ReaderStep::Check;
        }
        match self.step {
            ReaderStep::Check => {
                self.poked = false;
                Some(Op::Exists {
                    path: READY_PATH.into(),
                    watch: true,
                })
            }
            ReaderStep::Read(j) => Some(Op::GetData {
                path: config_key(j).into(),
                watch: false,
            }),
            _ => None,
        }
    }

    fn on_end(&mut self, _op: &Op, end: Ended<'_>, now_us: u64) {
        let step = std::mem::replace(&mut self.step, ReaderStep::Done);
        self.step = self.after(step, end, now_us);
    }

    fn on_notice(&mut self, notice: &Notice, _now_us: u64) -> bool {
        let ready = matches!(notice, Notice::Watch { path, .. } if path == READY_PATH);
        let expired = matches!(notice, Notice::Expired { .. });
        if ready || expired {
            self.poked = true;
        }
        let wake = matches!(self.step, ReaderStep::Waiting { .. }) && (ready || expired);
        if wake {
            self.step = ReaderStep::Check;
        }
        wake
    }
}
