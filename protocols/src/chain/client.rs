//! The chain's client: learns the layout (each shard's head, tail, members) from the manager by
//! a read of its Raft key-value service (with the ZooKeeper backend, a watched read of the
//! layout znode over its own session), sends writes to the head of the key's shard and reads
//! to its tail (CRAQ: to one member, chosen by client id), retries with the same request id (the nodes' session
//! tables make that exactly-once), asks the manager again when a node rejects it, and gives up
//! after a bound, leaving the operation indeterminate. Replies of an epoch older than the one
//! it knows for the shard are ignored.

use super::config::{shard_of, Config, Layout, ManagerLink, CONFIG_KEY};
use super::zk::{ZkEvent, ZkSession, CONFIG_PATH};
use super::{Backend, ChainConfig, ChainMsg, ReadPath};
use crate::raft::RaftMsg;
use crate::zab::ZabClientTimer;
use splitbrain_api::{ClientProcess, Ctx, Dur, NodeId, NodeView, Op, Process, Ret, Role, Time};

/// Without an answer for this long, ask the manager and send again (same request id).
const RETRY_AFTER: Dur = Dur::ms(100);
/// After a rejection in the configuration the manager confirms, wait this long.
const REJECTED_WAIT: Dur = Dur::ms(20);
/// The operation becomes indeterminate after this long.
const GIVE_UP_AFTER: Dur = Dur::ms(1_000);

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ClientTimer {
    Wake,
    /// The ZooKeeper session client's own (the ZooKeeper backend).
    Session(ZabClientTimer),
}

/// Where the client learns the layout.
enum Source {
    /// A read of the Raft manager's key-value service.
    Raft(ManagerLink),
    /// A watched read of the layout znode over the client's own ZooKeeper session; `stale`:
    /// read it again (asked, or the watch fired).
    Zk {
        session: Box<ZkSession>,
        stale: bool,
    },
}

struct Attempt {
    seq: u64,
    op: Op,
    /// The shard of the operation's key.
    shard: usize,
    /// Rejected in this epoch: send again only once the manager names a newer one, or later.
    rejected_in: Option<u64>,
    retry_at: Time,
    give_up_at: Time,
}

/// A key-value client of a chain.
pub struct ChainClient {
    id: NodeId,
    source: Source,
    reads: ReadPath,
    /// The newest configuration known of each shard's chain.
    configs: Vec<Option<Config>>,
    seq: u64,
    current: Option<Attempt>,
    wake_at: Option<Time>,
}

impl ChainClient {
    pub fn new(id: NodeId, managers: Vec<NodeId>, cfg: ChainConfig) -> ChainClient {
        let source = match cfg.backend {
            Backend::Raft => Source::Raft(ManagerLink::new(managers, id.index())),
            Backend::ZooKeeper => Source::Zk {
                session: Box::new(ZkSession::new(id, managers)),
                stale: true,
            },
        };
        ChainClient {
            id,
            source,
            reads: cfg.reads,
            configs: vec![None; cfg.shards.max(1)],
            seq: 0,
            current: None,
            wake_at: None,
        }
    }

    /// The epoch known of `shard`'s chain (0: none yet).
    fn epoch(&self, shard: usize) -> u64 {
        self.configs[shard].as_ref().map_or(0, |c| c.epoch)
    }

    /// The shard of the operation in progress (0 when there is none).
    fn shard(&self) -> usize {
        self.current.as_ref().map_or(0, |a| a.shard)
    }

    fn wake_by(&mut self, ctx: &mut Ctx<Self>, at: Time) {
        if self.wake_at.is_some_and(|w| w <= at) {
            return;
        }
        self.wake_at = Some(at);
        ctx.set_timer(ClientTimer::Wake, at.saturating_sub(ctx.now()));
    }

