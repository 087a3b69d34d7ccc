//! What the subcommands share: resolving protocol, variant and scenario from flags, exit
//! codes, seed ranges, atomic file writes and the silent panic hook for worlds.

use splitbrain_api::VariantInfo;
use splitbrain_scenarios::limits::{self, Limit};
use splitbrain_scenarios::registry::{
    find_protocol, protocol_names, scenarios_for, Entry, ProtocolEntry,
};
use splitbrain_scenarios::runner::resolve_variant;
use splitbrain_scenarios::Scenario;
use splitbrain_sim::Outcome;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

pub const EXIT_PASS: i32 = 0;
pub const EXIT_FAIL: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_INCONCLUSIVE: i32 = 3;
/// Stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: i32 = 130;

/// The parser of a size flag, with its documented range (`splitbrain_scenarios::limits`).
pub fn size_flag(limit: Limit) -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(limit.min..=limit.max)
}

/// The parser of a count flag that must lie in `min..=max` (seeds, runs, events...).
pub fn count_flag(min: u64, max: u64) -> clap::builder::RangedU64ValueParser<u64> {
    clap::builder::RangedU64ValueParser::<u64>::new().range(min..=max)
}

/// Most worker threads `-j/--jobs` accepts.
pub const MAX_JOBS: u64 = 1024;

/// The parser of `-j/--jobs`: 1..=1024.
pub fn jobs_flag() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(1..=MAX_JOBS)
}

/// Bad usage or input: the message, and exit code 2.
pub struct UsageError(pub String);

impl<E: std::fmt::Display> From<E> for UsageError {
    fn from(e: E) -> Self {
        UsageError(e.to_string())
    }
}

/// Prints a usage error and returns exit code 2.
pub fn usage_exit(e: UsageError) -> i32 {
    eprintln!("error: {}", e.0);
    EXIT_USAGE
}

/// The exit code for one outcome.
pub fn exit_for(outcome: Outcome) -> i32 {
    match outcome {
        Outcome::Pass => EXIT_PASS,
        Outcome::Inconclusive => EXIT_INCONCLUSIVE,
        _ => EXIT_FAIL,
    }
}

/// What every command that runs worlds takes: the protocol, variant, scenario and world size.
#[derive(clap::Args, Debug, Clone)]
pub struct TargetArgs {
    /// Protocol name (`splitbrain list` shows them).
    pub protocol: String,
    /// Variant name or planted-bug id, e.g. `majority` or `V01` (default: the correct variant).
    #[arg(long)]
    pub variant: Option<String>,
    /// Catalogue scenario name or a scenario JSON file (default: the variant's own; see
    /// `splitbrain scenario show NAME` and docs/scenarios.md).
    #[arg(long)]
    pub scenario: Option<String>,
    /// Number of servers, 1..=16 (default: the scenario's, else the variant's).
    #[arg(long, value_name = "N", value_parser = size_flag(limits::SERVERS))]
    pub servers: Option<usize>,
    /// Number of clients, 1..=256 (default: the scenario's).
    #[arg(long, value_name = "N", value_parser = size_flag(limits::CLIENTS))]
    pub clients: Option<usize>,
}

impl TargetArgs {
    /// The protocol, variant and scenario these flags name.
    pub fn resolve(&self) -> Result<Target, UsageError> {
        resolve(
            &self.protocol,
            self.variant.as_deref(),
            self.scenario.as_deref(),
        )
    }

    /// Run options with these sizes.
    pub fn run_options(&self, full_trace: bool) -> splitbrain_scenarios::RunOptions {
        splitbrain_scenarios::RunOptions {
            servers: self.servers,
            clients: self.clients,
            full_trace,
            inspect_at_us: None,
            skip_evidence: false,
            zk_linearizability: false,
        }
    }
}

/// A protocol, variant and scenario chosen by flags.
pub struct Target {
    pub entry: Entry,
    pub variant: VariantInfo,
    pub scenario: Scenario,
    /// How to name the scenario in a repro command (its name, or the file path).
    pub scenario_arg: String,
    /// The `--mutations` list applied to the scenario, which a repro command must repeat.
    pub mutations: Option<String>,
}

