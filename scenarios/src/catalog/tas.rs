//! The lock service's registry entry and scenarios (split brain: VMware FT §2.3; 6.824's
//! lecture on majority vote).

use crate::registry::ProtocolEntry;
use crate::scenario::Scenario;
use splitbrain_api::VariantInfo;
use splitbrain_protocols::tas::{self, Tas, TasVariant};
use splitbrain_sim::{run_world, RunRecord, Workload, WorldConfig};
use std::collections::BTreeMap;

pub struct TasEntry;

fn variant_of(v: &VariantInfo) -> TasVariant {
    TasVariant::parse(v.name).expect("tas variants come from tas::info()")
}

impl ProtocolEntry for TasEntry {
    fn info(&self) -> splitbrain_api::ProtocolInfo {
        tas::info()
    }

    fn default_servers(&self, variant: &VariantInfo) -> usize {
        variant_of(variant).default_servers()
    }

    /// Takes no parameters (`params` is empty: the scenario check refuses any).
    fn run(
        &self,
        variant: &VariantInfo,
        _params: &BTreeMap<String, u64>,
        cfg: WorldConfig,
        workload: Box<dyn Workload>,
    ) -> RunRecord {
        let proto = Tas {
            variant: variant_of(variant),
        };
        run_world(&proto, cfg, workload, Vec::new())
    }

    fn scenarios(&self) -> Vec<Scenario> {
        super::parse_builtin("tas", &[SPLIT, SPLIT_EXPLICIT, SWARM])
    }
}

/// Random partitions only, with the two clients spread over the sides: the V01 hunt.
const SPLIT: &str = r#"{
  "name": "tas-split",
  "description": "Random partitions with clients on both sides; both sides try to grant the same lock (VMware FT 2.3).",
  "protocol": "tas",
  "clients": 2,
  "safety_ms": 3000,
  "liveness_ms": 1000,
  "generator": {"rates": {"partition": 2.0}, "mean_fault_ms": 300},
  "workload": {"kind": "lock"},
  "sometimes": ["contested"]
}"#;

/// The textbook picture: {S1,C1} | {S2,C2}, both clients acquire.
const SPLIT_EXPLICIT: &str = r#"{
  "name": "tas-split-explicit",
  "description": "Partition {S1,C1} | {S2,C2} at 100 ms, heal at 600 ms; both clients race for each lock.",
  "protocol": "tas",
  "clients": 2,
  "safety_ms": 1000,
  "liveness_ms": 500,
  "schedule": [
    {"at_us": 100000, "fault": {"kind": "partition", "groups": [["S1", "C1"], ["S2", "C2"]]}},
    {"at_us": 600000, "fault": {"kind": "heal"}}
  ],
  "workload": {"kind": "lock"}
}"#;

/// Every fault the service promises to survive, swarm-style.
const SWARM: &str = r#"{
  "name": "tas-swarm",
  "description": "Swarm testing: each seed draws which of partitions, crashes (with lost unsynced writes), pauses, clock faults, lossy links, slow nodes and crash points are on.",
  "protocol": "tas",
  "clients": 3,
  "safety_ms": 3000,
  "liveness_ms": 1500,
  "generator": {
    "rates": {"partition": 1.5, "crash": 1.0, "pause": 0.5, "clock": 0.5, "link": 0.5, "slow": 0.5, "crash-point": 0.5},
    "swarm": true,
    "mean_fault_ms": 250,
    "crash_point_kinds": ["Vote", "Owner", "ReplicateAck"]
  },
  "workload": {"kind": "lock"},
  "sometimes": ["contested"]
}"#;
