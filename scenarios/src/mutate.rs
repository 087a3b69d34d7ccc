//! Mutations of a run, for guided exploration: a run that reached new coverage is written out
//! (its drawn shape and its whole fault schedule, explicit), and a mutation adds one or two
//! faults right after a protocol event that run marked (the first or the last time a mark was
//! reached, on the node that reached it: right after an election, a snapshot install, a commit
//! of an old-term entry), or removes a fault, or halves or bumps one of the protocol's tuning
//! parameters, or redraws the workload's read share or key space. The child runs with its
//! parent's seed, so it replays the parent up to the new fault and then goes somewhere else.
//!
//! A second family of mutations (`MARK/first/HEX/peers`) correlates faults on several nodes
//! with the anchor: the servers the anchor reaches then crash before their next disk sync
//! (losing that write; as many as the budget allows), and the anchor is cut off once it has
//! heard from each of them, right after it acts on their last words. That is the shape of the bugs where a node answers
//! before its write is durable and its peer acts on the answer at once (a leader that
//! delivers on acknowledgements its followers then lose).
//!
//! A third (`MARK/first/HEX/late`) makes one link late right after the anchor (to the anchor
//! or from it, 50 to 600 ms, for 200 ms to 4 s), so that what crosses it arrives after its
//! two ends have moved on (a new election, a newer snapshot) and after what others sent them
//! since: stale replies and stale duplicates, in the window where a protocol event makes
//! them matter.
//!
//! A fourth (`MARK/first/HEX/cut`) cuts the anchor off from every other server but not from
//! some of the clients, for a while: the rest move on without it (a new leader, a
//! configuration that drops it) while clients that have not learnt of it still talk to it.
//!
//! A mutation is named by a short token (`MARK/first/HEX`): the mark and occurrence it is
//! anchored on and the draw that picks the fault. Replaying a chain of tokens from a seed
//! (`run --seed S --mutations T1,T2`) re-runs each ancestor to find its mark times, so a
//! mutant reproduces from the command line like any seed.

use crate::registry::ProtocolEntry;
use crate::runner::{run_seed, RunOptions, RunResult};
use crate::scenario::{Scenario, ScenarioError};
use crate::workload::WorkloadSpec;
use rand::seq::SliceRandom;
use rand::Rng;
use splitbrain_api::{FaultBudget, NodeId, SimRng, VariantInfo};
use splitbrain_sim::network::{Latency, LinkProfile};
use splitbrain_sim::rng::{stream, Stream};
use splitbrain_sim::{Fault, MarkAt, Schedule, Timed};
use std::collections::BTreeMap;
use std::fmt;

/// One mutation: anchored on `anchor`'s first (or last) occurrence, shaped by the draw `op`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mutation {
    pub anchor: String,
    pub last: bool,
    pub op: u64,
    /// Which family of edit the draw shapes.
    pub family: Family,
}

/// The families of mutations: what a token's suffix names.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Family {
    /// One or two single edits (a fault at the anchor, a retune, a removed fault, ...).
    Single,
    /// The correlated edit: peers lose their next write, the anchor is cut off once it heard
    /// them.
    Peers,
    /// One server's messages are late for a while from the anchor on.
    Late,
    /// The anchor is cut off from every other server but not from some of the clients.
    Cut,
}

impl fmt::Display for Mutation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let which = if self.last { "last" } else { "first" };
        write!(f, "{}/{which}/{:x}", self.anchor, self.op)?;
        match self.family {
            Family::Single => {}
            Family::Peers => write!(f, "/{PEERS}")?,
            Family::Late => write!(f, "/{LATE}")?,
            Family::Cut => write!(f, "/{CUT}")?,
        }
        Ok(())
    }
}

impl Mutation {
    /// Parses `MARK/first/HEX` (or `last`), optionally followed by `/peers` or `/late`.
    pub fn parse(text: &str) -> Result<Mutation, String> {
        let mut parts = text.split('/');
        let (Some(anchor), Some(which), Some(op), tail, None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(format!(
                "`{text}` is not MARK/first|last/HEX[/{PEERS}|/{LATE}|/{CUT}]"
            ));
        };
        let family = match tail {
            None => Family::Single,
            Some(PEERS) => Family::Peers,
            Some(LATE) => Family::Late,
            Some(CUT) => Family::Cut,
            Some(other) => {
                return Err(format!(
                    "`{text}`: `{other}` is none of `{PEERS}`, `{LATE}`, `{CUT}`"
                ))
            }
        };
        let last = match which {
            "first" => false,
            "last" => true,
            other => return Err(format!("`{text}`: `{other}` is neither first nor last")),
        };
        let op = u64::from_str_radix(op, 16)
            .map_err(|_| format!("`{text}`: `{op}` is not a hexadecimal number"))?;
        if anchor.is_empty() {
            return Err(format!("`{text}`: no mark named"));
        }
        Ok(Mutation {
            anchor: anchor.to_string(),
            last,
            op,
            family,
        })
    }