pub fn resolve(
    protocol: &str,
    variant: Option<&str>,
    scenario: Option<&str>,
) -> Result<Target, UsageError> {
    let entry = find_protocol(protocol).ok_or_else(|| {
        UsageError(format!(
            "unknown protocol `{protocol}`; known: {}",
            protocol_names().join(", ")
        ))
    })?;
    let variant = resolve_variant(entry.as_ref(), variant).map_err(UsageError)?;
    let wanted = scenario.unwrap_or(variant.scenario);
    let scenario = load_scenario(entry.as_ref(), wanted)?;
    let source = if is_scenario_file(wanted) {
        wanted.to_string()
    } else {
        format!("catalogue scenario `{wanted}`")
    };
    let scenario =
        splitbrain_scenarios::portable::for_protocol(&scenario, entry.as_ref(), &source, true)?;
    Ok(Target {
        entry,
        variant,
        scenario,
        scenario_arg: wanted.to_string(),
        mutations: None,
    })
}

/// A scenario by catalogue name, or from a JSON file.
pub fn load_scenario(entry: &dyn ProtocolEntry, wanted: &str) -> Result<Scenario, UsageError> {
    if is_scenario_file(wanted) {
        return Ok(Scenario::from_file(Path::new(wanted))?);
    }
    let all = splitbrain_scenarios::registry::all_scenarios();
    if let Some(s) = scenarios_for(entry).into_iter().find(|s| s.name == wanted) {
        return Ok(s);
    }
    all.into_iter()
        .find(|s| s.name == wanted)
        .ok_or_else(|| UsageError(format!("unknown scenario `{wanted}` (not a catalogue name or a .json file; see `splitbrain list`)")))
}

/// Whether `--scenario` names a file rather than a catalogue entry.
fn is_scenario_file(wanted: &str) -> bool {
    wanted.ends_with(".json") || Path::new(wanted).is_file()
}

/// Parses `A..B` (B exclusive).
pub fn parse_seed_range(text: &str) -> Result<std::ops::Range<u64>, String> {
    let (a, b) = text
        .split_once("..")
        .ok_or_else(|| format!("`{text}` is not a range like 0..1000"))?;
    let from: u64 = a
        .trim()
        .parse()
        .map_err(|_| format!("`{a}` in --seeds is not a number"))?;
    let to: u64 = b
        .trim()
        .parse()
        .map_err(|_| format!("`{b}` in --seeds is not a number"))?;
    if to <= from {
        return Err(format!("--seeds {text} is empty"));
    }
    Ok(from..to)
}

/// Writes a file atomically: a temporary sibling, then a rename, so a crash of the harness
/// never leaves half a report.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), UsageError> {
    let tmp = path.with_extension(format!(
        "{}.tmp{}",
        path.extension().and_then(|e| e.to_str()).unwrap_or(""),
        std::process::id()
    ));
    let written = write_synced(&tmp, bytes)
        .map_err(|e| UsageError(format!("{}: cannot write: {e}", path.display())))
        .and_then(|()| {
            std::fs::rename(&tmp, path)
                .map_err(|e| UsageError(format!("{}: cannot write: {e}", path.display())))
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp); // best effort: the error above is what matters
    }
    written?;
    sync_parent(path);
    Ok(())
}

/// Checks before any work that `path` can be written: its folder exists and takes a new file,
/// and it is not itself a folder. The error names the path as the user gave it.
pub fn check_writable(path: &Path, flag: &str) -> Result<(), UsageError> {
    let bad = |why: String| UsageError(format!("{flag} {}: cannot write: {why}", path.display()));
    if path.is_dir() {
        return Err(bad("it is a directory".into()));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(bad(format!("no folder {}", dir.display())));
    }
    let probe = dir.join(format!(
        ".{}.probe{}",
        path.file_name()
            .map_or("out".into(), |n| n.to_string_lossy()),
        std::process::id()
    ));
    std::fs::File::create(&probe).map_err(|e| bad(e.to_string()))?;
    let _ = std::fs::remove_file(&probe); // created a moment ago by us; nothing else holds it
    Ok(())
}

