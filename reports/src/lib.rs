//! Reports.
pub mod junit;
