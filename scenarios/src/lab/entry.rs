//! A lab student's protocol as a registry entry: any `Protocol` whose clients speak the
//! suite's model (the shared `KvClient` over the student's wire messages does: `kv` for the
//! Raft lab, `write-once` registers for the Paxos lab) becomes something the suites run, with
//! one variant (`student`), no catalogue of its own and Raft's tuning parameter
//! `snapshot_every` handed to the student's constructor.

use crate::registry::ProtocolEntry;
use crate::scenario::Scenario;
use splitbrain_api::{Expect, FaultBudget, Protocol, ProtocolInfo, VariantInfo};
use splitbrain_sim::{run_world, RunRecord, Workload, WorldConfig};
use std::collections::BTreeMap;

/// The tuning a lab protocol receives from a scenario's `params`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct LabParams {
    /// Snapshot once this many commands were applied since the last one (6.5840's
    /// `maxraftstate`, counted in entries); `None`: never.
    pub snapshot_every: Option<u64>,
}

/// A student's protocol, built per run by `build` from the scenario's tuning.
pub struct LabEntry<P> {
    pub name: &'static str,
    pub build: fn(LabParams) -> P,
    /// The history model its clients speak: `kv` (the Raft lab) or `write-once` (Paxos).
    pub model: &'static str,
}

impl<P: Protocol> LabEntry<P> {
    /// The variant the suites run (a student's protocol has exactly one).
    pub fn variant() -> VariantInfo {
        VariantInfo {
            name: "student",
            bug_id: None,
            expect: Expect::Pass,
            scenario: "raft-basic-agree",
            summary: "the student's implementation",
        }
    }

    /// [`LabEntry::variant`] with the default scenario of this entry's suite.
    pub fn student(&self) -> VariantInfo {
        VariantInfo {
            scenario: if self.model == "write-once" {
                "paxos-dueling"
            } else {
                "raft-basic-agree"
            },
            ..Self::variant()
        }
    }
}

/// The Paxos lab's message kinds in the crash-point roles.
const PAXOS_ROLES: &[(crate::portable::CrashRole, &str)] = &[
    (crate::portable::CrashRole::VoteGrant, "Promise"),
    (crate::portable::CrashRole::AppendAck, "Accepted"),
    (crate::portable::CrashRole::Append, "Accept"),
    (crate::portable::CrashRole::ClientReply, "ClientReply"),
];

const PARAMS: &[(&str, &str)] = &[(
    "snapshot_every",
    "snapshot once this many commands were applied since the last one",
)];

impl<P: Protocol> ProtocolEntry for LabEntry<P> {
    fn info(&self) -> ProtocolInfo {
        ProtocolInfo {
            name: self.name,
            summary: "a lab student's implementation",
            variants: vec![self.student()],
            default_servers: 3,
            budget: FaultBudget::minority(),
        }
    }

    fn default_servers(&self, _variant: &VariantInfo) -> usize {
        3
    }

    fn run(
        &self,
        _variant: &VariantInfo,
        params: &BTreeMap<String, u64>,
        cfg: WorldConfig,
        workload: Box<dyn Workload>,
    ) -> RunRecord {
        let proto = (self.build)(LabParams {
            snapshot_every: params.get("snapshot_every").copied(),
        });
        run_world(&proto, cfg, workload, Vec::new())
    }

    fn scenarios(&self) -> Vec<Scenario> {
        Vec::new()
    }

    fn models(&self) -> Vec<String> {
        vec![self.model.to_string()]
    }

    fn params(&self) -> &'static [(&'static str, &'static str)] {
        PARAMS
    }

    /// A student's messages carry the suite's kinds (Raft's `VoteGranted`, `AppendOk`, ...;
    /// Paxos's `Promise`, `Accepted`, ...), so crash points named by role fire on them as on
    /// splitbrain's own protocols.
    fn crash_roles(&self) -> &'static [(crate::portable::CrashRole, &'static str)] {
        if self.model == "write-once" {
            PAXOS_ROLES
        } else {
            crate::catalog::raft::CRASH_ROLES
        }
    }
}
