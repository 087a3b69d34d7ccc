//! The `Process` around a [`Library`], its `Protocol`, and the [`Io`] a library pushes its
//! effects through.

use super::session::Sessions;
use super::wire::{PeerMsg, Wire};
use super::{node_of_peer_id, Journal, Journaled, Library};
use crate::kv::{Applied, Cmd, CmdKind, Kv, KvClient, KvMsg};
use splitbrain_api::{Ctx, NodeId, NodeView, Op, Process, Protocol, SimRng, Time};
use std::borrow::Borrow;
use std::collections::BTreeSet;
use std::marker::PhantomData;

/// The replica's one timer: the library's tick.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Tick {
    Tick,
}

/// A replica's disk: the library's, and the boot counter its sessions need.
#[derive(Clone, Debug, Default)]
pub struct Stored<D> {
    pub disk: D,
    /// How many times the server started (only kept for a library with sessions).
    pub incarnation: u64,
}

/// The key-value service on top of the library's log.
#[derive(Default)]
struct Service {
    kv: Kv,
    /// Requests this server proposed and must answer once their command is applied.
    waiting: BTreeSet<(NodeId, u64)>,
    /// The index of the last command applied since the server started (0: none).
    applied: u64,
}

/// One server: the library, the key-value state machine it feeds, and its sessions.
pub struct Replica<L: Library> {
    servers: Vec<NodeId>,
    config: L::Config,
    lib: Option<L>,
    service: Service,
    sessions: Option<Sessions>,
    /// The journal of the storage the library owns, if it asked for one ([`Io::journaled`]).
    journal: Option<Journal<L::Disk>>,
    /// Whether the library named this server the leader after the last call.
    leads: bool,
}

/// What a library's calls may do to the world: the node's context, seen through the library's
/// message and disk types, plus applying committed commands.
pub struct Io<'a, 'c, L: Library> {
    ctx: &'a mut Ctx<'c, Replica<L>>,
    service: &'a mut Service,
    sessions: &'a mut Option<Sessions>,
    journal: &'a mut Option<Journal<L::Disk>>,
}

impl<L: Library> Io<'_, '_, L> {
    pub fn id(&self) -> NodeId {
        self.ctx.id()
    }

    /// The node's clock.
    pub fn now(&self) -> Time {
        self.ctx.now()
    }

    /// The node's random stream: every draw the library makes must come from here.
    pub fn rng(&mut self) -> &mut SimRng {
        self.ctx.rng()
    }

    /// A coverage mark (`leader-elected`...).
    pub fn mark(&mut self, name: &'static str) {
        self.ctx.mark(name);
    }

    /// Sends a library message to server `to` (in its session when the library has sessions).
    pub fn send(&mut self, to: NodeId, msg: L::Msg) {
        let link = self.sessions.as_mut().map(|s| s.stamp(to));
        self.ctx.send(to, Wire::Peer(link, PeerMsg(Box::new(msg))));
    }

    /// Sends each of `msgs` to the server whose 1-based library id `peer_of` reads from it
    /// (see [`peer_id`](super::peer_id)), in order.
    pub fn send_all(
        &mut self,
        msgs: impl IntoIterator<Item = L::Msg>,
        peer_of: impl Fn(&L::Msg) -> u64,
    ) {
        for msg in msgs {
            self.send(node_of_peer_id(peer_of(&msg)), msg);
        }
    }

    /// Changes the disk incrementally; later sends wait until it is durable (`Ctx::write`).
    pub fn write(&mut self, change: impl FnOnce(&mut L::Disk) + 'static) {
        self.ctx
            .write(move |stored: &mut Stored<L::Disk>| change(&mut stored.disk));
    }

    /// The storage for a library that owns its storage (call it in `start`, at most once): an
    /// image of `disk` (the disk read back, or a fresh one) whose every change is journaled.
    /// After each call into the library, before [`Library::flush`], the replica moves the
    /// journaled changes onto the disk as one write and then pushes a barrier: such a library's
    /// storage calls return as if durable, so none of its messages may leave before them.
    pub fn journaled(&mut self, disk: Option<&L::Disk>) -> Journaled<L::Disk> {
        assert!(self.journal.is_none(), "one journaled storage per server");
        let (image, journal) = Journaled::new(disk.cloned().unwrap_or_default());
        *self.journal = Some(journal);
        image
    }

    /// The journaled changes onto the disk (one write, nothing if none), then a barrier; only
    /// for a library with a journaled storage.
    fn sync_journal(&mut self) {
        let Some(journal) = self.journal.as_ref() else {
            return;
        };
        let changes = journal.take();
        if !changes.is_empty() {
            self.write(move |disk| changes.iter().for_each(|change| change(disk)));
        }
        self.barrier();
    }

    /// Holds the sends that follow until every earlier write is durable: push it before a
    /// message that asserts durable state (a vote, an acknowledgement).
    pub fn barrier(&mut self) {
        self.ctx.barrier();
    }

    /// The index `apply` was last called with since the server started (0: never); a library
    /// that is asked for its committed entries reads them from the one after.
    pub fn applied(&self) -> u64 {
        self.service.applied
    }

    /// Applies `cmds`, the commands committed after the last applied one, at the indexes that
    /// follow it ([`Io::applied`] + 1 on), with [`Io::apply`].
    pub fn apply_next<C: Borrow<Cmd>>(&mut self, cmds: impl IntoIterator<Item = C>) {
        for (index, cmd) in (self.service.applied + 1..).zip(cmds) {
            self.apply(index, cmd.borrow());
        }
    }

