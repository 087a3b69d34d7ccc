//! The protocol registry: each protocol, type-erased behind `ProtocolEntry`, with its variants
//! and catalogue scenarios. The CLI, the campaign and `replay` look protocols up here by name.
//!
//! The registry is open: [`register`] is the one door, and the built-in protocols come in
//! through it like a user's (the first look-up registers [`builtin_protocols`]). A user's
//! crate registers its own entry before it calls the embedded CLI, or hands the entry to
//! `splitbrain::testing` directly.

use crate::portable::CrashRole;
use crate::scenario::Scenario;
use splitbrain_api::{ProtocolInfo, VariantInfo};
use splitbrain_sim::{RunRecord, Workload, WorldConfig};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock, RwLock};

/// A protocol the harness can run, whatever its message and state types.
pub trait ProtocolEntry: Send + Sync {
    fn info(&self) -> ProtocolInfo;
    /// Cluster size for `variant` when neither the user nor the scenario says.
    fn default_servers(&self, variant: &VariantInfo) -> usize;
    /// Runs one world of `variant`, tuned by a scenario's `params` (already checked against
    /// [`ProtocolEntry::params`]), with the protocol's online invariants attached.
    fn run(
        &self,
        variant: &VariantInfo,
        params: &BTreeMap<String, u64>,
        cfg: WorldConfig,
        workload: Box<dyn Workload>,
    ) -> RunRecord;
    /// The protocol's named scenarios (the generic ones, [`generic_scenarios`], apply to
    /// every protocol whose clients speak their workload and need not be listed).
    fn scenarios(&self) -> Vec<Scenario>;
    /// The cluster sizes this protocol runs (default: whatever the simulator allows).
    fn servers_range(&self) -> std::ops::RangeInclusive<usize> {
        1..=splitbrain_sim::world::MAX_SERVERS
    }
    /// The history models its clients speak (`mutex`, `kv`...): by default those of its own
    /// catalogue scenarios. A scenario with another workload is refused as bad input.
    fn models(&self) -> Vec<String> {
        let mut models: Vec<String> = self
            .scenarios()
            .iter()
            .map(|s| s.workload.model().to_string())
            .collect();
        models.sort();
        models.dedup();
        models
    }
    /// The message kind this protocol sends in each crash-point role it has (a scenario names
    /// roles, `"vote-grant"`, so that it runs on any protocol; see `portable`). A role
    /// missing here makes a scenario that names it refused on this protocol.
    fn crash_roles(&self) -> &'static [(CrashRole, &'static str)] {
        &[]
    }
    /// Tuning parameters a scenario may set (`params`), with what each one means.
    fn params(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }
    /// Hint marks for guided exploration: protocol events after which faults correlated
    /// across nodes are worth trying first (a leader about to depend on its followers'
    /// acknowledgements, a data replica that clients read from). Guided mode anchors most of
    /// its correlated and cut edits on them when a kept run reached one; the rest, and every
    /// edit of a protocol without hints, on a mark drawn uniformly. Names no bug.
    fn hints(&self) -> &'static [&'static str] {
        &[]
    }
}

/// A registered protocol, shared by every caller that looks it up.
pub type Entry = Arc<dyn ProtocolEntry>;

/// Why [`register`] refused an entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    #[error("a protocol named `{0}` is already registered (names are case-insensitive)")]
    NameTaken(String),
    #[error("protocol `{0}` has no variants; declare at least its correct one")]
    NoVariants(String),
}

/// The built-in protocols, in the order `list` shows them. Each is registered through
/// [`register`] on the first look-up, exactly as a user's protocol is.
pub fn builtin_protocols() -> Vec<Box<dyn ProtocolEntry>> {
    vec![
        Box::new(crate::catalog::tas::TasEntry),
        Box::new(crate::catalog::raft::RaftEntry),
        Box::new(crate::catalog::paxos::PaxosEntry),
        Box::new(crate::catalog::multipaxos::MultiPaxosEntry),
        Box::new(crate::catalog::chain::ChainEntry),
        Box::new(crate::catalog::zab::ZabEntry),
    ]
}

/// Adds a protocol to the registry of this process, after the built-in ones: `list`, `run`,
/// `explore`, `shrink`, `replay` and the campaign see it from then on. A name already taken
/// (built-in or not) is refused, so a user's `raft` never silently shadows splitbrain's.
pub fn register(entry: impl ProtocolEntry + 'static) -> Result<(), RegisterError> {
    insert(
        &mut table().write().expect("registry lock"),
        Arc::new(entry),
    )
}

/// Every registered protocol: the built-in ones first, then the others in registration order.
pub fn protocols() -> Vec<Entry> {
    table().read().expect("registry lock").clone()
}

/// The registered protocol called `name` (case-insensitive).
pub fn find_protocol(name: &str) -> Option<Entry> {
    table()
        .read()
        .expect("registry lock")
        .iter()
        .find(|p| p.info().name.eq_ignore_ascii_case(name))
        .cloned()
}

/// The names of every registered protocol, for messages that list what is known.
pub fn protocol_names() -> Vec<&'static str> {
    protocols().iter().map(|p| p.info().name).collect()
}

/// Every named scenario: each protocol's, then the generic ones (once each: a protocol that
/// offers another's catalogue does not list it twice).
pub fn all_scenarios() -> Vec<Scenario> {
    let mut all: Vec<Scenario> = protocols().iter().flat_map(|p| p.scenarios()).collect();
    all.extend(generic_scenarios());
    let mut seen = std::collections::BTreeSet::new();
    all.retain(|s| seen.insert(s.name.clone()));
    all
}

