//! `splitbrain report merge A.json B.json ...`: combines the explore reports of the shards of
//! one exploration into the report one unsharded run gives, after checking that they are
//! shards of the same exploration (build, protocol, variant, scenario, options, seed range)
//! and cover the range exactly once. Prints the same summary and exits as that run would.

use super::common::{usage_exit, write_atomic, UsageError};
use super::explore_report::{ExploreReport, PerSeed, ShardSpec};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub action: ReportAction,
}

#[derive(clap::Subcommand, Debug)]
pub enum ReportAction {
    /// Merge the explore reports (`explore --shard K/N -o FILE`) of every shard into one.
    /// Exit code as the unsharded exploration: 0 pass, 1 a failure or a `sometimes`
    /// expectation never reached, 2 bad input (shards missing, repeated or of different
    /// explorations), 3 inconclusive.
    Merge(MergeArgs),
}

#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// The shards' explore reports, one per shard, in any order.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Write the merged report to FILE (atomically).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print the merged report as JSON instead of the summary.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &ReportArgs) -> i32 {
    let ReportAction::Merge(m) = &args.action;
    match merge_files(m) {
        Ok(code) => code,
        Err(e) => usage_exit(e),
    }
}

fn merge_files(args: &MergeArgs) -> Result<i32, UsageError> {
    super::common::check_outputs(&[("-o", args.output.as_ref())])?;
    let mut docs = Vec::new();
    for f in &args.files {
        docs.push((f.display().to_string(), ExploreReport::from_file(f)?));
    }
    let merged = merge(&docs)?;
    let text = serde_json::to_string_pretty(&merged).expect("json");
    if let Some(p) = &args.output {
        write_atomic(p, format!("{text}\n").as_bytes())?;
    }
    if args.json {
        println!("{text}");
    } else {
        println!("merged {} shard reports", docs.len());
        print!("{}", merged.summary_text());
    }
    Ok(merged.exit_code())
}

/// The fields that must agree for two reports to be shards of one exploration.
fn identity(r: &ExploreReport) -> [(&'static str, String); 9] {
    [
        ("build", json(&r.build)),
        ("protocol", json(&r.protocol)),
        ("variant", json(&r.variant)),
        ("bug_id", json(&r.bug_id)),
        ("scenario", json(&r.scenario)),
        ("scenario_digest", json(&r.scenario_digest)),
        ("sometimes", json(&r.sometimes)),
        ("options", json(&r.options)),
        ("seeds", json(&r.seeds)),
    ]
}

/// A value as JSON text, for comparing and for error messages.
fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("json")
}

/// Merges shard reports of one exploration; see the module documentation.
pub fn merge(docs: &[(String, ExploreReport)]) -> Result<ExploreReport, UsageError> {
    let Some((first_file, first)) = docs.first() else {
        return Err(UsageError("report merge: no files".into()));
    };
    for (file, d) in &docs[1..] {
        for ((field, want), (_, got)) in identity(first).iter().zip(identity(d).iter()) {
            if want != got {
                return Err(UsageError(format!(
                    "{file}: field `{field}`: {got} differs from {want} in {first_file}: not a shard of the same exploration"
                )));
            }
        }
    }
    let count = shard_count(docs)?;
    let mut by_index: BTreeMap<u64, &str> = BTreeMap::new();
    let mut seeds: BTreeMap<u64, PerSeed> = BTreeMap::new();
    for (file, d) in docs {
        let spec = d.shard.unwrap_or(ShardSpec { index: 0, count: 1 });
        if let Some(other) = by_index.insert(spec.index, file) {
            return Err(UsageError(format!(
                "{file}: field `shard`: shard {}/{count} was already given by {other}: each shard must be given once",
                spec.index
            )));
        }
        check_coverage(file, d, spec)?;
        for s in &d.per_seed {
            seeds.insert(s.seed, s.clone());
        }
    }
    if let Some(missing) = (0..count).find(|k| !by_index.contains_key(k)) {
        let given: Vec<String> = by_index.keys().map(|k| format!("{k}/{count}")).collect();
        return Err(UsageError(format!(
            "field `shard`: shard {missing}/{count} is missing (given: {}): the merge would not cover seeds {}..{}",
            given.join(", "),
            first.seeds.from,
            first.seeds.to
        )));
    }
    let mut merged = first.clone();
    merged.shard = None;
    merged.wall_ms = docs.iter().map(|(_, d)| d.wall_ms).sum();
    merged.per_seed = seeds.into_values().collect();
    merged.stopped_early = false;
    if merged.options.until_first {
        if let Some(pos) = merged.per_seed.iter().position(|s| s.outcome.is_failure()) {
            merged.per_seed.truncate(pos + 1);
            merged.stopped_early = true;
        }
    }
    merged.derive_totals();
    Ok(merged)
}

/// The number of shards every report declares (1 for an unsharded report).
fn shard_count(docs: &[(String, ExploreReport)]) -> Result<u64, UsageError> {
    let count_of = |d: &ExploreReport| d.shard.map_or(1, |s| s.count);
    let (first_file, first) = &docs[0];
    let count = count_of(first);
    for (file, d) in docs {
        let spec = d.shard.unwrap_or(ShardSpec { index: 0, count: 1 });
        if spec.count != count || spec.index >= spec.count {
            return Err(UsageError(format!(
                "{file}: field `shard`: {}/{} does not fit {first_file}'s split into {count} shards",
                spec.index, spec.count
            )));
        }
    }
    Ok(count)
}

/// A shard's seeds must be exactly its slice of the range, or (when `until_first` stopped it)
/// a prefix of that slice ending at a failure.
fn check_coverage(file: &str, d: &ExploreReport, spec: ShardSpec) -> Result<(), UsageError> {
    let range = d.seeds.from..d.seeds.to;
    let expected = splitbrain_scenarios::explore::shard(range, spec.index, spec.count);
    let got: Vec<u64> = d.per_seed.iter().map(|s| s.seed).collect();
    let bad = |what: String| {
        UsageError(format!(
            "{file}: field `per_seed`: {what} (shard {}/{} of seeds {}..{} has {} seeds)",
            spec.index,
            spec.count,
            d.seeds.from,
            d.seeds.to,
            expected.len()
        ))
    };
    if let Some(pos) = got.iter().zip(&expected).position(|(g, e)| g != e) {
        return Err(bad(format!(
            "entry {pos} is seed {}, expected seed {}",
            got[pos], expected[pos]
        )));
    }
    if got.len() > expected.len() {
        return Err(bad(format!(
            "{} entries, more than the shard's seeds",
            got.len()
        )));
    }
    let stopped_at_failure =
        d.stopped_early && d.per_seed.last().is_some_and(|s| s.outcome.is_failure());
    if got.len() < expected.len() && !stopped_at_failure {
        return Err(bad(format!(
            "only {} of its seeds, and it did not stop at a failure",
            got.len()
        )));
    }
    Ok(())
}
