//! Random fault schedules drawn from the run's fault stream. A rate per fault kind (events per
//! simulated second); in swarm mode each seed also draws which kinds are on (TigerBeetle's
//! VOPR habit). Generated schedules stay inside the protocol's fault budget, so a failure
//! means a bug, unless the scenario says it goes beyond.

use rand::seq::SliceRandom;
use rand::Rng;
use serde::{Deserialize, Serialize};
use splitbrain_api::{FaultBudget, NodeId, SimRng};
use splitbrain_sim::{Fault, Latency, LinkProfile, Timed};

/// Fault kinds a generator can draw.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Partition,
    Crash,
    Pause,
    Clock,
    Link,
    Slow,
    CrashPoint,
}

pub const ALL_KINDS: [Kind; 7] = [
    Kind::Partition,
    Kind::Crash,
    Kind::Pause,
    Kind::Clock,
    Kind::Link,
    Kind::Slow,
    Kind::CrashPoint,
];

/// The shapes a drawn partition can take.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PartitionShape {
    /// One server cut from everyone.
    Isolate,
    /// Two servers cut from each other, both still reaching the rest.
    Partial,
    /// One direction of one link.
    CutLink,
    /// Two sides that only one server reaches.
    Bridge,
    /// Two sides, clients spread over them.
    Split,
}

pub const ALL_SHAPES: [PartitionShape; 5] = [
    PartitionShape::Isolate,
    PartitionShape::Partial,
    PartitionShape::CutLink,
    PartitionShape::Bridge,
    PartitionShape::Split,
];

/// How a scenario draws random faults.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratorConfig {
    /// Events per simulated second, per kind (kinds absent are off).
    pub rates: std::collections::BTreeMap<Kind, f64>,
    /// Each seed also draws which of the listed kinds are on.
    #[serde(default)]
    pub swarm: bool,
    /// Mean time a partition, crash, pause or link fault lasts before it is undone.
    #[serde(default = "default_mean_fault_ms")]
    pub mean_fault_ms: u64,
    /// Message kinds crash points fire after ("VoteGranted").
    #[serde(default)]
    pub crash_point_kinds: Vec<String>,
    /// Whether crashes may lose unsynced writes (only if the protocol's budget allows).
    #[serde(default = "default_true")]
    pub lose_unsynced: bool,
    /// A crash point's server comes back a drawn time after the crash fires (the downtime
    /// follows the protocol event), instead of at a fixed time after it was armed.
    #[serde(default)]
    pub restart_after_crash_point: bool,
    /// Percent of partitions that put every client on one side (with a random share of the
    /// servers), so a cut-off leader keeps taking writes it cannot commit.
    #[serde(default)]
    pub clients_together_percent: u32,
    /// The partition shapes drawn from (absent: all, a split twice as often as the others).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_shapes: Option<Vec<PartitionShape>>,
    /// Exactly these kinds are on (instead of the swarm draw); set by guided exploration
    /// and by `run --fault-kinds` to reproduce a guided seed.
    #[serde(default)]
    pub kinds: Option<Vec<Kind>>,
}

fn default_mean_fault_ms() -> u64 {
    300
}

fn default_true() -> bool {
    true
}

impl GeneratorConfig {
    pub fn validate(&self) -> Result<(), (String, String)> {
        for (kind, rate) in &self.rates {
            if !(rate.is_finite() && *rate >= 0.0 && *rate <= 1_000.0) {
                return Err((
                    format!("rates.{kind:?}"),
                    format!("rate must be in [0, 1000], got {rate}"),
                ));
            }
        }
        if self.rates.get(&Kind::CrashPoint).is_some_and(|&r| r > 0.0)
            && self.crash_point_kinds.is_empty()
        {
            return Err((
                "crash_point_kinds".into(),
                "crash-point rate set but no message kinds".into(),
            ));
        }
        Ok(())
    }
}

/// The world a schedule is drawn for.
pub struct Shape<'a> {
    pub servers: usize,
    pub clients: usize,
    pub safety_us: u64,
    pub budget: &'a FaultBudget,
    pub beyond_budget: bool,
}

