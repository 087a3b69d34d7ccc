//! ZooKeeper recipes as client programs on ZAB (`protocols::zab::recipes`), one scenario per
//! recipe, each judged by the ZooKeeper ordering checker and by the recipe's own check
//! (`recipe_checks`), and each expecting the marks that show the recipe did what it exists
//! for (contention, retries, hand-offs). The lock, election and ready clients wait for
//! ZAB's one-shot watches (`protocols::zab::watches`) and check again after `recheck_ms`
//! without one.

/// The recipe scenarios of the catalogue.
pub const CATALOGUE: [&str; 5] = [COUNTER, SIMPLE_LOCK, SCALABLE_LOCK, ELECTION, READY];

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

const SIMPLE_LOCK: &str = r#"{
  "name": "zab-recipe-simple-lock",
  "description": "Five clients take the simple lock (create the ephemeral /lock; if it exists, read it with a watch and try again when the watch fires) again and again, holding it 20 ms and resting as long after each release, while servers crash and clients are cut off: no two clients hold the lock at once over virtual time, except a holder whose session expired (reported as ZooKeeper's documented exception).",
  "protocol": "zab",
  "servers": 3,
  "clients": 5,
  "safety_ms": 4000,
  "liveness_ms": 2000,
  "generator": {"rates": {"crash": 1.0, "partition": 1.5}, "mean_fault_ms": 300},
  "workload": {"kind": "recipe", "recipe": "simple-lock", "hold_ms": 20},
  "sometimes": ["lock-handed-off", "lock-watch-fired", "lock-contended"]
}"#;

const SCALABLE_LOCK: &str = r#"{
  "name": "zab-recipe-scalable-lock",
  "description": "Five clients take the scalable lock (an ephemeral-sequential znode under /locks; the lowest holds; every other watches only the znode just below its own) again and again, holding it 20 ms and resting as long after each release, while servers crash and clients are cut off: no two clients hold the lock at once over virtual time, except a holder whose session expired (ZooKeeper's documented exception).",
  "protocol": "zab",
  "servers": 3,
  "clients": 5,
  "safety_ms": 4000,
  "liveness_ms": 2000,
  "generator": {"rates": {"crash": 1.0, "partition": 1.5}, "mean_fault_ms": 300},
  "workload": {"kind": "recipe", "recipe": "scalable-lock", "hold_ms": 20},
  "sometimes": ["lock-handed-off", "lock-watch-fired"]
}"#;

const ELECTION: &str = r#"{
  "name": "zab-recipe-election",
  "description": "Four clients run leader election (ephemeral-sequential znodes under /election; the lowest leads for a 50 ms term, then steps down and volunteers again; the others watch the next lower znode) while servers crash and clients are cut off: at most one leader at a time over virtual time, except a leader whose session expired (ZooKeeper's documented exception).",
  "protocol": "zab",
  "servers": 5,
  "clients": 4,
  "safety_ms": 4000,
  "liveness_ms": 2000,
  "generator": {"rates": {"crash": 1.0, "partition": 1.5}, "mean_fault_ms": 300},
  "workload": {"kind": "recipe", "recipe": "election", "hold_ms": 50},
  "sometimes": ["election-leader-chosen", "election-leader-changed", "election-watch-fired"]
}"#;

const READY: &str = r#"{
  "name": "zab-recipe-ready",
  "description": "C1 publishes configuration versions (delete /ready, set every /config key, create /ready) every 40 ms; three readers read the configuration whenever exists(/ready, watch) finds it, and wait for the watch otherwise, while servers crash and clients are cut off: a reader that saw /ready of version v reads every key at version v until its watch on /ready fires.",
  "protocol": "zab",
  "servers": 3,
  "clients": 4,
  "safety_ms": 4000,
  "liveness_ms": 2000,
  "generator": {"rates": {"crash": 1.0, "partition": 1.5}, "mean_fault_ms": 300},
  "workload": {"kind": "recipe", "recipe": "ready", "hold_ms": 40, "keys": 3},
  "sometimes": ["ready-config-read", "ready-watch-fired", "ready-waited"]
}"#;
