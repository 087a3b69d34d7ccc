//! splitbrain as a library, for a crate that brings its own protocol: implement
//! [`api::Protocol`] for its nodes and [`ProtocolEntry`] to describe it, then either
//!
//! - check it from a plain `#[test]` with [`testing::Check`]: a seed range on every core, and
//!   on failure a test failure naming the seed, the violated check, a shrunk repro file and
//!   the one command that replays it; or
//! - give it the whole command line (`list`, `run`, `explore`, `shrink`, `replay`, `--html`,
//!   `check-determinism`, `bench`...) from its own `main`: [`register`] it, then call
//!   [`cli::main`].
//!
//! The built-in protocols come in through the same [`register`] door. `docs/bring-your-own.md`
//! walks from an empty crate to a first failing seed.

pub mod allocator;
pub mod cli;
mod cmd;
pub mod testing;

/// The protocol contract: ids, time, operations, `Process`, `Protocol`, `Ctx`, `NodeView`.
pub use splitbrain_api as api;
/// The key-value kit a replicated service can reuse: the state machine with its session
/// table, log commands with digests, and the client library (`KvClient` over `KvWire`).
pub use splitbrain_protocols::kv;
/// A consensus library wrapped as a key-value service with the glue written once: implement
/// `replica::Library` for it, and `replica::Replicated` is its `Protocol`.
pub use splitbrain_protocols::replica;
/// Scenarios, the fault generator, running and exploring seeds, shrinking, repro files.
pub use splitbrain_scenarios as scenarios;
pub use splitbrain_scenarios::basic_entry::BasicEntry;
pub use splitbrain_scenarios::registry::{register, ProtocolEntry, RegisterError};
/// The simulator: `run_world`, `WorldConfig`, `Workload`, `RunRecord`.
pub use splitbrain_sim as sim;
