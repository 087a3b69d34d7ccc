//! One module per subcommand, plus the helpers they share.

pub mod bench;
pub mod bench_persist;
pub mod bench_report;
pub mod bench_swarm;
pub mod campaign;
pub mod check;
pub mod common;
pub mod corpus;
pub mod determinism;
pub mod experiment;
pub mod explore;
pub mod explore_report;
pub mod lab;
pub mod list;
pub mod portfolio;
pub mod portfolio_report;
pub mod progress;
pub mod replay;
pub mod report;
pub mod run;
pub mod scenario;
pub mod shrink;
