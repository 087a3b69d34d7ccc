//! A deliberately broken key-value service, written against splitbrain's public API only, to
//! show what a user's crate does to check its own protocol (`docs/bring-your-own.md`).
//!
//! Every server sends a heartbeat every 50 ms; a server takes the lowest-numbered server it
//! heard from in the last 300 ms (itself included) as the primary. The primary applies a
//! client's operation at once, answers, and forwards it to the others without waiting for
//! them. The flaw is on purpose: a partition that hides S1 from S2 makes both primaries (split
//! brain), and a crash loses what the primary forwarded to nobody. Without faults it is
//! linearizable; under `generic-partitions` or `generic-crashes` splitbrain finds a seed that
//! is not.

use splitbrain::api::{
    Ctx, Dur, Expect, Message, NodeId, NodeView, Op, Process, Protocol, Role, Time, VariantInfo,
};
use splitbrain::kv::{Applied, Kv, KvClient, KvMsg, KvWire, WireReply};
use splitbrain::BasicEntry;
use std::collections::BTreeMap;

const HEARTBEAT_EVERY: Dur = Dur::ms(50);
const PRIMARY_SILENT_AFTER: Dur = Dur::ms(300);

/// The toy's wire messages: splitbrain's client messages, and its own between servers.
#[derive(Clone, Debug, Hash)]
pub enum ToyMsg {
    Kv(KvMsg),
    Heartbeat,
    Forward { client: NodeId, seq: u64, op: Op },
}

impl Message for ToyMsg {
    fn kind(&self) -> &'static str {
        match self {
            ToyMsg::Kv(m) => m.kind(),
            ToyMsg::Heartbeat => "Heartbeat",
            ToyMsg::Forward { .. } => "Forward",
        }
    }
}

/// The toy's clients are splitbrain's key-value client library over these messages.
impl KvWire for ToyMsg {
    fn request(seq: u64, op: Op) -> Self {
        ToyMsg::Kv(KvMsg::Request { seq, op })
    }

    fn reply(self) -> Option<WireReply> {
        match self {
            ToyMsg::Kv(m) => m.reply(),
            _ => None,
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ToyTimer {
    Heartbeat,
}

/// One server: its copy of the data and when it last heard from each server.
pub struct ToyServer {
    id: NodeId,
    servers: Vec<NodeId>,
    kv: Kv,
    heard: BTreeMap<NodeId, Time>,
}

impl ToyServer {
    /// The lowest-numbered server heard from lately (this one, at least).
    fn primary(&self, now: Time) -> NodeId {
        let alive = |s: &&NodeId| {
            **s == self.id
                || self
                    .heard
                    .get(s)
                    .is_some_and(|t| now.saturating_sub(*t) < PRIMARY_SILENT_AFTER)
        };
        *self
            .servers
            .iter()
            .find(alive)
            .expect("this server is alive")
    }
}

impl Process for ToyServer {
    type Msg = ToyMsg;
    type Timer = ToyTimer;
    /// Nothing survives a crash: the toy keeps its data in memory only.
    type Durable = ();

    /// Starts trusting every server to be up, so S1 is everyone's primary from the start.
    fn on_start(&mut self, ctx: &mut Ctx<Self>, _durable: Option<&()>) {
        for &s in &self.servers {
            self.heard.insert(s, ctx.now());
        }
        ctx.set_timer(ToyTimer::Heartbeat, HEARTBEAT_EVERY);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: ToyMsg) {
        let now = ctx.now();
        match msg {
            ToyMsg::Heartbeat => {
                self.heard.insert(from, now);
            }
            ToyMsg::Kv(KvMsg::Request { seq, op }) if self.primary(now) == self.id => {
                if let Applied::Fresh(ret) | Applied::Duplicate(ret) = self.kv.apply(from, seq, &op)
                {
                    ctx.send(from, ToyMsg::Kv(KvMsg::Reply { seq, ret }));
                }
                let forward = ToyMsg::Forward {
                    client: from,
                    seq,
                    op,
                };
                ctx.broadcast(&self.servers, &forward);
            }
            ToyMsg::Kv(KvMsg::Request { seq, .. }) => {
                let hint = Some(self.primary(now));
                ctx.send(from, ToyMsg::Kv(KvMsg::Redirect { seq, hint }));
            }
            ToyMsg::Forward { client, seq, op } => {
                self.kv.apply(client, seq, &op);
            }
            ToyMsg::Kv(_) => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, _timer: ToyTimer) {
        ctx.broadcast(&self.servers, &ToyMsg::Heartbeat);
        ctx.set_timer(ToyTimer::Heartbeat, HEARTBEAT_EVERY);
    }

    /// No leader notion the election-safety check could judge: the history checks do.
    fn view(&self) -> NodeView {
        NodeView {
            role: Role::Member,
            ..NodeView::default()
        }
    }
}

/// The toy's process factory.
pub struct ToyKv;

impl Protocol for ToyKv {
    type Server = ToyServer;
    type Client = KvClient<ToyMsg>;

    fn server(&self, id: NodeId, servers: &[NodeId]) -> ToyServer {
        ToyServer {
            id,
            servers: servers.to_vec(),
            kv: Kv::default(),
            heard: BTreeMap::new(),
        }
    }

    fn client(&self, id: NodeId, servers: &[NodeId]) -> KvClient<ToyMsg> {
        KvClient::new(id, servers.to_vec())
    }
}

/// What the harness needs to know to run the toy: its name, its one variant (a planted bug:
/// `explore` expects it to fail), and its worlds; the defaults do for the rest (the minority
/// fault budget, 3 servers, clients speaking `kv`, the generic scenarios and no others).
pub fn entry() -> BasicEntry<ToyKv> {
    BasicEntry::new(
        "toykv",
        "Toy primary/backup key-value store that forwards without waiting (broken on purpose)",
        |_variant| ToyKv,
    )
    .variants(vec![VariantInfo {
        name: "forward-and-forget",
        bug_id: None,
        expect: Expect::Fail,
        scenario: "generic-partitions",
        summary: "the primary answers before anyone else has the write",
    }])
}
