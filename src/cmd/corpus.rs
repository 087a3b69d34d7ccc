//! `splitbrain corpus run DIR` replays every repro in a regression corpus and says which still
//! fail and which are fixed; `explore --corpus DIR` adds new failures to it, shrunk.

use super::common::{usage_exit, write_atomic, Target, UsageError, EXIT_FAIL, EXIT_PASS};
use splitbrain_scenarios::repro::Repro;
use splitbrain_scenarios::shrink::shrink;
use splitbrain_scenarios::RunOptions;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct CorpusArgs {
    #[command(subcommand)]
    pub action: CorpusAction,
}

#[derive(clap::Subcommand, Debug)]
pub enum CorpusAction {
    /// Replay every repro (`*.json`) in DIR: exit 1 if any still fails or fails differently,
    /// 0 if all are fixed, 2 if DIR is missing, holds no repro or holds a bad one.
    Run(CorpusRunArgs),
}

#[derive(clap::Args, Debug)]
pub struct CorpusRunArgs {
    /// The corpus folder (as given to `explore --corpus DIR`).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

pub fn run(args: &CorpusArgs) -> i32 {
    let CorpusAction::Run(r) = &args.action;
    match run_corpus(&r.dir) {
        Ok(code) => code,
        Err(e) => usage_exit(e),
    }
}

/// The repro files of a corpus, sorted by name.
pub fn repro_files(dir: &Path) -> Result<Vec<PathBuf>, UsageError> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| UsageError(format!("{}: {e}", dir.display())))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

fn run_corpus(dir: &Path) -> Result<i32, UsageError> {
    let files = repro_files(dir)?;
    if files.is_empty() {
        return Err(UsageError(format!(
            "{}: no repro files (*.json): an empty corpus replays nothing; check the path",
            dir.display()
        )));
    }
    let (mut still, mut fixed, mut changed) = (0, 0, 0);
    for path in &files {
        let repro = Repro::from_file(path)?;
        let entry = repro.registered_protocol(&path.display().to_string())?;
        let result = repro.run_on(entry.as_ref(), false, None)?;
        let name = path
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        let status = if repro.expect.matches(&result) {
            still += 1;
            "STILL FAILS"
        } else if result.record.outcome.is_failure() {
            changed += 1;
            "FAILS DIFFERENTLY"
        } else {
            fixed += 1;
            "fixed"
        };
        println!("{status:<18} {name}: {}", result.record.headline());
    }
    println!(
        "corpus {}: {} repros, {still} still fail, {changed} fail differently, {fixed} fixed",
        dir.display(),
        files.len()
    );
    Ok(if still + changed > 0 {
        EXIT_FAIL
    } else {
        EXIT_PASS
    })
}

/// Shrinks `seed` and saves it in `dir`, unless a repro of the same protocol, variant and
/// failed check is already there. Returns the file written, if any.
pub fn add_to_corpus(
    dir: &Path,
    t: &Target,
    seed: u64,
    opts: &RunOptions,
) -> Result<Option<PathBuf>, UsageError> {
    std::fs::create_dir_all(dir).map_err(|e| UsageError(format!("{}: {e}", dir.display())))?;
    let shrunk = shrink(
        t.entry.as_ref(),
        &t.variant,
        &t.scenario,
        seed,
        opts,
        splitbrain_scenarios::shrink::DEFAULT_MAX_RUNS,
    )?;
    for path in repro_files(dir)? {
        let Ok(old) = Repro::from_file(&path) else {
            continue;
        };
        if old.protocol == shrunk.repro.protocol
            && old.variant == shrunk.repro.variant
            && old.expect.checker == shrunk.repro.expect.checker
        {
            println!(
                "corpus: {} already holds this failure ({})",
                dir.display(),
                path.display()
            );
            return Ok(None);
        }
    }
    let slug: String = shrunk
        .repro
        .expect
        .checker
        .clone()
        .unwrap_or_else(|| "failure".into())
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let path = dir.join(format!(
        "{}-{}-{}-seed{}.json",
        shrunk.repro.protocol, shrunk.repro.variant, slug, seed
    ));
    write_atomic(&path, shrunk.repro.to_json().as_bytes())?;
    println!("corpus: new failure shrunk and saved as {}", path.display());
    Ok(Some(path))
}