/// Draws a schedule. Deterministic in `rng`.
/// Draws a schedule. Deterministic in `rng`. `forced` replaces the swarm draw of which kinds
/// are on (guided exploration); kinds without a rate stay off. Returns the schedule and the
/// kinds that were on.
pub fn generate(
    cfg: &GeneratorConfig,
    shape: &Shape,
    rng: &mut SimRng,
    forced: Option<&[Kind]>,
) -> (Vec<Timed>, Vec<Kind>) {
    let mut kinds: Vec<Kind> = ALL_KINDS
        .iter()
        .copied()
        .filter(|k| cfg.rates.get(k).is_some_and(|&r| r > 0.0))
        .collect();
    if let Some(want) = forced {
        kinds.retain(|k| want.contains(k));
    } else if cfg.swarm && kinds.len() > 1 {
        let on: Vec<bool> = kinds.iter().map(|_| rng.gen_bool(0.5)).collect();
        if on.iter().any(|&b| b) {
            kinds = kinds
                .into_iter()
                .zip(on)
                .filter(|(_, b)| *b)
                .map(|(k, _)| k)
                .collect();
        }
    }
    let kinds_on = kinds.clone();
    let mut arrivals = Vec::new();
    for kind in kinds {
        let mean_gap_us = 1e6 / cfg.rates[&kind];
        let mut t = 0.0;
        loop {
            t += -rng.gen::<f64>().max(1e-12).ln() * mean_gap_us;
            if t >= shape.safety_us as f64 {
                break;
            }
            arrivals.push((t as u64, kind));
        }
    }
    arrivals.sort();
    let mut state = Drawer {
        cfg,
        shape,
        down_until: vec![0; shape.servers],
        out: Vec::new(),
    };
    for (at, kind) in arrivals {
        state.draw(at, kind, rng);
    }
    state.out.retain(|t| t.at_us < shape.safety_us);
    state.out.sort_by_key(|t| t.at_us);
    (state.out, kinds_on)
}

/// Swarm testing's draw of which kinds are on, as `vary` makes it: how many (uniformly, so a
/// seed with a single kind is as likely as one with all of them), then which.
pub fn swarm_kinds(mut kinds: Vec<Kind>, rng: &mut SimRng) -> Vec<Kind> {
    let how_many = rng.gen_range(1..=kinds.len());
    kinds.shuffle(rng);
    kinds.truncate(how_many);
    kinds.sort();
    kinds
}

struct Drawer<'a> {
    cfg: &'a GeneratorConfig,
    shape: &'a Shape<'a>,
    /// Per server: until when it is crashed or paused (budget accounting).
    down_until: Vec<u64>,
    out: Vec<Timed>,
}

