//! A small EDN parser: the subset Jepsen, Knossos and Porcupine histories use, plus
//! enough of the rest (sets, tags, discards, characters) to fail politely on anything
//! else. Recursive descent with a nesting limit, so no input can overflow the stack, and
//! every failure is an error naming the line.

use super::node::{Bad, Kind, Node};

/// Deepest nesting accepted.
const MAX_DEPTH: usize = 128;

/// Parses every top-level form of `text`.
pub(crate) fn parse_all(text: &str) -> Result<Vec<Node>, Bad> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        i: 0,
        line: 1,
    };
    let mut out = Vec::new();
    loop {
        p.skip_ws();
        if p.i >= p.s.len() {
            return Ok(out);
        }
        out.push(p.form(0)?);
    }
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    line: u32,
}

fn is_delim(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b',' | b'(' | b')' | b'[' | b']' | b'{' | b'}' | b'"' | b';'
        )
}

impl Parser<'_> {
    fn err(&self, msg: impl Into<String>) -> Bad {
        Bad::new(self.line, "(syntax)", msg)
    }

    fn skip_ws(&mut self) {
        while let Some(&b) = self.s.get(self.i) {
            match b {
                b'\n' => self.line += 1,
                b';' => {
                    while self.s.get(self.i).is_some_and(|&c| c != b'\n') {
                        self.i += 1;
                    }
                    continue;
                }
                b' ' | b'\t' | b'\r' | b',' => {}
                _ => return,
            }
            self.i += 1;
        }
    }

    fn form(&mut self, depth: usize) -> Result<Node, Bad> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        self.skip_ws();
        let line = self.line;
        let Some(&b) = self.s.get(self.i) else {
            return Err(self.err("unexpected end of input"));
        };
        let kind = match b {
            b'[' | b'(' => {
                self.i += 1;
                Kind::Seq(self.seq(if b == b'[' { b']' } else { b')' }, depth)?)
            }
            b'{' => {
                self.i += 1;
                self.map(depth)?
            }
            b'#' => self.dispatch(depth)?,
            b'"' => Kind::Str(self.string()?),
            b']' | b')' | b'}' => return Err(self.err(format!("unexpected `{}`", b as char))),
            b'\\' => self.character()?,
            _ => self.atom()?,
        };
        Ok(Node { line, kind })
    }

    fn seq(&mut self, close: u8, depth: usize) -> Result<Vec<Node>, Bad> {
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.s.get(self.i) {
                None => return Err(self.err(format!("missing `{}`", close as char))),
                Some(&c) if c == close => {
                    self.i += 1;
                    return Ok(items);
                }
                Some(_) => items.push(self.form(depth + 1)?),
            }
        }
    }

    fn map(&mut self, depth: usize) -> Result<Kind, Bad> {
        let items = self.seq(b'}', depth)?;
        if items.len() % 2 != 0 {
            return Err(self.err("a map needs an even number of forms"));
        }
        let mut entries = Vec::with_capacity(items.len() / 2);
        let mut it = items.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            entries.push((k, v));
        }
        Ok(Kind::Map(entries))
    }

    fn dispatch(&mut self, depth: usize) -> Result<Kind, Bad> {
        self.i += 1;
        match self.s.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                Ok(Kind::Set(self.seq(b'}', depth)?))
            }
            Some(b'_') => {
                self.i += 1;
                self.form(depth + 1)?;
                Ok(self.form(depth + 1)?.kind)
            }
            Some(b) if b.is_ascii_alphabetic() => {
                self.atom()?; // The tag; its form is read as is.
                Ok(self.form(depth + 1)?.kind)
            }
            _ => Err(self.err("unsupported `#` form")),
        }
    }

    fn string(&mut self) -> Result<String, Bad> {
        self.i += 1;
        let mut out = String::new();
        let start_line = self.line;
        loop {
            let start = self.i;
            while self.s.get(self.i).is_some_and(|&c| c != b'"' && c != b'\\') {
                if self.s[self.i] == b'\n' {
                    self.line += 1;
                }
                self.i += 1;
            }
            out.push_str(self.text.get(start..self.i).unwrap_or(""));
            match self.s.get(self.i) {
                None => return Err(Bad::new(start_line, "(syntax)", "unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(_) => {
                    let esc = self.s.get(self.i + 1).copied();
                    self.i += 2;
                    out.push(match esc {
                        Some(b'n') => '\n',
                        Some(b't') => '\t',
                        Some(b'r') => '\r',
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        _ => return Err(self.err("unsupported string escape")),
                    });
                }
            }
        }
    }

    fn token(&mut self) -> &str {
        let start = self.i;
        self.i += 1;
        while self.s.get(self.i).is_some_and(|&c| !is_delim(c)) {
            self.i += 1;
        }
        self.text.get(start..self.i).unwrap_or("")
    }

    fn character(&mut self) -> Result<Kind, Bad> {
        let tok = self.token().to_string();
        Ok(Kind::Str(tok.get(1..).unwrap_or("").to_string()))
    }

    fn atom(&mut self) -> Result<Kind, Bad> {
        let line = self.line;
        let tok = self.token();
        if let Some(k) = tok.strip_prefix(':') {
            return Ok(Kind::Keyword(k.to_string()));
        }
        match tok {
            "nil" => return Ok(Kind::Nil),
            "true" => return Ok(Kind::Bool(true)),
            "false" => return Ok(Kind::Bool(false)),
            _ => {}
        }
        let first = tok.as_bytes().first().copied().unwrap_or(b' ');
        let second = tok.as_bytes().get(1).copied().unwrap_or(b' ');
        let numeric =
            first.is_ascii_digit() || (matches!(first, b'-' | b'+') && second.is_ascii_digit());
        if !numeric {
            return Ok(Kind::Symbol(tok.to_string()));
        }
        let digits = tok.trim_end_matches('N');
        if let Ok(i) = digits.parse::<i64>() {
            return Ok(Kind::Int(i));
        }
        match tok.trim_end_matches('M').parse::<f64>() {
            Ok(f) => Ok(Kind::Float(f)),
            Err(_) => Err(Bad::new(line, "(syntax)", format!("bad number `{tok}`"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_knossos_style_maps_with_comments_and_missing_commas() {
        let text = "; head\n[{:process 22  :type :invoke, :f :cas, :value [1 2]}\n ; mid\n \
                    {:process :nemesis, :value \"Cut #[:n1] #{:n2}\"}]";
        let forms = parse_all(text).unwrap();
        assert_eq!(forms.len(), 1);
        let items = forms[0].items("x").unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].line, 2);
        assert_eq!(items[1].line, 4);
        assert_eq!(items[0].get("process").unwrap().kind, Kind::Int(22));
        assert_eq!(
            items[1].get("process").unwrap().kind,
            Kind::Keyword("nemesis".into())
        );
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        for bad in [
            "[",
            "{:a}",
            "\"abc",
            "]",
            "#?",
            "[1 2",
            "\"\\",
            "{:a [1 (2 #{3",
            "-",
        ] {
            let _ = parse_all(bad);
        }
        assert!(parse_all("[").is_err());
        assert!(parse_all("{:a}").is_err());
        assert!(parse_all(&"[".repeat(10_000)).is_err());
    }

    #[test]
    fn numbers_and_symbols_are_told_apart() {
        let forms = parse_all("-3 +4 - x 2.5 12N").unwrap();
        let kinds: Vec<_> = forms.into_iter().map(|n| n.kind).collect();
        assert_eq!(
            kinds,
            vec![
                Kind::Int(-3),
                Kind::Int(4),
                Kind::Symbol("-".into()),
                Kind::Symbol("x".into()),
                Kind::Float(2.5),
                Kind::Int(12)
            ]
        );
    }
}
