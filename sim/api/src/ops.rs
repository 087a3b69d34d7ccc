//! Client operations and their results: the vocabulary of recorded histories.
//!
//! The JSON shape (`{"f": "put", "key": .., "value": ..}`, `{"r": "value", ..}`) is the one the
//! checkers read back, so it is part of the file format and changes only with a schema bump.

use serde::{Deserialize, Serialize};

/// An operation a client asks a replicated service to perform.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "f", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Op {
    /// Key-value read.
    Get { key: String },
    /// Key-value blind write.
    Put { key: String, value: String },
    /// Key-value append to the current string (missing = empty).
    Append { key: String, value: String },
    /// Key-value compare-and-set; missing compares as `null`.
    Cas {
        key: String,
        from: Option<String>,
        to: String,
    },
    /// Write-once register (Basic Paxos): propose `value` for `key`; returns the value chosen
    /// (`Ret::Value`), which is `value` only if this proposal won.
    Propose { key: String, value: String },
    /// Test-and-set on a lock: true for the one client that wins it.
    Acquire { lock: u64 },
    /// Gives a held lock back.
    Release { lock: u64 },
}

/// What a completed operation returned.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "r", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Ret {
    /// A read's value (`None` = key absent).
    Value { value: Option<String> },
    /// A write took effect.
    Done,
    /// A conditional operation's outcome (cas applied, lock acquired).
    Bool { value: bool },
}

impl Op {
    /// The key or lock this operation touches, for partitioning and display.
    pub fn key_label(&self) -> String {
        match self {
            Op::Get { key }
            | Op::Put { key, .. }
            | Op::Append { key, .. }
            | Op::Cas { key, .. }
            | Op::Propose { key, .. } => key.clone(),
            Op::Acquire { lock } | Op::Release { lock } => format!("lock{lock}"),
        }
    }

    /// A short label such as `put k1=x` for timelines.
    pub fn label(&self) -> String {
        match self {
            Op::Get { key } => format!("get {key}"),
            Op::Put { key, value } => format!("put {key}={value}"),
            Op::Append { key, value } => format!("append {key}+={value}"),
            Op::Cas { key, from, to } => format!("cas {key} {from:?}->{to}"),
            Op::Propose { key, value } => format!("propose {key}:={value}"),
            Op::Acquire { lock } => format!("acquire lock{lock}"),
            Op::Release { lock } => format!("release lock{lock}"),
        }
    }
}

impl Ret {
    pub fn label(&self) -> String {
        match self {
            Ret::Value { value: Some(v) } => format!("={v}"),
            Ret::Value { value: None } => "=nil".to_string(),
            Ret::Done => "ok".to_string(),
            Ret::Bool { value } => format!("{value}"),
        }
    }
}
