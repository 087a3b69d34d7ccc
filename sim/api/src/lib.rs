//! The contract between a protocol and the simulator, and nothing more.
//!
//! A protocol crate depends on this crate only: it cannot name the engine, the network or the
//! root RNG. Everything here is plain data or a sans-IO trait: events in, effects out.

pub mod ctx;
pub mod ids;
pub mod mix;
pub mod ops;
pub mod process;
pub mod text;
pub mod time;
pub mod view;
pub mod zk;

pub use ctx::{Ctx, Effect};
pub use ids::NodeId;
pub use mix::splitmix64;
pub use ops::{Op, Ret};
pub use process::{
    check_by_stepped, ClientProcess, ClusterInvariant, DiskEvent, Expect, FaultBudget, Message,
    Process, Protocol, ProtocolInfo, Scope, VariantInfo, BUDGET_SIZES,
};
pub use text::Text;
pub use time::{ms_label, Dur, Time};
pub use view::{NodeView, Role};
pub use zk::{CreateMode, MultiOp, MultiResult, Notice, Stat, WatchKind, ZkError};

/// The RNG every protocol draws from: its own ChaCha stream, derived by the world.
pub type SimRng = rand_chacha::ChaCha8Rng;

/// The traits a process draws with from `ctx.rng()` (`gen_range`, `gen_bool`, `shuffle`...),
/// and the `rand` crate they come from: a protocol crate uses these instead of pinning a
/// `rand` version that matches splitbrain's.
pub use rand::{self, seq::SliceRandom, Rng, RngCore};

/// A stable 64-bit hash (FNV-1a) for digests of commands and trace entries: the same bytes
/// give the same value on every machine and every build.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    let mut h = Fnv1a::default();
    h.write(bytes);
    h.finish()
}

/// [`stable_hash`] fed piece by piece: writing the pieces gives the value of hashing their
/// concatenation, without building it.
#[derive(Clone, Copy, Debug)]
pub struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Fnv1a {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    pub fn finish(self) -> u64 {
        self.0
    }
}
