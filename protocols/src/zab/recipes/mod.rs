//! ZooKeeper recipes as client programs: the application that runs above a ZooKeeper client,
//! as a small state machine that makes one call at a time, reacts to what each call returned
//! and to the notices its client hears (watch events, session changes), and otherwise waits.
//!
//! A program never talks to the network: the harness hands each call it asks for to the
//! client (`ZabClient`, the shared client library) as an ordinary operation, so every call
//! lands in the run's history, and tells the program how it ended. The checks of each recipe
//! read that history afterwards.
//!
//! - `counter`: get-data, then set-data with the version read, again on BadVersion.
//! - `lock`: the simple lock (one ephemeral znode; a loser watches it and tries again).
//! - `queue`: the scalable lock and leader election (ephemeral-sequential znodes; each waiter
//!   watches only the next lower one).
//! - `ready`: the configuration pattern (a writer deletes `/ready`, rewrites the
//!   configuration, creates `/ready`; readers read it only once they see `/ready`).

mod counter;
mod lock;
mod queue;
mod ready;

pub use counter::{Counter, COUNTER_PATH};
pub use lock::{SimpleLock, LOCK_PATH};
pub use queue::{Queue, QueueKind};
pub use ready::{config_key, version_value, ReadyReader, ReadyWriter, CONFIG_PATH, READY_PATH};

use serde::{Deserialize, Serialize};
use splitbrain_api::{Notice, Op, Ret};

/// How a call ended, as its program hears it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Ended<'a> {
    /// The call returned (a ZooKeeper error is a return too).
    Ok(&'a Ret),
    /// The call definitely did not take effect.
    Failed,
    /// The client stopped waiting: it may or may not have taken effect.
    Unknown,
}

/// A client program.
pub trait Program: Send {
    /// No call before this simulated time (µs): a lock held for a while.
    fn not_before(&self) -> Option<u64> {
        None
    }
    /// The next call, or `None` while the program waits for a notice (or is done).
    fn next_call(&mut self) -> Option<Op>;
    /// The last call (`op`) ended at `now_us`.
    fn on_end(&mut self, op: &Op, end: Ended<'_>, now_us: u64);
    /// The client heard `notice` at `now_us`; `true` when the program has a call to make now
    /// (it was waiting for this).
    fn on_notice(&mut self, notice: &Notice, now_us: u64) -> bool;
}

/// The recipes a scenario can run, by name.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Recipe {
    Counter,
    SimpleLock,
    ScalableLock,
    Election,
    Ready,
}

/// The shape of one recipe run: how many rounds each client does and how long a lock (or a
/// leadership) is held.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RecipeParams {
    /// Increments (counter), acquisitions (locks), terms (election), configuration versions
    /// (ready writer); `None`: for the whole run.
    pub rounds: Option<u64>,
    /// How long a holder keeps the lock (the leader its leadership, the ready writer waits
    /// between versions), in µs.
    pub hold_us: u64,
    /// Configuration keys the ready writer rewrites.
    pub keys: u64,
    /// A client waiting for a watch checks again after this long without one (µs), in case
    /// the watch was lost with the server that held it; `None`: it waits for the watch alone.
    pub recheck_us: Option<u64>,
}

impl RecipeParams {
    /// When a client that starts waiting at `now_us` checks again, if ever.
    fn recheck_at(&self, now_us: u64) -> Option<u64> {
        self.recheck_us.map(|r| now_us + r)
    }
}

impl Recipe {
    pub fn word(self) -> &'static str {
        match self {
            Recipe::Counter => "counter",
            Recipe::SimpleLock => "simple-lock",
            Recipe::ScalableLock => "scalable-lock",
            Recipe::Election => "election",
            Recipe::Ready => "ready",
        }
    }

    /// Client `client`'s (0-based) program.
    pub fn program(self, client: usize, p: RecipeParams) -> Box<dyn Program> {
        Box::new(Sessioned {
            inner: self.bare_program(client, p),
            in_flight: false,
            stale: false,
        })
    }

    fn bare_program(self, client: usize, p: RecipeParams) -> Box<dyn Program> {
        let name = format!("C{}", client + 1);
        match self {
            Recipe::Counter => Box::new(Counter::new(p.rounds)),
            Recipe::SimpleLock => Box::new(SimpleLock::new(name, p)),
            Recipe::ScalableLock => Box::new(Queue::new(QueueKind::Lock, name, p)),
            Recipe::Election => Box::new(Queue::new(QueueKind::Election, name, p)),
            Recipe::Ready if client == 0 => Box::new(ReadyWriter::new(p)),
            Recipe::Ready => Box::new(ReadyReader::new(p)),
        }
    }
}

/// A program's calls across session expiry: a call in flight when the client learns its
/// session expired belongs to the old session, so its ending is not passed on (the program
/// has started over in its notice handler).
struct Sessioned {
    inner: Box<dyn Program>,
    in_flight: bool,
    stale: bool,
}

impl Program for Sessioned {
    fn not_before(&self) -> Option<u64> {
        self.inner.not_before()
    }

    fn next_call(&mut self) -> Option<Op> {
        let call = self.inner.next_call();
        self.in_flight = call.is_some();
        call
    }

    fn on_end(&mut self, op: &Op, end: Ended<'_>, now_us: u64) {
        self.in_flight = false;
        if !std::mem::take(&mut self.stale) {
            self.inner.on_end(op, end, now_us);
        }
    }

    fn on_notice(&mut self, notice: &Notice, now_us: u64) -> bool {
        if self.in_flight && matches!(notice, Notice::Expired { .. }) {
            self.stale = true;
        }
        self.inner.on_notice(notice, now_us)
    }
}

/// Rounds left: `None` means without end.
fn more(done: u64, rounds: Option<u64>) -> bool {
    rounds.is_none_or(|r| done < r)
}

/// The error of a ZooKeeper error result.
fn error_of(end: Ended<'_>) -> Option<splitbrain_api::ZkError> {
    match end {
        Ended::Ok(Ret::Error { error, .. }) => Some(*error),
        _ => None,
    }
}

/// The sequence number ZooKeeper appended to a sequential znode's name (its last 10
/// characters), for ordering; names without one sort last.
pub fn sequence_of(name: &str) -> u64 {
    let tail = name.len().saturating_sub(10);
    name.get(tail..)
        .and_then(|d| d.parse().ok())
        .unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
