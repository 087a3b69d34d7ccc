//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The shared histories folder, found by the tests themselves: `$SPLITBRAIN_HISTORIES` when
/// set (it must then be a directory), else `../shared/histories` beside the workspace. Where
/// neither exists (a fresh clone on its own) the shared-history tests skip, and say so once
/// per test binary on the terminal; `.ci/run` always sets the variable, so CI cannot skip.
pub fn histories_dir() -> Option<PathBuf> {
    let checkers = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = checkers.parent().unwrap_or(checkers);
    let env = std::env::var_os("SPLITBRAIN_HISTORIES").map(PathBuf::from);
    match locate_histories(env.as_deref(), workspace) {
        Ok(Some(dir)) => Some(dir),
        Ok(None) => {
            say_skipped_once(workspace);
            None
        }
        Err(message) => panic!("{message}"),
    }
}

/// Where the shared histories are: the variable's folder (an error if it is not one), else
/// `<workspace>/../shared/histories` if it exists, else `None`.
pub fn locate_histories(env: Option<&Path>, workspace: &Path) -> Result<Option<PathBuf>, String> {
    if let Some(p) = env {
        if !p.is_dir() {
            return Err(format!(
                "SPLITBRAIN_HISTORIES={} is not a directory",
                p.display()
            ));
        }
        return Ok(Some(p.to_path_buf()));
    }
    let beside = shared_beside(workspace);
    Ok(beside.is_dir().then_some(beside))
}

/// `shared/histories` in the workspace's parent folder.
fn shared_beside(workspace: &Path) -> PathBuf {
    workspace
        .parent()
        .unwrap_or(workspace)
        .join("shared/histories")
}

/// One line on the real stderr (the test harness captures `eprintln!` of passing tests).
fn say_skipped_once(workspace: &Path) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use std::io::Write;
        let line = format!(
            "note: {} not found: the shared-history verdict tests are skipped \
             (set SPLITBRAIN_HISTORIES to run them)\n",
            shared_beside(workspace).display()
        );
        let _ = std::io::stderr().write_all(line.as_bytes()); // a note; nothing to do if it fails
    });
}

/// One row of an `expected.tsv` table, by column name.
pub struct Row {
    pub cols: Vec<(String, String)>,
}

impl Row {
    pub fn get(&self, name: &str) -> &str {
        self.cols
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("column {name} missing"))
    }
}

/// Reads `<dir>/<folder>/expected.tsv`.
pub fn table(dir: &Path, folder: &str) -> Vec<Row> {
    let path = dir.join(folder).join("expected.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap_or("")
        .split('\t')
        .map(String::from)
        .collect();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| Row {
            cols: header
                .iter()
                .cloned()
                .zip(l.split('\t').map(String::from))
                .collect(),
        })
        .collect()
}

pub mod bigkv;
pub mod reference;