/// Checks every output path a command was given (flag name, path) before it runs.
pub fn check_outputs(outputs: &[(&str, Option<&PathBuf>)]) -> Result<(), UsageError> {
    for (flag, path) in outputs {
        if let Some(p) = path {
            check_writable(p, flag)?;
        }
    }
    Ok(())
}

/// Writes `bytes` and waits until they are on disk, so the rename never exposes a file whose
/// contents a power loss could still drop.
fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Makes the rename itself durable where the platform allows syncing a directory.
fn sync_parent(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all(); // not supported everywhere; the file itself is already synced
    }
}

/// Protocol panics inside a world are caught and reported as that seed's outcome, so the hook
/// stays silent for them. Any other panic is a bug of splitbrain itself: it says so and asks
/// for a report instead of printing a bare backtrace.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        if splitbrain_sim::in_world() {
            return;
        }
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".to_string());
        let place = info
            .location()
            .map_or(String::new(), |l| format!(" at {}:{}", l.file(), l.line()));
        eprintln!("{}", internal_error_text(&place, &message));
    }));
}

/// What a panic outside any world prints: that it is splitbrain's bug, and how to report it.
pub fn internal_error_text(place: &str, message: &str) -> String {
    format!(
        "internal error: splitbrain panicked{place}: {message}\n\
         This is a bug in splitbrain, not in your input. Please report it with the command you \
         ran and this message (exit code 101)."
    )
}

/// A closed stdout (`splitbrain list | head`) ends the process quietly with the conventional
/// status (killed by SIGPIPE, 141 in a shell) instead of a panic on the failed write.
pub fn die_quietly_on_broken_pipe() {
    // SAFETY: restores the default disposition of one signal before any thread exists; Rust's
    // runtime set it to "ignore" and nothing else in this program depends on that.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Wall-clock milliseconds since `start`. The CLI lives outside every simulated world, so
/// measuring real time here cannot affect a run.
#[allow(clippy::disallowed_methods, clippy::disallowed_types)]
pub fn wall_ms_since(start: std::time::Instant) -> u64 {
    start.elapsed().as_millis() as u64
}

/// A wall-clock start point for `wall_ms_since` (outside any world; see there).
#[allow(clippy::disallowed_methods)]
pub fn wall_start() -> std::time::Instant {
    std::time::Instant::now()
}

/// 0 quiet, 1 normal, 2 verbose (`-q` / `-v`).
static VERBOSITY: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(1);

/// Records `-q` / `-v` for the whole process.
pub fn set_verbosity(quiet: bool, verbose: bool) {
    let level = if quiet {
        0
    } else if verbose {
        2
    } else {
        1
    };
    VERBOSITY.store(level, Ordering::Relaxed);
}

/// `-q`: no progress display.
pub fn quiet() -> bool {
    VERBOSITY.load(Ordering::Relaxed) == 0
}

/// `-v`: more detail.
pub fn verbose() -> bool {
    VERBOSITY.load(Ordering::Relaxed) >= 2
}

/// Set by the first Ctrl-C once a command asked for a graceful stop.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Makes the first Ctrl-C a request to stop (the returned flag turns true) and a second one
/// an immediate exit. For work that can finish what is in flight and summarise it.
pub fn stop_on_ctrl_c() -> &'static AtomicBool {
    let installed = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(EXIT_INTERRUPTED);
        }
        eprintln!(
            "interrupted: finishing the seeds in flight, then the partial summary and the \
             checkpoint (Ctrl-C again to quit at once)"
        );
    });
    if let Err(e) = installed {
        eprintln!("warning: Ctrl-C will stop at once, without a summary: {e}");
    }
    &INTERRUPTED
}

/// How to invoke this binary in a printed command that works when pasted: `cargo run
/// --release --` when it runs from a cargo `target/` folder (with `-p PACKAGE --bin NAME` for
/// a user's own program embedding the CLI), else the path it was started by (just
/// `splitbrain` when found on the `PATH`).
pub fn invocation() -> String {
    let exe = std::env::current_exe().unwrap_or_default();
    let parts: Vec<String> = exe
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let in_target = |profile: &str| {
        parts
            .windows(2)
            .any(|w| w[0] == "target" && w[1] == profile)
    };
    let stem = exe
        .file_stem()
        .map_or("splitbrain".into(), |s| s.to_string_lossy().into_owned());
    let which = cargo_target_args(&stem);
    if in_target("release") {
        return format!("cargo run --release{which} --");
    }
    if in_target("debug") {
        return format!("cargo run{which} --");
    }
    let argv0 = std::env::args()
        .next()
        .unwrap_or_else(|| "splitbrain".into());
    if argv0.contains('/') {
        argv0
    } else {
        stem
    }
}

