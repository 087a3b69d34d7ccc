//! A small JSON parser into the shared [`Node`] tree, keeping the line of every value so
//! errors in splitbrain's history files can name the line and field.

use super::node::{Bad, Kind, Node};

const MAX_DEPTH: usize = 128;

/// Parses one JSON document.
pub(crate) fn parse(text: &str) -> Result<Node, Bad> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        i: 0,
        line: 1,
    };
    let node = p.value(0)?;
    p.skip_ws();
    if p.i < p.s.len() {
        return Err(p.err("trailing characters after the JSON document"));
    }
    Ok(node)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    line: u32,
}

impl Parser<'_> {
    fn err(&self, msg: impl Into<String>) -> Bad {
        Bad::new(self.line, "(syntax)", msg)
    }

    fn skip_ws(&mut self) {
        while let Some(&b) = self.s.get(self.i) {
            match b {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => return,
            }
            self.i += 1;
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), Bad> {
        self.skip_ws();
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err(format!("expected `{}`", b as char)))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, Bad> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        self.skip_ws();
        let line = self.line;
        let kind = match self.s.get(self.i) {
            None => return Err(self.err("unexpected end of input")),
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => Kind::Str(self.string()?),
            Some(b't') => self.word("true", Kind::Bool(true))?,
            Some(b'f') => self.word("false", Kind::Bool(false))?,
            Some(b'n') => self.word("null", Kind::Nil)?,
            Some(_) => self.number()?,
        };
        Ok(Node { line, kind })
    }

    fn word(&mut self, w: &str, kind: Kind) -> Result<Kind, Bad> {
        if self.s[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            Ok(kind)
        } else {
            Err(self.err("unexpected token"))
        }
    }

    fn object(&mut self, depth: usize) -> Result<Kind, Bad> {
        self.i += 1;
        let mut entries = Vec::new();
        self.skip_ws();
        if self.s.get(self.i) == Some(&b'}') {
            self.i += 1;
            return Ok(Kind::Map(entries));
        }
        loop {
            self.skip_ws();
            let line = self.line;
            if self.s.get(self.i) != Some(&b'"') {
                return Err(self.err("expected a string key"));
            }
            let key = Node {
                line,
                kind: Kind::Str(self.string()?),
            };
            self.expect(b':')?;
            entries.push((key, self.value(depth + 1)?));
            self.skip_ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Kind::Map(entries));
                }
                _ => return Err(self.err("expected `,` or `}`")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Kind, Bad> {
        self.i += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.s.get(self.i) == Some(&b']') {
            self.i += 1;
            return Ok(Kind::Seq(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Kind::Seq(items));
                }
                _ => return Err(self.err("expected `,` or `]`")),
            }
        }
    }

    fn string(&mut self) -> Result<String, Bad> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let start = self.i;
            while self
                .s
                .get(self.i)
                .is_some_and(|&c| c != b'"' && c != b'\\' && c != b'\n')
            {
                self.i += 1;
            }
            out.push_str(self.text.get(start..self.i).unwrap_or(""));
            match self.s.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => out.push(self.escape()?),
                _ => return Err(self.err("unterminated string")),
            }
        }
    }

    fn escape(&mut self) -> Result<char, Bad> {
        let c = self.s.get(self.i + 1).copied();
        self.i += 2;
        Ok(match c {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'n') => '\n',
            Some(b't') => '\t',
            Some(b'r') => '\r',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'u') => {
                let hex = self
                    .text
                    .get(self.i..self.i + 4)
                    .ok_or_else(|| self.err("bad \\u escape"))?;
                let code = u32::from_str_radix(hex, 16).map_err(|_| self.err("bad \\u escape"))?;
                self.i += 4;
                char::from_u32(code).unwrap_or('\u{fffd}')
            }
            _ => return Err(self.err("bad string escape")),
        })
    }

    fn number(&mut self) -> Result<Kind, Bad> {
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|&c| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E'))
        {
            self.i += 1;
        }
        let tok = self.text.get(start..self.i).unwrap_or("");
        if tok.is_empty() {
            return Err(self.err("unexpected character"));
        }
        if let Ok(i) = tok.parse::<i64>() {
            return Ok(Kind::Int(i));
        }
        tok.parse::<f64>()
            .map(Kind::Float)
            .map_err(|_| self.err(format!("bad number `{tok}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_objects_with_lines() {
        let n = parse("{\"a\": [1, -2, \"x\\u0041\"],\n \"b\": null, \"c\": true}").unwrap();
        assert_eq!(n.get("b").unwrap().kind, Kind::Nil);
        assert_eq!(n.get("c").unwrap().line, 2);
        let a = n.get("a").unwrap().items("a").unwrap();
        assert_eq!(a[1].kind, Kind::Int(-2));
        assert_eq!(a[2].kind, Kind::Str("xA".into()));
    }

    #[test]
    fn malformed_json_is_an_error_not_a_panic() {
        for bad in [
            "",
            "{",
            "[1,",
            "{\"a\" 1}",
            "\"\\u12",
            "tru",
            "[1]x",
            "{\"a\":}",
            "-",
            "\"\\",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        assert!(parse(&"[".repeat(5000)).is_err());
    }
}
