//! The simulated network: per-link latency distributions with jitter, drop, duplication,
//! reordering, per-node slowness, and a connectivity matrix that partitions cut.

use crate::faults::{Fault, Timed};
use crate::rng::uniform_inclusive;
use petgraph::graphmap::UnGraphMap;
use rand::Rng;
use serde::{Deserialize, Serialize};
use splitbrain_api::{NodeId, SimRng};

/// How long a message takes on a link, before jitter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Latency {
    Constant {
        us: u64,
    },
    Uniform {
        min_us: u64,
        max_us: u64,
    },
    /// `min_us` plus an exponential tail with mean `mean_tail_us`, capped at `max_us`.
    LongTail {
        min_us: u64,
        mean_tail_us: u64,
        max_us: u64,
    },
}

/// Everything a link does to a message. Probabilities are in [0, 1].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkProfile {
    pub latency: Latency,
    #[serde(default)]
    pub jitter_us: u64,
    #[serde(default)]
    pub drop: f64,
    #[serde(default)]
    pub duplicate: f64,
    /// Probability that a message is held back by up to `reorder_window_us` extra.
    #[serde(default)]
    pub reorder: f64,
    #[serde(default)]
    pub reorder_window_us: u64,
}

impl Default for LinkProfile {
    fn default() -> Self {
        LinkProfile {
            latency: Latency::Uniform {
                min_us: 500,
                max_us: 2_000,
            },
            jitter_us: 0,
            drop: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            reorder_window_us: 0,
        }
    }
}

impl LinkProfile {
    /// Checks ranges so a typo such as `drop: 5` is refused instead of silently saturating.
    pub fn validate(&self) -> Result<(), String> {
        for (name, p) in [
            ("drop", self.drop),
            ("duplicate", self.duplicate),
            ("reorder", self.reorder),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("`{name}` must be a probability in [0, 1], got {p}"));
            }
        }
        match self.latency {
            Latency::Uniform { min_us, max_us } | Latency::LongTail { min_us, max_us, .. }
                if min_us > max_us =>
            {
                Err(format!("latency min_us {min_us} exceeds max_us {max_us}"))
            }
            _ => Ok(()),
        }
    }

    pub fn label(&self) -> String {
        let lat = match self.latency {
            Latency::Constant { us } => format!("{us}us"),
            Latency::Uniform { min_us, max_us } => format!("{min_us}-{max_us}us"),
            Latency::LongTail {
                min_us,
                mean_tail_us,
                ..
            } => format!("{min_us}us+exp({mean_tail_us})"),
        };
        format!(
            "lat {lat} drop {:.2} dup {:.2} reorder {:.2}",
            self.drop, self.duplicate, self.reorder
        )
    }

    /// `(min_us, max_us)` when a send over this profile draws one uniform latency and nothing
    /// else (no loss, jitter, reordering or duplication), exactly as `Network::send_between`
    /// would find drawing it in full: such a send takes a short path with that one draw.
    fn plain_latency(&self) -> Option<(u64, u64)> {
        let Latency::Uniform { min_us, max_us } = self.latency else {
            return None;
        };
        let draws_more =
            self.jitter_us > 0 || self.drop > 0.0 || self.reorder > 0.0 || self.duplicate > 0.0;
        (!draws_more).then_some((min_us, max_us))
    }

    /// Draws one message's transit time (latency, jitter, reorder hold-back).
    #[inline(always)]
    fn transit_us(&self, rng: &mut SimRng) -> u64 {
        let base = match self.latency {
            Latency::Constant { us } => us,
            Latency::Uniform { min_us, max_us } => uniform_inclusive(rng, min_us, max_us),
            Latency::LongTail {
                min_us,
                mean_tail_us,
                max_us,
            } => {
                let u: f64 = rng.gen::<f64>().max(1e-12);
                let tail = (-u.ln() * mean_tail_us as f64) as u64;
                (min_us + tail).min(max_us)
            }
        };
        let jitter = if self.jitter_us > 0 {
            rng.gen_range(0..=self.jitter_us)
        } else {
            0
        };
        let hold = if self.reorder > 0.0 && rng.gen_bool(self.reorder) {
            rng.gen_range(0..=self.reorder_window_us)
        } else {
            0
        };
        base + jitter + hold
    }
}

/// What happened to one send.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Fate {
    /// The link is cut.
    Cut,
    /// The link lost it.
    Dropped,
    /// Delivered after `first` microseconds, and a copy after `copy` when duplicated.
    Delivered { first: u64, copy: Option<u64> },
}

