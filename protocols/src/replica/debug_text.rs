//! A library's messages named and hashed through their `Debug` text, for message types that
//! implement neither splitbrain's `Message` nor `Hash` (most libraries' do not): the kind a
//! trace, a filter or a crash point uses is the name of the enum variant the text starts
//! with ([`variant_name`]), and the trace hash is fed the text itself ([`hash_debug`]). Both
//! are as deterministic as the type's `Debug` is, which rules out a type that prints a
//! `HashMap` (its order differs between processes).

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt::{self, Debug, Write};
use std::hash::Hasher;

/// The name `value`'s `Debug` text starts with: its enum variant (`Promise` for
/// `Promise(Promise { n: .. })`, `MsgAppend` for a field-less `MsgAppend`) or struct. Only
/// that name is formatted (formatting stops at the first character that cannot be part of
/// one), and each distinct name is allocated once per thread. `"message"` if the text does
/// not start with a name.
pub fn variant_name(value: &impl Debug) -> &'static str {
    let mut head = Head(String::new());
    // The writer stops the formatting (an error) once the name is complete.
    let _stopped = write!(head, "{value:?}");
    intern(if head.0.is_empty() {
        "message"
    } else {
        &head.0
    })
}

/// Feeds `value`'s `Debug` text into `state` (without building the string), then a separator:
/// equal texts hash equally on every run and every machine.
pub fn hash_debug<H: Hasher>(value: &impl Debug, state: &mut H) {
    write!(Feed(state), "{value:?}").expect("Debug formatting does not fail");
    state.write_u8(0xff);
}

/// Collects the leading name of a text and fails at the first other character.
struct Head(String);

impl Write for Head {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_'));
        self.0.push_str(&s[..end.unwrap_or(s.len())]);
        match end {
            Some(_) => Err(fmt::Error),
            None => Ok(()),
        }
    }
}

/// Writes a text into a hasher.
struct Feed<'a, H>(&'a mut H);

impl<H: Hasher> Write for Feed<'_, H> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.write(s.as_bytes());
        Ok(())
    }
}

thread_local! {
    /// The names handed out on this thread (a few per library; never freed).
    static NAMES: RefCell<BTreeSet<&'static str>> = const { RefCell::new(BTreeSet::new()) };
}

fn intern(name: &str) -> &'static str {
    NAMES.with(|names| {
        let mut names = names.borrow_mut();
        if let Some(&known) = names.get(name) {
            return known;
        }
        let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
        names.insert(leaked);
        leaked
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    #[derive(Debug)]
    #[allow(dead_code)] // read through Debug only
    enum Msg {
        Promise { n: u64, log: Vec<String> },
        Accepted(u64),
        Heartbeat,
    }

    #[derive(Debug)]
    #[allow(dead_code)]
    struct Envelope(Msg);

    fn hash(value: &impl Debug) -> u64 {
        let mut h = DefaultHasher::new();
        hash_debug(value, &mut h);
        h.finish()
    }

    #[test]
    fn a_kind_is_the_variant_the_debug_text_starts_with() {
        let promise = Msg::Promise {
            n: 3,
            log: vec!["a".into()],
        };
        assert_eq!(variant_name(&promise), "Promise");
        assert_eq!(variant_name(&Msg::Accepted(7)), "Accepted");
        assert_eq!(variant_name(&Msg::Heartbeat), "Heartbeat");
        assert_eq!(variant_name(&Envelope(Msg::Heartbeat)), "Envelope");
        assert_eq!(variant_name(&Box::new(Msg::Accepted(1))), "Accepted");
        assert_eq!(
            variant_name(&(1, 2)),
            "message",
            "a tuple starts with no name"
        );
        // The same name is the same allocation (interned).
        let a = variant_name(&Msg::Accepted(1));
        let b = variant_name(&Msg::Accepted(2));
        assert!(std::ptr::eq(a, b));
    }

    #[test]
    fn a_debug_hash_tells_apart_what_the_text_tells_apart() {
        assert_eq!(hash(&Msg::Accepted(7)), hash(&Msg::Accepted(7)));
        assert_ne!(hash(&Msg::Accepted(7)), hash(&Msg::Accepted(8)));
        let with = |log: &[&str]| Msg::Promise {
            n: 1,
            log: log.iter().map(|s| s.to_string()).collect(),
        };
        assert_ne!(hash(&with(&["a"])), hash(&with(&["a", "b"])));
        assert_ne!(hash(&Msg::Heartbeat), hash(&Envelope(Msg::Heartbeat)));
    }
}
