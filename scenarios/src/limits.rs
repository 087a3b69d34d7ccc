//! The documented range of every size a user can set, in a scenario file or on the command
//! line. Each is checked before a world is built, so an absurd size is bad input (exit 2), not
//! an allocation failure or an out-of-memory kill minutes later.

use std::fmt;

/// An inclusive range of a size, with the scenario field it bounds.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    /// The scenario field (the command-line flag has the same name with dashes).
    pub field: &'static str,
    pub min: u64,
    pub max: u64,
    /// What the number counts, for documentation.
    pub what: &'static str,
}

impl Limit {
    /// `Ok` when `value` is in range, else the message naming the range.
    pub fn check(&self, value: u64) -> Result<(), String> {
        if (self.min..=self.max).contains(&value) {
            Ok(())
        } else {
            Err(format!(
                "must be in {}..={}, got {value}",
                self.min, self.max
            ))
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}..={} ({})",
            self.field, self.min, self.max, self.what
        )
    }
}

/// Servers in the cluster (the simulator's upper bound; a protocol may narrow it).
pub const SERVERS: Limit = Limit {
    field: "servers",
    min: 1,
    max: splitbrain_sim::world::MAX_SERVERS as u64,
    what: "servers in the cluster",
};

/// Clients. Links are per pair of endpoints, so memory grows with the square of the world.
pub const CLIENTS: Limit = Limit {
    field: "clients",
    min: 1,
    max: 256,
    what: "clients issuing operations",
};

/// The safety phase, in simulated milliseconds.
pub const SAFETY_MS: Limit = Limit {
    field: "safety_ms",
    min: 1,
    max: 3_600_000,
    what: "simulated ms of the phase with faults",
};

/// The liveness phase, in simulated milliseconds.
pub const LIVENESS_MS: Limit = Limit {
    field: "liveness_ms",
    min: 0,
    max: 3_600_000,
    what: "simulated ms of the healed phase in which every client must complete an operation",
};

/// The event bound of one run.
pub const MAX_EVENTS: Limit = Limit {
    field: "max_events",
    min: 1,
    max: 1_000_000_000,
    what: "events before a run stops as inconclusive",
};

/// Keys of a key-value workload.
pub const KEYS: Limit = Limit {
    field: "workload.keys",
    min: 1,
    max: 1_000_000,
    what: "keys a key-value workload spreads its operations over",
};

/// Operations per client of a generated workload.
pub const OPS_PER_CLIENT: Limit = Limit {
    field: "workload.max_ops_per_client",
    min: 1,
    max: 1_000_000,
    what: "operations each client issues at most",
};

/// The share of reads in a key-value workload.
pub const READ_PERCENT: Limit = Limit {
    field: "workload.read_percent",
    min: 0,
    max: 100,
    what: "percent of key-value operations that are reads",
};

/// How long a generated fault lasts on average.
pub const MEAN_FAULT_MS: Limit = Limit {
    field: "generator.mean_fault_ms",
    min: 1,
    max: 3_600_000,
    what: "mean simulated ms a generated fault lasts",
};

/// Every limit, in the order `docs/scenarios.md` lists them.
pub const ALL: [Limit; 9] = [
    SERVERS,
    CLIENTS,
    SAFETY_MS,
    LIVENESS_MS,
    MAX_EVENTS,
    KEYS,
    OPS_PER_CLIENT,
    READ_PERCENT,
    MEAN_FAULT_MS,
];