    /// Parses a comma-separated chain.
    pub fn parse_list(text: &str) -> Result<Vec<Mutation>, String> {
        text.split(',').map(|t| Mutation::parse(t.trim())).collect()
    }
}

/// The token suffix of the correlated edit.
const PEERS: &str = "peers";
/// The token suffix of the late edit.
const LATE: &str = "late";
/// The token suffix of the cut edit.
const CUT: &str = "cut";

/// A chain as `run --mutations` takes it.
pub fn list_arg(chain: &[Mutation]) -> String {
    let tokens: Vec<String> = chain.iter().map(Mutation::to_string).collect();
    tokens.join(",")
}

/// The scenario `result` ran, written out: the drawn shape and sizes, every fault explicit and
/// no random generation left (the generator keeps its settings, which mutations read, with no
/// rates).
pub fn written_out(result: &RunResult, scenario: &Scenario) -> Scenario {
    let mut s = result.drawn.as_deref().unwrap_or(scenario).clone();
    s.vary = None;
    s.servers = Some(result.servers);
    s.clients = result.clients;
    s.schedule = result.schedule.clone();
    if let Some(g) = &mut s.generator {
        g.rates.clear();
        g.kinds = None;
        g.swarm = false;
    }
    s
}

/// `parent` (written out) with mutation `m` applied, given where `parent`'s marks were reached.
/// A mutation whose anchor the parent never reached changes nothing; one anchored after the
/// safety phase first stretches it past the anchor.
pub fn apply(
    parent: &Scenario,
    mark_at: &BTreeMap<String, MarkAt>,
    m: &Mutation,
    budget: &FaultBudget,
) -> Scenario {
    let mut s = parent.clone();
    let Some(at) = mark_at.get(&m.anchor) else {
        return s;
    };
    let (t, node) = if m.last {
        (at.last_us, at.last_node)
    } else {
        (at.first_us, at.first_node)
    };
    stretch(&mut s, t);
    let safety_us = s.safety_ms * 1_000;
    let rng = &mut stream(m.op, Stream::Faults);
    if m.family != Family::Single {
        let mut editor = Editor {
            s: &mut s,
            budget,
            t,
            node,
            safety_us,
        };
        match m.family {
            Family::Peers => editor.peers(rng),
            Family::Late => editor.late(rng),
            _ => editor.cut(rng),
        }
        return s;
    }
    let edits = if rng.gen_bool(0.3) { 2 } else { 1 };
    for _ in 0..edits {
        Editor {
            s: &mut s,
            budget,
            t,
            node,
            safety_us,
        }
        .edit(rng);
    }
    s
}

/// Lets the safety phase run on past `t` when the anchor came after it (many protocol events
/// happen when the world recovers at its end: old leaders return, orphaned entries meet
/// newer ones): the end's recovery is written into the schedule where the phase ended, so
/// the run is the same up to the anchor, and faults can now follow it.
fn stretch(s: &mut Scenario, t: u64) {
    let safety_us = s.safety_ms * 1_000;
    if t + 2_000 < safety_us {
        return;
    }
    s.schedule.0.push(Timed {
        at_us: safety_us,
        fault: Fault::RecoverAll,
    });
    s.schedule = Schedule::new(std::mem::take(&mut s.schedule.0));
    s.safety_ms = (t + STRETCH_US) / 1_000 + 1;
}

/// How far past its anchor a stretched safety phase runs.
const STRETCH_US: u64 = 2_000_000;

/// Re-derives the scenario a mutant ran: runs `seed` on `scenario`, writes it out, applies the
/// first mutation, runs that, and so on. Returns the scenario the last mutation gives.
pub fn derive(
    entry: &dyn ProtocolEntry,
    variant: &VariantInfo,
    scenario: &Scenario,
    seed: u64,
    chain: &[Mutation],
    opts: &RunOptions,
) -> Result<Scenario, ScenarioError> {
    let opts = RunOptions {
        full_trace: false,
        inspect_at_us: None,
        skip_evidence: true,
        zk_linearizability: false,
        ..opts.clone()
    };
    let budget = entry.info().budget;
    let mut current = scenario.clone();
    for m in chain {
        let run = run_seed(entry, variant, &current, seed, &opts)?;
        let parent = written_out(&run, &current);
        current = apply(&parent, &run.record.mark_at, m, &budget);
    }
    Ok(current)
}

/// One edit of a written-out scenario around the anchor time `t` and node `node`.
struct Editor<'a> {
    s: &'a mut Scenario,
    budget: &'a FaultBudget,
    t: u64,
    node: NodeId,
    safety_us: u64,
}

