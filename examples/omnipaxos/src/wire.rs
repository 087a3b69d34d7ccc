//! OmniPaxos's messages between servers (Sequence Paxos and ballot leader election) on
//! splitbrain's wire. Kinds keep OmniPaxos's names (`Promise`, `Accepted`...); `lib.rs` maps
//! the harness's crash-point roles onto them.

use crate::Command;
use omnipaxos::ballot_leader_election::Ballot;
use omnipaxos::messages::ballot_leader_election::HeartbeatMsg;
use omnipaxos::messages::sequence_paxos::PaxosMsg;
use omnipaxos::messages::Message as OmniMsg;
use splitbrain::api::Message;
use std::hash::{Hash, Hasher};

/// One OmniPaxos message between servers.
#[derive(Clone, Debug)]
pub struct Peer(pub Box<OmniMsg<Command>>);

impl Message for Peer {
    fn kind(&self) -> &'static str {
        omni_kind(&self.0)
    }
}

fn omni_kind(m: &OmniMsg<Command>) -> &'static str {
    match m {
        OmniMsg::SequencePaxos(p) => match &p.msg {
            PaxosMsg::PrepareReq(_) => "PrepareReq",
            PaxosMsg::Prepare(_) => "Prepare",
            PaxosMsg::Promise(_) => "Promise",
            PaxosMsg::AcceptSync(_) => "AcceptSync",
            PaxosMsg::AcceptDecide(_) => "AcceptDecide",
            PaxosMsg::Accepted(_) => "Accepted",
            PaxosMsg::NotAccepted(_) => "NotAccepted",
            PaxosMsg::Decide(_) => "Decide",
            PaxosMsg::ProposalForward(_) => "ProposalForward",
            PaxosMsg::Compaction(_) => "Compaction",
            PaxosMsg::AcceptStopSign(_) => "AcceptStopSign",
            PaxosMsg::ForwardStopSign(_) => "ForwardStopSign",
        },
        OmniMsg::BLE(b) => match b.msg {
            HeartbeatMsg::Request(_) => "HeartbeatRequest",
            HeartbeatMsg::Reply(_) => "HeartbeatReply",
        },
    }
}

fn ballot<H: Hasher>(b: &Ballot, state: &mut H) {
    (b.config_id, b.n, b.priority, b.pid).hash(state);
}

/// A command hashes as its digest.
fn entries<H: Hasher>(es: &[Command], state: &mut H) {
    es.len().hash(state);
    es.iter().for_each(|e| e.0.hash(state));
}

/// OmniPaxos's messages do not implement `Hash`: the fields that identify the frequent ones
/// feed the trace hash, and the rare ones hash their debug form.
impl Hash for Peer {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let m = &self.0;
        (m.get_sender(), m.get_receiver(), omni_kind(m)).hash(state);
        match &**m {
            OmniMsg::SequencePaxos(p) => match &p.msg {
                PaxosMsg::AcceptDecide(a) => {
                    ballot(&a.n, state);
                    (a.seq_num.session, a.seq_num.counter, a.decided_idx).hash(state);
                    entries(&a.entries, state);
                }
                PaxosMsg::Accepted(a) => {
                    ballot(&a.n, state);
                    a.accepted_idx.hash(state);
                }
                PaxosMsg::Decide(d) => {
                    ballot(&d.n, state);
                    (d.seq_num.session, d.seq_num.counter, d.decided_idx).hash(state);
                }
                other => format!("{other:?}").hash(state),
            },
            OmniMsg::BLE(b) => match &b.msg {
                HeartbeatMsg::Request(r) => r.round.hash(state),
                HeartbeatMsg::Reply(r) => {
                    (r.round, r.happy).hash(state);
                    ballot(&r.ballot, state);
                    ballot(&r.leader, state);
                }
            },
        }
    }
}
