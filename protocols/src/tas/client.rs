//! The lock client library: sends an acquire, retries, switches server, and gives up after a
//! bound (the operation is then indeterminate). Under `majority` it counts votes.

use super::{TasMsg, TasVariant};
use splitbrain_api::{ClientProcess, Ctx, Dur, NodeId, NodeView, Op, Process, Ret, Role};
use std::collections::BTreeMap;

const RETRY: Dur = Dur::ms(40);
const GIVE_UP: Dur = Dur::ms(400);

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ClientTimer {
    Retry,
    GiveUp,
}

struct Attempt {
    lock: u64,
    req: u64,
    tries: usize,
    /// Majority: each server's vote for this lock.
    votes: BTreeMap<NodeId, NodeId>,
}

/// A lock client.
pub struct TasClient {
    id: NodeId,
    servers: Vec<NodeId>,
    variant: TasVariant,
    next_req: u64,
    current: Option<Attempt>,
}

impl TasClient {
    pub fn new(id: NodeId, servers: Vec<NodeId>, variant: TasVariant) -> TasClient {
        TasClient {
            id,
            servers,
            variant,
            next_req: 0,
            current: None,
        }
    }

    /// Single/two-server: the server to try on attempt `tries` (own server first).
    fn target(&self, tries: usize) -> NodeId {
        self.servers[(self.id.index() + tries) % self.servers.len()]
    }

    fn send_attempt(&self, ctx: &mut Ctx<Self>) {
        let Some(a) = &self.current else { return };
        let msg = TasMsg::Acquire {
            lock: a.lock,
            req: a.req,
        };
        if self.variant == TasVariant::Majority {
            for &s in self.servers.iter().filter(|s| !a.votes.contains_key(s)) {
                ctx.send(s, msg.clone());
            }
        } else {
            ctx.send(self.target(a.tries), msg);
        }
    }

    fn finish(&mut self, ctx: &mut Ctx<Self>, won: bool) {
        self.current = None;
        ctx.cancel_timer(ClientTimer::Retry);
        ctx.cancel_timer(ClientTimer::GiveUp);
        ctx.complete(Ret::Bool { value: won });
    }

    fn on_vote(&mut self, ctx: &mut Ctx<Self>, from: NodeId, owner: NodeId) {
        let Some(a) = self.current.as_mut() else {
            return;
        };
        a.votes.insert(from, owner);
        let mine = a.votes.values().filter(|&&o| o == self.id).count();
        let others = a.votes.len() - mine;
        let quorum = self.servers.len() / 2 + 1;
        if mine >= quorum {
            self.finish(ctx, true);
        } else if others > self.servers.len() - quorum {
            self.finish(ctx, false);
        }
    }
}

impl Process for TasClient {
    type Msg = TasMsg;
    type Timer = ClientTimer;
    type Durable = ();

    fn on_start(&mut self, _ctx: &mut Ctx<Self>, _durable: Option<&()>) {}

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: TasMsg) {
        let Some(a) = &self.current else { return };
        match msg {
            TasMsg::Owner { lock, req, owner } if lock == a.lock && req == a.req => {
                self.finish(ctx, owner == self.id);
            }
            TasMsg::Vote { lock, req, owner } if lock == a.lock && req == a.req => {
                self.on_vote(ctx, from, owner);
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: ClientTimer) {
        match timer {
            ClientTimer::Retry => {
                if let Some(a) = self.current.as_mut() {
                    a.tries += 1;
                    self.send_attempt(ctx);
                    ctx.set_timer(ClientTimer::Retry, RETRY);
                }
            }
            ClientTimer::GiveUp => {
                if self.current.take().is_some() {
                    ctx.mark("gave-up");
                    ctx.cancel_timer(ClientTimer::Retry);
                    ctx.give_up();
                }
            }
        }
    }

    fn invariants(&self) {
        if let Some(a) = &self.current {
            assert!(
                a.req < self.next_req,
                "{}: attempt id from the future",
                self.id
            );
        }
    }

    fn view(&self) -> NodeView {
        NodeView {
            role: Role::Member,
            ..NodeView::default()
        }
    }

    /// The pending acquire, if any: its lock, tries and the votes so far.
    fn describe(&self) -> Vec<(&'static str, String)> {
        let pending = match &self.current {
            None => "none".to_string(),
            Some(a) => {
                let votes: Vec<String> = a
                    .votes
                    .iter()
                    .map(|(s, v)| format!("{s} for {v}"))
                    .collect();
                format!(
                    "acquire lock{} (try {}; votes: {})",
                    a.lock,
                    a.tries + 1,
                    if votes.is_empty() {
                        "none".to_string()
                    } else {
                        votes.join(", ")
                    }
                )
            }
        };
        vec![("pending", pending)]
    }
}

impl ClientProcess for TasClient {
    fn on_invoke(&mut self, ctx: &mut Ctx<Self>, op: Op) {
        let Op::Acquire { lock } = op else {
            panic!("the lock service only serves acquire, got {op:?}");
        };
        let req = self.next_req;
        self.next_req += 1;
        self.current = Some(Attempt {
            lock,
            req,
            tries: 0,
            votes: BTreeMap::new(),
        });
        self.send_attempt(ctx);
        ctx.set_timer(ClientTimer::Retry, RETRY);
        ctx.set_timer(ClientTimer::GiveUp, GIVE_UP);
    }
}
