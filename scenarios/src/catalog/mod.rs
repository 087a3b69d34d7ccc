//! The named scenario catalogue, one module per protocol plus the generic scenarios any
//! protocol serving their workload runs; each scenario's doc says which
//! paper section or bug report it tests.

pub mod chain;
pub mod generic;
pub mod multipaxos;
pub mod paxos;
pub mod raft;
pub mod tas;
pub mod zab;
pub mod zab_recipes;
