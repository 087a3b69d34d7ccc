//! The replicated key-value service every log-based protocol here serves (Raft, Multi-Paxos):
//! the state machine (get, put, append and compare-and-set, with the client session table that
//! makes retried requests take effect exactly once, Raft thesis §6.3), the commands that carry
//! client operations through a log (`cmd`), and the client library (`client`).
//!
//! The session table is state-machine state: it is replicated through the log and kept in
//! snapshots, so a new leader or a restarted node deduplicates like the old one.

pub mod client;
pub mod cmd;
pub mod msg;

pub use client::{ClientTimer, KvClient, KvWire, WireReply};
pub use cmd::{Cmd, CmdKind};
pub use msg::KvMsg;

use splitbrain_api::{NodeId, Op, Ret};
use std::collections::BTreeMap;

/// Key-value data plus the session table (client -> last applied request id and its result).
#[derive(Clone, Debug, Default, Hash, PartialEq, Eq)]
pub struct Kv {
    data: BTreeMap<String, String>,
    sessions: BTreeMap<NodeId, (u64, Ret)>,
}

/// What applying a client command did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// First time: applied, with this result.
    Fresh(Ret),
    /// The latest request of that client again: not re-applied; the remembered result.
    Duplicate(Ret),
    /// An older request of that client (the client has moved on): not applied, no result.
    Stale,
}

impl Kv {
    /// Applies `op` for request `seq` of `client`, once.
    pub fn apply(&mut self, client: NodeId, seq: u64, op: &Op) -> Applied {
        // One search of the session table: the data is a separate field.
        let Some((last, remembered)) = self.sessions.get_mut(&client) else {
            let ret = execute(&mut self.data, op);
            self.sessions.insert(client, (seq, ret.clone()));
            return Applied::Fresh(ret);
        };
        if seq == *last {
            return Applied::Duplicate(remembered.clone());
        }
        if seq < *last {
            return Applied::Stale;
        }
        let ret = execute(&mut self.data, op);
        *last = seq;
        remembered.clone_from(&ret);
        Applied::Fresh(ret)
    }

    /// Applies `op` without recording its request id: what a replica that keeps no session
    /// table does (chain replication's planted bug C02). A retry applies again.
    pub fn apply_unrecorded(&mut self, op: &Op) -> Ret {
        execute(&mut self.data, op)
    }

    /// The remembered result of `client`'s request `seq`, if it was its latest.
    pub fn session(&self, client: NodeId) -> Option<(u64, &Ret)> {
        self.sessions.get(&client).map(|(s, r)| (*s, r))
    }

    /// A read against the current state (ReadIndex reads, §6.4 of the thesis).
    pub fn read(&self, key: &str) -> Ret {
        read(&self.data, key)
    }
}

fn read(data: &BTreeMap<String, String>, key: &str) -> Ret {
    Ret::Value {
        value: data.get(key).cloned(),
    }
}

/// `key` now holds `value`; an existing key keeps its name and its value's buffer.
fn set(data: &mut BTreeMap<String, String>, key: &str, value: &str) {
    match data.get_mut(key) {
        Some(v) => value.clone_into(v),
        None => {
            data.insert(key.to_string(), value.to_string());
        }
    }
}

/// Performs `op` on the data.
fn execute(data: &mut BTreeMap<String, String>, op: &Op) -> Ret {
    match op {
        Op::Get { key } => read(data, key),
        Op::Put { key, value } => {
            set(data, key, value);
            Ret::Done
        }
        Op::Append { key, value } => {
            match data.get_mut(key.as_str()) {
                Some(v) => v.push_str(value),
                None => {
                    data.insert(key.to_string(), value.to_string());
                }
            }
            Ret::Done
        }
        Op::Cas { key, from, to } => {
            // One search: the value found is the one replaced.
            match data.get_mut(key.as_str()) {
                Some(v) if from.as_deref() == Some(v.as_str()) => {
                    to.as_str().clone_into(v);
                    Ret::Bool { value: true }
                }
                Some(_) => Ret::Bool { value: false },
                None if from.is_none() => {
                    data.insert(key.to_string(), to.to_string());
                    Ret::Bool { value: true }
                }
                None => Ret::Bool { value: false },
            }
        }
        _ => {
            panic!("the key-value service does not serve {op:?}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(i: usize) -> NodeId {
        NodeId::client(i)
    }

    fn put(k: &str, v: &str) -> Op {
        Op::Put {
            key: k.into(),
            value: v.into(),
        }
    }

    #[test]
    fn a_retried_request_applies_once_and_returns_the_first_result() {
        let mut kv = Kv::default();
        let app = Op::Append {
            key: "k".into(),
            value: "x".into(),
        };
        assert_eq!(kv.apply(c(0), 1, &app), Applied::Fresh(Ret::Done));
        assert_eq!(kv.apply(c(0), 1, &app), Applied::Duplicate(Ret::Done));
        assert_eq!(
            kv.read("k"),
            Ret::Value {
                value: Some("x".into())
            }
        );
        assert_eq!(kv.apply(c(0), 2, &put("k", "y")), Applied::Fresh(Ret::Done));
        assert_eq!(kv.apply(c(0), 1, &app), Applied::Stale);
        assert_eq!(
            kv.read("k"),
            Ret::Value {
                value: Some("y".into())
            }
        );
    }

    #[test]
    fn cas_compares_missing_as_none() {
        let mut kv = Kv::default();
        let cas = |from: Option<&str>, to: &str| Op::Cas {
            key: "k".into(),
            from: from.map(str::to_string).map(Into::into),
            to: to.into(),
        };
        assert_eq!(
            kv.apply(c(0), 1, &cas(Some("a"), "b")),
            Applied::Fresh(Ret::Bool { value: false })
        );
        assert_eq!(
            kv.apply(c(0), 2, &cas(None, "b")),
            Applied::Fresh(Ret::Bool { value: true })
        );
        assert_eq!(
            kv.apply(c(1), 1, &cas(Some("b"), "c")),
            Applied::Fresh(Ret::Bool { value: true })
        );
        assert_eq!(
            kv.read("k"),
            Ret::Value {
                value: Some("c".into())
            }
        );
    }
}
