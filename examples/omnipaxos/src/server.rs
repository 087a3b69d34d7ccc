//! One OmniPaxos replica as a splitbrain server: messages and ticks in; after every call, the
//! storage writes OmniPaxos made go to the simulated disk (incremental writes: an append costs
//! the appended entries), its outgoing messages leave once
//! those writes are durable, and newly decided entries are applied to the key-value state
//! machine (the replica that took a request answers it).

use crate::session::Sessions;
use crate::storage::{Disk, Journal, Store};
use crate::wire::{node_of, pid, Wire};
use crate::Command;
use omnipaxos::util::LogEntry;
use omnipaxos::{ClusterConfig, OmniPaxos, ServerConfig};
use splitbrain::api::{Ctx, Dur, NodeId, NodeView, Op, Process, Role};
use splitbrain::kv::{Applied, Cmd, CmdKind, Kv};
use std::collections::BTreeSet;

/// One call of OmniPaxos's `tick`.
pub const TICK: Dur = Dur::ms(10);
/// Ticks per heartbeat round of ballot leader election (a leader is suspected after one round
/// without its heartbeat).
const ELECTION_TICKS: u64 = 5;
/// Ticks before OmniPaxos resends what may have been lost.
const RESEND_TICKS: u64 = 10;
/// A peer silent this long broke its session: two heartbeat rounds (every server sends every
/// peer a heartbeat each round, so a live link is never this quiet).
const SILENCE: Dur = Dur::us(2 * ELECTION_TICKS * TICK.as_us());

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Timer {
    Tick,
}

pub struct OmniServer {
    id: NodeId,
    servers: Vec<NodeId>,
    paxos: Option<OmniPaxos<Command, Store>>,
    journal: Journal,
    sessions: Sessions,
    kv: Kv,
    /// Decided entries applied so far (OmniPaxos indexes from 0).
    applied: usize,
    /// Requests this server appended and must answer once their entry is decided.
    waiting: BTreeSet<(NodeId, u64)>,
    outbox: Vec<omnipaxos::messages::Message<Command>>,
}

impl OmniServer {
    pub fn new(id: NodeId, servers: &[NodeId]) -> OmniServer {
        OmniServer {
            id,
            servers: servers.to_vec(),
            paxos: None,
            journal: Journal::default(),
            sessions: Sessions::new(0, SILENCE),
            kv: Kv::default(),
            applied: 0,
            waiting: BTreeSet::new(),
            outbox: Vec::new(),
        }
    }

    fn paxos(&mut self) -> &mut OmniPaxos<Command, Store> {
        self.paxos.as_mut().expect("started")
    }

    /// After every call into OmniPaxos: its writes to the disk, then (behind a barrier, so
    /// no promise or acceptance runs ahead of its write) its messages, then decided entries.
    fn after_call(&mut self, ctx: &mut Ctx<Self>) {
        let writes: Vec<_> = self.journal.borrow_mut().drain(..).collect();
        if !writes.is_empty() {
            ctx.write(move |disk: &mut Disk| writes.iter().for_each(|w| disk.apply(w)));
        }
        ctx.barrier();
        let mut outbox = std::mem::take(&mut self.outbox);
        self.paxos().take_outgoing_messages(&mut outbox);
        for m in outbox.drain(..) {
            let to = node_of(m.get_receiver());
            ctx.send(to, Wire::Omni(self.sessions.stamp(to), Box::new(m)));
        }
        self.outbox = outbox;
        self.apply_decided(ctx);
    }

    fn apply_decided(&mut self, ctx: &mut Ctx<Self>) {
        let decided = self.paxos().get_decided_idx();
        if decided <= self.applied {
            return;
        }
        let from = self.applied;
        let entries = self
            .paxos()
            .read_entries(from..decided)
            .expect("decided entries are in the log");
        for entry in entries {
            let LogEntry::Decided(Command(cmd)) = entry else {
                panic!("no snapshots, trims or reconfigurations here: {entry:?}");
            };
            self.applied += 1;
            ctx.applied(self.applied as u64, cmd.digest);
            self.apply(ctx, &cmd);
        }
    }

