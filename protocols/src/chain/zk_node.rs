//! A chain node's link to a ZooKeeper-backed configuration manager, built the way CRAQ uses
//! ZooKeeper. The node holds a ZooKeeper session and announces itself with an ephemeral znode,
//! `/chain/members/S4`, whose data says how it stands in every shard (`config::encode_status`);
//! it learns the layout by a watched read of `/chain/config`, and renews its read lease with a
//! `multi` that checks the layout's version and rewrites its status: a write ordered after
//! every layout installed before it, so a lease is granted only while the layout it holds is
//! still current (a plain read could come from a lagging server).
//!
//! The manager role is the nodes' own: the member with the smallest id among the members'
//! znodes acts (it watches the children of `/chain/members`). Each tick it lists the members,
//! reads their statuses and the layout with its version, asks the shared decisions
//! (`driver::Driver`) what should follow, and installs it with set-data conditional on the
//! version read, so two nodes that both believe they act cannot both install an epoch: the
//! second write fails with BadVersion (mark `config-race-lost`). A node whose session expires
//! loses its znode; the acting node then no longer sees it (mark `member-session-gone`) and
//! reconfigures around it, as the Raft manager does for a node it stopped hearing from. A node
//! that restarts from its disk opens a new session and finds its znode still held by the old
//! one: it replaces it in one `multi` (delete that version, create), so it stays the member it
//! was (mark `member-znode-taken`).

use super::config::{decode_status, Layout};
use super::driver::{Driver, Heard};
use super::manager::ChainTimerOf;
use super::server::ChainServer;
use super::zk::{member_path, ZkEvent, ZkSession, CHAIN_PATH, CONFIG_PATH, MEMBERS_PATH};
use super::{ChainConfig, TICK};
use crate::zab::{ZabClientTimer, ZabMsg};
use splitbrain_api::{CreateMode, Ctx, MultiOp, NodeId, Op, Ret, Text, Time, ZkError};
use std::collections::BTreeMap;

/// What the node's replicas should do after the session's news.
#[derive(Clone, Debug)]
pub enum Act {
    /// Take on this layout (read from `/chain/config`).
    Adopt(Layout),
    /// The layout held was still current when the renewal sent at `sent` was ordered.
    Lease(Time, Layout),
    /// Keep the session client's incarnation on disk.
    Persist(u64),
}

/// The call in flight.
#[derive(Clone, Debug)]
enum Call {
    Setup,
    Register,
    Owner,
    ReadConfig,
    Children,
    Renew {
        sent: Time,
        layout: Layout,
    },
    PassList,
    PassStatus(NodeId),
    PassConfig,
    Install {
        layout: Layout,
        bypass: bool,
        first: bool,
    },
}

/// The acting manager's pass in progress: the members listed and the statuses read so far.
#[derive(Clone, Debug, Default)]
struct Pass {
    listed: Vec<NodeId>,
    read: usize,
    heard: BTreeMap<NodeId, (u64, Vec<super::ShardReport>)>,
}

/// A chain node's ZooKeeper side.
pub struct ZkNode {
    me: NodeId,
    session: ZkSession,
    calling: Option<Call>,
    /// Parent znodes created (or found): 0, 1 or 2 of them.
    setup: u8,
    registered: bool,
    /// A register found the member path taken: read who owns it.
    owner_check: bool,
    /// The member znode belongs to this node's earlier session (a restart): replace that
    /// version of it in one `multi`, so the members' listing never lacks this node.
    replace: Option<u32>,
    /// Another session's znode still holds the member path: try again after this.
    register_after: Time,
    layout: Option<(Layout, u32)>,
    config_stale: bool,
    config_after: Time,
    /// The members' znodes as last listed with a watch, sorted.
    children: Vec<NodeId>,
    children_stale: bool,
    renew_due: bool,
    pass_due: bool,
    pass: Option<Pass>,
    /// The layout the pass decided on, to install over the version it read (`None`: create).
    install: Option<(Layout, bool, Option<u32>)>,
    driver: Driver,
}

impl ZkNode {
    pub fn new(me: NodeId, zk: Vec<NodeId>, nodes: Vec<NodeId>, cfg: ChainConfig) -> ZkNode {
        // Session ids derive from the client's number: chain nodes count from 1000, clear of
        // the chain's clients.
        let numbered = NodeId::client(1000 + me.index());
        ZkNode {
            me,
            session: ZkSession::new(numbered, zk),
            calling: None,
            setup: 0,
            registered: false,
            owner_check: false,
            replace: None,
            register_after: Time::ZERO,
            layout: None,
            config_stale: true,
            config_after: Time::ZERO,
            children: Vec::new(),
            children_stale: true,
            renew_due: false,
            pass_due: false,
            pass: None,
            install: None,
            driver: Driver::new(nodes, cfg),
        }
    }