/// Connectivity and link behaviour for `endpoints` endpoints (servers first, then clients).
pub struct Network {
    servers: usize,
    endpoints: usize,
    blocked: Vec<bool>,
    /// Whether any link is cut (lets the hot path skip the matrix lookup).
    any_cut: bool,
    profiles: Vec<LinkProfile>,
    /// Per profile, its `plain_latency`.
    plain: Vec<Option<(u64, u64)>>,
    link_profile: Vec<u16>,
    slow_us: Vec<u64>,
    /// Per link, its one-draw send when it has one (see [`Quick`]), kept in step with the
    /// cuts, profiles and slowness: nearly every send reads this one entry and nothing else.
    quick: Vec<Option<Quick>>,
}

/// What a send on a link that is not cut and whose profile is plain draws: one uniform
/// latency in `min_us..=max_us`, plus the sender's slowness.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Quick {
    min_us: u64,
    max_us: u64,
    slow_us: u64,
}

impl Network {
    pub fn new(servers: usize, clients: usize, default: LinkProfile) -> Network {
        let endpoints = servers + clients;
        let mut net = Network {
            servers,
            endpoints,
            blocked: vec![false; endpoints * endpoints],
            any_cut: false,
            plain: vec![default.plain_latency()],
            profiles: vec![default],
            link_profile: vec![0; endpoints * endpoints],
            slow_us: vec![0; endpoints],
            quick: vec![None; endpoints * endpoints],
        };
        net.refresh_all();
        net
    }

    /// Recomputes link `link`'s one-draw send from its cut, profile and sender.
    fn refresh(&mut self, link: usize) {
        let cut = self.any_cut && self.blocked[link];
        let plain = self.plain[self.link_profile[link] as usize];
        let slow_us = self.slow_us[link / self.endpoints];
        self.quick[link] = match plain {
            Some((min_us, max_us)) if !cut => Some(Quick {
                min_us,
                max_us,
                slow_us,
            }),
            _ => None,
        };
    }

    fn refresh_all(&mut self) {
        for link in 0..self.quick.len() {
            self.refresh(link);
        }
    }

    /// The index of the link from endpoint slot `from` to endpoint slot `to` (`NodeId::slot`),
    /// the same numbering as the per-link random streams (`LinkRngs::at`).
    #[inline(always)]
    pub fn link_between(&self, from: usize, to: usize) -> usize {
        from * self.endpoints + to
    }

    #[inline]
    fn link(&self, from: NodeId, to: NodeId) -> usize {
        from.slot(self.servers) * self.endpoints + to.slot(self.servers)
    }