/// The scenarios written for no protocol in particular (partitions, crashes, swarm over a
/// key-value workload): they run on any protocol whose clients speak their workload, inside
/// the fault budget the protocol declares.
pub fn generic_scenarios() -> Vec<Scenario> {
    crate::catalog::generic::scenarios()
}

/// The scenarios that apply to `entry`: its own catalogue, then the generic scenarios whose
/// workload its clients speak and whose crash-point roles it has (asked for by name, one it
/// cannot run is refused with the reason).
pub fn scenarios_for(entry: &dyn ProtocolEntry) -> Vec<Scenario> {
    let models = entry.models();
    let mut list = entry.scenarios();
    list.extend(generic_scenarios().into_iter().filter(|s| {
        models.iter().any(|m| m == s.workload.model())
            && crate::portable::for_protocol(s, entry, &s.name, false).is_ok()
    }));
    list
}

fn table() -> &'static RwLock<Vec<Entry>> {
    static TABLE: OnceLock<RwLock<Vec<Entry>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut list = Vec::new();
        for entry in builtin_protocols() {
            insert(&mut list, Arc::from(entry)).expect("built-in protocols have distinct names");
        }
        RwLock::new(list)
    })
}

fn insert(list: &mut Vec<Entry>, entry: Entry) -> Result<(), RegisterError> {
    let info = entry.info();
    if info.variants.is_empty() {
        return Err(RegisterError::NoVariants(info.name.to_string()));
    }
    if list
        .iter()
        .any(|p| p.info().name.eq_ignore_ascii_case(info.name))
    {
        return Err(RegisterError::NameTaken(info.name.to_string()));
    }
    list.push(entry);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use splitbrain_api::{Expect, FaultBudget};

    /// An entry that borrows Raft's worlds under another name (and no catalogue of its own).
    struct Renamed(&'static str);

    impl ProtocolEntry for Renamed {
        fn info(&self) -> ProtocolInfo {
            ProtocolInfo {
                name: self.0,
                summary: "Raft under another name",
                variants: vec![VariantInfo {
                    name: "correct",
                    bug_id: None,
                    expect: Expect::Pass,
                    scenario: "generic-partitions",
                    summary: "as built in",
                }],
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
            let raft = find_protocol("raft").expect("built in");
            let correct = raft.info().variants[0].clone();
            raft.run(&correct, params, cfg, workload)
        }

        fn scenarios(&self) -> Vec<Scenario> {
            Vec::new()
        }

        fn models(&self) -> Vec<String> {
            vec!["kv".to_string()]
        }
    }

    #[test]
    fn a_registered_protocol_is_found_listed_after_the_built_in_ones_and_runs_generic_scenarios() {
        register(Renamed("renamed-raft")).expect("a free name");
        let names = protocol_names();
        let builtin: Vec<&str> = builtin_protocols().iter().map(|p| p.info().name).collect();
        assert_eq!(names[..builtin.len()], builtin[..], "built-in ones first");
        assert!(names.contains(&"renamed-raft"), "{names:?}");
        let entry = find_protocol("Renamed-Raft").expect("case-insensitive look-up");
        let generic: Vec<String> = scenarios_for(entry.as_ref())
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(
            generic,
            ["generic-partitions", "generic-crashes", "generic-swarm"]
        );
        let variant = entry.info().variants[0].clone();
        let scenario = generic_scenarios().remove(0);
        let opts = crate::RunOptions::default();
        let run = crate::run_seed(entry.as_ref(), &variant, &scenario, 1, &opts).expect("runs");
        assert_eq!(run.protocol, "renamed-raft");
        assert!(!run.record.history.ops.is_empty(), "the kv workload ran");
    }

    #[test]
    fn a_taken_name_is_refused_whatever_its_case_and_so_is_a_protocol_without_variants() {
        assert_eq!(
            register(Renamed("RAFT")),
            Err(RegisterError::NameTaken("RAFT".to_string()))
        );
        struct Empty;
        impl ProtocolEntry for Empty {
            fn info(&self) -> ProtocolInfo {
                ProtocolInfo {
                    variants: Vec::new(),
                    ..Renamed("empty").info()
                }
            }
            fn default_servers(&self, _: &VariantInfo) -> usize {
                3
            }
            fn run(
                &self,
                _: &VariantInfo,
                _: &BTreeMap<String, u64>,
                _: WorldConfig,
                _: Box<dyn Workload>,
            ) -> RunRecord {
                unreachable!("never registered")
            }
            fn scenarios(&self) -> Vec<Scenario> {
                Vec::new()
            }
        }
        assert_eq!(
            register(Empty),
            Err(RegisterError::NoVariants("empty".to_string()))
        );
        assert!(find_protocol("empty").is_none());
    }

    #[test]
    fn the_built_in_protocols_serve_the_generic_scenarios_of_their_models() {
        for name in ["raft", "multipaxos", "chain"] {
            let entry = find_protocol(name).expect("built in");
            let names: Vec<String> = scenarios_for(entry.as_ref())
                .into_iter()
                .map(|s| s.name)
                .collect();
            assert!(names.iter().any(|n| n == "generic-swarm"), "{name}");
        }
        let tas = find_protocol("tas").expect("built in");
        assert!(
            scenarios_for(tas.as_ref())
                .iter()
                .all(|s| !s.name.starts_with("generic-")),
            "the lock service's clients speak `mutex`, not `kv`"
        );
    }
}
