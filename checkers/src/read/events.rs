//! Jepsen-style event streams (invoke / ok / fail / info) assembled into a [`History`].
//!
//! Shared by the Jepsen log and EDN readers. File order is real-time order, so an event's
//! position is its time. How `:fail` reads comes from the model (see
//! [`ModelKind::fail_reading`]), never from the file. A process that got `:info` is a new
//! client if it invokes again, since its old operation stays in flight forever.

use super::node::{Bad, Kind, Node};
use crate::history::{History, Input, Micro, Operation, Output, Source, Value};
use crate::model::{FailReading, Family, ModelKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EventType {
    Invoke,
    Ok,
    Fail,
    Info,
}

/// One client event.
pub(crate) struct Event {
    pub(crate) line: u32,
    /// Position among all events (maps or lines) of the file, nemesis ones included.
    pub(crate) pos: u32,
    pub(crate) process: i64,
    pub(crate) kind: EventType,
    pub(crate) f: String,
    pub(crate) key: Option<Node>,
    pub(crate) value: Node,
}

impl EventType {
    pub(crate) fn parse(n: &Node) -> Result<EventType, Bad> {
        match n.name() {
            Some("invoke") => Ok(EventType::Invoke),
            Some("ok") => Ok(EventType::Ok),
            Some("fail") => Ok(EventType::Fail),
            Some("info") => Ok(EventType::Info),
            _ => Err(Bad::new(
                n.line,
                "type",
                "expected :invoke, :ok, :fail or :info",
            )),
        }
    }
}

struct Open {
    event: Event,
    client: u32,
}

/// Per-process bookkeeping while assembling.
struct Proc {
    open: Option<Open>,
    generation: u32,
}

/// Assembles events into a history for `model`.
pub(crate) fn assemble(events: Vec<Event>, model: ModelKind) -> Result<History, Bad> {
    let mut h = History::default();
    let mut procs: Vec<(i64, Proc)> = Vec::new();
    let mut names = std::collections::BTreeMap::new();
    for ev in events {
        let idx = match procs.iter().position(|(p, _)| *p == ev.process) {
            Some(i) => i,
            None => {
                procs.push((
                    ev.process,
                    Proc {
                        open: None,
                        generation: 0,
                    },
                ));
                procs.len() - 1
            }
        };
        let proc = &mut procs[idx].1;
        if ev.kind == EventType::Invoke {
            if let Some(o) = &proc.open {
                let msg = format!(
                    "process {} invokes again while its operation from line {} is open",
                    ev.process, o.event.line
                );
                return Err(Bad::new(ev.line, "process", msg));
            }
            let name = match proc.generation {
                0 => ev.process.to_string(),
                g => format!("{}#{}", ev.process, g + 1),
            };
            let client = h.client_id_indexed(&mut names, &name);
            proc.open = Some(Open { event: ev, client });
            continue;
        }
        let Some(open) = proc.open.take() else {
            return Err(Bad::new(
                ev.line,
                "type",
                format!(
                    "completion for process {} without an invocation",
                    ev.process
                ),
            ));
        };
        if open.event.f != ev.f {
            let msg = format!(
                "completion :{} does not match invocation :{} on line {}",
                ev.f, open.event.f, open.event.line
            );
            return Err(Bad::new(ev.line, "f", msg));
        }
        if ev.kind == EventType::Info {
            proc.generation += 1;
        }
        if let Some(op) = complete(&open, Some(&ev), model)? {
            h.ops.push(op);
        }
    }
    for (_, proc) in procs {
        if let Some(open) = proc.open {
            if let Some(op) = complete(&open, None, model)? {
                h.ops.push(op);
            }
        }
    }
    h.ops.sort_by_key(|o| o.call);
    Ok(h)
}

/// Builds the operation for an invocation and its completion (`None` = never completed).
fn complete(open: &Open, done: Option<&Event>, model: ModelKind) -> Result<Option<Operation>, Bad> {
    let inv = &open.event;
    let kind = done.map_or(EventType::Info, |d| d.kind);
    let fail_as_constraint = kind == EventType::Fail
        && model.fail_reading() == FailReading::CompareFailed
        && inv.f == "cas";
    if kind == EventType::Fail && !fail_as_constraint {
        return Ok(None); // Did not happen.
    }
    // Knossos overwrites the invocation's value with its completion's, so use it when known.
    let value_src = match (kind, done) {
        (EventType::Ok | EventType::Fail, Some(d)) => d,
        _ => inv,
    };
    let input = input_of(inv, value_src, model)?;
    let output = match kind {
        EventType::Info | EventType::Invoke => Output::Unknown,
        EventType::Fail => Output::Bool(false),
        EventType::Ok => ok_output(&input, &value_src.value, model)?,
    };
    let definite = matches!(kind, EventType::Ok | EventType::Fail);
    let ret = done.filter(|_| definite);
    Ok(Some(Operation {
        client: open.client,
        input,
        output,
        call: u64::from(inv.pos),
        ret: ret.map(|d| u64::from(d.pos)),
        source: Source {
            call_line: inv.line,
            ret_line: ret.map_or(0, |d| d.line),
            ret_event: ret.map(|d| d.pos),
        },
    }))
}

fn key_of(ev: &Event) -> Result<Value, Bad> {
    ev.key
        .as_ref()
        .map_or(Ok(Value::Nil), |k| k.to_value("key"))
}

fn input_of(inv: &Event, src: &Event, model: ModelKind) -> Result<Input, Bad> {
    let v = &src.value;
    let key = key_of(inv)?;
    let bad_f = || {
        Bad::new(
            inv.line,
            "f",
            format!("operation :{} is not part of model {model}", inv.f),
        )
    };
    let input = match (inv.f.as_str(), model.family()) {
        ("read" | "get", Family::Scalar) => Input::Read { key },
        ("write" | "put", Family::Scalar) => Input::Write {
            key,
            value: v.to_value("value")?,
        },
        ("append", Family::Scalar) => Input::Append {
            key,
            value: v.to_value("value")?,
        },
        ("cas", Family::Scalar) => {
            let pair = v.items("value")?;
            let [from, to] = pair else {
                return Err(Bad::new(v.line, "value", "a cas needs [from to]"));
            };
            Input::Cas {
                key,
                from: from.to_value("value")?,
                to: to.to_value("value")?,
            }
        }
        ("acquire", Family::Scalar) => Input::Acquire { lock: 0 },
        ("release", Family::Scalar) => Input::Release { lock: 0 },
        ("txn", Family::Multi) => Input::Txn(micros_of(v)?.0),
        ("add", Family::Set) => Input::Add {
            value: v.to_value("value")?,
        },
        ("read", Family::Set) => Input::ReadSet,
        ("enqueue", Family::Queue) => Input::Enqueue {
            value: v.to_value("value")?,
        },
        ("dequeue", Family::Queue) => Input::Dequeue,
        _ => return Err(bad_f()),
    };
    if !model.supports(&input) {
        return Err(bad_f());
    }
    Ok(input)
}

fn ok_output(input: &Input, v: &Node, model: ModelKind) -> Result<Output, Bad> {
    Ok(match input {
        Input::Read { .. } | Input::Dequeue => match v.to_value("value")? {
            Value::Nil if !model.nil_read_is_constraint() => Output::Unknown,
            x => Output::Value(x),
        },
        Input::Cas { .. } | Input::Acquire { .. } | Input::Release { .. } => Output::Bool(true),
        Input::Txn(_) => Output::Txn(micros_of(v)?.1),
        Input::ReadSet => {
            let vals: Result<Vec<Value>, Bad> = v
                .items("value")?
                .iter()
                .map(|n| n.to_value("value"))
                .collect();
            Output::Set(vals?)
        }
        _ => Output::Done,
    })
}

/// Parses `[[:read :x v] [:write :y 2]]`: the micro-ops and the values reads saw.
fn micros_of(v: &Node) -> Result<(Vec<Micro>, Vec<Option<Value>>), Bad> {
    let mut micros = Vec::new();
    let mut seen = Vec::new();
    for m in v.items("value")? {
        let parts = m.items("value")?;
        let [f, k, x] = parts else {
            return Err(Bad::new(m.line, "value", "a micro-op needs [f key value]"));
        };
        let key = k.to_value("value")?;
        let val = x.to_value("value")?;
        match f.name() {
            Some("read") => {
                micros.push(Micro::Read { key });
                seen.push((val != Value::Nil).then_some(val));
            }
            Some("write") => {
                micros.push(Micro::Write { key, value: val });
                seen.push(None);
            }
            _ => return Err(Bad::new(f.line, "value", "a micro-op is :read or :write")),
        }
    }
    Ok((micros, seen))
}

/// The `:process` of an event: `None` for non-client entries such as `:nemesis`.
pub(crate) fn process_of(n: Option<&Node>, line: u32) -> Result<Option<i64>, Bad> {
    match n.map(|n| &n.kind) {
        Some(Kind::Int(p)) => Ok(Some(*p)),
        Some(Kind::Keyword(_)) => Ok(None),
        Some(_) => Err(Bad::new(
            line,
            "process",
            "expected an integer or a keyword",
        )),
        None => Err(Bad::new(line, "process", "missing")),
    }
}