    fn ask_manager(&mut self, ctx: &mut Ctx<Self>) {
        match &mut self.source {
            Source::Raft(link) => {
                let (to, seq) = link.ask(ctx.now());
                let op = Op::Get {
                    key: CONFIG_KEY.into(),
                };
                ctx.send(to, ChainMsg::Raft(RaftMsg::ClientRequest { seq, op }));
            }
            Source::Zk { stale, .. } => {
                *stale = true;
                self.read_znode(ctx);
            }
        }
    }

    /// ZooKeeper: reads the layout znode with a watch, if asked to and the session is free.
    fn read_znode(&mut self, ctx: &mut Ctx<Self>) {
        let Source::Zk { session, stale } = &mut self.source else {
            return;
        };
        if !*stale || session.busy() {
            return;
        }
        *stale = false;
        let op = Op::GetData {
            path: CONFIG_PATH.into(),
            watch: true,
        };
        let events = session.call(ctx, ClientTimer::Session, op);
        self.on_session(ctx, events);
    }

    /// What the ZooKeeper session said back.
    fn on_session(&mut self, ctx: &mut Ctx<Self>, events: Vec<ZkEvent>) {
        for event in events {
            match event {
                ZkEvent::Done(Ret::Data { data, .. }) => {
                    let layout = Layout::decode(&data).expect("the manager writes layouts");
                    self.take_layout(ctx, layout);
                }
                ZkEvent::Watch(_) | ZkEvent::Expired | ZkEvent::Lost => {
                    if let Source::Zk { stale, .. } = &mut self.source {
                        *stale = true;
                    }
                }
                // Not configured yet (the retry asks again); the incarnation is the client's.
                ZkEvent::Done(_) | ZkEvent::Incarnation(_) => {}
            }
        }
        self.read_znode(ctx);
    }

    /// Where the current operation goes in the known configuration.
    fn target(&self, shard: usize, op: &Op) -> Option<NodeId> {
        let c = self.configs[shard].as_ref()?;
        match (op, self.reads) {
            (Op::Get { .. }, ReadPath::Tail) => c.tail(),
            (Op::Get { .. }, ReadPath::Craq) if !c.chain().is_empty() => {
                Some(c.chain()[self.id.index() % c.chain().len()].node)
            }
            _ => c.head(),
        }
    }

    fn send_op(&mut self, ctx: &mut Ctx<Self>) {
        let epoch = self.epoch(self.shard());
        let Some(a) = self.current.as_mut() else {
            return;
        };
        a.rejected_in = None;
        let (seq, op, shard) = (a.seq, a.op.clone(), a.shard);
        match self.target(shard, &op) {
            Some(to) => ctx.send(to, ChainMsg::Request { epoch, seq, op }),
            None => self.ask_manager(ctx),
        }
    }

    fn on_config(&mut self, ctx: &mut Ctx<Self>, seq: u64, ret: Ret) {
        let Source::Raft(link) = &mut self.source else {
            return;
        };
        if link.answered(seq).is_none() {
            return;
        }
        let Ret::Value { value: Some(text) } = ret else {
            return;
        };
        let layout = Layout::decode(&text).expect("the manager stores layouts it wrote");
        self.take_layout(ctx, layout);
    }

    /// The manager's layout: newer configurations are taken, and the operation goes on.
    fn take_layout(&mut self, ctx: &mut Ctx<Self>, layout: Layout) {
        assert_eq!(
            layout.shards.len(),
            self.configs.len(),
            "one chain per shard"
        );
        for (known, config) in self.configs.iter_mut().zip(layout.shards) {
            if known.as_ref().is_none_or(|k| config.epoch > k.epoch) {
                *known = Some(config);
            }
        }
        let epoch = self.epoch(self.shard());
        let Some(a) = self.current.as_mut() else {
            return;
        };
        match a.rejected_in {
            Some(e) if e >= epoch => {
                let at = ctx.now() + REJECTED_WAIT;
                a.retry_at = at;
                self.wake_by(ctx, at);
            }
            _ => self.send_op(ctx),
        }
    }
}

impl Process for ChainClient {
    type Msg = ChainMsg;
    type Timer = ClientTimer;
    /// The incarnation: request ids are `incarnation << 32 | n`.
    type Durable = u64;

