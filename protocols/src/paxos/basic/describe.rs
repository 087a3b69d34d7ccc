//! A Basic Paxos server's state in named fields for people (`replay --state-at`): its round,
//! the registers it is proposing for and how far each attempt got, and the acceptor state of
//! the registers it has not learned yet.

use super::server::BasicServer;

/// How many registers a field lists before it says how many more there are.
const SHOWN: usize = 8;

/// `items`, at most `SHOWN` of them, or "none".
pub(crate) fn listing(items: Vec<String>) -> String {
    if items.is_empty() {
        return "none".to_string();
    }
    let more = items.len().saturating_sub(SHOWN);
    let mut text = items.into_iter().take(SHOWN).collect::<Vec<_>>().join("; ");
    if more > 0 {
        text.push_str(&format!("; and {more} more"));
    }
    text
}

impl BasicServer {
    pub(super) fn describe_fields(&self) -> Vec<(&'static str, String)> {
        let proposing = self
            .runs
            .iter()
            .map(|(key, run)| run.describe(&key.name))
            .collect();
        let mut acceptors: Vec<_> = self.acceptors.entries().iter().collect();
        acceptors.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let undecided = acceptors
            .into_iter()
            .filter(|(key, _)| !self.learned.contains_key(key))
            .map(|(key, inst)| {
                let accepted = inst
                    .accepted
                    .as_ref()
                    .map_or("nothing accepted".to_string(), |(b, v)| {
                        format!("accepted {b}=`{v}`")
                    });
                format!("{key}: promised {}, {accepted}", inst.promised)
            })
            .collect();
        vec![
            ("round", self.round.to_string()),
            ("proposing", listing(proposing)),
            ("acceptor (registers not learned here)", listing(undecided)),
            ("learned", format!("{} registers", self.learned.len())),
        ]
    }
}