    /// This node acts as the manager: its znode is the smallest listed.
    fn acting(&self) -> bool {
        self.registered && self.children.first() == Some(&self.me)
    }

    pub fn start(&mut self, ctx: &mut Ctx<ChainServer>, incarnation: Option<u64>) -> Vec<Act> {
        let events = self.session.start(ctx, ChainTimerOf::Session, incarnation);
        self.handle(ctx, events)
    }

    /// The periodic tick: a renewal, and a pass if this node acts.
    pub fn tick(&mut self, ctx: &mut Ctx<ChainServer>, status: &str) -> Vec<Act> {
        self.renew_due = true;
        self.pass_due = self.acting();
        self.pump(ctx, status)
    }

    /// A replica saw a newer epoch: read the layout again.
    pub fn refresh(&mut self, ctx: &mut Ctx<ChainServer>, status: &str) -> Vec<Act> {
        self.config_stale = true;
        self.pump(ctx, status)
    }

    pub fn on_message(
        &mut self,
        ctx: &mut Ctx<ChainServer>,
        from: NodeId,
        msg: ZabMsg,
        status: &str,
    ) -> Vec<Act> {
        let events = self
            .session
            .on_message(ctx, ChainTimerOf::Session, from, msg);
        let mut acts = self.handle(ctx, events);
        acts.extend(self.pump(ctx, status));
        acts
    }

    pub fn on_timer(
        &mut self,
        ctx: &mut Ctx<ChainServer>,
        t: ZabClientTimer,
        status: &str,
    ) -> Vec<Act> {
        let events = self.session.on_timer(ctx, ChainTimerOf::Session, t);
        let mut acts = self.handle(ctx, events);
        acts.extend(self.pump(ctx, status));
        acts
    }

    /// Makes the next call while the session is free.
    fn pump(&mut self, ctx: &mut Ctx<ChainServer>, status: &str) -> Vec<Act> {
        let mut acts = Vec::new();
        while !self.session.busy() {
            let Some((call, op)) = self.next_call(ctx.now(), status) else {
                break;
            };
            self.calling = Some(call);
            let events = self.session.call(ctx, ChainTimerOf::Session, op);
            acts.extend(self.handle(ctx, events));
        }
        acts
    }

    /// The next call, most urgent first: the parent znodes, the member znode, the layout, the
    /// members' listing, the lease, the manager's pass.
    fn next_call(&mut self, now: Time, status: &str) -> Option<(Call, Op)> {
        if self.setup < 2 {
            let path = [CHAIN_PATH, MEMBERS_PATH][self.setup as usize];
            let op = Op::Create {
                path: path.into(),
                data: Text::new(),
                mode: CreateMode::Persistent,
            };
            return Some((Call::Setup, op));
        }
        if self.owner_check {
            self.owner_check = false;
            let path = member_path(self.me);
            return Some((
                Call::Owner,
                Op::GetData {
                    path: path.into(),
                    watch: false,
                },
            ));
        }
        if let Some(version) = self.replace.take() {
            let path = member_path(self.me);
            let ops = vec![
                MultiOp::Delete {
                    path: path.as_str().into(),
                    version: Some(version),
                },
                MultiOp::Create {
                    path: path.into(),
                    data: status.into(),
                    mode: CreateMode::Ephemeral,
                },
            ];
            return Some((Call::Register, Op::Multi { ops }));
        }
        if !self.registered && now >= self.register_after {
            let op = Op::Create {
                path: member_path(self.me).into(),
                data: status.into(),
                mode: CreateMode::Ephemeral,
            };
            return Some((Call::Register, op));
        }
        if self.config_stale && now >= self.config_after {
            let path = CONFIG_PATH;
            return Some((
                Call::ReadConfig,
                Op::GetData {
                    path: path.into(),
                    watch: true,
                },
            ));
        }
        if self.children_stale {
            let path = MEMBERS_PATH;
            return Some((
                Call::Children,
                Op::GetChildren {
                    path: path.into(),
                    watch: true,
                },
            ));
        }
        if let Some((layout, version)) = self.layout.as_ref().filter(|_| self.renew_due) {
            if self.registered {
                self.renew_due = false;
                let ops = vec![
                    MultiOp::Check {
                        path: CONFIG_PATH.into(),
                        version: *version,
                    },
                    MultiOp::SetData {
                        path: member_path(self.me).into(),
                        data: status.into(),
                        version: None,
                    },
                ];
                let call = Call::Renew {
                    sent: now,
                    layout: layout.clone(),
                };
                return Some((call, Op::Multi { ops }));
            }
        }
        self.pass_call(now)
    }