    #[inline]
    pub fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        self.any_cut && self.blocked[self.link(from, to)]
    }

    /// Decides the fate of a message sent now. Draws from `rng` only as the profile needs.
    #[inline]
    pub fn send(&self, from: NodeId, to: NodeId, rng: &mut SimRng) -> Fate {
        self.send_between(from.slot(self.servers), to.slot(self.servers), rng)
    }

    /// `send` between endpoint slots (`NodeId::slot`), for a caller that has them already.
    #[inline]
    pub fn send_between(&self, from: usize, to: usize, rng: &mut SimRng) -> Fate {
        self.send_on(self.link_between(from, to), rng)
    }

    /// `send` on link `link` (`link_between`). A link with a one-draw send reads its one
    /// entry; any other (cut, or a profile that draws more) takes the full path, out of line.
    #[inline(always)]
    pub fn send_on(&self, link: usize, rng: &mut SimRng) -> Fate {
        match self.quick[link] {
            Some(q) => Fate::Delivered {
                first: uniform_inclusive(rng, q.min_us, q.max_us) + q.slow_us,
                copy: None,
            },
            None => self.send_in_full(link, rng),
        }
    }

    /// A send on a link that is cut or whose profile draws more than one latency.
    #[inline(never)]
    fn send_in_full(&self, link: usize, rng: &mut SimRng) -> Fate {
        if self.any_cut && self.blocked[link] {
            return Fate::Cut;
        }
        let index = self.link_profile[link] as usize;
        let slow = self.slow_us[link / self.endpoints];
        if let Some((min_us, max_us)) = self.plain[index] {
            let first = uniform_inclusive(rng, min_us, max_us) + slow;
            return Fate::Delivered { first, copy: None };
        }
        let profile = &self.profiles[index];
        if profile.drop > 0.0 && rng.gen_bool(profile.drop) {
            return Fate::Dropped;
        }
        let first = profile.transit_us(rng) + slow;
        let copy = (profile.duplicate > 0.0 && rng.gen_bool(profile.duplicate))
            .then(|| profile.transit_us(rng) + slow);
        Fate::Delivered { first, copy }
    }

    pub fn set_cut(&mut self, from: NodeId, to: NodeId, cut: bool) {
        let link = self.link(from, to);
        self.blocked[link] = cut;
        self.any_cut |= cut;
        self.refresh(link);
    }

    /// Cuts every link between endpoints in different groups; unlisted endpoints keep theirs.
    pub fn partition(&mut self, groups: &[Vec<NodeId>]) {
        for (gi, a_group) in groups.iter().enumerate() {
            for (gj, b_group) in groups.iter().enumerate() {
                if gi == gj {
                    continue;
                }
                for &a in a_group {
                    for &b in b_group {
                        if a != b {
                            self.set_cut(a, b, true);
                        }
                    }
                }
            }
        }
    }

    pub fn isolate(&mut self, node: NodeId, all: &[NodeId]) {
        for &other in all.iter().filter(|&&o| o != node) {
            self.set_cut(node, other, true);
            self.set_cut(other, node, true);
        }
    }

    /// Applies a partition-shaped fault or a heal to the links (see [`Fault`]: each shape
    /// replaces the partition in force, `add-partition` adds cuts, `heal` restores every
    /// link); returns false, changing nothing, for any other fault.
    pub fn apply_cuts(&mut self, fault: &Fault, all: &[NodeId]) -> bool {
        match fault {
            Fault::AddPartition { groups } => self.partition(groups),
            Fault::Partition { groups } => {
                self.heal();
                self.partition(groups);
            }
            Fault::CutLink { from, to } => {
                self.heal();
                self.set_cut(*from, *to, true);
            }
            Fault::Isolate { node } => {
                self.heal();
                self.isolate(*node, all);
            }
            Fault::Bridge { left, right, .. } => {
                self.heal();
                self.partition(&[left.clone(), right.clone()]);
            }
            Fault::PartialPartition { a, b } => {
                self.heal();
                self.set_cut(*a, *b, true);
                self.set_cut(*b, *a, true);
            }
            Fault::Heal => self.heal(),
            _ => return false,
        }
        true
    }

    /// The one-way links cut now, `(from, to)`, in order.
    pub fn cut_links(&self, all: &[NodeId]) -> Vec<(NodeId, NodeId)> {
        let mut out = Vec::new();
        for &a in all {
            for &b in all {
                if a != b && self.is_cut(a, b) {
                    out.push((a, b));
                }
            }
        }
        out
    }

    pub fn heal(&mut self) {
        self.blocked.iter_mut().for_each(|b| *b = false);
        self.any_cut = false;
        self.refresh_all();
    }

    /// Sets the profile of matching links (`None` matches every endpoint).
    pub fn set_profile(
        &mut self,
        from: Option<NodeId>,
        to: Option<NodeId>,
        p: LinkProfile,
        all: &[NodeId],
    ) {
        let idx = match self.profiles.iter().position(|q| *q == p) {
            Some(i) => i,
            None => {
                self.plain.push(p.plain_latency());
                self.profiles.push(p);
                self.profiles.len() - 1
            }
        } as u16;
        for &a in all.iter().filter(|a| from.is_none_or(|f| f == **a)) {
            for &b in all.iter().filter(|b| to.is_none_or(|t| t == **b)) {
                let link = self.link(a, b);
                self.link_profile[link] = idx;
                self.refresh(link);
            }
        }
    }

    /// Every link back to the run's default profile and no slow nodes (liveness phase).
    pub fn reset_profiles(&mut self) {
        self.link_profile.iter_mut().for_each(|l| *l = 0);
        self.slow_us.iter_mut().for_each(|s| *s = 0);
        self.refresh_all();
    }

    pub fn set_slow(&mut self, node: NodeId, extra_us: u64) {
        let slot = node.slot(self.servers);
        self.slow_us[slot] = extra_us;
        let row = self.link_between(slot, 0);
        for link in row..row + self.endpoints {
            self.refresh(link);
        }
    }

    /// Groups of endpoints that can reach each other both ways (for reports and generators).
    pub fn components(&self, all: &[NodeId]) -> Vec<Vec<NodeId>> {
        let mut graph: UnGraphMap<NodeId, ()> = UnGraphMap::new();
        for &a in all {
            graph.add_node(a);
            for &b in all.iter().filter(|&&b| b > a) {
                if !self.is_cut(a, b) && !self.is_cut(b, a) {
                    graph.add_edge(a, b, ());
                }
            }
        }
        let mut out: Vec<Vec<NodeId>> = petgraph::algo::tarjan_scc(&graph)
            .into_iter()
            .map(|mut c| {
                c.sort();
                c
            })
            .collect();
        out.sort();
        out
    }
}

