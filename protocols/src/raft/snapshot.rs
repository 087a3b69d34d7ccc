//! A Raft snapshot (§7): the key-value state machine after applying `index`, with the term
//! and chain value that let the log continue after it.

use crate::kv::Kv;

/// A snapshot (§7): the state machine after applying `index`, whose term and chain value let
/// the log continue after it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub index: u64,
    pub term: u64,
    pub chain: u64,
    pub kv: Kv,
}

impl std::hash::Hash for Snapshot {
    // The chain value stands for the whole prefix the state was built from; hashing the
    // state itself would make every traced InstallSnapshot cost its size.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.index, self.term, self.chain).hash(state);
    }
}