impl Editor<'_> {
    fn servers(&self) -> usize {
        self.s.servers.unwrap_or(1)
    }

    fn edit(&mut self, rng: &mut SimRng) {
        let n = self.servers();
        // The anchor node, or a server when a client reached the mark.
        let anchor = if !self.node.is_client() && self.node.index() < n {
            self.node
        } else {
            NodeId::server(rng.gen_range(0..n))
        };
        let other = if n > 1 {
            NodeId::server((anchor.index() + rng.gen_range(1..n)) % n)
        } else {
            anchor
        };
        let at = self.t + rng.gen_range(0..=2_000);
        let down = log_uniform(rng, 1_000, 2_000_000);
        let until = (at + down).min(self.safety_us - 1);
        // A node cut off right after an event stays away long enough, more often than not,
        // for the rest to time out and move on without it (elections take a few hundred ms).
        let away = (at + log_uniform(rng, 50_000, 4_000_000)).min(self.safety_us - 1);
        match rng.gen_range(0..11u32) {
            0 => self.take_down(anchor, at, until, false, rng),
            1 => self.take_down(anchor, at, until, true, rng),
            2 => self.take_down(other, at, until, false, rng),
            3 => self.take_down(other, at, until, true, rng),
            4 => self.isolate(anchor, at, away),
            5 => self.pause(anchor, at, until),
            6 => self.split(anchor, at, away, rng),
            7 => self.fast_clock(other, at, until, rng),
            8 => self.remove_one(rng),
            9 => self.retune(rng),
            _ => self.redraw_workload(rng),
        }
    }

    /// The correlated edit: right after the anchor event, the servers the anchor can reach
    /// (by the schedule's partitions), in random order and as many as the budget leaves room
    /// for (the window's other crashes and pauses are taken out first), crash before their
    /// next disk sync and lose that write, back a drawn time after; the anchor is left with
    /// only them (and the clients) until it has heard from each of them, and is isolated
    /// right after (right after it acts on their last words), away 50 ms to 4 s. With no
    /// peer to crash, the anchor is isolated right away. Without a server anchor, a plain
    /// edit.
    fn peers(&mut self, rng: &mut SimRng) {
        let n = self.servers();
        if self.node.is_client() || self.node.index() >= n {
            return self.edit(rng);
        }
        let anchor = self.node;
        let at = self.t + 1;
        let down = log_uniform(rng, 1_000, 2_000_000);
        let away = log_uniform(rng, 50_000, 4_000_000);
        self.clear_downs(at, at + down + 500_000);
        let mut peers = self.reachable_from(anchor, at);
        peers.shuffle(rng);
        let max = if self.s.beyond_budget {
            n
        } else {
            self.budget.max_down(n)
        };
        let loses = self.budget.survives_lost_unsynced || self.s.beyond_budget;
        let mut crashed = Vec::new();
        for node in peers {
            if !loses || down_during(&self.s.schedule, at, at + down + 500_000) + 1 > max {
                break;
            }
            let restart_after_us = Some(down);
            self.push(
                at,
                Fault::CrashBeforeSync {
                    node,
                    restart_after_us,
                },
            );
            crashed.push(node);
        }
        let end = (at + away).min(self.safety_us - 1);
        if crashed.is_empty() {
            return self.isolate(anchor, at, end);
        }
        // The anchor hears only from the peers that will lose their write.
        let mut left = vec![anchor];
        left.extend(&crashed);
        let right: Vec<NodeId> = (0..n)
            .map(NodeId::server)
            .filter(|p| !left.contains(p))
            .collect();
        if !right.is_empty() {
            left.extend((0..self.s.clients).map(NodeId::client));
            self.push(
                at,
                Fault::Partition {
                    groups: vec![left, right],
                },
            );
            self.push(end, Fault::Heal);
        }
        let fault = Fault::IsolateAfterHearing {
            node: anchor,
            from: crashed,
            heal_after_us: Some(away),
        };
        self.push(at, fault);
    }

    /// One link late from right after the anchor: from another server to the anchor (what
    /// the anchor hears, its votes and acknowledgements, comes late) or from the anchor to
    /// another (what it sends, its appends and snapshots, comes late), each half the time,
    /// 50 to 600 ms (the swarm's slow links reach 600 ms) for 200 ms to 4 s, sometimes
    /// duplicated. What crosses the link in the window arrives after the two ends moved on
    /// (an election timeout is a few hundred ms) and after what others sent them since.
    /// When a client reached the mark, a server is drawn as the anchor.
    fn late(&mut self, rng: &mut SimRng) {
        let n = self.servers();
        if n < 2 {
            return self.edit(rng);
        }
        let anchor = if !self.node.is_client() && self.node.index() < n {
            self.node
        } else {
            NodeId::server(rng.gen_range(0..n))
        };
        let other = NodeId::server((anchor.index() + rng.gen_range(1..n)) % n);
        let (from, to) = if rng.gen_bool(0.5) {
            (other, anchor)
        } else {
            (anchor, other)
        };
        let at = self.t + 1;
        let min_us = log_uniform(rng, 50_000, 600_000);
        let until = (at + log_uniform(rng, 200_000, 4_000_000)).min(self.safety_us - 1);
        let duplicate = if rng.gen_bool(0.5) {
            rng.gen_range(0.0..0.3)
        } else {
            0.0
        };
        let profile = LinkProfile {
            latency: Latency::Uniform {
                min_us,
                max_us: min_us + 2_000,
            },
            duplicate,
            ..LinkProfile::default()
        };
        let (from, to) = (Some(from), Some(to));
        self.push(at, Fault::Link { from, to, profile });
        let profile = LinkProfile::default();
        self.push(until, Fault::Link { from, to, profile });
    }

    /// The cut edit: right after the anchor, the anchor server is cut off from every other
    /// server but keeps some of the clients (each with even odds, at least one, and at least
    /// one left on the other side when there are two or more), for 200 ms to 4 s. The rest
    /// move on without it (a new leader, a new configuration that drops it) while it still
    /// hears clients that have not learnt of the change: a removed or deposed node that
    /// keeps answering. When a client reached the mark, a server is drawn as the anchor.
    fn cut(&mut self, rng: &mut SimRng) {
        let n = self.servers();
        let clients = self.s.clients;
        if n < 2 || clients == 0 {
            return self.edit(rng);
        }
        let anchor = if !self.node.is_client() && self.node.index() < n {
            self.node
        } else {
            NodeId::server(rng.gen_range(0..n))
        };
        let kept: Vec<bool> = (0..clients).map(|_| rng.gen_bool(0.5)).collect();
        let first = rng.gen_range(0..clients);
        let second = (first + rng.gen_range(1..clients.max(2))) % clients;
        let mut left = vec![anchor];
        let mut right: Vec<NodeId> = (0..n)
            .filter(|&i| i != anchor.index())
            .map(NodeId::server)
            .collect();
        for (c, &keep) in kept.iter().enumerate() {
            let on_left = c == first || (keep && (clients < 2 || c != second));
            if on_left {
                left.push(NodeId::client(c));
            } else {
                right.push(NodeId::client(c));
            }
        }
        let at = self.t + 1;
        let until = (at + log_uniform(rng, 200_000, 4_000_000)).min(self.safety_us - 1);
        self.push(
            at,
            Fault::Partition {
                groups: vec![left, right],
            },
        );
        self.push(until, Fault::Heal);
    }

    /// The servers other than `node`, up at `at`, that the schedule's partitions leave
    /// linked to it (both ways) then.
    fn reachable_from(&self, node: NodeId, at: u64) -> Vec<NodeId> {
        let n = self.servers();
        let spans = down_spans(&self.s.schedule);
        let down = |p: &NodeId| {
            spans
                .get(p)
                .is_some_and(|s| s.iter().any(|&(a, b)| a <= at && at < b))
        };
        let before: Vec<Timed> = self
            .s
            .schedule
            .0
            .iter()
            .filter(|t| t.at_us <= at)
            .cloned()
            .collect();
        // A recovery heals every partition before it.
        let from = before
            .iter()
            .rposition(|t| t.fault == Fault::RecoverAll)
            .map_or(0, |i| i + 1);
        let cut = splitbrain_sim::network::cut_timeline(&before[from..], n, self.s.clients)
            .pop()
            .map_or(Vec::new(), |(_, links)| links);
        (0..n)
            .map(NodeId::server)
            .filter(|&p| p != node && !cut.contains(&(node, p)) && !cut.contains(&(p, node)))
            .filter(|p| !down(p))
            .collect()
    }

    fn push(&mut self, at_us: u64, fault: Fault) {
        self.s.schedule.0.push(Timed { at_us, fault });
        let faults = std::mem::take(&mut self.s.schedule.0);
        self.s.schedule = Schedule::new(faults);
    }

    /// A crash (or a crash point on one of the generator's message kinds) from `at`, back at
    /// `until`; an isolation instead when the budget has no server to spare then.
    fn take_down(&mut self, node: NodeId, at: u64, until: u64, point: bool, rng: &mut SimRng) {
        let max = if self.s.beyond_budget {
            self.servers()
        } else {
            self.budget.max_down(self.servers())
        };
        if down_during(&self.s.schedule, at, until) + 1 > max {
            return self.isolate(node, at, until);
        }
        let g = self.s.generator.as_ref();
        let lose = g.is_none_or(|g| g.lose_unsynced)
            && (self.budget.survives_lost_unsynced || self.s.beyond_budget)
            && rng.gen_bool(0.5);
        let kinds = g.map_or(&[][..], |g| &g.crash_point_kinds[..]);
        if point && !kinds.is_empty() {
            let msg_kind = kinds[rng.gen_range(0..kinds.len())].clone();
            let fault = Fault::CrashAfterSend {
                node,
                msg_kind,
                lose_unsynced: lose,
                restart_after_us: Some(until - at),
            };
            return self.push(at, fault);
        }
        self.push(
            at,
            Fault::Crash {
                node,
                lose_unsynced: lose,
            },
        );
        self.push(until, Fault::Restart { node });
    }

    fn isolate(&mut self, node: NodeId, at: u64, until: u64) {
        self.push(at, Fault::Isolate { node });
        self.push(until, Fault::Heal);
    }

    fn pause(&mut self, node: NodeId, at: u64, until: u64) {
        let max = self.budget.max_down(self.servers());
        if !self.s.beyond_budget && down_during(&self.s.schedule, at, until) + 1 > max {
            return self.isolate(node, at, until);
        }
        self.push(at, Fault::Pause { node });
        self.push(until, Fault::Resume { node });
    }

    /// The anchor and a random minority of the others on one side, the rest on the other;
    /// each client on a random side.
    fn split(&mut self, node: NodeId, at: u64, until: u64, rng: &mut SimRng) {
        let n = self.servers();
        let mut left = vec![node];
        let mut right = Vec::new();
        for i in (0..n).filter(|&i| i != node.index()) {
            if left.len() < n.div_ceil(2) && rng.gen_bool(0.3) {
                left.push(NodeId::server(i));
            } else {
                right.push(NodeId::server(i));
            }
        }
        for c in 0..self.s.clients {
            if rng.gen_bool(0.5) {
                left.push(NodeId::client(c));
            } else {
                right.push(NodeId::client(c));
            }
        }
        self.push(
            at,
            Fault::Partition {
                groups: vec![left, right],
            },
        );
        self.push(until, Fault::Heal);
    }

    /// Another server's clock runs fast for a while, so it times out first.
    fn fast_clock(&mut self, node: NodeId, at: u64, until: u64, rng: &mut SimRng) {
        if !(self.budget.survives_clock_skew || self.s.beyond_budget) {
            return self.isolate(node, at, until);
        }
        let ppm = rng.gen_range(100_000..=1_000_000);
        self.push(at, Fault::ClockDrift { node, ppm });
        self.push(until, Fault::ClockDrift { node, ppm: 0 });
    }

    /// Drops one injected fault (with the restart or resume that ends it).
    fn remove_one(&mut self, rng: &mut SimRng) {
        let faults = &mut self.s.schedule.0;
        let injected: Vec<usize> = (0..faults.len())
            .filter(|&i| !faults[i].fault.is_recovery())
            .collect();
        if injected.is_empty() {
            return;
        }
        let i = injected[rng.gen_range(0..injected.len())];
        self.remove_at(i);
    }

    /// Takes down-faults (crashes, pauses, crash points) that start in `[from, to]` out of the
    /// schedule, with what ends them, so that the window is the edit's own.
    fn clear_downs(&mut self, from: u64, to: u64) {
        while let Some(i) = self.s.schedule.0.iter().position(|t| {
            (from..=to).contains(&t.at_us)
                && matches!(
                    t.fault,
                    Fault::Pause { .. }
                        | Fault::Crash { .. }
                        | Fault::CrashBeforeSync { .. }
                        | Fault::CrashAfterSend { .. }
                )
        }) {
            self.remove_at(i);
        }
    }

    /// Removes fault `i` and, for a down-fault, the restart or resume that ends it.
    fn remove_at(&mut self, i: usize) {
        let faults = &mut self.s.schedule.0;
        let removed = faults.remove(i);
        let ends = |f: &Fault, node: NodeId| match (&removed.fault, f) {
            (Fault::Pause { .. }, Fault::Resume { node: n }) => *n == node,
            (
                Fault::Crash { .. }
                | Fault::CrashBeforeSync {
                    restart_after_us: None,
                    ..
                }
                | Fault::CrashAfterSend {
                    restart_after_us: None,
                    ..
                },
                Fault::Restart { node: n },
            ) => *n == node,
            _ => false,
        };
        let node = match &removed.fault {
            Fault::Pause { node }
            | Fault::Crash { node, .. }
            | Fault::CrashBeforeSync { node, .. }
            | Fault::CrashAfterSend { node, .. } => *node,
            _ => return,
        };
        if let Some(j) = (i..faults.len()).find(|&j| ends(&faults[j].fault, node)) {
            faults.remove(j);
        }
    }

    /// One of the protocol's tuning parameters (batch size, snapshot interval, ...) halved or
    /// one more: smaller batches and more frequent snapshots cut the protocol's steps finer.
    fn retune(&mut self, rng: &mut SimRng) {
        let names: Vec<String> = self.s.params.keys().cloned().collect();
        if names.is_empty() {
            return self.redraw_workload(rng);
        }
        let name = &names[rng.gen_range(0..names.len())];
        let v = self.s.params[name];
        let new = if rng.gen_bool(0.7) {
            (v / 2).max(v.min(1))
        } else {
            v + 1
        };
        self.s.params.insert(name.clone(), new);
    }

    /// A new read share or key space for a key-value workload.
    fn redraw_workload(&mut self, rng: &mut SimRng) {
        if let WorkloadSpec::Kv {
            keys, read_percent, ..
        } = &mut self.s.workload
        {
            if rng.gen_bool(0.5) {
                *read_percent = rng.gen_range(0..=95);
            } else {
                *keys = log_uniform(rng, 1, 16);
            }
        }
    }
}

