//! Worlds assembled: scenario files, random fault generation, workloads, the named catalogue
//! of scenarios per protocol, the protocol registry, and running one seed or a seed range.

pub mod basic_entry;
pub mod catalog;
pub mod experiments;
pub mod explore;
pub mod generator;
pub mod guided;
pub mod handoff;
pub mod history_checks;
pub mod lab;
pub mod limits;
pub mod linearizability;
pub mod mutate;
pub mod portable;
pub mod portfolio;
pub mod recipe_checks;
pub mod registry;
pub mod repro;
pub mod runner;
pub mod scenario;
pub mod shrink;
pub mod vary;
pub mod workload;
pub mod zk_handoff;
pub mod zk_linearizability;

pub use portable::CrashRole;
pub use registry::{find_protocol, protocols, register, ProtocolEntry};
pub use runner::{run_seed, RunOptions, RunResult};
pub use scenario::{Scenario, ScenarioError};
