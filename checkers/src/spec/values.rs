//! Interned scalar values where strings can be built by appending without copying.
//!
//! A key-value search creates one new string per (state, append) pair it explores, which
//! can be hundreds of thousands of strings of a kilobyte each. Here a string made by an
//! append is a rope node (left id, right id) with a polynomial hash computed from its
//! parts in O(1); equal strings hash equally however they were built, and a hash match is
//! confirmed by comparing the bytes, so ids stay canonical (equal value = equal id).

use crate::history::Value;
use crate::table::{hash_of, Probe, Slots};

/// Polynomial hash modulus (a Mersenne prime) and base.
const P: u64 = (1 << 61) - 1;
const BASE: u64 = 0x1f3d_5b79_a3c1_e2d7 % P;

fn mul(a: u64, b: u64) -> u64 {
    let x = u128::from(a) * u128::from(b);
    let r = ((x & u128::from(P)) + (x >> 61)) as u64;
    if r >= P {
        r - P
    } else {
        r
    }
}

/// `BASE^len mod P` for the lengths most strings have, computed at compile time.
const POW_TABLE: [u64; 64] = {
    let mut t = [1u64; 64];
    let mut i = 1;
    while i < 64 {
        let x = t[i - 1] as u128 * BASE as u128;
        let r = ((x & P as u128) + (x >> 61)) as u64;
        t[i] = if r >= P { r - P } else { r };
        i += 1;
    }
    t
};

/// `BASE^len mod P`: from the table, or by squaring for a long string.
fn pow_of(len: usize) -> u64 {
    if let Some(&p) = POW_TABLE.get(len) {
        return p;
    }
    let (mut result, mut square, mut e) = (1, BASE, len);
    while e > 0 {
        if e & 1 == 1 {
            result = mul(result, square);
        }
        square = mul(square, square);
        e >>= 1;
    }
    result
}

fn add(a: u64, b: u64) -> u64 {
    let r = a + b;
    if r >= P {
        r - P
    } else {
        r
    }
}

#[derive(Clone, Debug)]
enum Node {
    Atom(Value),
    /// A string that is `left` followed by `right` (both strings).
    Concat(u32, u32),
}

#[derive(Clone, Debug)]
struct Entry {
    hash: u64,
    /// Byte length for strings.
    len: u64,
    /// `BASE^len mod P` for strings.
    pow: u64,
    node: Node,
}

pub(crate) struct ValueTable {
    slots: Slots,
    entries: Vec<Entry>,
    /// Bytes of the interned atoms' own strings.
    atom_bytes: usize,
}

impl ValueTable {
    #[cfg(test)]
    pub(crate) fn new() -> Self {
        Self::for_values(64)
    }

    /// An empty table with room for about `n` values before it grows.
    pub(crate) fn for_values(n: usize) -> Self {
        ValueTable {
            slots: Slots::with_capacity(n),
            entries: Vec::with_capacity(n.max(4)),
            atom_bytes: 0,
        }
    }

    /// The id of a value, interning it if new.
    pub(crate) fn intern(&mut self, v: Value) -> u32 {
        self.intern_ref(&v)
    }

    /// The id of a value, interning a copy of it if new (no copy when it is known).
    pub(crate) fn intern_ref(&mut self, v: &Value) -> u32 {
        let (hash, len, pow) = match v {
            Value::Str(s) => {
                let mut h = 0;
                for &b in s.as_bytes() {
                    h = add(mul(h, BASE), u64::from(b) + 1);
                }
                (h, s.len() as u64, pow_of(s.len()))
            }
            other => (hash_of(other) | (1 << 63), 0, 1),
        };
        let probe = self.slots.probe(hash, |id| {
            let x = &self.entries[id as usize];
            x.hash == hash
                && x.len == len
                && match (&x.node, v) {
                    (Node::Atom(a), _) => a == v,
                    (Node::Concat(..), Value::Str(s)) => self.bytes_of(x) == s.as_bytes(),
                    (Node::Concat(..), _) => false,
                }
        });
        match probe {
            Probe::Found(id) => id,
            Probe::Vacant(slot) => {
                if let Value::Str(s) = v {
                    self.atom_bytes += s.len();
                }
                self.push(
                    slot,
                    Entry {
                        hash,
                        len,
                        pow,
                        node: Node::Atom(v.clone()),
                    },
                )
            }
        }
    }

    /// The id of the string `a` followed by `b`, or `None` if either is not a string.
    /// Nil on the left reads as the empty string (appending to a missing key).
    pub(crate) fn concat(&mut self, a: u32, b: u32) -> Option<u32> {
        let (ea, eb) = (&self.entries[a as usize], &self.entries[b as usize]);
        if !self.is_str(b) {
            return None;
        }
        if matches!(ea.node, Node::Atom(Value::Nil)) || ea.len == 0 && self.is_str(a) {
            return Some(b);
        }
        if !self.is_str(a) {
            return None;
        }
        if eb.len == 0 {
            return Some(a);
        }
        let entry = Entry {
            hash: add(mul(ea.hash, eb.pow), eb.hash),
            len: ea.len + eb.len,
            pow: mul(ea.pow, eb.pow),
            node: Node::Concat(a, b),
        };
        Some(self.insert(entry))
    }

