//! Model names and their semantics: initial state, and how a source's `:fail` reads.
//!
//! A [`ModelKind`] names a sequential specification. splitbrain's own names (`kv`,
//! `register`, ...) sit beside the names used by the shared `expected.tsv` tables, so a
//! table can drive the checker as is. The step functions themselves live in `spec`.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::history::{Input, Value};

/// A sequential specification the checker knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ModelKind {
    /// Registers per key (read / write), initially nil.
    Register,
    /// Registers per key with compare-and-set, initially nil.
    CasRegister,
    /// Key-value store: get / put / append / cas per key, missing keys are nil.
    Kv,
    /// Mutexes per lock id: acquire / release, initially free.
    Mutex,
    /// Write-once registers per key (Basic Paxos): propose returns the value chosen, and
    /// read; initially empty (nil).
    WriteOnce,
    /// Registers read and written by atomic transactions, initially nil.
    MultiRegister,
    /// A set: add / read.
    Set,
    /// A FIFO queue: enqueue / dequeue.
    Queue,
    /// Porcupine's `etcdModel`: one register, initially nil; `:fail :cas` = compare failed.
    PorcupineEtcdCasRegister,
    /// Porcupine's `kvModel`: strings per key, initially `""`.
    PorcupineKv,
    /// Knossos `(cas-register 0)`; `:fail` = did not happen.
    KnossosCasRegister0,
    /// Knossos `(multi-register {:x 0 :y 0})`.
    KnossosMultiRegisterX0Y0,
    /// Knossos `(mutex)`.
    KnossosMutex,
}

/// The shape of state a model keeps, which decides how it is compiled and partitioned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// One value per key (registers, kv, mutex): partitioned by key.
    Scalar,
    /// Transactions over several keys: partitioned by connected keys.
    Multi,
    Set,
    Queue,
}

/// How a Jepsen `:fail` completion reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailReading {
    /// Jepsen / Knossos: the operation did not happen; drop it.
    DidNotHappen,
    /// Porcupine's etcd data: a `:fail :cas` took effect as a failed compare.
    CompareFailed,
}

const NAMES: &[(&str, ModelKind)] = &[
    ("register", ModelKind::Register),
    ("cas-register", ModelKind::CasRegister),
    ("kv", ModelKind::Kv),
    ("mutex", ModelKind::Mutex),
    ("write-once", ModelKind::WriteOnce),
    ("multi-register", ModelKind::MultiRegister),
    ("set", ModelKind::Set),
    ("queue", ModelKind::Queue),
    (
        "porcupine-etcd-cas-register",
        ModelKind::PorcupineEtcdCasRegister,
    ),
    ("porcupine-kv", ModelKind::PorcupineKv),
    ("knossos-cas-register-0", ModelKind::KnossosCasRegister0),
    (
        "knossos-multi-register-x0-y0",
        ModelKind::KnossosMultiRegisterX0Y0,
    ),
    ("knossos-mutex", ModelKind::KnossosMutex),
];

impl ModelKind {
    /// Every model, in a fixed order.
    pub fn all() -> impl Iterator<Item = ModelKind> {
        NAMES.iter().map(|(_, m)| *m)
    }

    /// The name `--model` accepts.
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, m)| *m == self)
            .map_or("?", |(n, _)| n)
    }

    /// The state family.
    pub fn family(self) -> Family {
        use ModelKind::*;
        match self {
            Register
            | CasRegister
            | Kv
            | Mutex
            | WriteOnce
            | PorcupineEtcdCasRegister
            | PorcupineKv
            | KnossosCasRegister0
            | KnossosMutex => Family::Scalar,
            MultiRegister | KnossosMultiRegisterX0Y0 => Family::Multi,
            Set => Family::Set,
            Queue => Family::Queue,
        }
    }

    /// The value every key starts with (mutexes start free, which is nil).
    pub fn initial_value(self) -> Value {
        match self {
            ModelKind::PorcupineKv => Value::Str(String::new()),
            ModelKind::KnossosCasRegister0 | ModelKind::KnossosMultiRegisterX0Y0 => Value::Int(0),
            _ => Value::Nil,
        }
    }

    /// How Jepsen `:fail` completions read for this model.
    pub fn fail_reading(self) -> FailReading {
        match self {
            ModelKind::PorcupineEtcdCasRegister => FailReading::CompareFailed,
            _ => FailReading::DidNotHappen,
        }
    }

    /// True if a completed read of nil constrains the state (it means "absent").
    /// Knossos reads nil as "value unknown".
    pub fn nil_read_is_constraint(self) -> bool {
        !matches!(
            self,
            ModelKind::KnossosCasRegister0 | ModelKind::KnossosMultiRegisterX0Y0
        )
    }

    /// True if this model has an operation of `input`'s kind.
    pub fn supports(self, input: &Input) -> bool {
        use ModelKind::*;
        match input {
            Input::Read { .. } => matches!(self.family(), Family::Scalar) && !self.is_mutex(),
            Input::Write { .. } => {
                matches!(self.family(), Family::Scalar) && !self.is_mutex() && self != WriteOnce
            }
            Input::Propose { .. } => self == WriteOnce,
            Input::Cas { .. } => matches!(
                self,
                CasRegister | Kv | PorcupineEtcdCasRegister | KnossosCasRegister0
            ),
            Input::Append { .. } => matches!(self, Kv | PorcupineKv),
            Input::Acquire { .. } | Input::Release { .. } => self.is_mutex(),
            Input::Txn(_) => self.family() == Family::Multi,
            Input::Add { .. } | Input::ReadSet => self == Set,
            Input::Enqueue { .. } | Input::Dequeue => self == Queue,
        }
    }

    fn is_mutex(self) -> bool {
        matches!(self, ModelKind::Mutex | ModelKind::KnossosMutex)
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for ModelKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// An unknown model name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown model `{0}` (known: {known})", known = known_names())]
pub struct UnknownModel(pub String);

fn known_names() -> String {
    NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}

impl FromStr for ModelKind {
    type Err = UnknownModel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NAMES
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, m)| *m)
            .ok_or_else(|| UnknownModel(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        for m in ModelKind::all() {
            assert_eq!(m.name().parse::<ModelKind>(), Ok(m));
        }
    }

    #[test]
    fn table_names_are_accepted() {
        for n in [
            "porcupine-etcd-cas-register",
            "porcupine-kv",
            "knossos-cas-register-0",
            "knossos-multi-register-x0-y0",
            "knossos-mutex",
        ] {
            assert!(n.parse::<ModelKind>().is_ok(), "{n}");
        }
        assert!("nope".parse::<ModelKind>().is_err());
    }
}
