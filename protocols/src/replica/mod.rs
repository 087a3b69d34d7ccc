//! A third-party consensus library as a key-value service, with the glue written once. A
//! library driven by messages and ticks (raft-rs's `RawNode`, OmniPaxos, your own) is wrapped by
//! implementing [`Library`]: how to build it (from the disk after a crash), hand it a tick and a
//! message, ask it who leads, propose a command, drain what it wants done, and describe its
//! state. [`Replica`] is the `Process` around it and [`Replicated`] the `Protocol`: they arm the
//! tick timer on the node's clock, mark `leader-elected` when the library makes this server its
//! leader, answer client requests (propose on the leader, redirect
//! elsewhere), apply committed commands to the key-value state machine with its exactly-once
//! session table, report every applied index for the state-machine-safety check, answer the
//! client whose request committed, and, for a library that assumes connection-oriented links,
//! emulate its sessions ([`session`]). Clients are the shared `KvClient` over [`Wire`].
//!
//! What stays the adapter's is what only it knows: the library's configuration, its storage
//! calls mapped to the simulated disk (with a barrier before messages that assert durable
//! state; [`Io::journaled`] for a library that owns its storage, with its log in a [`Log`]),
//! and its roles and terms in a `NodeView`. Its messages need no wrapper: the replica names and
//! hashes them through their `Debug` text ([`variant_name`], [`hash_debug`]) unless the
//! adapter names them itself; [`Io::send_all`] addresses them by the library's server ids.

mod debug_text;
mod journal;
mod log;
mod server;
pub mod session;
mod wire;

pub use debug_text::{hash_debug, variant_name};
pub use journal::{Journal, Journaled};
pub use log::Log;
pub use server::{Io, Replica, Replicated, Stored, Tick};
pub use wire::{node_of_peer_id, peer_id, PeerMsg, Wire};

use crate::kv::Cmd;
use splitbrain_api::{Dur, NodeId, NodeView};
use std::fmt::Debug;
use std::hash::Hasher;
use std::rc::Rc;

/// A consensus library wrapped for [`Replica`]. Every method that takes an [`Io`] may push
/// effects (sends, disk writes, barriers, marks); after each of `start`, `tick`, `receive`,
/// `reconnected` and `propose` the replica calls [`Library::flush`].
pub trait Library: Sized + 'static {
    /// What a variant is built with (planted bugs, tuning); `()` when there is one variant.
    type Config: Clone + Send + Sync + 'static;
    /// The library's messages between servers, its own type as it is.
    type Msg: Clone + Debug + 'static;
    /// What the server keeps on its simulated disk (written with `io.write`).
    type Disk: Clone + Debug + Default + 'static;
    /// How often the library's logical clock ticks, on the node's own (drifting) clock.
    const TICK: Dur;
    /// `Some(silence)` for a library that assumes TCP-like sessions between servers: its
    /// messages travel in session envelopes ([`session`]), a late or repeated one is dropped,
    /// and [`Library::reconnected`] is called when a session broke (a message of it lost, the
    /// peer restarted, or the peer silent for longer than `silence`). `None`: every message is
    /// delivered as the network delivers it.
    const SESSIONS: Option<Dur> = None;

    /// Builds the library on server `io.id()` of `servers`, from `disk` after a crash (the
    /// last synced state; `None` on first boot).
    fn start(
        config: &Self::Config,
        io: &mut Io<Self>,
        servers: &[NodeId],
        disk: Option<&Self::Disk>,
    ) -> Self;
    /// One tick of the library's logical clock.
    fn tick(&mut self, io: &mut Io<Self>);
    /// A message from server `from`.
    fn receive(&mut self, io: &mut Io<Self>, from: NodeId, msg: Self::Msg);
    /// The session with `peer` broke and was re-established (only with [`Library::SESSIONS`]).
    fn reconnected(&mut self, io: &mut Io<Self>, peer: NodeId) {
        let _ = (io, peer);
    }
    /// The server this one believes leads (itself when it does), if it knows one.
    fn leader(&self) -> Option<NodeId>;
    /// Proposes `cmd`; called only while [`Library::leader`] names this server. `false`: the
    /// library refused it (the client is redirected: nothing happened).
    fn propose(&mut self, io: &mut Io<Self>, cmd: Rc<Cmd>) -> bool;
    /// Does what the library asks for after a call: disk writes, then (behind `io.barrier()`
    /// when they must be durable first) its messages, and `io.apply` for every newly committed
    /// command, in log order.
    fn flush(&mut self, io: &mut Io<Self>);
    /// The label of `msg` in traces, filters and crash points (`crash_roles` names these): by
    /// default the enum variant its `Debug` text starts with ([`variant_name`]). Name them
    /// yourself when the interesting variant is nested, or to reuse another protocol's names.
    fn kind(msg: &Self::Msg) -> &'static str {
        variant_name(msg)
    }
    /// Feeds `msg` into the trace hash: by default its `Debug` text ([`hash_debug`]). Hash the
    /// fields that identify a message instead when formatting every message costs too much.
    fn hash_msg<H: Hasher>(msg: &Self::Msg, state: &mut H) {
        hash_debug(msg, state);
    }
    /// Role, term, commit index and log length, after every step (the election-safety check
    /// allows one leader per term).
    fn view(&self) -> NodeView;
    /// The library's state in a few named fields (`replay --state-at`); by default the view's.
    fn describe(&self) -> Vec<(&'static str, String)> {
        self.view().describe_fields()
    }
}
