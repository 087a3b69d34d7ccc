//! Readers for recorded histories. Every failure is a [`ReadError`] naming the file, the
//! line and the field; no input makes a reader panic.
//!
//! | format | files | notes |
//! | --- | --- | --- |
//! | `splitbrain` | `*.json` | splitbrain's own history (`schema_version` 1 or 2) |
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
mod stream;

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

/// Reads and validates a history file. `format` is inferred when `None`. splitbrain JSON is
/// read incrementally (never whole in memory, an early error reported at once); the other
/// formats are read whole.
pub fn read_history_file(
    path: &Path,
    format: Option<Format>,
    model: ModelKind,
) -> Result<History, ReadError> {
    let file = path.display().to_string();
    let io = |source| ReadError::Io {
        file: file.clone(),
        source,
    };
    let format = match format {
        Some(f) => Some(f),
        None => Format::infer(path, &head(path).map_err(io)?),
    };
    if format == Some(Format::Splitbrain) {
        let reader = std::io::BufReader::new(std::fs::File::open(path).map_err(io)?);
        return read_splitbrain_history(reader, &file, model);
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
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
        Format::Splitbrain => {
            splitbrain::read_stream(&mut stream::Source::new(text.as_bytes()), model)
        }
        Format::Jepsen => jepsen::events(text).and_then(|e| events::assemble(e, model)),
        Format::Edn => ednhist::events(text).and_then(|e| events::assemble(e, model)),
    }
    .map_err(|b| ReadError::invalid(name, b))?;
    validated(h, name)
}

/// Reads a splitbrain JSON history from `reader` incrementally: one operation at a time is
/// parsed and checked, so memory stays near the operations' own size and an error in an
/// early operation is reported before the rest is read. `name` stands for the file in errors.
pub fn read_splitbrain_history<R: std::io::BufRead>(
    reader: R,
    name: &str,
    model: ModelKind,
) -> Result<History, ReadError> {
    let mut src = stream::Source::new(reader);
    let read = splitbrain::read_stream(&mut src, model);
    if let Some(source) = src.io_error() {
        return Err(ReadError::Io {
            file: name.to_string(),
            source,
        });
    }
    validated(read.map_err(|b| ReadError::invalid(name, b))?, name)
}

/// `h` if it passes the history's own checks (one operation in flight per client...).
fn validated(h: History, name: &str) -> Result<History, ReadError> {
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

/// The first few kilobytes of a file, to infer its format.
fn head(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut buf = Vec::new();
    std::fs::File::open(path)?
        .take(4096)
        .read_to_end(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// The `model` field of a splitbrain JSON history, used when `--model` is absent.
pub fn file_model(path: &Path) -> Result<Option<ModelKind>, ReadError> {
    let file = path.display().to_string();
    let io = |source| ReadError::Io {
        file: file.clone(),
        source,
    };
    if Format::infer(path, &head(path).map_err(io)?) != Some(Format::Splitbrain) {
        return Ok(None);
    }
    let reader = std::io::BufReader::new(std::fs::File::open(path).map_err(io)?);
    let mut src = stream::Source::new(reader);
    let model = splitbrain::model_stream(&mut src);
    if let Some(e) = src.io_error() {
        return Err(io(e));
    }
    model.map_err(|b| ReadError::invalid(&file, b))
}
