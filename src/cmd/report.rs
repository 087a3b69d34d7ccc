//! `splitbrain report merge A.json B.json ...`: combines the explore JSON of shards (or of
//! any disjoint seed sets of one exploration) into the document one unsharded run gives.

use super::common::{usage_exit, write_atomic, UsageError, EXIT_PASS};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// `merge`: combine explore JSON files.
    pub action: String,
    pub files: Vec<PathBuf>,
    /// Write the merged JSON to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: &ReportArgs) -> i32 {
    if args.action != "merge" {
        return usage_exit(UsageError(format!(
            "unknown report action `{}` (known: merge)",
            args.action
        )));
    }
    match merge_files(args) {
        Ok(code) => code,
        Err(e) => usage_exit(e),
    }
}

fn merge_files(args: &ReportArgs) -> Result<i32, UsageError> {
    let mut docs = Vec::new();
    for f in &args.files {
        let text =
            std::fs::read_to_string(f).map_err(|e| UsageError(format!("{}: {e}", f.display())))?;
        let doc: Value = serde_json::from_str(&text)
            .map_err(|e| UsageError(format!("{}:{}: {e}", f.display(), e.line())))?;
        docs.push((f.display().to_string(), doc));
    }
    let merged = merge(&docs)?;
    let text = serde_json::to_string_pretty(&merged).expect("json");
    match &args.output {
        Some(p) => write_atomic(p, text.as_bytes())?,
        None => println!("{text}"),
    }
    Ok(EXIT_PASS)
}

/// Merges explore documents of one protocol/variant/scenario.
pub fn merge(docs: &[(String, Value)]) -> Result<Value, UsageError> {
    let Some((_, first)) = docs.first() else {
        return Err(UsageError("report merge: no files".into()));
    };
    let mut per_seed: BTreeMap<u64, Value> = BTreeMap::new();
    let (mut wall_ms, mut from, mut to) = (0u64, u64::MAX, 0u64);
    for (file, d) in docs {
        for field in ["protocol", "variant", "scenario"] {
            if d[field] != first[field] {
                return Err(UsageError(format!(
                    "{file}: field `{field}`: {} differs from {}",
                    d[field], first[field]
                )));
            }
        }
        let seeds = d["per_seed"]
            .as_array()
            .ok_or_else(|| UsageError(format!("{file}: field `per_seed`: missing")))?;
        for s in seeds {
            let seed = s["seed"].as_u64().ok_or_else(|| {
                UsageError(format!("{file}: field `per_seed.seed`: not a number"))
            })?;
            per_seed.insert(seed, s.clone());
        }
        wall_ms = wall_ms.max(d["wall_ms"].as_u64().unwrap_or(0));
        from = from.min(d["seeds"]["from"].as_u64().unwrap_or(0));
        to = to.max(d["seeds"]["to"].as_u64().unwrap_or(0));
    }
    let failing: Vec<&Value> = per_seed
        .values()
        .filter(|s| {
            matches!(
                s["outcome"].as_str(),
                Some("violation" | "liveness" | "panic")
            )
        })
        .collect();
    let first_failure = failing
        .first()
        .map(|s| json!({"seed": s["seed"], "outcome": s["outcome"], "message": s["message"]}));
    Ok(json!({
        "schema_version": 1,
        "protocol": first["protocol"],
        "variant": first["variant"],
        "bug_id": first["bug_id"],
        "scenario": first["scenario"],
        "seeds": {"from": from, "to": to},
        "shard": null,
        "merged_from": docs.len(),
        "runs": per_seed.len(),
        "failed": failing.len(),
        "failing_seeds": failing.iter().map(|s| s["seed"].clone()).collect::<Vec<_>>(),
        "first_failure": first_failure,
        "inconclusive": per_seed.values().filter(|s| s["outcome"] == "inconclusive").count(),
        "wall_ms": wall_ms,
        "per_seed": per_seed.into_values().collect::<Vec<_>>(),
    }))
}
