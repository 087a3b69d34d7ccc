//! A Multi-Paxos server's state in named fields for people (`replay --state-at`): its role
//! and ballot, the leader it follows, its log (accepted, chosen, applied, snapshot), and as
//! leader the slots still waiting for a majority and the reads waiting for confirmation.

use super::election::Role;
use super::server::MultiServer;
use crate::paxos::agreement::{names, Voted};
use crate::paxos::basic::listing;

impl MultiServer {
    pub(super) fn describe_fields(&self) -> Vec<(&'static str, String)> {
        let role = match &self.role {
            Role::Follower => match self.leader {
                Some(l) => format!("follower of {l}"),
                None => "follower, no leader known".to_string(),
            },
            Role::Candidate(s) => format!(
                "candidate at ballot {}, promised by {}",
                s.ballot,
                names(s.promised)
            ),
            Role::Leader(l) => format!("leader at ballot {}", l.ballot),
        };
        let mut fields = vec![
            ("role", role),
            ("promised", self.promised.to_string()),
            ("log", self.log_summary()),
        ];
        if let Role::Leader(l) = &self.role {
            let pending = l
                .pending
                .iter()
                .map(|(slot, (cmd, mask, _))| {
                    format!("slot {slot} {} accepted by {}", cmd.label(), names(*mask))
                })
                .collect();
            fields.push(("waiting for a majority", listing(pending)));
            fields.push(("next slot", l.next_slot.to_string()));
            let reads = l
                .reads
                .iter()
                .map(|r| format!("{} get {}", r.client, r.key))
                .collect();
            fields.push(("reads waiting for confirmation", listing(reads)));
        }
        let owed = self
            .waiters
            .iter()
            .map(|(c, seq)| format!("{c} request {}", seq & 0xffff_ffff))
            .collect();
        fields.push(("replies owed", listing(owed)));
        fields
    }

    fn log_summary(&self) -> String {
        let accepted = match (self.accepted.first(), self.accepted.last()) {
            (Some(lo), Some(hi)) => format!("slots {lo}..={hi} accepted"),
            _ => "nothing accepted".to_string(),
        };
        format!(
            "{accepted}, {} chosen ahead of applied, applied through {}, snapshot at {}",
            self.chosen.iter_from(self.applied + 1).count(),
            self.applied,
            self.snapshot.index
        )
    }
}