    fn on_start(&mut self, ctx: &mut Ctx<Self>, durable: Option<&u64>) {
        let incarnation = durable.map_or(0, |i| i + 1);
        self.seq = incarnation << 32;
        ctx.persist(incarnation);
        if let Source::Zk { session, .. } = &mut self.source {
            let events = session.start(ctx, ClientTimer::Session, durable.copied());
            self.on_session(ctx, events);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: ChainMsg) {
        let now_seq = self.current.as_ref().map(|a| a.seq);
        match msg {
            ChainMsg::Raft(RaftMsg::ClientReply { seq, ret }) => self.on_config(ctx, seq, ret),
            ChainMsg::Raft(RaftMsg::NotLeader { hint, .. }) => {
                if let Source::Raft(link) = &mut self.source {
                    if link.redirected(from, hint) {
                        self.ask_manager(ctx);
                    }
                }
            }
            ChainMsg::Zab(m) => {
                if let Source::Zk { session, .. } = &mut self.source {
                    let events = session.on_message(ctx, ClientTimer::Session, from, m);
                    self.on_session(ctx, events);
                }
            }
            // A reply of an older epoch than the one known is ignored (the retry is answered).
            ChainMsg::Reply { epoch, seq, ret }
                if Some(seq) == now_seq && epoch >= self.epoch(self.shard()) =>
            {
                self.current = None;
                ctx.complete(ret);
            }
            ChainMsg::Reject { epoch, seq } if Some(seq) == now_seq => {
                let known = self.epoch(self.shard());
                if let Some(a) = self.current.as_mut() {
                    if a.rejected_in.is_none() {
                        a.rejected_in = Some(epoch.max(known));
                        self.ask_manager(ctx);
                    }
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: ClientTimer) {
        if let (ClientTimer::Session(t), Source::Zk { session, .. }) = (timer, &mut self.source) {
            let events = session.on_timer(ctx, ClientTimer::Session, t);
            return self.on_session(ctx, events);
        }
        self.wake_at = None;
        // Within a millisecond counts as due (as the key-value client does).
        let now = ctx.now() + Dur::ms(1);
        let Some(a) = self.current.as_mut() else {
            return;
        };
        if now >= a.give_up_at {
            self.current = None;
            ctx.give_up();
            return;
        }
        if now >= a.retry_at {
            a.retry_at = ctx.now() + RETRY_AFTER;
            let rejected = a.rejected_in.is_some();
            if !rejected {
                self.ask_manager(ctx);
            }
            self.send_op(ctx);
        }
        if let Some(at) = self.current.as_ref().map(|a| a.retry_at.min(a.give_up_at)) {
            self.wake_by(ctx, at);
        }
    }

    fn view(&self) -> NodeView {
        NodeView {
            role: Role::Member,
            ..NodeView::default()
        }
    }

    fn describe(&self) -> Vec<(&'static str, String)> {
        let pending = self
            .current
            .as_ref()
            .map_or("none".to_string(), |a| a.op.label());
        let known: Vec<String> = self
            .configs
            .iter()
            .map(|c| c.as_ref().map_or("unknown".to_string(), Config::encode))
            .collect();
        vec![("pending", pending), ("configuration", known.join(" | "))]
    }
}

impl ClientProcess for ChainClient {
    fn on_invoke(&mut self, ctx: &mut Ctx<Self>, op: Op) {
        self.seq += 1;
        let now = ctx.now();
        let shard = shard_of(&op.key_label(), self.configs.len());
        self.current = Some(Attempt {
            seq: self.seq,
            shard,
            op,
            rejected_in: None,
            retry_at: now + RETRY_AFTER,
            give_up_at: now + GIVE_UP_AFTER,
        });
        if self.configs[shard].is_none() {
            self.ask_manager(ctx);
        } else {
            self.send_op(ctx);
        }
        self.wake_by(ctx, now + RETRY_AFTER);
    }
}