    /// The acting manager's next read or write of its pass (`None` between passes).
    fn pass_call(&mut self, now: Time) -> Option<(Call, Op)> {
        if let Some((layout, bypass, version)) = self.install.take() {
            let (path, data) = (CONFIG_PATH, layout.encode());
            let op = match version {
                Some(v) => Op::SetData {
                    path: path.into(),
                    data: data.into(),
                    version: Some(v),
                },
                None => Op::Create {
                    path: path.into(),
                    data: data.into(),
                    mode: CreateMode::Persistent,
                },
            };
            let first = version.is_none();
            return Some((
                Call::Install {
                    layout,
                    bypass,
                    first,
                },
                op,
            ));
        }
        if self.pass.is_none() && self.pass_due && self.acting() {
            self.pass_due = false;
            self.pass = Some(Pass::default());
            self.driver.leader_since.get_or_insert(now);
            let path = MEMBERS_PATH;
            return Some((
                Call::PassList,
                Op::GetChildren {
                    path: path.into(),
                    watch: false,
                },
            ));
        }
        let pass = self.pass.as_ref()?;
        if pass.listed.is_empty() {
            return None; // the listing is in flight
        }
        if let Some(&node) = pass.listed.get(pass.read) {
            let path = member_path(node);
            return Some((
                Call::PassStatus(node),
                Op::GetData {
                    path: path.into(),
                    watch: false,
                },
            ));
        }
        let path = CONFIG_PATH;
        Some((
            Call::PassConfig,
            Op::GetData {
                path: path.into(),
                watch: false,
            },
        ))
    }

    /// Takes what the session said back.
    fn handle(&mut self, ctx: &mut Ctx<ChainServer>, events: Vec<ZkEvent>) -> Vec<Act> {
        let mut acts = Vec::new();
        for event in events {
            match event {
                ZkEvent::Done(ret) => {
                    if let Some(call) = self.calling.take() {
                        self.finish(ctx, call, ret, &mut acts);
                    }
                }
                ZkEvent::Lost => {
                    if let Some(Call::PassList | Call::PassStatus(_) | Call::PassConfig) =
                        self.calling.take()
                    {
                        self.pass = None;
                    }
                }
                ZkEvent::Watch(path) => {
                    self.config_stale |= path == CONFIG_PATH;
                    self.children_stale |= path == MEMBERS_PATH;
                }
                ZkEvent::Expired => {
                    self.registered = false;
                    self.config_stale = true;
                    self.children_stale = true;
                    self.stop_acting();
                }
                ZkEvent::Incarnation(i) => acts.push(Act::Persist(i)),
            }
        }
        acts
    }

    fn stop_acting(&mut self) {
        self.driver.leader_since = None;
        self.pass = None;
    }