    fn apply(&mut self, ctx: &mut Ctx<Self>, cmd: &Cmd) {
        let CmdKind::Client { client, seq, op } = &cmd.kind else {
            return;
        };
        let applied = self.kv.apply(*client, *seq, op);
        if !self.waiting.remove(&(*client, *seq)) {
            return;
        }
        if let Applied::Fresh(ret) | Applied::Duplicate(ret) = applied {
            ctx.send(*client, Wire::Reply { seq: *seq, ret });
        }
    }

    /// The leader appends; anyone else redirects to the leader it follows.
    fn on_request(&mut self, ctx: &mut Ctx<Self>, client: NodeId, seq: u64, op: Op) {
        let me = pid(self.id);
        match self.paxos().get_current_leader() {
            Some((leader, _)) if leader == me => {}
            leader => {
                let hint = leader.map(|(l, _)| node_of(l));
                ctx.send(client, Wire::Redirect { seq, hint });
                return;
            }
        }
        match self.paxos().append(Command(Cmd::client(client, seq, op))) {
            Ok(()) => {
                self.waiting.insert((client, seq));
            }
            Err(_) => ctx.send(client, Wire::Redirect { seq, hint: None }),
        }
        self.after_call(ctx);
    }
}

impl Process for OmniServer {
    type Msg = Wire;
    type Timer = Timer;
    type Durable = Disk;

    fn on_start(&mut self, ctx: &mut Ctx<Self>, durable: Option<&Disk>) {
        if durable.is_some() {
            ctx.mark("recovered");
        }
        let incarnation = durable.map_or(0, |d| d.incarnation) + 1;
        ctx.write(move |disk: &mut Disk| disk.incarnation = incarnation);
        self.sessions = Sessions::new(incarnation, SILENCE);
        let store = Store::new(durable.cloned().unwrap_or_default(), self.journal.clone());
        let cluster = ClusterConfig {
            configuration_id: 1,
            nodes: self.servers.iter().map(|&s| pid(s)).collect(),
            flexible_quorum: None,
        };
        let server = ServerConfig {
            pid: pid(self.id),
            election_tick_timeout: ELECTION_TICKS,
            resend_message_tick_timeout: RESEND_TICKS,
            ..ServerConfig::default()
        };
        let paxos = cluster
            .build_for_server(server, store)
            .expect("a valid OmniPaxos configuration");
        self.paxos = Some(paxos);
        ctx.set_timer(Timer::Tick, TICK);
        self.after_call(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: Wire) {
        match msg {
            Wire::Omni(link, m) => {
                let verdict = self.sessions.receive(from, link, ctx.now());
                if verdict.reconnect {
                    ctx.mark("reconnected");
                    self.paxos().reconnected(pid(from));
                }
                if verdict.deliver {
                    self.paxos().handle_incoming(*m);
                }
                self.after_call(ctx);
            }
            Wire::Request { seq, op } => self.on_request(ctx, from, seq, op),
            Wire::Reply { .. } | Wire::Redirect { .. } => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, _timer: Timer) {
        let before = self.paxos().get_current_leader();
        self.paxos().tick();
        ctx.set_timer(Timer::Tick, TICK);
        let after = self.paxos().get_current_leader();
        if after != before && after.is_some_and(|(l, _)| l == pid(self.id)) {
            ctx.mark("leader-elected");
        }
        self.after_call(ctx);
    }

    fn view(&self) -> NodeView {
        let Some(paxos) = &self.paxos else {
            return NodeView::default();
        };
        let promise = paxos.get_promise();
        let leads = paxos.get_current_leader() == Some((pid(self.id), true));
        NodeView {
            role: if leads { Role::Leader } else { Role::Follower },
            // A ballot is (n, priority, pid); one number per ballot, in ballot order.
            term: (u64::from(promise.n) << 16) | (u64::from(promise.priority) << 8) | promise.pid,
            commit: paxos.get_decided_idx() as u64,
            log_len: paxos.get_accepted_idx() as u64,
        }
    }
}
