//! EDN histories: Knossos files (one vector or list of maps) and Porcupine's key-value
//! files (one map per line). Both are Jepsen operation maps in real-time order.

use super::edn;
use super::events::{process_of, Event, EventType};
use super::node::{Bad, Kind, Node};

/// Reads the client events of an EDN history.
pub(crate) fn events(text: &str) -> Result<Vec<Event>, Bad> {
    let mut forms = edn::parse_all(text)?;
    let maps: Vec<Node> = if forms.len() == 1 && matches!(forms[0].kind, Kind::Seq(_)) {
        match forms.remove(0).kind {
            Kind::Seq(items) => items,
            _ => Vec::new(),
        }
    } else {
        forms
    };
    let mut out = Vec::with_capacity(maps.len());
    for (pos, m) in maps.into_iter().enumerate() {
        if let Some(ev) = event_of(m, pos as u32)? {
            out.push(ev);
        }
    }
    Ok(out)
}

fn event_of(m: Node, pos: u32) -> Result<Option<Event>, Bad> {
    let line = m.line;
    if !matches!(m.kind, Kind::Map(_)) {
        return Err(Bad::new(
            line,
            "(entry)",
            format!("expected an operation map, found {}", m.what()),
        ));
    }
    let Some(process) = process_of(m.get("process"), line)? else {
        return Ok(None);
    };
    let kind = EventType::parse(
        m.get("type")
            .ok_or_else(|| Bad::new(line, "type", "missing"))?,
    )?;
    let f = m
        .get("f")
        .and_then(|n| n.name())
        .ok_or_else(|| Bad::new(line, "f", "missing or not a keyword"))?
        .to_string();
    let key = m.get("key").cloned();
    let value = m.get("value").cloned().unwrap_or(Node {
        line,
        kind: Kind::Nil,
    });
    Ok(Some(Event {
        line,
        pos,
        process,
        kind,
        f,
        key,
        value,
    }))
}
