//! [`Text`]: the owned string of operations (keys, values, paths, data).
//!
//! The names a workload writes are a few bytes long (`/z3`, `c2.117`), and every operation is
//! copied several times on its way (into the history, into each request sent, into the
//! replicated command). A `String` allocates at each copy; a `Text` keeps up to
//! [`Text::INLINE`] bytes in place, so building and copying a short one allocates nothing.
//! Longer strings live on the heap as before.
//!
//! A `Text` behaves as the `str` it holds in every observable way: it compares, orders,
//! hashes (the same `write` calls as `String`, so trace hashes do not change), prints and
//! serializes exactly as a `String` with the same contents.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::{Borrow, Cow};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// An owned UTF-8 string, stored inline when short.
#[derive(Clone)]
pub struct Text(Repr);

#[derive(Clone)]
enum Repr {
    /// The first `len` bytes of `bytes` are the string.
    Inline {
        len: u8,
        bytes: [u8; Text::INLINE],
    },
    Heap(Box<str>),
}

impl Text {
    /// The longest string kept inline (the inline form is as large as a `String`).
    pub const INLINE: usize = 22;

    /// The empty string.
    pub const fn new() -> Text {
        Text(Repr::Inline {
            len: 0,
            bytes: [0; Text::INLINE],
        })
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline { len, bytes } => {
                // SAFETY: the inline bytes were copied from a `&str` whole (see `From<&str>`),
                // so they are valid UTF-8; skipping the check keeps every read free.
                unsafe { std::str::from_utf8_unchecked(&bytes[..usize::from(*len)]) }
            }
            Repr::Heap(s) => s,
        }
    }
}

impl Default for Text {
    fn default() -> Text {
        Text::new()
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        if s.len() > Text::INLINE {
            return Text(Repr::Heap(s.into()));
        }
        let mut bytes = [0; Text::INLINE];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Text(Repr::Inline {
            len: s.len() as u8,
            bytes,
        })
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Text {
        Text::from(s.as_str())
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        if s.len() > Text::INLINE {
            return Text(Repr::Heap(s.into_boxed_str()));
        }
        Text::from(s.as_str())
    }
}

impl From<Text> for String {
    fn from(t: Text) -> String {
        t.as_str().to_string()
    }
}

impl<'a> From<&'a Text> for Cow<'a, str> {
    fn from(t: &'a Text) -> Cow<'a, str> {
        Cow::Borrowed(t.as_str())
    }
}

impl Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Text) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Text {
    /// As `String` hashes: the same `write` calls.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        String::deserialize(d).map(Text::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    fn hash_of<T: Hash + ?Sized>(x: &T) -> u64 {
        let mut h = DefaultHasher::new();
        x.hash(&mut h);
        h.finish()
    }

    #[test]
    fn short_and_long_texts_read_back_compare_and_hash_as_strings() {
        let long = "/a-path-longer-than-the-inline-room/n-0000000001";
        let samples = ["", "/z3", "c2.117", "1234567890123456789012", long];
        for a in samples {
            let t = Text::from(a);
            assert_eq!(t.as_str(), a);
            assert_eq!(Text::from(a.to_string()), t);
            assert_eq!(t.clone(), t);
            assert_eq!(hash_of(&t), hash_of(&a.to_string()));
            assert_eq!(format!("{t}|{t:?}|{t:>30}"), format!("{a}|{a:?}|{a:>30}"));
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                serde_json::to_string(a).unwrap()
            );
            let back: Text = serde_json::from_str(&serde_json::to_string(a).unwrap()).unwrap();
            assert_eq!(back, a);
            for b in samples {
                assert_eq!(t.cmp(&Text::from(b)), a.cmp(b));
            }
        }
    }

    #[test]
    fn a_text_is_as_large_as_a_string() {
        assert_eq!(std::mem::size_of::<Text>(), std::mem::size_of::<String>());
    }
}
