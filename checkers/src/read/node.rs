//! A tiny document tree shared by the EDN and JSON parsers, with a line per node, so
//! every later error can name the line and field it is about.

use crate::history::Value;

/// A problem found while reading, before the file name is attached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Bad {
    pub(crate) line: u32,
    pub(crate) field: String,
    pub(crate) message: String,
}

impl Bad {
    pub(crate) fn new(line: u32, field: &str, message: impl Into<String>) -> Self {
        Bad {
            line,
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// A parsed value and the line it starts on.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub(crate) line: u32,
    pub(crate) kind: Kind,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Kind {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// EDN keyword, without the colon.
    Keyword(String),
    Symbol(String),
    /// Vectors and lists (EDN), arrays (JSON).
    Seq(Vec<Node>),
    Set(Vec<Node>),
    /// Entries in file order.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The value under a keyword (EDN) or string (JSON) key.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        let Kind::Map(entries) = &self.kind else {
            return None;
        };
        entries.iter().find_map(|(k, v)| match &k.kind {
            Kind::Keyword(s) | Kind::Str(s) if s == key => Some(v),
            _ => None,
        })
    }

    /// The keyword (or string) name of this node.
    pub(crate) fn name(&self) -> Option<&str> {
        match &self.kind {
            Kind::Keyword(s) | Kind::Str(s) | Kind::Symbol(s) => Some(s),
            _ => None,
        }
    }

    /// A short description of the node's type, for error messages.
    pub(crate) fn what(&self) -> &'static str {
        match self.kind {
            Kind::Nil => "nil",
            Kind::Bool(_) => "a boolean",
            Kind::Int(_) => "an integer",
            Kind::Float(_) => "a float",
            Kind::Str(_) => "a string",
            Kind::Keyword(_) => "a keyword",
            Kind::Symbol(_) => "a symbol",
            Kind::Seq(_) => "a sequence",
            Kind::Set(_) => "a set",
            Kind::Map(_) => "a map",
        }
    }

    /// Converts a scalar to a history [`Value`]; keywords keep their colon.
    pub(crate) fn to_value(&self, field: &str) -> Result<Value, Bad> {
        match &self.kind {
            Kind::Nil => Ok(Value::Nil),
            Kind::Bool(b) => Ok(Value::Bool(*b)),
            Kind::Int(i) => Ok(Value::Int(*i)),
            Kind::Str(s) => Ok(Value::Str(s.clone())),
            Kind::Keyword(k) => Ok(Value::Str(format!(":{k}"))),
            _ => Err(Bad::new(
                self.line,
                field,
                format!("expected a scalar value, found {}", self.what()),
            )),
        }
    }

    /// The elements of a sequence.
    pub(crate) fn items(&self, field: &str) -> Result<&[Node], Bad> {
        match &self.kind {
            Kind::Seq(v) | Kind::Set(v) => Ok(v),
            _ => Err(Bad::new(
                self.line,
                field,
                format!("expected a sequence, found {}", self.what()),
            )),
        }
    }
}
