//! Jepsen log lines, as in Porcupine's `jepsen/etcd_*.log`:
//! `INFO  jepsen.util - <process> <type> <f> <value>`, fields separated by whitespace,
//! line order = real-time order.

use super::edn;
use super::events::{Event, EventType};
use super::node::{Bad, Kind, Node};

/// Reads the client events of a Jepsen log.
pub(crate) fn events(text: &str) -> Result<Vec<Event>, Bad> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i as u32 + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let Some(ev) = parse_line(raw, line, i as u32)? else {
            continue;
        };
        out.push(ev);
    }
    Ok(out)
}

fn field<'a>(
    it: &mut impl Iterator<Item = &'a str>,
    line: u32,
    name: &str,
) -> Result<&'a str, Bad> {
    it.next().ok_or_else(|| Bad::new(line, name, "missing"))
}

fn parse_line(raw: &str, line: u32, pos: u32) -> Result<Option<Event>, Bad> {
    // Everything after the logger's " - " separator is the event.
    let body = raw.find(" - ").map_or(raw, |i| &raw[i + 3..]);
    let mut it = body.split_whitespace();
    let process = field(&mut it, line, "process")?;
    let kind = field(&mut it, line, "type")?;
    let f = field(&mut it, line, "f")?;
    let Ok(process) = process.parse::<i64>() else {
        if process.starts_with(':') {
            return Ok(None); // :nemesis and other non-client entries.
        }
        return Err(Bad::new(
            line,
            "process",
            format!("expected an integer, found `{process}`"),
        ));
    };
    let kind = EventType::parse(&Node {
        line,
        kind: Kind::Keyword(kind.trim_start_matches(':').into()),
    })
    .map_err(|b| Bad {
        message: format!("{} (found `{kind}`)", b.message),
        ..b
    })?;
    let f = f
        .strip_prefix(':')
        .ok_or_else(|| Bad::new(line, "f", format!("expected a keyword, found `{f}`")))?;
    let rest: Vec<&str> = it.collect();
    let mut forms = edn::parse_all(&rest.join(" ")).map_err(|b| Bad {
        line,
        field: "value".into(),
        ..b
    })?;
    let value = match forms.len() {
        0 => Node {
            line,
            kind: Kind::Nil,
        },
        1 => forms.remove(0),
        _ => return Err(Bad::new(line, "value", "expected one value")),
    };
    let value = Node { line, ..value };
    Ok(Some(Event {
        line,
        pos,
        process,
        kind,
        f: f.to_string(),
        key: None,
        value,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tab_and_space_separated_lines() {
        let text =
            "INFO  jepsen.util - 3\t:invoke\t:cas\t[3 0]\nINFO  jepsen.util - 3 :fail :cas [3 0]\n";
        let evs = events(text).unwrap();
        assert_eq!(evs.len(), 2);
        assert_eq!(evs[1].kind, EventType::Fail);
        assert_eq!(evs[1].f, "cas");
        assert_eq!(evs[0].value.items("v").unwrap().len(), 2);
    }

    #[test]
    fn a_bad_type_names_line_and_field() {
        let e =
            events("INFO  jepsen.util - 3 :invoke :read nil\nINFO  jepsen.util - 3 :done :read 1")
                .err();
        let e = e.unwrap();
        assert_eq!((e.line, e.field.as_str()), (2, "type"));
    }
}
