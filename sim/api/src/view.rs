//! What a node shows the harness after each step: role, term and progress, as plain data.
//! Online checkers and reports read views; they never reach into a process.

use serde::{Deserialize, Serialize};

/// The role a node plays right now. Protocols map their own roles onto these.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Leader,
    Candidate,
    #[default]
    Follower,
    /// A node with no leader notion (a voter, a chain member, a client).
    Member,
    /// Crashed or not started; set by the engine, never by a protocol.
    Down,
}

/// A node's summary after a step. `term` is the term, epoch or ballot; `commit` the highest
/// committed (or chosen, or applied) index; `log_len` the last log index.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeView {
    pub role: Role,
    pub term: u64,
    pub commit: u64,
    pub log_len: u64,
}

impl NodeView {
    /// The view as named fields for a person reading it (`replay --state-at`): the default
    /// `describe` of processes and replicated libraries that name no fields of their own.
    pub fn describe_fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("role", format!("{:?}", self.role).to_lowercase()),
            ("term", self.term.to_string()),
            ("commit", self.commit.to_string()),
            ("log", self.log_len.to_string()),
        ]
    }
}
