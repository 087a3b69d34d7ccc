//! The deterministic world: a discrete-event loop over virtual time that hosts the processes
//! of one protocol, a simulated network and disks, clocks, a fault schedule and the trace.
//! It knows no protocol: everything protocol-shaped arrives through `splitbrain_api`.

pub mod faults;
pub mod network;
pub mod record;
pub mod rng;
pub mod trace;
pub mod world;

pub use faults::{Fault, Schedule, Timed};
pub use network::{Latency, LinkProfile};
pub use record::{
    History, HistoryNotice, HistoryOp, Inspection, MarkAt, OpStatus, Outcome, RunRecord,
    TraceEvent, TraceKind, Violation, HISTORY_SCHEMA_VERSION,
};
pub use world::{in_world, run_world, Workload, WorldConfig};