    fn is_str(&self, id: u32) -> bool {
        match &self.entries[id as usize].node {
            Node::Atom(v) => matches!(v, Value::Str(_)),
            Node::Concat(..) => true,
        }
    }

    fn insert(&mut self, e: Entry) -> u32 {
        let probe = self.slots.probe(e.hash, |id| {
            let x = &self.entries[id as usize];
            x.hash == e.hash && x.len == e.len && self.same(x, &e)
        });
        match probe {
            Probe::Found(id) => id,
            Probe::Vacant(slot) => self.push(slot, e),
        }
    }

    fn push(&mut self, slot: usize, e: Entry) -> u32 {
        let id = self.entries.len() as u32;
        self.entries.push(e);
        if self.slots.fill(slot, id, self.entries.len()) {
            self.slots.grow(self.entries.iter().map(|e| e.hash));
        }
        id
    }

    fn same(&self, x: &Entry, y: &Entry) -> bool {
        match (&x.node, &y.node) {
            (Node::Atom(a), Node::Atom(b)) => a == b,
            _ => self.bytes_of(x) == self.bytes_of(y),
        }
    }

    fn bytes_of(&self, e: &Entry) -> Vec<u8> {
        let mut out = Vec::with_capacity(e.len as usize);
        self.append_bytes(&e.node, &mut out);
        out
    }

    /// Appends a string node's bytes; iterative along the left spine.
    fn append_bytes(&self, node: &Node, out: &mut Vec<u8>) {
        let mut rights = Vec::new();
        let mut cur = node;
        loop {
            match cur {
                Node::Atom(Value::Str(s)) => {
                    out.extend_from_slice(s.as_bytes());
                    break;
                }
                Node::Atom(_) => break,
                Node::Concat(l, r) => {
                    rights.push(*r);
                    cur = &self.entries[*l as usize].node;
                }
            }
        }
        for r in rights.into_iter().rev() {
            self.append_bytes(&self.entries[r as usize].node, out);
        }
    }

    /// The bytes of a string interned as it was given (not built by appends).
    pub(crate) fn atom_bytes(&self, id: u32) -> Option<&[u8]> {
        match &self.entries[id as usize].node {
            Node::Atom(Value::Str(s)) => Some(s.as_bytes()),
            _ => None,
        }
    }

    /// Hash and byte length of a string value, `None` for other values.
    pub(crate) fn str_hash_len(&self, id: u32) -> Option<(u64, u64)> {
        let e = &self.entries[id as usize];
        self.is_str(id).then_some((e.hash, e.len))
    }

    /// Hashes of every prefix of a string value (`out[k]` = hash of the first `k` bytes).
    pub(crate) fn prefix_hashes(&self, id: u32) -> Vec<u64> {
        let bytes = self.bytes_of(&self.entries[id as usize]);
        let mut out = Vec::with_capacity(bytes.len() + 1);
        let mut h = 0;
        out.push(h);
        for b in bytes {
            h = add(mul(h, BASE), u64::from(b) + 1);
            out.push(h);
        }
        out
    }

    /// Bytes held, by capacity (atoms' strings included), with room for the slot table's
    /// next doubling.
    pub(crate) fn bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Entry>()
            + self.slots.bytes() * 3
            + self.atom_bytes
    }

    /// The value behind an id.
    pub(crate) fn value(&self, id: u32) -> Value {
        let e = &self.entries[id as usize];
        match &e.node {
            Node::Atom(v) => v.clone(),
            Node::Concat(..) => Value::Str(String::from_utf8_lossy(&self.bytes_of(e)).into_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::Str(x.into())
    }

    /// The table and the squaring give `BASE^len` as repeated multiplication does.
    #[test]
    fn powers_of_the_base_agree_with_repeated_multiplication() {
        let mut pow = 1;
        for len in 0..300 {
            assert_eq!(pow_of(len), pow, "BASE^{len}");
            pow = mul(pow, BASE);
        }
    }

    #[test]
    fn equal_strings_get_one_id_however_built() {
        let mut t = ValueTable::new();
        let abc = t.intern(s("abc"));
        let a = t.intern(s("a"));
        let b = t.intern(s("b"));
        let c = t.intern(s("c"));
        let bc = t.intern(s("bc"));
        let ab = t.concat(a, b).unwrap();
        assert_eq!(t.concat(ab, c), Some(abc));
        assert_eq!(t.concat(a, bc), Some(abc));
        assert_eq!(t.value(ab), s("ab"));
        assert_eq!(t.intern(s("ab")), ab);
    }

    #[test]
    fn nil_appends_as_empty_and_non_strings_do_not_append() {
        let mut t = ValueTable::new();
        let nil = t.intern(Value::Nil);
        let x = t.intern(s("x"));
        let one = t.intern(Value::Int(1));
        let empty = t.intern(s(""));
        assert_eq!(t.concat(nil, x), Some(x));
        assert_eq!(t.concat(empty, x), Some(x));
        assert_eq!(t.concat(x, empty), Some(x));
        assert_eq!(t.concat(one, x), None);
        assert_eq!(t.concat(x, one), None);
        assert_ne!(t.intern(Value::Int(1)), t.intern(s("1")));
    }
}