/// ` -p PACKAGE --bin NAME` for a program other than splitbrain's own (the package as cargo
/// reported it when it started the program, if it did); empty for splitbrain itself.
fn cargo_target_args(stem: &str) -> String {
    if stem == "splitbrain" {
        return String::new();
    }
    match std::env::var("CARGO_PKG_NAME") {
        Ok(pkg) if !pkg.is_empty() && pkg != "splitbrain" => format!(" -p {pkg} --bin {stem}"),
        _ => format!(" --bin {stem}"),
    }
}

/// Number of cores, the default for `--jobs`.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Applies `--mutations LIST` to a target for `seed`: its scenario becomes the mutant's,
/// written out (see `splitbrain_scenarios::mutate`).
pub fn apply_mutations(
    t: &mut Target,
    seed: u64,
    list: &str,
    opts: &splitbrain_scenarios::RunOptions,
) -> Result<(), UsageError> {
    use splitbrain_scenarios::mutate::{derive, Mutation};
    let chain = Mutation::parse_list(list).map_err(|e| UsageError(format!("--mutations: {e}")))?;
    t.scenario = derive(
        t.entry.as_ref(),
        &t.variant,
        &t.scenario,
        seed,
        &chain,
        opts,
    )?;
    t.mutations = Some(list.to_string());
    Ok(())
}

/// Applies `--fault-kinds a,b` (or `none`) to a scenario's random fault generator.
pub fn force_fault_kinds(scenario: &mut Scenario, list: &str) -> Result<(), UsageError> {
    use splitbrain_scenarios::generator::Kind;
    let mut kinds = Vec::new();
    for name in list
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty() && *n != "none")
    {
        let kind = Kind::parse(name).ok_or_else(|| {
            let known: Vec<&str> = splitbrain_scenarios::generator::ALL_KINDS
                .iter()
                .map(|k| k.name())
                .collect();
            UsageError(format!(
                "--fault-kinds: unknown kind `{name}`; known: {}",
                known.join(", ")
            ))
        })?;
        kinds.push(kind);
    }
    let generator = scenario.generator.as_mut().ok_or_else(|| {
        UsageError(format!(
            "--fault-kinds: scenario `{}` has no random fault generator",
            scenario.name
        ))
    })?;
    generator.kinds = Some(kinds);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("sb-atomic-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp"))
            .collect()
    }

    #[test]
    fn a_panic_outside_a_world_reads_as_an_internal_error_and_one_inside_is_silent() {
        let text = internal_error_text(" at src/x.rs:3", "index out of bounds");
        assert!(text.starts_with("internal error: splitbrain panicked at src/x.rs:3"));
        assert!(text.contains("index out of bounds") && text.contains("report it"));
        assert!(
            !splitbrain_sim::in_world(),
            "the CLI's own code is outside every world"
        );
    }

    #[test]
    fn an_atomic_write_replaces_the_whole_file_and_leaves_no_temporary() {
        let dir = scratch("ok");
        let file = dir.join("report.html");
        for text in [&b"first version, long"[..], b"second"] {
            if let Err(e) = write_atomic(&file, text) {
                panic!("{}", e.0);
            }
        }
        assert_eq!(std::fs::read(&file).unwrap(), b"second");
        assert!(leftovers(&dir).is_empty());
    }

    #[test]
    fn a_failed_atomic_write_names_the_file_and_cleans_up() {
        let dir = scratch("fail");
        let target = dir.join("taken");
        std::fs::create_dir_all(target.join("inside")).unwrap(); // a non-empty directory
        let Err(err) = write_atomic(&target, b"x") else {
            panic!("a directory cannot be replaced by a file");
        };
        assert!(err.0.contains("taken"), "{}", err.0);
        assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
    }
}