impl Drawer<'_> {
    fn push(&mut self, at_us: u64, fault: Fault) {
        self.out.push(Timed { at_us, fault });
    }

    fn duration(&self, rng: &mut SimRng) -> u64 {
        let mean = (self.cfg.mean_fault_ms * 1_000) as f64;
        (-rng.gen::<f64>().max(1e-12).ln() * mean) as u64 + 1_000
    }

    fn draw(&mut self, at: u64, kind: Kind, rng: &mut SimRng) {
        let until = at + self.duration(rng);
        match kind {
            Kind::Partition => {
                let fault = self.partition(rng);
                self.push(at, fault);
                self.push(until, Fault::Heal);
            }
            Kind::Crash | Kind::Pause | Kind::CrashPoint => self.take_down(at, until, kind, rng),
            Kind::Clock if self.shape.budget.survives_clock_skew || self.shape.beyond_budget => {
                let node = NodeId::server(rng.gen_range(0..self.shape.servers));
                let fault = if rng.gen_bool(0.5) {
                    Fault::ClockOffset {
                        node,
                        offset_us: rng.gen_range(-200_000..=200_000),
                    }
                } else {
                    Fault::ClockDrift {
                        node,
                        ppm: rng.gen_range(-50_000..=50_000),
                    }
                };
                self.push(at, fault);
            }
            Kind::Clock => {}
            Kind::Link => {
                let profile = lossy_profile(rng);
                self.push(
                    at,
                    Fault::Link {
                        from: None,
                        to: None,
                        profile,
                    },
                );
                self.push(
                    until,
                    Fault::Link {
                        from: None,
                        to: None,
                        profile: LinkProfile::default(),
                    },
                );
            }
            Kind::Slow => {
                let node = NodeId::server(rng.gen_range(0..self.shape.servers));
                self.push(
                    at,
                    Fault::Slow {
                        node,
                        extra_us: rng.gen_range(1_000..=50_000),
                    },
                );
                self.push(until, Fault::Slow { node, extra_us: 0 });
            }
        }
    }

    /// Crash, pause or crash point on a server, if the budget leaves room.
    fn take_down(&mut self, at: u64, until: u64, kind: Kind, rng: &mut SimRng) {
        let down = self.down_until.iter().filter(|&&u| u > at).count();
        let max = if self.shape.beyond_budget {
            self.shape.servers
        } else {
            self.shape.budget.max_down(self.shape.servers)
        };
        let up: Vec<usize> = (0..self.shape.servers)
            .filter(|&i| self.down_until[i] <= at)
            .collect();
        if down >= max || up.is_empty() {
            return;
        }
        let i = *up.choose(rng).expect("non-empty");
        let node = NodeId::server(i);
        self.down_until[i] = until;
        let lose = self.cfg.lose_unsynced
            && (self.shape.budget.survives_lost_unsynced || self.shape.beyond_budget)
            && rng.gen_bool(0.5);
        match kind {
            Kind::Pause => {
                self.push(at, Fault::Pause { node });
                self.push(until, Fault::Resume { node });
            }
            Kind::CrashPoint if self.cfg.restart_after_crash_point => {
                let msg_kind = self
                    .cfg
                    .crash_point_kinds
                    .choose(rng)
                    .cloned()
                    .unwrap_or_default();
                // Down for 1 ms up to the drawn duration after it fires (log-uniform: a quick
                // restart can still see the requests the crash left in flight). Budgeted as
                // armed for the duration, then down for as long again at most.
                let (lo, hi) = (1_000f64.ln(), ((until - at).max(1_001) as f64).ln());
                let down = rng.gen_range(lo..hi).exp() as u64;
                self.down_until[i] = until + (until - at);
                self.push(
                    at,
                    Fault::CrashAfterSend {
                        node,
                        msg_kind,
                        lose_unsynced: lose,
                        restart_after_us: Some(down),
                    },
                );
            }
            Kind::CrashPoint => {
                let msg_kind = self
                    .cfg
                    .crash_point_kinds
                    .choose(rng)
                    .cloned()
                    .unwrap_or_default();
                self.push(
                    at,
                    Fault::CrashAfterSend {
                        node,
                        msg_kind,
                        lose_unsynced: lose,
                        restart_after_us: None,
                    },
                );
                self.push(until, Fault::Restart { node });
            }
            _ => {
                self.push(
                    at,
                    Fault::Crash {
                        node,
                        lose_unsynced: lose,
                    },
                );
                self.push(until, Fault::Restart { node });
            }
        }
    }

    /// One partition of a randomly drawn shape; clients are spread over the sides.
    fn partition(&self, rng: &mut SimRng) -> Fault {
        let n = self.shape.servers;
        let servers: Vec<NodeId> = (0..n).map(NodeId::server).collect();
        let pick = |rng: &mut SimRng| servers[rng.gen_range(0..n)];
        let choice = match self.cfg.partition_shapes.as_deref() {
            Some(shapes) if !shapes.is_empty() => {
                let shape = shapes[rng.gen_range(0..shapes.len())];
                ALL_SHAPES.iter().position(|&s| s == shape).expect("listed") as i32
            }
            // An i32 draw, as this always was (a usize draw would move every schedule).
            _ => rng.gen_range(0..6i32),
        };
        match choice {
            0 if n >= 2 => Fault::Isolate { node: pick(rng) },
            1 if n >= 3 => {
                let (a, b) = two_distinct(n, rng);
                Fault::PartialPartition {
                    a: servers[a],
                    b: servers[b],
                }
            }
            2 if n >= 2 => {
                let (a, b) = two_distinct(n, rng);
                Fault::CutLink {
                    from: servers[a],
                    to: servers[b],
                }
            }
            3 if n >= 3 => {
                let mut order = servers.clone();
                order.shuffle(rng);
                let bridge = order[0];
                let half = (n - 1) / 2;
                Fault::Bridge {
                    bridge,
                    left: order[1..=half].to_vec(),
                    right: order[half + 1..].to_vec(),
                }
            }
            _ => Fault::Partition {
                groups: self.split_groups(rng),
            },
        }
    }

    /// Majority/minority (or any two-way split) with clients spread at random.
    fn split_groups(&self, rng: &mut SimRng) -> Vec<Vec<NodeId>> {
        let mut order: Vec<NodeId> = (0..self.shape.servers).map(NodeId::server).collect();
        order.shuffle(rng);
        let cut = if order.len() >= 2 {
            rng.gen_range(1..order.len())
        } else {
            1
        };
        let mut left = order[..cut].to_vec();
        let mut right = order[cut..].to_vec();
        let pct = self.cfg.clients_together_percent;
        if pct > 0 && rng.gen_range(0..100) < pct {
            left.extend((0..self.shape.clients).map(NodeId::client));
            return vec![left, right];
        }
        for c in 0..self.shape.clients {
            if rng.gen_bool(0.5) {
                left.push(NodeId::client(c))
            } else {
                right.push(NodeId::client(c))
            }
        }
        vec![left, right]
    }
}

fn two_distinct(n: usize, rng: &mut SimRng) -> (usize, usize) {
    let a = rng.gen_range(0..n);
    let b = (a + rng.gen_range(1..n)) % n;
    (a, b)
}

/// A link profile that drops, duplicates, reorders and delays.
fn lossy_profile(rng: &mut SimRng) -> LinkProfile {
    LinkProfile {
        latency: Latency::LongTail {
            min_us: 500,
            mean_tail_us: rng.gen_range(1_000..=20_000),
            max_us: 200_000,
        },
        jitter_us: 1_000,
        drop: rng.gen_range(0.0..0.3),
        duplicate: rng.gen_range(0.0..0.2),
        reorder: rng.gen_range(0.0..0.5),
        reorder_window_us: 20_000,
    }
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Partition => "partition",
            Kind::Crash => "crash",
            Kind::Pause => "pause",
            Kind::Clock => "clock",
            Kind::Link => "link",
            Kind::Slow => "slow",
            Kind::CrashPoint => "crash-point",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        ALL_KINDS.iter().copied().find(|k| k.name() == name)
    }
}
