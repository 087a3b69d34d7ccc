//! Protocols as sans-IO state machines over `splitbrain_api`. Each protocol ships its correct
//! implementation and its planted bugs as named variants of that one implementation.

pub mod chain;
mod few;
pub mod kv;
pub mod paxos;
pub mod pingpong;
pub mod raft;
pub mod replica;
pub mod tas;
pub mod zab;
