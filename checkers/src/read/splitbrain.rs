//! splitbrain's own JSON history, the one `splitbrain run` records:
//! `{"schema_version": 2, "model": "kv", "ops": [{"client", "call_us", "ret_us", "status",
//! "op": {"f", ...}, "out": {"r", "value"}}]}`. `status` is `ok`, `fail` (definitely did
//! not happen: dropped) or `indeterminate` (may take effect any time after its call).
//! Schema 2 added ZooKeeper operations and the `notices` list (read by the ZooKeeper
//! checks); schema-1 files read as before.

use std::collections::BTreeMap;

use super::node::{Bad, Kind, Node};
use super::stream::{self, Source as Bytes};
use crate::history::{History, Input, Micro, Operation, Output, Source, Value};
use crate::model::{Family, ModelKind};

/// The newest schema version this reader understands (it reads every version from 1).
pub const SCHEMA_VERSION: i64 = 2;

/// Reads a splitbrain history for `model` incrementally (see `stream`): each operation is
/// checked as soon as it is read.
pub(crate) fn read_stream<R: std::io::BufRead>(
    src: &mut Bytes<R>,
    model: ModelKind,
) -> Result<History, Bad> {
    let mut r = Reader {
        model,
        h: History::default(),
        names: BTreeMap::new(),
        version_seen: false,
    };
    stream::scan(src, &mut r)?;
    if !r.version_seen {
        return Err(Bad::new(1, "schema_version", "missing"));
    }
    Ok(r.h)
}

/// The `model` field of a splitbrain history read incrementally (the operations are skipped).
pub(crate) fn model_stream<R: std::io::BufRead>(
    src: &mut Bytes<R>,
) -> Result<Option<ModelKind>, Bad> {
    struct Model(Option<Node>);
    impl stream::Fields for Model {
        fn wants(&self, key: &str) -> bool {
            key == "model"
        }
        fn field(&mut self, _key: &str, value: Node) -> Result<(), Bad> {
            self.0 = Some(value);
            Ok(())
        }
        fn op(&mut self, _value: Node) -> Result<(), Bad> {
            Ok(())
        }
    }
    let mut m = Model(None);
    stream::scan(src, &mut m)?;
    match m.0 {
        None => Ok(None),
        Some(n) if n.kind == Kind::Nil => Ok(None),
        Some(n) => {
            let name = n
                .name()
                .ok_or_else(|| Bad::new(n.line, "model", "expected a string"))?;
            name.parse()
                .map(Some)
                .map_err(|e: crate::model::UnknownModel| Bad::new(n.line, "model", e.to_string()))
        }
    }
}

/// The state of an incremental read.
struct Reader {
    model: ModelKind,
    h: History,
    names: BTreeMap<String, u32>,
    version_seen: bool,
}

impl stream::Fields for Reader {
    fn wants(&self, key: &str) -> bool {
        matches!(key, "schema_version" | "ops")
    }

    fn field(&mut self, _key: &str, version: Node) -> Result<(), Bad> {
        if !matches!(version.kind, Kind::Int(1..=SCHEMA_VERSION)) {
            return Err(Bad::new(
                version.line,
                "schema_version",
                match version.kind {
                    Kind::Int(v) => {
                        format!("unknown version {v} (this splitbrain reads 1 to {SCHEMA_VERSION})")
                    }
                    _ => format!("expected an integer, found {}", version.what()),
                },
            ));
        }
        self.version_seen = true;
        Ok(())
    }

    fn op(&mut self, n: Node) -> Result<(), Bad> {
        if let Some(op) = read_op(&mut self.h, &mut self.names, &n, self.model)? {
            self.h.ops.push(op);
        }
        Ok(())
    }
}

fn req<'a>(n: &'a Node, field: &str) -> Result<&'a Node, Bad> {
    n.get(field)
        .ok_or_else(|| Bad::new(n.line, field, "missing"))
}

fn uint(n: &Node, field: &str) -> Result<u64, Bad> {
    match n.kind {
        Kind::Int(i) if i >= 0 => Ok(i as u64),
        _ => Err(Bad::new(
            n.line,
            field,
            format!("expected a non-negative integer, found {}", n.what()),
        )),
    }
}

fn read_op(
    h: &mut History,
    names: &mut BTreeMap<String, u32>,
    n: &Node,
    model: ModelKind,
) -> Result<Option<Operation>, Bad> {
    if !matches!(n.kind, Kind::Map(_)) {
        return Err(Bad::new(
            n.line,
            "ops",
            format!("expected an operation object, found {}", n.what()),
        ));
    }
    let Some(ok) = status(n)? else {
        return Ok(None); // `fail`: it definitely did not happen.
    };
    let client = match &req(n, "client")?.kind {
        Kind::Str(s) => s.clone(),
        Kind::Int(i) => i.to_string(),
        _ => return Err(Bad::new(n.line, "client", "expected a string")),
    };
    let call = uint(req(n, "call_us")?, "call_us")?;
    let ret_node = n.get("ret_us").filter(|r| r.kind != Kind::Nil);
    let ret = match (ok, ret_node) {
        (true, Some(r)) => Some(uint(r, "ret_us")?),
        (true, None) => {
            return Err(Bad::new(
                n.line,
                "ret_us",
                "an ok operation needs a return time",
            ))
        }
        (false, _) => None,
    };
    let input = input_of(req(n, "op")?, model)?;
    let output = match (ok, n.get("out").filter(|o| o.kind != Kind::Nil)) {
        (false, _) => Output::Unknown,
        (true, Some(out)) => output_of(out)?,
        (true, None) if needs_output(&input) => {
            return Err(Bad::new(
                n.line,
                "out",
                format!("an ok {input} needs a result"),
            ));
        }
        (true, None) => Output::Done,
    };
    let source = Source {
        call_line: n.line,
        ret_line: if ok { n.line } else { 0 },
        ret_event: None,
    };
    Ok(Some(Operation {
        client: h.client_id_indexed(names, &client),
        input,
        output,
        call,
        ret,
        source,
    }))
}