    /// Call `call` returned `ret`.
    fn finish(&mut self, ctx: &mut Ctx<ChainServer>, call: Call, ret: Ret, acts: &mut Vec<Act>) {
        let now = ctx.now();
        let error = match &ret {
            Ret::Error { error, step, .. } => Some((*error, *step)),
            _ => None,
        };
        match call {
            Call::Setup => {
                if error.is_none() || error == Some((ZkError::NodeExists, None)) {
                    self.setup += 1;
                }
            }
            Call::Register => match error {
                None => {
                    self.registered = true;
                    ctx.mark("member-registered");
                }
                // An earlier attempt of this session, or another session's znode?
                Some((ZkError::NodeExists, _)) => self.owner_check = true,
                Some(_) => self.register_after = now + TICK,
            },
            Call::Owner => match ret {
                Ret::Data { stat, .. } if stat.ephemeral_owner == Some(self.session.id()) => {
                    self.registered = true;
                    ctx.mark("member-registered");
                }
                // The znode of this node's earlier session (before a restart): replaced, so a
                // node that restarts from its disk stays the member it was, as with Raft.
                Ret::Data { stat, .. } => {
                    self.replace = Some(stat.version);
                    ctx.mark("member-znode-taken");
                }
                _ => {}
            },
            Call::ReadConfig => self.on_config_read(now, ret, acts),
            Call::Children => {
                if let Ret::Children { children, .. } = ret {
                    self.children = listed(&children);
                    self.children_stale = false;
                    if !self.acting() {
                        self.stop_acting();
                    }
                }
            }
            Call::Renew { sent, layout } => match error {
                None => acts.push(Act::Lease(sent, layout)),
                Some((_, Some(0))) => self.config_stale = true,
                Some(_) => self.registered = false,
            },
            Call::PassList => match (&ret, self.pass.as_mut()) {
                (Ret::Children { children, .. }, Some(pass)) if !children.is_empty() => {
                    pass.listed = listed(children);
                }
                _ => self.pass = None,
            },
            Call::PassStatus(node) => {
                if let (Ret::Data { data, .. }, Some(pass)) = (&ret, self.pass.as_mut()) {
                    if let Some(status) = decode_status(data) {
                        pass.heard.insert(node, status);
                    }
                }
                if let Some(pass) = self.pass.as_mut() {
                    pass.read += 1;
                }
            }
            Call::PassConfig => self.decide(ctx, ret),
            Call::Install {
                layout,
                bypass,
                first,
            } => self.installed(ctx, ret, layout, bypass, first, acts),
        }
    }

    fn on_config_read(&mut self, now: Time, ret: Ret, acts: &mut Vec<Act>) {
        match ret {
            Ret::Data { data, stat, .. } => {
                self.config_stale = false;
                let newer = self.layout.as_ref().is_none_or(|(_, v)| stat.version > *v);
                if newer {
                    let layout = Layout::decode(&data).expect("the manager writes layouts");
                    self.layout = Some((layout.clone(), stat.version));
                    acts.push(Act::Adopt(layout));
                }
            }
            // Not configured yet: no watch is left on a missing znode, so look again later.
            _ => self.config_after = now + TICK,
        }
    }

    /// The pass read everything: install what should follow, if anything.
    fn decide(&mut self, ctx: &mut Ctx<ChainServer>, ret: Ret) {
        let Some(pass) = self.pass.take() else {
            return;
        };
        let now = ctx.now();
        let (cur, version) = match ret {
            Ret::Data { data, stat, .. } => (Layout::decode(&data), Some(stat.version)),
            Ret::Error {
                error: ZkError::NoNode,
                ..
            } => (None, None),
            _ => return,
        };
        let gone = cur.as_ref().is_some_and(|l| {
            l.shards
                .iter()
                .flat_map(|c| c.chain())
                .any(|m| !pass.heard.contains_key(&m.node))
        });
        if gone {
            ctx.mark("member-session-gone");
        }
        let heard = pass
            .heard
            .into_iter()
            .map(|(node, (boot, shards))| {
                (
                    node,
                    Heard {
                        at: now,
                        boot,
                        shards,
                    },
                )
            })
            .collect();
        self.driver.heard_only(heard);
        if let Some((next, bypass)) = self.driver.next_layout(cur.as_ref(), now) {
            self.install = Some((next, bypass, version));
        }
    }

    /// The install of `layout` returned: on success it is the layout (taken on at once);
    /// BadVersion or NodeExists: another acting node installed first.
    fn installed(
        &mut self,
        ctx: &mut Ctx<ChainServer>,
        ret: Ret,
        layout: Layout,
        bypass: bool,
        first: bool,
        acts: &mut Vec<Act>,
    ) {
        let version = match ret {
            Ret::Stat {
                stat: Some(stat), ..
            } => stat.version,
            Ret::Created { .. } => 0,
            Ret::Error { .. } => {
                ctx.mark("config-race-lost");
                self.config_stale = true;
                return;
            }
            _ => return,
        };
        ctx.mark(if first { "configured" } else { "reconfigured" });
        if bypass {
            ctx.mark("bypassed");
        }
        if self.layout.as_ref().is_none_or(|(_, v)| version > *v) {
            self.layout = Some((layout.clone(), version));
            acts.push(Act::Adopt(layout));
        }
    }
}

/// Member znode names as node ids, sorted (names it did not write are ignored).
fn listed(children: &[Text]) -> Vec<NodeId> {
    let mut nodes: Vec<NodeId> = children.iter().filter_map(|c| NodeId::parse(c)).collect();
    nodes.sort();
    nodes
}
