//! tikv's raft-rs (crates.io `raft` 0.7, the `RawNode`/`Ready` API) run unmodified as a
//! splitbrain protocol, written against both crates' public APIs only: the key-value service
//! over raft-rs's log, checked by the Raft catalogue's scenarios and the generic ones.
//!
//! `splitbrain::replica` does the key-value service, the tick timer and the client messages;
//! this crate wraps raft-rs as a `Library` (`server.rs`), names its messages as splitbrain's
//! Raft does and hashes them by their fields (`wire.rs`), and keeps its hard state and log on
//! the simulated disk (`disk.rs`).
//!
//! Workarounds the APIs forced (see `docs/bring-your-own.md`): raft-rs draws its randomized
//! election timeout from `rand::thread_rng()`, so after every call the adapter sees whether the
//! term or role changed (the only times raft-rs re-draws) and sets the timeout again from the
//! node's own stream. The Raft catalogue runs unmodified: its crash points are named by role,
//! which `crash_roles` maps to raft-rs's messages, and its Raft-only knobs apply to Raft alone.

mod disk;
mod server;
mod wire;

pub use disk::Disk;
pub use server::RaftRs;

use splitbrain::replica::Replicated;
use splitbrain::scenarios::CrashRole;
use splitbrain::BasicEntry;

/// raft-rs's registry entry: the Raft catalogue, every cluster size from 1 to 9.
pub fn entry() -> BasicEntry<Replicated<RaftRs>> {
    BasicEntry::replicated(
        "raft-rs",
        "tikv's raft-rs 0.7 (RawNode/Ready, pre-vote, check-quorum) serving the key-value workload",
    )
    .correct(
        "raft-swarm",
        "raft-rs as published, proposals and reads through the log",
    )
    .servers(1..=9)
    .catalogue_of("raft")
    .crash_roles(&[
        (CrashRole::VoteGrant, "VoteGranted"),
        (CrashRole::AppendAck, "AppendOk"),
        (CrashRole::Append, "AppendEntries"),
        (CrashRole::ClientReply, "ClientReply"),
    ])
}
