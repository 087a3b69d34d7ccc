//! splitbrain-checkers: a linearizability checker and readers for recorded histories.
//!
//! The crate knows nothing of the simulator: it checks histories that any tool recorded
//! (splitbrain's own JSON, Jepsen logs, Knossos EDN, Porcupine's key-value format).
//!
//! - [`history`]: the history model (clients, inputs, outputs, call/return times,
//!   indeterminate operations) and its validation.
//! - [`model`]: model names and semantics; the compiled step functions are internal.
//! - [`check_history`]: Wing & Gong search with Lowe's memoisation, P-compositionality
//!   (parts interleaved, the first failing part ends the check), a budget and a memory cap
//!   that yield `Unknown`, and [`evidence`] on a violation. [`decide`] gives the verdict
//!   alone; [`explain`] builds the evidence afterwards.
//! - [`read`]: file readers with errors naming file, line and field.
//! - [`zk`]: the ZooKeeper ordering checker (paper §2.3 guarantees, zxids verified as
//!   witnesses) with its own specification of the data tree.
//! - [`cli`]: the `splitbrain check` command's logic (the binary's file stays thin).

pub mod cli;
pub mod evidence;
pub mod history;
pub mod model;
pub mod read;
pub mod zk;

mod budget;
mod checker;
mod greedy;
mod partition;
mod schedule;
mod search;
mod spec;
mod table;

pub use budget::Stopwatch;
pub use checker::{
    check_history, decide, explain, CheckOptions, CheckReport, Decision, Verdict,
    DEFAULT_MAX_MEMORY_BYTES, DEFAULT_MAX_STEPS, DEFAULT_OBSERVE_AFTER_ENTRIES,
};
pub use evidence::Evidence;
pub use history::{History, HistoryError, Input, Micro, Operation, Output, Source, Value};
pub use model::{FailReading, Family, ModelKind, UnknownModel};
pub use read::{read_history_file, read_history_str, read_splitbrain_history, Format, ReadError};
