//! OmniPaxos (crates.io `omnipaxos` 0.2: Sequence Paxos, a Multi-Paxos log, with ballot leader
//! election) run unmodified as a splitbrain protocol, written against both crates' public APIs
//! only: the key-value service over OmniPaxos's replicated log, checked by the Raft-style
//! catalogue's scenarios and the generic ones.
//!
//! `splitbrain::replica` does the key-value service, the tick timer, the client messages, the
//! session emulation, and names and hashes OmniPaxos's messages by their `Debug` text; this
//! crate wraps OmniPaxos as a `Library` (`server.rs`) and implements its `Storage` for a
//! journaled image of the simulated disk (`storage.rs`).
//!
//! Workarounds the APIs forced (see `docs/bring-your-own.md`): OmniPaxos owns the `Storage`
//! it is built with and offers no way back to it, so the storage is a
//! `splitbrain::replica::Journaled` image (`Io::journaled`) whose journal the replica drains
//! onto the simulated disk after every call; its storage calls return as if durable, so every
//! message it emits waits behind the barrier the replica puts after those writes; its
//! `Storage` trait has 20 required methods and its `StorageOp` is not `Clone`, so
//! `write_atomically` dispatches each op to the method that journals it; its log entries must
//! implement its `Entry` trait, which a foreign type cannot, so the shared `kv::Cmd` travels
//! in a newtype; it assumes session-based FIFO links and a `reconnected` call when a session
//! comes back, which the adapter emulates over splitbrain's reordering links
//! (`splitbrain::replica::session`).

mod server;
mod storage;

pub use server::OmniServer;

use omnipaxos::macros::Entry;
use splitbrain::kv::Cmd;
use splitbrain::replica::Replicated;
use splitbrain::scenarios::CrashRole;
use splitbrain::BasicEntry;
use std::rc::Rc;

/// A log entry: the shared key-value command (its digest is what `applied` reports), without
/// snapshots (OmniPaxos's derive).
#[derive(Clone, Debug, Entry)]
pub struct Command(pub Rc<Cmd>);

/// OmniPaxos's registry entry: the Raft catalogue, clusters of 2 to 9 (it refuses one).
/// Crash-point roles: a follower's `Promise` is its vote for a leader's ballot, `Accepted`
/// acknowledges entries, `AcceptDecide` carries them.
pub fn entry() -> BasicEntry<Replicated<OmniServer>> {
    BasicEntry::replicated(
        "omnipaxos",
        "OmniPaxos 0.2 (Sequence Paxos with ballot leader election) serving the key-value workload",
    )
    .correct(
        "raft-swarm",
        "OmniPaxos as published, writes and reads through the log",
    )
    .servers(2..=9)
    .catalogue_of("raft")
    .crash_roles(&[
        (CrashRole::VoteGrant, "Promise"),
        (CrashRole::AppendAck, "Accepted"),
        (CrashRole::Append, "AcceptDecide"),
        (CrashRole::ClientReply, "ClientReply"),
    ])
}
