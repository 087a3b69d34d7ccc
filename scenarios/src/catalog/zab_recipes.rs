//! ZooKeeper recipes as client programs on ZAB (`protocols::zab::recipes`), one scenario per
//! recipe, each judged by the ZooKeeper ordering checker and by the recipe's own check
//! (`recipe_checks`), and each expecting the marks that show the recipe did what it exists
//! for (contention, retries, hand-offs).

/// Every recipe scenario.
/// The locks, election and ready scenarios join once ZAB's watches are on main (their
/// clients wait for watch events).
pub const CATALOGUE: [&str; 1] = [COUNTER];

const COUNTER: &str = r#"{
  "name": "zab-recipe-counter",
  "description": "Four clients keep incrementing /counter with get-data and set-data conditioned on the version read, starting over on BadVersion, while servers crash and clients are cut off from their server: every acknowledged increment counts exactly once (the successful writes, in zxid order, are consecutive numbers; a gap only where an increment was left unfinished).",
  "protocol": "zab",
  "servers": 3,
  "clients": 4,
  "safety_ms": 4000,
  "liveness_ms": 2000,
  "generator": {"rates": {"crash": 1.0, "partition": 1.5}, "mean_fault_ms": 300},
  "workload": {"kind": "recipe", "recipe": "counter"},
  "sometimes": ["counter-incremented", "counter-retried", "leader-established"]
}"#;
