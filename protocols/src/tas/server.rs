//! The lock server: records who won each lock, durably, before saying so.

use super::{TasMsg, TasVariant};
use splitbrain_api::{Ctx, Dur, NodeId, NodeView, Process, Role};
use std::collections::BTreeMap;

/// How long a two-server primary waits for its peer before (wrongly) serving alone.
const PEER_TIMEOUT: Dur = Dur::ms(20);

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ServerTimer {
    /// Two-server: the peer did not confirm `lock` in time.
    Peer(u64),
}

/// A lock server.
pub struct TasServer {
    id: NodeId,
    servers: Vec<NodeId>,
    variant: TasVariant,
    owners: BTreeMap<u64, NodeId>,
    /// Two-server: clients waiting for the peer's answer, per lock.
    waiting: BTreeMap<u64, Vec<(NodeId, u64)>>,
}

impl TasServer {
    pub fn new(id: NodeId, servers: Vec<NodeId>, variant: TasVariant) -> TasServer {
        TasServer {
            id,
            servers,
            variant,
            owners: BTreeMap::new(),
            waiting: BTreeMap::new(),
        }
    }

    fn peer(&self) -> Option<NodeId> {
        self.servers.iter().copied().find(|&s| s != self.id)
    }

    /// Records `owner` for `lock` unless someone already holds it; returns the holder.
    fn claim(&mut self, ctx: &mut Ctx<Self>, lock: u64, owner: NodeId) -> NodeId {
        if let Some(&held) = self.owners.get(&lock) {
            if held != owner {
                ctx.mark("contested");
            }
            return held;
        }
        self.owners.insert(lock, owner);
        ctx.persist(self.owners.clone());
        owner
    }

    fn on_acquire(&mut self, ctx: &mut Ctx<Self>, client: NodeId, lock: u64, req: u64) {
        match self.variant {
            TasVariant::Single => {
                let owner = self.claim(ctx, lock, client);
                ctx.send(client, TasMsg::Owner { lock, req, owner });
            }
            TasVariant::Majority => {
                let owner = self.claim(ctx, lock, client);
                ctx.send(client, TasMsg::Vote { lock, req, owner });
            }
            TasVariant::TwoServer => self.two_server_acquire(ctx, client, lock, req),
        }
    }

    fn two_server_acquire(&mut self, ctx: &mut Ctx<Self>, client: NodeId, lock: u64, req: u64) {
        if let Some(&owner) = self.owners.get(&lock) {
            ctx.send(client, TasMsg::Owner { lock, req, owner });
            return;
        }
        let Some(peer) = self.peer() else {
            let owner = self.claim(ctx, lock, client);
            ctx.send(client, TasMsg::Owner { lock, req, owner });
            return;
        };
        let queue = self.waiting.entry(lock).or_default();
        if queue.is_empty() {
            ctx.send(
                peer,
                TasMsg::Replicate {
                    lock,
                    owner: client,
                },
            );
            ctx.set_timer(ServerTimer::Peer(lock), PEER_TIMEOUT);
        }
        queue.push((client, req));
    }

    /// The lock is settled (peer agreed, or the bug: peer unreachable): answer the waiters.
    fn settle(&mut self, ctx: &mut Ctx<Self>, lock: u64, owner: NodeId) {
        let owner = self.claim(ctx, lock, owner);
        for (client, req) in self.waiting.remove(&lock).unwrap_or_default() {
            ctx.send(client, TasMsg::Owner { lock, req, owner });
        }
        ctx.cancel_timer(ServerTimer::Peer(lock));
    }
}

impl Process for TasServer {
    type Msg = TasMsg;
    type Timer = ServerTimer;
    type Durable = BTreeMap<u64, NodeId>;

    fn on_start(&mut self, ctx: &mut Ctx<Self>, durable: Option<&Self::Durable>) {
        self.owners = durable.cloned().unwrap_or_default();
        if !self.owners.is_empty() {
            ctx.mark("restarted-with-state");
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: TasMsg) {
        match msg {
            TasMsg::Acquire { lock, req } => self.on_acquire(ctx, from, lock, req),
            TasMsg::Replicate { lock, owner } => {
                let owner = self.claim(ctx, lock, owner);
                ctx.send(from, TasMsg::ReplicateAck { lock, owner });
            }
            TasMsg::ReplicateAck { lock, owner } => {
                if self.waiting.contains_key(&lock) {
                    self.settle(ctx, lock, owner);
                }
            }
            TasMsg::Owner { .. } | TasMsg::Vote { .. } => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: ServerTimer) {
        let ServerTimer::Peer(lock) = timer;
        // Planted bug V01: the peer did not answer, so this server decides alone. It cannot
        // tell a dead peer from a partitioned one; the peer may be granting the lock too.
        if let Some(&(first, _)) = self.waiting.get(&lock).and_then(|w| w.first()) {
            ctx.mark("served-alone");
            self.settle(ctx, lock, first);
        }
    }

    fn invariants(&self) {
        for waiters in self.waiting.values() {
            assert!(!waiters.is_empty(), "{}: empty wait queue kept", self.id);
        }
    }

    fn view(&self) -> NodeView {
        NodeView {
            role: Role::Member,
            term: 0,
            commit: self.owners.len() as u64,
            log_len: self.owners.len() as u64,
        }
    }

    /// Who owns each lock, and (two-server) the acquires waiting for the peer.
    fn describe(&self) -> Vec<(&'static str, String)> {
        let owners: Vec<String> = self
            .owners
            .iter()
            .map(|(lock, owner)| format!("lock{lock}: {owner}"))
            .collect();
        let waiting: Vec<String> = self
            .waiting
            .iter()
            .flat_map(|(lock, who)| who.iter().map(move |(c, _)| format!("{c} on lock{lock}")))
            .collect();
        let list = |v: Vec<String>| {
            if v.is_empty() {
                "none".to_string()
            } else {
                v.join(", ")
            }
        };
        vec![
            ("owners", list(owners)),
            ("waiting for the peer", list(waiting)),
        ]
    }
}
