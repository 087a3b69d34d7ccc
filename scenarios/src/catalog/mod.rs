//! The named scenario catalogue, one module per protocol; each scenario's doc says which
//! paper section or bug report it tests.

pub mod raft;
pub mod tas;
