//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The shared histories folder: `$SPLITBRAIN_HISTORIES`, else `<manifest>/../../shared/
/// histories`. Missing is a failure unless `SPLITBRAIN_SKIP_SHARED=1`, then `None`.
pub fn histories_dir() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("SPLITBRAIN_HISTORIES") {
        let p = PathBuf::from(p);
        assert!(
            p.is_dir(),
            "SPLITBRAIN_HISTORIES={} is not a directory",
            p.display()
        );
        return Some(p);
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/histories");
    if p.is_dir() {
        return Some(p);
    }
    if std::env::var("SPLITBRAIN_SKIP_SHARED").as_deref() == Ok("1") {
        eprintln!("shared histories not found; skipped because SPLITBRAIN_SKIP_SHARED=1");
        return None;
    }
    panic!(
        "shared histories not found at {}: set SPLITBRAIN_HISTORIES to the folder, \
         or SPLITBRAIN_SKIP_SHARED=1 to skip these tests",
        p.display()
    );
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

pub mod reference;
