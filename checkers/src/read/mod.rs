//! Readers for recorded histories. Every failure is a [`ReadError`] naming the file, the
//! line and the field; no input makes a reader panic.
//!
//! | format | files | notes |
//! | --- | --- | --- |
//! | `splitbrain` | `*.json` | splitbrain's own history (`schema_version` 1) |
//! | `jepsen` | `*.log` | Jepsen log lines (`INFO jepsen.util - 3 :invoke :read nil`) |
//! | `edn` | `*.edn`, `*.txt` | Knossos histories and Porcupine's key-value files |
//!
//! Jepsen semantics follow the model: `:fail` means "did not happen" except for
//! `porcupine-etcd-cas-register`, where a `:fail :cas` is a failed compare.

mod edn;
mod ednhist;
mod events;
mod jepsen;
mod json;
mod node;
mod splitbrain;

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::history::History;
use crate::model::ModelKind;
use node::Bad;

pub use splitbrain::SCHEMA_VERSION;

/// A history file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// splitbrain's own JSON history.
    Splitbrain,
    /// Jepsen log lines (Porcupine's `jepsen/etcd_*.log`).
    Jepsen,
    /// EDN operation maps (Knossos files, Porcupine's `kv/*.txt`).
    Edn,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Splitbrain => "splitbrain",
            Format::Jepsen => "jepsen",
            Format::Edn => "edn",
        }
    }

    /// Guesses the format from the file name, then from the first characters.
    pub fn infer(path: &Path, text: &str) -> Option<Format> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => return Some(Format::Splitbrain),
            Some("log") => return Some(Format::Jepsen),
            Some("edn") => return Some(Format::Edn),
            _ => {}
        }
        let head = text.trim_start();
        if head.starts_with("INFO") || head.contains(" jepsen.util - ") {
            Some(Format::Jepsen)
        } else if head.starts_with("{\"") || head.starts_with("{\n") {
            Some(Format::Splitbrain)
        } else if head.is_empty() || head.starts_with(['[', '(', '{', ';']) {
            Some(Format::Edn)
        } else {
            None
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "splitbrain" | "json" => Ok(Format::Splitbrain),
            "jepsen" | "jepsen-log" | "log" => Ok(Format::Jepsen),
            "edn" | "knossos" | "porcupine-kv" => Ok(Format::Edn),
            _ => Err(format!(
                "unknown format `{s}` (known: splitbrain, jepsen, edn)"
            )),
        }
    }
}

/// A history file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}: field `{field}`: {message}")]
    Invalid {
        file: String,
        line: u32,
        field: String,
        message: String,
    },
}

impl ReadError {
    fn invalid(file: &str, bad: Bad) -> Self {
        ReadError::Invalid {
            file: file.to_string(),
            line: bad.line,
            field: bad.field,
            message: bad.message,
        }
    }
}

/// Reads and validates a history file. `format` is inferred when `None`.
pub fn read_history_file(
    path: &Path,
    format: Option<Format>,
    model: ModelKind,
) -> Result<History, ReadError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ReadError::Io {
        file: file.clone(),
        source,
    })?;
    read_history_str(
        &text,
        &file,
        format.or_else(|| Format::infer(path, &text)),
        model,
    )
}

/// Reads and validates a history held in memory; `name` stands for the file in errors.
pub fn read_history_str(
    text: &str,
    name: &str,
    format: Option<Format>,
    model: ModelKind,
) -> Result<History, ReadError> {
    let format = format.ok_or_else(|| {
        ReadError::invalid(
            name,
            Bad::new(1, "(format)", "cannot infer the format; pass --format"),
        )
    })?;
    let h = match format {
        Format::Splitbrain => splitbrain::read(text, model),
        Format::Jepsen => jepsen::events(text).and_then(|e| events::assemble(e, model)),
        Format::Edn => ednhist::events(text).and_then(|e| events::assemble(e, model)),
    }
    .map_err(|b| ReadError::invalid(name, b))?;
    h.validate().map_err(|e| {
        ReadError::invalid(
            name,
            Bad::new(
                e.line,
                e.field,
                format!("operation {}: {}", e.index, e.message),
            ),
        )
    })?;
    Ok(h)
}

/// The `model` field of a splitbrain JSON history, used when `--model` is absent.
pub fn file_model(path: &Path) -> Result<Option<ModelKind>, ReadError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ReadError::Io {
        file: file.clone(),
        source,
    })?;
    if Format::infer(path, &text) != Some(Format::Splitbrain) {
        return Ok(None);
    }
    splitbrain::model_field(&text).map_err(|b| ReadError::invalid(&file, b))
}