/// `Some(true)` for ok, `Some(false)` for indeterminate, `None` for fail.
fn status(n: &Node) -> Result<Option<bool>, Bad> {
    let node = req(n, "status")?;
    match node.name().unwrap_or("") {
        "ok" => Ok(Some(true)),
        "indeterminate" => Ok(Some(false)),
        "fail" => Ok(None),
        _ => Err(Bad::new(
            node.line,
            "status",
            "expected ok, fail or indeterminate",
        )),
    }
}

fn needs_output(input: &Input) -> bool {
    matches!(
        input,
        Input::Read { .. }
            | Input::Cas { .. }
            | Input::Propose { .. }
            | Input::Acquire { .. }
            | Input::Txn(_)
            | Input::ReadSet
            | Input::Dequeue
    )
}

fn value(n: &Node, field: &str) -> Result<Value, Bad> {
    match &n.get(field) {
        None => Err(Bad::new(n.line, field, "missing")),
        Some(v) => v.to_value(field),
    }
}

fn opt_key(n: &Node) -> Result<Value, Bad> {
    n.get("key").map_or(Ok(Value::Nil), |k| k.to_value("key"))
}

fn input_of(op: &Node, model: ModelKind) -> Result<Input, Bad> {
    let f_node = req(op, "f")?;
    let f = f_node
        .name()
        .ok_or_else(|| Bad::new(f_node.line, "f", "expected a string"))?;
    let key = opt_key(op)?;
    let input = match (f, model.family()) {
        ("get" | "read", Family::Scalar) => Input::Read { key },
        ("put" | "write", Family::Scalar) => Input::Write {
            key,
            value: value(op, "value")?,
        },
        ("append", _) => Input::Append {
            key,
            value: value(op, "value")?,
        },
        ("cas", _) => Input::Cas {
            key,
            from: value(op, "from")?,
            to: value(op, "to")?,
        },
        ("propose", _) => Input::Propose {
            key,
            value: value(op, "value")?,
        },
        ("acquire", _) => Input::Acquire {
            lock: uint(req(op, "lock")?, "lock")?,
        },
        ("release", _) => Input::Release {
            lock: uint(req(op, "lock")?, "lock")?,
        },
        ("txn", _) => Input::Txn(micros(req(op, "ops")?)?),
        ("add", _) => Input::Add {
            value: value(op, "value")?,
        },
        ("read", Family::Set) => Input::ReadSet,
        ("enqueue", _) => Input::Enqueue {
            value: value(op, "value")?,
        },
        ("dequeue", _) => Input::Dequeue,
        _ => {
            return Err(Bad::new(
                f_node.line,
                "f",
                format!("unknown operation `{f}` for model {model}"),
            ))
        }
    };
    if !model.supports(&input) {
        return Err(Bad::new(
            f_node.line,
            "f",
            format!("`{f}` is not an operation of model {model}"),
        ));
    }
    Ok(input)
}

fn micros(n: &Node) -> Result<Vec<Micro>, Bad> {
    n.items("ops")?
        .iter()
        .map(|m| {
            let key = value(m, "key")?;
            match req(m, "f")?.name() {
                Some("read") => Ok(Micro::Read { key }),
                Some("write") => Ok(Micro::Write {
                    key,
                    value: value(m, "value")?,
                }),
                _ => Err(Bad::new(m.line, "f", "a micro-op is read or write")),
            }
        })
        .collect()
}

fn output_of(out: &Node) -> Result<Output, Bad> {
    let r = req(out, "r")?;
    let values = |n: &Node| -> Result<Vec<Value>, Bad> {
        req(n, "value")?
            .items("value")?
            .iter()
            .map(|v| v.to_value("value"))
            .collect()
    };
    Ok(match r.name() {
        Some("done") => Output::Done,
        Some("value") => Output::Value(value(out, "value")?),
        Some("bool") => match req(out, "value")?.kind {
            Kind::Bool(b) => Output::Bool(b),
            _ => return Err(Bad::new(out.line, "value", "expected a boolean")),
        },
        Some("values") => Output::Set(values(out)?),
        Some("txn") => Output::Txn(
            values(out)?
                .into_iter()
                .map(|v| (v != Value::Nil).then_some(v))
                .collect(),
        ),
        _ => {
            return Err(Bad::new(
                r.line,
                "r",
                "expected done, value, bool, values or txn",
            ))
        }
    })
}