    /// The library committed `cmd` at `index` (in log order): reported for the
    /// state-machine-safety check, applied once, and answered if this server took it.
    pub fn apply(&mut self, index: u64, cmd: &Cmd) {
        self.ctx.applied(index, cmd.digest);
        self.service.applied = index;
        let CmdKind::Client { client, seq, op } = &cmd.kind else {
            return;
        };
        let applied = self.service.kv.apply(*client, *seq, op);
        if !self.service.waiting.remove(&(*client, *seq)) {
            return;
        }
        if let Applied::Fresh(ret) | Applied::Duplicate(ret) = applied {
            let seq = *seq;
            self.ctx.send(*client, Wire::Kv(KvMsg::Reply { seq, ret }));
        }
    }
}

impl<L: Library> Replica<L> {
    pub fn new(servers: &[NodeId], config: L::Config) -> Replica<L> {
        Replica {
            servers: servers.to_vec(),
            config,
            lib: None,
            service: Service::default(),
            sessions: None,
            journal: None,
            leads: false,
        }
    }

    /// Calls the library with an [`Io`], marks `leader-elected` if this server became the
    /// leader it names, syncs its journaled storage (if any), then lets the library flush.
    fn call(&mut self, ctx: &mut Ctx<Self>, f: impl FnOnce(&mut L, &mut Io<L>)) {
        let lib = self.lib.as_mut().expect("started");
        let mut io = Io {
            ctx,
            service: &mut self.service,
            sessions: &mut self.sessions,
            journal: &mut self.journal,
        };
        f(lib, &mut io);
        let leads = lib.leader() == Some(io.id());
        if leads && !self.leads {
            io.mark("leader-elected");
        }
        self.leads = leads;
        io.sync_journal();
        lib.flush(&mut io);
    }

    /// The leader proposes; any other server redirects to the leader it knows of.
    fn on_request(&mut self, ctx: &mut Ctx<Self>, client: NodeId, seq: u64, op: Op) {
        let leader = self.lib.as_ref().expect("started").leader();
        if leader != Some(ctx.id()) {
            ctx.send(client, Wire::Kv(KvMsg::Redirect { seq, hint: leader }));
            return;
        }
        self.call(ctx, |lib, io| {
            if lib.propose(io, Cmd::client(client, seq, op)) {
                io.service.waiting.insert((client, seq));
            } else {
                let redirect = KvMsg::Redirect { seq, hint: None };
                io.ctx.send(client, Wire::Kv(redirect));
            }
        });
    }
}

impl<L: Library> Process for Replica<L> {
    type Msg = Wire<PeerMsg<L>>;
    type Timer = Tick;
    type Durable = Stored<L::Disk>;

    fn on_start(&mut self, ctx: &mut Ctx<Self>, durable: Option<&Stored<L::Disk>>) {
        if durable.is_some() {
            ctx.mark("recovered");
        }
        if let Some(silence) = L::SESSIONS {
            let incarnation = durable.map_or(0, |d| d.incarnation) + 1;
            ctx.write(move |stored: &mut Stored<L::Disk>| stored.incarnation = incarnation);
            self.sessions = Some(Sessions::new(incarnation, silence));
        }
        let mut io = Io {
            ctx,
            service: &mut self.service,
            sessions: &mut self.sessions,
            journal: &mut self.journal,
        };
        let disk = durable.map(|d| &d.disk);
        let mut lib = L::start(&self.config, &mut io, &self.servers, disk);
        io.ctx.set_timer(Tick::Tick, L::TICK);
        io.sync_journal();
        lib.flush(&mut io);
        self.lib = Some(lib);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: Self::Msg) {
        match msg {
            Wire::Peer(link, m) => {
                let now = ctx.now();
                let verdict = match (&mut self.sessions, link) {
                    (Some(sessions), Some(link)) => sessions.receive(from, link, now),
                    _ => super::session::Verdict::DELIVER,
                };
                self.call(ctx, |lib, io| {
                    if verdict.reconnect {
                        io.mark("reconnected");
                        lib.reconnected(io, from);
                    }
                    if verdict.deliver {
                        lib.receive(io, from, *m.0);
                    }
                });
            }
            Wire::Kv(KvMsg::Request { seq, op }) => self.on_request(ctx, from, seq, op),
            Wire::Kv(_) => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, _timer: Tick) {
        ctx.set_timer(Tick::Tick, L::TICK);
        self.call(ctx, |lib, io| lib.tick(io));
    }

    fn view(&self) -> NodeView {
        self.lib.as_ref().map_or_else(NodeView::default, L::view)
    }

    fn describe(&self) -> Vec<(&'static str, String)> {
        self.lib.as_ref().map_or_else(Vec::new, L::describe)
    }
}

/// The protocol of a wrapped library: [`Replica`] servers built with one `L::Config`, and the
/// shared key-value clients.
pub struct Replicated<L: Library> {
    config: L::Config,
    library: PhantomData<fn() -> L>,
}

impl<L: Library> Replicated<L> {
    pub fn new(config: L::Config) -> Replicated<L> {
        Replicated {
            config,
            library: PhantomData,
        }
    }
}

impl<L: Library> Protocol for Replicated<L> {
    type Server = Replica<L>;
    type Client = KvClient<Wire<PeerMsg<L>>>;

    fn server(&self, _id: NodeId, servers: &[NodeId]) -> Replica<L> {
        Replica::new(servers, self.config.clone())
    }

    fn client(&self, id: NodeId, servers: &[NodeId]) -> Self::Client {
        KvClient::new(id, servers.to_vec())
    }
}
