//! Big histories stream (issue 16, class 7): splitbrain JSON is read one operation at a time,
//! so an error in an early operation is reported without reading the rest, however long the
//! rest is, and a long valid history reads to the same result as from memory.

use std::io::{BufReader, Read};

use splitbrain_checkers::{
    read_history_str, read_splitbrain_history, Format, ModelKind, ReadError,
};

/// A history of `ops` puts (one per line after the header), as bytes produced on demand:
/// nothing of it exists in memory but the line being read.
struct Generated {
    ops: u64,
    next: u64,
    line: Vec<u8>,
    at: usize,
    broken_first: bool,
}

impl Generated {
    fn new(ops: u64, broken_first: bool) -> Self {
        Generated {
            ops,
            next: 0,
            line: b"{\"schema_version\": 1, \"model\": \"kv\", \"ops\": [\n".to_vec(),
            at: 0,
            broken_first,
        }
    }

    fn refill(&mut self) -> bool {
        if self.next > self.ops {
            return false;
        }
        let i = self.next;
        self.next += 1;
        self.at = 0;
        self.line = if i == self.ops {
            b"]}\n".to_vec()
        } else {
            let call = if self.broken_first && i == 0 {
                "\"soon\"".to_string()
            } else {
                (i * 10).to_string()
            };
            let comma = if i + 1 == self.ops { "" } else { "," };
            format!(
                "{{\"client\": \"C1\", \"call_us\": {call}, \"ret_us\": {}, \"status\": \"ok\", \"op\": {{\"f\": \"put\", \"key\": \"k\", \"value\": \"v{i}\"}}, \"out\": {{\"r\": \"done\"}}}}{comma}\n",
                i * 10 + 5
            )
            .into_bytes()
        };
        true
    }
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.line.len() && !self.refill() {
            return Ok(0);
        }
        let n = buf.len().min(self.line.len() - self.at);
        buf[..n].copy_from_slice(&self.line[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn an_error_in_the_first_operation_is_reported_without_reading_the_rest() {
    // Ten billion operations (about 1.4 TB): only an incremental reader can answer at all.
    let reader = BufReader::new(Generated::new(10_000_000_000, true));
    let err = read_splitbrain_history(reader, "huge.json", ModelKind::Kv).unwrap_err();
    match err {
        ReadError::Invalid {
            file, line, field, ..
        } => {
            assert_eq!(
                (file.as_str(), line, field.as_str()),
                ("huge.json", 2, "call_us")
            );
        }
        other => panic!("expected an invalid-input error, got {other}"),
    }
}

#[test]
fn a_streamed_history_equals_the_one_read_from_memory() {
    let mut text = String::new();
    Generated::new(5_000, false)
        .read_to_string(&mut text)
        .unwrap();
    let streamed = read_splitbrain_history(
        BufReader::new(Generated::new(5_000, false)),
        "h.json",
        ModelKind::Kv,
    )
    .expect("reads");
    let whole =
        read_history_str(&text, "h.json", Some(Format::Splitbrain), ModelKind::Kv).expect("reads");
    assert_eq!(streamed.ops.len(), 5_000);
    assert_eq!(format!("{:?}", streamed.ops), format!("{:?}", whole.ops));
}