/// Which one-way links are cut after each partition-shaped fault or heal of `schedule`, with
/// its time, exactly as a world of `servers` and `clients` applies them (reports show it; the
/// liveness phase's heal is not in the schedule).
pub fn cut_timeline(
    schedule: &[Timed],
    servers: usize,
    clients: usize,
) -> Vec<(u64, Vec<(NodeId, NodeId)>)> {
    let all: Vec<NodeId> = (0..servers)
        .map(NodeId::server)
        .chain((0..clients).map(NodeId::client))
        .collect();
    let mut net = Network::new(servers, clients, LinkProfile::default());
    let mut out = Vec::new();
    for t in schedule {
        if net.apply_cuts(&t.fault, &all) {
            out.push((t.at_us, net.cut_links(&all)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream, Stream};

    fn ids() -> Vec<NodeId> {
        vec![
            NodeId::server(0),
            NodeId::server(1),
            NodeId::client(0),
            NodeId::client(1),
        ]
    }

    #[test]
    fn partition_groups_cut_across_but_not_within() {
        let mut net = Network::new(2, 2, LinkProfile::default());
        let [s1, s2, c1, c2] = ids()[..] else {
            unreachable!()
        };
        net.partition(&[vec![s1, c1], vec![s2, c2]]);
        assert!(net.is_cut(s1, s2) && net.is_cut(c1, s2) && net.is_cut(s2, c1));
        assert!(!net.is_cut(s1, c1) && !net.is_cut(s2, c2));
        assert_eq!(net.components(&ids()), vec![vec![s1, c1], vec![s2, c2]]);
        net.heal();
        assert_eq!(net.components(&ids()).len(), 1);
    }

    /// The worked example of docs/scenarios.md ("Partitions"): a second `partition` replaces
    /// the first; `add-partition` adds to it; `heal` restores everything.
    #[test]
    fn a_second_partition_replaces_the_first_and_add_partition_adds_to_it() {
        let (s1, s2, s3) = (NodeId::server(0), NodeId::server(1), NodeId::server(2));
        let at = |at_us, fault| Timed { at_us, fault };
        let schedule = [
            at(
                1_000,
                Fault::Partition {
                    groups: vec![vec![s1, s2], vec![s3]],
                },
            ),
            at(
                2_000,
                Fault::Partition {
                    groups: vec![vec![s1, s3], vec![s2]],
                },
            ),
            at(
                3_000,
                Fault::AddPartition {
                    groups: vec![vec![s1], vec![s3]],
                },
            ),
            at(4_000, Fault::Heal),
        ];
        let both = |a, b| [(a, b), (b, a)];
        let sorted = |mut v: Vec<(NodeId, NodeId)>| {
            v.sort();
            v
        };
        let timeline = cut_timeline(&schedule, 3, 0);
        let times: Vec<u64> = timeline.iter().map(|t| t.0).collect();
        assert_eq!(times, [1_000, 2_000, 3_000, 4_000]);
        assert_eq!(timeline[0].1, sorted([both(s1, s3), both(s2, s3)].concat()));
        assert_eq!(
            timeline[1].1,
            sorted([both(s1, s2), both(s2, s3)].concat()),
            "S1<->S3 works again: the second partition replaced the first"
        );
        assert_eq!(
            timeline[2].1,
            sorted([both(s1, s2), both(s1, s3), both(s2, s3)].concat())
        );
        assert!(timeline[3].1.is_empty());
    }

    #[test]
    fn one_way_cut_blocks_one_direction_only() {
        let mut net = Network::new(2, 0, LinkProfile::default());
        let (a, b) = (NodeId::server(0), NodeId::server(1));
        net.set_cut(a, b, true);
        let mut rng = stream(1, Stream::Network);
        assert_eq!(net.send(a, b, &mut rng), Fate::Cut);
        assert!(matches!(net.send(b, a, &mut rng), Fate::Delivered { .. }));
    }

    /// A plain profile's one-draw path gives what drawing the profile in full gives, and a
    /// profile that draws anything more is not plain.
    #[test]
    fn a_plain_profile_draws_as_in_full() {
        let profile = LinkProfile::default();
        assert_eq!(profile.plain_latency(), Some((500, 2_000)));
        let mut net = Network::new(2, 0, profile.clone());
        let (a, b) = (NodeId::server(0), NodeId::server(1));
        net.set_slow(a, 7);
        let (mut ours, mut full) = (stream(3, Stream::Network), stream(3, Stream::Network));
        for _ in 0..1_000 {
            let first = profile.transit_us(&mut full) + 7;
            assert_eq!(
                net.send(a, b, &mut ours),
                Fate::Delivered { first, copy: None }
            );
        }
        for more in [
            LinkProfile {
                jitter_us: 1,
                ..LinkProfile::default()
            },
            LinkProfile {
                drop: 0.1,
                ..LinkProfile::default()
            },
            LinkProfile {
                duplicate: 0.1,
                ..LinkProfile::default()
            },
            LinkProfile {
                reorder: 0.1,
                ..LinkProfile::default()
            },
            LinkProfile {
                latency: Latency::Constant { us: 5 },
                ..LinkProfile::default()
            },
        ] {
            assert_eq!(more.plain_latency(), None, "{more:?}");
        }
    }

    /// After any sequence of cuts, heals, profile and slowness changes, every link's one-draw
    /// entry gives what the full path gives (same fate, same draws), and a cut or non-plain
    /// link has none.
    #[test]
    fn quick_sends_agree_with_the_full_path() {
        use rand::{Rng, RngCore};
        let all = ids();
        let mut net = Network::new(2, 2, LinkProfile::default());
        let mut pick = stream(5, Stream::Faults);
        let lossy = LinkProfile {
            drop: 0.5,
            ..LinkProfile::default()
        };
        let narrow = LinkProfile {
            latency: Latency::Uniform {
                min_us: 10,
                max_us: 20,
            },
            ..LinkProfile::default()
        };
        for step in 0..400 {
            let (a, b) = (all[pick.gen_range(0..4)], all[pick.gen_range(0..4)]);
            match pick.gen_range(0..7) {
                0 => net.set_cut(a, b, true),
                1 => net.set_cut(a, b, false),
                2 => net.heal(),
                3 => net.set_profile(Some(a), None, lossy.clone(), &all),
                4 => net.set_profile(None, Some(b), narrow.clone(), &all),
                5 => net.set_slow(a, pick.gen_range(0..50)),
                _ => net.reset_profiles(),
            }
            for link in 0..net.quick.len() {
                let (mut ours, mut full) = (stream(step, Stream::Disk), stream(step, Stream::Disk));
                let fate = net.send_on(link, &mut ours);
                assert_eq!(fate, net.send_in_full(link, &mut full), "step {step}");
                assert_eq!(ours.next_u64(), full.next_u64(), "step {step}: draws");
                let cut = net.any_cut && net.blocked[link];
                if cut || net.plain[net.link_profile[link] as usize].is_none() {
                    assert_eq!(net.quick[link], None, "step {step}");
                }
            }
        }
    }

    #[test]
    fn drop_probability_one_drops_everything() {
        let mut net = Network::new(2, 0, LinkProfile::default());
        let all = [NodeId::server(0), NodeId::server(1)];
        let lossy = LinkProfile {
            drop: 1.0,
            ..LinkProfile::default()
        };
        net.set_profile(None, None, lossy, &all);
        let mut rng = stream(1, Stream::Network);
        assert_eq!(net.send(all[0], all[1], &mut rng), Fate::Dropped);
    }

    #[test]
    fn long_tail_stays_within_its_cap() {
        let p = LinkProfile {
            latency: Latency::LongTail {
                min_us: 100,
                mean_tail_us: 5_000,
                max_us: 20_000,
            },
            ..LinkProfile::default()
        };
        let mut rng = stream(3, Stream::Network);
        let draws: Vec<u64> = (0..2_000).map(|_| p.transit_us(&mut rng)).collect();
        assert!(draws.iter().all(|&d| (100..=20_000).contains(&d)));
        assert!(
            draws.iter().any(|&d| d > 10_000),
            "the tail is never reached"
        );
    }
}
