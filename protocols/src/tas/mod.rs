//! A replicated test-and-set lock service: the classic split-brain example (VMware FT §2.3,
//! 6.824's lecture on majority vote). Each lock id is one epoch: exactly one client may ever
//! win it. Variants:
//! - `single`: one server; safe, but unavailable to clients that cannot reach it.
//! - `two-server` (planted bug V01): a server that cannot reach its peer serves alone.
//! - `majority`: clients collect durable votes from a majority of 3 or 5 servers.

mod client;
mod server;

pub use client::TasClient;
pub use server::TasServer;

use splitbrain_api::{Expect, FaultBudget, Message, NodeId, Protocol, ProtocolInfo, VariantInfo};

/// Which design the service uses.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TasVariant {
    Single,
    TwoServer,
    Majority,
}

impl TasVariant {
    pub fn parse(name: &str) -> Option<TasVariant> {
        match name {
            "single" => Some(TasVariant::Single),
            "two-server" | "V01" | "v01" => Some(TasVariant::TwoServer),
            "majority" => Some(TasVariant::Majority),
            _ => None,
        }
    }

    /// The cluster size this design is built for when the user does not say.
    pub fn default_servers(self) -> usize {
        match self {
            TasVariant::Single => 1,
            TasVariant::TwoServer => 2,
            TasVariant::Majority => 3,
        }
    }
}

/// The lock service's wire messages.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum TasMsg {
    /// Client asks for `lock`; `req` identifies the attempt.
    Acquire { lock: u64, req: u64 },
    /// Server answers a single/two-server client: `owner` holds the lock.
    Owner { lock: u64, req: u64, owner: NodeId },
    /// Majority: this server's durable vote for `lock` went to `owner`.
    Vote { lock: u64, req: u64, owner: NodeId },
    /// Two-server: the primary asks its peer to record `owner` for `lock`.
    Replicate { lock: u64, owner: NodeId },
    /// Two-server: the peer's record for `lock`.
    ReplicateAck { lock: u64, owner: NodeId },
}

impl Message for TasMsg {
    fn kind(&self) -> &'static str {
        match self {
            TasMsg::Acquire { .. } => "Acquire",
            TasMsg::Owner { .. } => "Owner",
            TasMsg::Vote { .. } => "Vote",
            TasMsg::Replicate { .. } => "Replicate",
            TasMsg::ReplicateAck { .. } => "ReplicateAck",
        }
    }
}

/// The protocol as the harness builds it.
#[derive(Clone, Debug)]
pub struct Tas {
    pub variant: TasVariant,
}

impl Protocol for Tas {
    type Server = TasServer;
    type Client = TasClient;

    fn server(&self, id: NodeId, servers: &[NodeId]) -> TasServer {
        TasServer::new(id, servers.to_vec(), self.variant)
    }

    fn client(&self, id: NodeId, servers: &[NodeId]) -> TasClient {
        TasClient::new(id, servers.to_vec(), self.variant)
    }
}

/// What `splitbrain list` shows for this protocol.
pub fn info() -> ProtocolInfo {
    ProtocolInfo {
        name: "tas",
        summary: "replicated test-and-set lock service (the split-brain demo)",
        variants: vec![
            VariantInfo {
                name: "single",
                bug_id: None,
                expect: Expect::Pass,
                scenario: "tas-swarm",
                summary: "one server: safe, unavailable when unreachable",
            },
            VariantInfo {
                name: "two-server",
                bug_id: Some("V01"),
                expect: Expect::Fail,
                scenario: "tas-split",
                summary: "a server that cannot reach its peer serves alone",
            },
            VariantInfo {
                name: "majority",
                bug_id: None,
                expect: Expect::Pass,
                scenario: "tas-swarm",
                summary: "clients need durable votes from a majority of servers",
            },
        ],
        default_servers: 3,
        budget: FaultBudget::minority(),
    }
}
