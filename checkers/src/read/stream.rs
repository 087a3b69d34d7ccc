//! Incremental reading of splitbrain's JSON history: the top-level object is scanned from a
//! buffered reader, and each element of `ops` is cut out, parsed and handed over on its own,
//! so a history is never held whole (memory stays near the operations' own size) and an
//! error in an early operation is reported as soon as it is read. Lines are counted across
//! the whole file, so errors still name the file's line.

use std::io::BufRead;

use super::json;
use super::node::{Bad, Node};

/// Bytes from a buffered reader, one at a time, with the current line.
pub(crate) struct Source<R: BufRead> {
    r: R,
    line: u32,
    failed: Option<std::io::Error>,
}

impl<R: BufRead> Source<R> {
    pub(crate) fn new(r: R) -> Self {
        Source {
            r,
            line: 1,
            failed: None,
        }
    }

    /// The I/O error that ended the input early, if any.
    pub(crate) fn io_error(&mut self) -> Option<std::io::Error> {
        self.failed.take()
    }

    fn peek(&mut self) -> Option<u8> {
        match self.r.fill_buf() {
            Ok(buf) => buf.first().copied(),
            Err(e) => {
                self.failed = Some(e);
                None
            }
        }
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.r.consume(1);
        if b == b'\n' {
            self.line += 1;
        }
        Some(b)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.bump();
        }
    }

    fn err(&self, message: impl Into<String>) -> Bad {
        Bad::new(self.line, "(syntax)", message)
    }

    fn expect(&mut self, want: u8) -> Result<(), Bad> {
        self.skip_ws();
        match self.bump() {
            Some(b) if b == want => Ok(()),
            Some(b) => Err(self.err(format!(
                "expected `{}`, found `{}`",
                want as char, b as char
            ))),
            None => Err(self.err(format!(
                "expected `{}`, found the end of the file",
                want as char
            ))),
        }
    }

    /// Copies one JSON value's bytes into `out` (or skips them when `None`): strings with
    /// their escapes, objects and arrays to their matching close.
    fn capture(&mut self, mut out: Option<&mut Vec<u8>>) -> Result<(), Bad> {
        self.skip_ws();
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        loop {
            let Some(b) = self.peek() else {
                return Err(self.err("the file ends inside a value"));
            };
            if depth == 0
                && !in_string
                && matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n')
            {
                return Ok(()); // the end of a number, `true`, `false` or `null`
            }
            self.bump();
            if let Some(o) = out.as_deref_mut() {
                o.push(b);
            }
            if in_string {
                match (escaped, b) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_string = false,
                    _ => {}
                }
                if !in_string && depth == 0 {
                    return Ok(());
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth
                        .checked_sub(1)
                        .ok_or_else(|| self.err(format!("unexpected `{}`", b as char)))?;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
    }

    /// Parses the next value on its own; its nodes' lines are the file's.
    fn value(&mut self) -> Result<Node, Bad> {
        self.skip_ws();
        let first_line = self.line;
        let mut bytes = Vec::new();
        self.capture(Some(&mut bytes))?;
        let text = String::from_utf8(bytes).map_err(|_| self.err("not UTF-8"))?;
        let mut node = json::parse(&text).map_err(|b| shifted(b, first_line))?;
        shift_lines(&mut node, first_line);
        Ok(node)
    }
}

/// `bad` with its line counted from the file's start rather than the value's.
pub(crate) fn shifted(mut bad: Bad, first_line: u32) -> Bad {
    bad.line += first_line.saturating_sub(1);
    bad
}

fn shift_lines(node: &mut Node, first_line: u32) {
    use super::node::Kind;
    node.line += first_line.saturating_sub(1);
    match &mut node.kind {
        Kind::Seq(items) | Kind::Set(items) => {
            items.iter_mut().for_each(|n| shift_lines(n, first_line));
        }
        Kind::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            shift_lines(k, first_line);
            shift_lines(v, first_line);
        }),
        _ => {}
    }
}

/// What the scan of the top-level object wants done with each field.
pub(crate) trait Fields {
    /// Whether the field's value is wanted (`field` is called with it); others are skipped.
    fn wants(&self, key: &str) -> bool;
    fn field(&mut self, key: &str, value: Node) -> Result<(), Bad>;
    /// One element of `ops`, when `wants("ops")`.
    fn op(&mut self, value: Node) -> Result<(), Bad>;
}

/// Scans `{ "key": value, ... }`, streaming the elements of `ops`.
pub(crate) fn scan<R: BufRead>(src: &mut Source<R>, fields: &mut dyn Fields) -> Result<(), Bad> {
    src.expect(b'{')
        .map_err(|_| src.err("expected a JSON object"))?;
    src.skip_ws();
    if src.peek() == Some(b'}') {
        src.bump();
        return end(src);
    }
    loop {
        let key_node = src.value()?;
        let key = key_node
            .name()
            .ok_or_else(|| Bad::new(key_node.line, "(syntax)", "expected a field name"))?
            .to_string();
        src.expect(b':')?;
        if key == "ops" && fields.wants("ops") {
            ops(src, fields)?;
        } else if fields.wants(&key) {
            let v = src.value()?;
            fields.field(&key, v)?;
        } else {
            src.capture(None)?;
        }
        src.skip_ws();
        match src.bump() {
            Some(b',') => continue,
            Some(b'}') => return end(src),
            _ => return Err(src.err("expected `,` or `}` after a field")),
        }
    }
}

fn ops<R: BufRead>(src: &mut Source<R>, fields: &mut dyn Fields) -> Result<(), Bad> {
    src.expect(b'[')
        .map_err(|_| Bad::new(src.line, "ops", "expected an array"))?;
    src.skip_ws();
    if src.peek() == Some(b']') {
        src.bump();
        return Ok(());
    }
    loop {
        let op = src.value()?;
        fields.op(op)?;
        src.skip_ws();
        match src.bump() {
            Some(b',') => continue,
            Some(b']') => return Ok(()),
            _ => return Err(src.err("expected `,` or `]` after an operation")),
        }
    }
}

fn end<R: BufRead>(src: &mut Source<R>) -> Result<(), Bad> {
    src.skip_ws();
    match src.peek() {
        None => Ok(()),
        Some(_) => Err(src.err("trailing characters after the JSON document")),
    }
}