fn log_uniform(rng: &mut SimRng, lo: u64, hi: u64) -> u64 {
    let (a, b) = ((lo as f64).ln(), (hi as f64).ln());
    (rng.gen_range(a..b).exp() as u64).clamp(lo, hi)
}

/// The most servers (`node` among them) that `schedule` has down (crashed, paused, or crashed
/// at a crash point and not yet back) at once during `[from, to]`. A crash point's downtime
/// is counted from when it is armed, for its restart delay plus half a second.
fn down_during(schedule: &Schedule, from: u64, to: u64) -> usize {
    let spans = down_spans(schedule);
    // The count can only rise at `from` or at a span's start inside the window.
    let mut points = vec![from];
    points.extend(
        spans
            .values()
            .flatten()
            .map(|&(a, _)| a)
            .filter(|&a| a > from && a <= to),
    );
    points
        .into_iter()
        .map(|p| {
            spans
                .iter()
                .filter(|(_, s)| s.iter().any(|&(a, b)| a <= p && p < b))
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// Per server, the spans `[from, to)` the schedule has it down (counted as `down_during`
/// says).
fn down_spans(schedule: &Schedule) -> BTreeMap<NodeId, Vec<(u64, u64)>> {
    let mut spans: BTreeMap<NodeId, Vec<(u64, u64)>> = BTreeMap::new();
    let mut open: BTreeMap<NodeId, u64> = BTreeMap::new();
    for t in &schedule.0 {
        match &t.fault {
            Fault::Crash { node, .. }
            | Fault::Pause { node }
            | Fault::CrashBeforeSync {
                node,
                restart_after_us: None,
            }
            | Fault::CrashAfterSend {
                node,
                restart_after_us: None,
                ..
            } => {
                open.entry(*node).or_insert(t.at_us);
            }
            Fault::CrashAfterSend {
                node,
                restart_after_us: Some(d),
                ..
            }
            | Fault::CrashBeforeSync {
                node,
                restart_after_us: Some(d),
            } => spans
                .entry(*node)
                .or_default()
                .push((t.at_us, t.at_us + d + 500_000)),
            Fault::Restart { node } | Fault::Resume { node } => {
                if let Some(start) = open.remove(node) {
                    spans.entry(*node).or_default().push((start, t.at_us));
                }
            }
            Fault::RecoverAll => {
                for (node, start) in std::mem::take(&mut open) {
                    spans.entry(node).or_default().push((start, t.at_us));
                }
            }
            _ => {}
        }
    }
    for (n, start) in open {
        spans.entry(n).or_default().push((start, u64::MAX));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_bad_ones_are_named() {
        let m = Mutation {
            anchor: "leader-elected".into(),
            last: true,
            op: 0xbeef,
            family: Family::Single,
        };
        assert_eq!(m.to_string(), "leader-elected/last/beef");
        assert_eq!(Mutation::parse(&m.to_string()), Ok(m.clone()));
        let p = Mutation {
            family: Family::Peers,
            ..m.clone()
        };
        assert_eq!(p.to_string(), "leader-elected/last/beef/peers");
        assert_eq!(Mutation::parse(&p.to_string()), Ok(p));
        let l = Mutation {
            family: Family::Late,
            ..m.clone()
        };
        assert_eq!(l.to_string(), "leader-elected/last/beef/late");
        assert_eq!(Mutation::parse(&l.to_string()), Ok(l));
        let c = Mutation {
            family: Family::Cut,
            ..m.clone()
        };
        assert_eq!(c.to_string(), "leader-elected/last/beef/cut");
        assert_eq!(Mutation::parse(&c.to_string()), Ok(c));
        assert!(Mutation::parse("a/first/1/all")
            .unwrap_err()
            .contains("all"));
        let chain = Mutation::parse_list("a/first/1,leader-elected/last/beef").unwrap();
        assert_eq!(list_arg(&chain), "a/first/1,leader-elected/last/beef");
        assert!(Mutation::parse("a/middle/1")
            .unwrap_err()
            .contains("middle"));
        assert!(Mutation::parse("a/first/zz").unwrap_err().contains("zz"));
        assert!(Mutation::parse("a/first").is_err());
    }

    fn parent() -> Scenario {
        let text = r#"{"name": "p", "clients": 2, "safety_ms": 5000, "servers": 3,
            "generator": {"rates": {}, "crash_point_kinds": ["VoteGranted", "AppendOk"]},
            "schedule": [{"at_us": 900000, "fault": {"kind": "crash", "node": "S1"}},
                         {"at_us": 4000000, "fault": {"kind": "restart", "node": "S1"}}],
            "workload": {"kind": "kv", "keys": 2}}"#;
        Scenario::from_json(text, "t").expect("parses")
    }

    fn marks() -> BTreeMap<String, MarkAt> {
        let at = MarkAt {
            first_us: 1_000_000,
            first_node: NodeId::server(1),
            last_us: 3_000_000,
            last_node: NodeId::server(2),
        };
        [("leader-elected".to_string(), at)].into()
    }

    #[test]
    fn a_mutation_places_faults_right_after_its_anchor_within_the_budget() {
        let (p, at) = (parent(), marks());
        let budget = FaultBudget::minority();
        let mut changed = 0;
        for op in 0..200 {
            let m = Mutation {
                anchor: "leader-elected".into(),
                last: false,
                op,
                family: Family::Single,
            };
            let child = apply(&p, &at, &m, &budget);
            let again = apply(&p, &at, &m, &budget);
            assert_eq!(
                child.schedule, again.schedule,
                "a pure function of the token"
            );
            let added: Vec<&Timed> = child
                .schedule
                .0
                .iter()
                .filter(|t| !p.schedule.0.contains(t) && !t.fault.is_recovery())
                .collect();
            changed += usize::from(child.schedule != p.schedule);
            let s1_down = child.schedule.0.contains(&p.schedule.0[0]);
            for t in &added {
                assert!((1_000_000..=1_002_000).contains(&t.at_us), "{t:?}");
                // S1 is down until 4 s (unless a removal took its crash out): with one of
                // three servers down, nothing else is.
                let down = s1_down
                    && matches!(
                        t.fault,
                        Fault::Crash { .. } | Fault::Pause { .. } | Fault::CrashAfterSend { .. }
                    );
                assert!(!down, "over the budget: {t:?}");
            }
        }
        assert!(changed > 120, "most tokens change the schedule: {changed}");
        let elsewhere = Mutation {
            anchor: "never-reached".into(),
            last: true,
            op: 3,
            family: Family::Single,
        };
        assert_eq!(apply(&p, &at, &elsewhere, &budget).schedule, p.schedule);
    }

    #[test]
    fn an_anchor_after_the_safety_phase_stretches_it_with_the_recovery_written_in() {
        let p = parent();
        let late = MarkAt {
            first_us: 5_400_000,
            first_node: NodeId::server(1),
            last_us: 5_400_000,
            last_node: NodeId::server(1),
        };
        let at: BTreeMap<String, MarkAt> = [("recovered".to_string(), late)].into();
        let m = Mutation {
            anchor: "recovered".into(),
            last: false,
            op: 7,
            family: Family::Single,
        };
        let child = apply(&p, &at, &m, &FaultBudget::minority());
        assert!(child.safety_ms * 1_000 >= 5_400_000 + STRETCH_US);
        let recover = Timed {
            at_us: 5_000_000,
            fault: Fault::RecoverAll,
        };
        assert!(child.schedule.0.contains(&recover), "{:?}", child.schedule);
        assert!(
            child.schedule.0.iter().all(|t| t.at_us < 5_000_000
                || t.fault == Fault::RecoverAll
                || t.at_us >= 5_400_000),
            "nothing changes between the old end and the anchor"
        );
        assert_eq!(down_during(&child.schedule, 5_000_001, 5_100_000), 0);
    }

    #[test]
    fn the_correlated_edit_crashes_reachable_peers_and_cuts_the_anchor_once_it_heard_them() {
        let text = r#"{"name": "p", "clients": 2, "safety_ms": 5000, "servers": 5,
            "generator": {"rates": {}, "crash_point_kinds": ["Ack"]},
            "schedule": [
              {"at_us": 500000, "fault": {"kind": "partition", "groups": [["S1", "S2", "S3", "S4"], ["S5"]]}},
              {"at_us": 1200000, "fault": {"kind": "crash", "node": "S1"}},
              {"at_us": 1300000, "fault": {"kind": "restart", "node": "S1"}},
              {"at_us": 4000000, "fault": {"kind": "heal"}}],
            "workload": {"kind": "kv", "keys": 2}}"#;
        let p = Scenario::from_json(text, "t").expect("parses");
        let at = marks();
        let s = NodeId::server;
        for op in 0..50 {
            let m = Mutation {
                anchor: "leader-elected".into(),
                last: false,
                op,
                family: Family::Peers,
            };
            let child = apply(&p, &at, &m, &FaultBudget::minority());
            let crashed: Vec<NodeId> = child
                .schedule
                .0
                .iter()
                .filter_map(|t| match t.fault {
                    Fault::CrashBeforeSync { node, .. } => {
                        assert_eq!(t.at_us, 1_000_001, "right after the anchor");
                        Some(node)
                    }
                    _ => None,
                })
                .collect();
            assert_eq!(
                crashed.len(),
                2,
                "as many as a minority of five: {crashed:?}"
            );
            assert!(
                !crashed.contains(&s(1)) && !crashed.contains(&s(4)),
                "{crashed:?}"
            );
            assert!(
                !child.schedule.0.iter().any(|t| t.at_us == 1_200_000),
                "the window's own crash is taken out"
            );
            let cut = child
                .schedule
                .0
                .iter()
                .find_map(|t| match &t.fault {
                    Fault::IsolateAfterHearing { node, from, .. } => Some((*node, from.clone())),
                    _ => None,
                })
                .expect("the anchor is cut off once it heard them");
            assert_eq!(cut, (s(1), crashed.clone()));
            let left = child
                .schedule
                .0
                .iter()
                .find_map(|t| match &t.fault {
                    Fault::Partition { groups } if t.at_us == 1_000_001 => Some(groups[0].clone()),
                    _ => None,
                })
                .expect("the rest is cut away from the anchor");
            assert!(left.contains(&s(1)) && crashed.iter().all(|c| left.contains(c)));
            assert!(
                left.contains(&NodeId::client(0)) && left.len() == 5,
                "{left:?}"
            );
        }
    }

    #[test]
    fn the_late_edit_slows_one_link_at_the_anchor_for_a_while() {
        let p = parent();
        let anchor = NodeId::server(1);
        let (mut to_anchor, mut from_anchor) = (0, 0);
        for op in 0..100 {
            let m = Mutation {
                anchor: "leader-elected".into(),
                last: false,
                op,
                family: Family::Late,
            };
            let child = apply(&p, &marks(), &m, &FaultBudget::minority());
            let links: Vec<&Timed> = child
                .schedule
                .0
                .iter()
                .filter(|t| matches!(t.fault, Fault::Link { .. }))
                .collect();
            assert_eq!(links.len(), 2, "one late link and its end");
            let (start, end) = (links[0], links[1]);
            assert_eq!(start.at_us, 1_000_001, "right after the anchor");
            assert!(end.at_us >= start.at_us + 200_000 || end.at_us == p.safety_ms * 1_000 - 1);
            let Fault::Link { from, to, profile } = &start.fault else {
                unreachable!()
            };
            assert_ne!(from, to);
            if *to == Some(anchor) {
                to_anchor += 1;
            } else {
                assert_eq!(*from, Some(anchor), "the link touches the anchor");
                from_anchor += 1;
            }
            let Latency::Uniform { min_us, .. } = profile.latency else {
                panic!("{profile:?}")
            };
            assert!((50_000..=600_000).contains(&min_us), "{min_us}");
            let Fault::Link { profile, .. } = &end.fault else {
                unreachable!()
            };
            assert_eq!(*profile, LinkProfile::default(), "back to normal after");
        }
        assert!(
            to_anchor > 20 && from_anchor > 20,
            "{to_anchor} {from_anchor}"
        );
    }

    #[test]
    fn the_cut_edit_cuts_the_anchor_off_the_servers_but_not_off_every_client() {
        let text = r#"{"name": "p", "clients": 3, "safety_ms": 5000, "servers": 5,
            "workload": {"kind": "kv", "keys": 2}}"#;
        let p = Scenario::from_json(text, "t").expect("parses");
        let anchor = NodeId::server(1);
        let mut kept_counts = BTreeMap::new();
        for op in 0..100 {
            let m = Mutation {
                anchor: "leader-elected".into(),
                last: false,
                op,
                family: Family::Cut,
            };
            let child = apply(&p, &marks(), &m, &FaultBudget::minority());
            let faults = &child.schedule.0;
            assert_eq!(faults.len(), 2, "a partition and its heal: {faults:?}");
            assert_eq!(faults[0].at_us, 1_000_001, "right after the anchor");
            assert!(faults[1].at_us >= 1_200_001 || faults[1].at_us == 4_999_999);
            assert_eq!(faults[1].fault, Fault::Heal);
            let Fault::Partition { groups } = &faults[0].fault else {
                panic!("{faults:?}")
            };
            let (left, right) = (&groups[0], &groups[1]);
            assert_eq!(left[0], anchor);
            assert!(
                left[1..].iter().all(|n| n.is_client()),
                "alone among servers"
            );
            assert_eq!(right.iter().filter(|n| !n.is_client()).count(), 4);
            let kept = left.len() - 1;
            assert!((1..3).contains(&kept), "some clients, not all: {left:?}");
            *kept_counts.entry(kept).or_insert(0) += 1;
        }
        assert_eq!(
            kept_counts.len(),
            2,
            "one or two clients kept: {kept_counts:?}"
        );
    }

    #[test]
    fn downtime_counts_servers_down_at_once_in_the_window() {
        let s = |i| NodeId::server(i);
        let sched = Schedule::new(vec![
            Timed {
                at_us: 100,
                fault: Fault::Crash {
                    node: s(0),
                    lose_unsynced: false,
                },
            },
            Timed {
                at_us: 500,
                fault: Fault::Restart { node: s(0) },
            },
            Timed {
                at_us: 300,
                fault: Fault::Pause { node: s(1) },
            },
        ]);
        assert_eq!(down_during(&sched, 0, 50), 0);
        assert_eq!(down_during(&sched, 0, 400), 2);
        assert_eq!(down_during(&sched, 600, 700), 1, "S2 stays paused");
    }
}
