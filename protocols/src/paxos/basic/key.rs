//! A register's name as a map key. Basic Paxos looks registers up by name on every message
//! (acceptor state, learned values, proposer runs), and comparing names byte by byte was a
//! fifth of a run's time: `RegKey` orders names exactly as `str` does, but carries its first
//! eight bytes as one big-endian integer, so that two names which differ there (nearly all:
//! `r17` and `r170` included) compare in one instruction. The same head makes the name's
//! hash for the lookup maps (`crate::paxos::lookup`) of registers that are never iterated in
//! order.

use crate::paxos::lookup::{mix, LookupKey};
use splitbrain_api::stable_hash;
use std::cmp::Ordering;
use std::fmt;
use std::rc::Rc;

/// A register name, ordered as its string.
#[derive(Clone)]
pub struct RegKey {
    /// The name's first eight bytes, big-endian, zero-padded: if two names' heads differ,
    /// they order as their names (a zero pad sits where the shorter name has ended, and a
    /// name orders before every longer name it starts).
    head: u64,
    pub name: Rc<str>,
}

impl RegKey {
    pub fn of(name: &Rc<str>) -> RegKey {
        let mut bytes = [0u8; 8];
        let n = name.len().min(8);
        bytes[..n].copy_from_slice(&name.as_bytes()[..n]);
        RegKey {
            head: u64::from_be_bytes(bytes),
            name: Rc::clone(name),
        }
    }
}

impl PartialEq for RegKey {
    fn eq(&self, other: &RegKey) -> bool {
        self.head == other.head && self.name == other.name
    }
}

impl Eq for RegKey {}

impl Ord for RegKey {
    fn cmp(&self, other: &RegKey) -> Ordering {
        // Equal heads: the names agree on their first eight bytes, up to zero pads; the
        // strings decide.
        self.head
            .cmp(&other.head)
            .then_with(|| self.name.as_bytes().cmp(other.name.as_bytes()))
    }
}

impl PartialOrd for RegKey {
    fn partial_cmp(&self, other: &RegKey) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl LookupKey for RegKey {
    fn lookup_hash(&self) -> u64 {
        // The head alone tells apart nearly all names (and every one of at most 8 bytes but
        // for trailing zero bytes); longer names add the hash of all their bytes.
        let tail = if self.name.len() > 8 {
            stable_hash(self.name.as_bytes())
        } else {
            self.name.len() as u64
        };
        mix(self.head ^ mix(tail))
    }
}

impl fmt::Display for RegKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.name.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pair of a set of tricky names orders as their strings do.
    #[test]
    fn orders_as_the_strings() {
        let names = [
            "",
            "\0",
            "a",
            "a\0",
            "a\0\0",
            "r1",
            "r10",
            "r2",
            "r1\0x",
            "abcdefgh",
            "abcdefg",
            "abcdefgh\0",
            "abcdefghi",
            "abcdefgi",
            "\u{ff}",
            "r99999999",
            "r9999999",
            "r9999999\0",
            "abcdefgh\u{1}",
            "abc\0\0\0\0\0",
            "abc\0\0\0\0\0\0",
        ];
        for a in names {
            for b in names {
                let (ka, kb) = (RegKey::of(&Rc::from(a)), RegKey::of(&Rc::from(b)));
                assert_eq!(ka.cmp(&kb), a.cmp(b), "{a:?} vs {b:?}");
                assert_eq!(ka == kb, a == b, "{a:?} == {b:?}");
            }
        }
    }
}
