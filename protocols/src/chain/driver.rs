//! The configuration manager's decisions, shared by both backends (the Raft-replicated
//! manager, `manager`, and the ZooKeeper one, `zk_node`): given how each chain node last
//! stood (its boot id and, per shard, its epoch, membership, whether it holds everything and
//! whether its successor went silent), the layout that should follow the current one. Only
//! the manager that acts (the Raft leader's replica; the chain node ZooKeeper names manager)
//! decides, and it installs the result by a conditional write (Raft compare-and-set, ZooKeeper
//! set-data with the version read), so each shard's configurations form one sequence of epochs
//! whoever decides.
//!
//! It places the chains: shard `s` starts with the nodes turned by `s` (each node heads one
//! chain and ends another), and a node that comes back joins the end.

use super::config::{Config, Layout, Member};
use super::{ChainBug, ChainConfig, ShardReport, FAIL_AFTER};
use splitbrain_api::{NodeId, Time};
use std::collections::BTreeMap;

/// What the driver last heard from a chain node: when, its boot id, and how it stood in each
/// shard's chain (the epoch it was in, the one it joined in, synced, successor cut off).
#[derive(Clone, Debug)]
pub(super) struct Heard {
    pub(super) at: Time,
    pub(super) boot: u64,
    pub(super) shards: Vec<ShardReport>,
}

/// Decides configurations while its manager acts (the Raft leader's replica, or the chain node
/// ZooKeeper names manager).
#[derive(Debug)]
pub(super) struct Driver {
    nodes: Vec<NodeId>,
    bug: ChainBug,
    reachability: bool,
    heard: BTreeMap<NodeId, Heard>,
    /// Since when this manager acts (`None`: it does not); reports older than this are not
    /// its own view of the chain.
    pub(super) leader_since: Option<Time>,
    shards: usize,
    /// Nodes dropped from a shard's chain for being cut off from their predecessor, and when:
    /// not added back for a while, so a lasting partial partition does not make it churn.
    bypassed: BTreeMap<(usize, NodeId), Time>,
}

impl Driver {
    pub(super) fn new(nodes: Vec<NodeId>, cfg: ChainConfig) -> Driver {
        Driver {
            nodes,
            bug: cfg.bug,
            reachability: cfg.reachability,
            heard: BTreeMap::new(),
            leader_since: None,
            shards: cfg.shards.max(1),
            bypassed: BTreeMap::new(),
        }
    }

    pub(super) fn note(&mut self, node: NodeId, heard: Heard) {
        self.heard.insert(node, heard);
    }

    /// Everything known of the nodes is `heard` (the ZooKeeper manager's listing of the
    /// members' znodes: a node without one is not heard from at all).
    pub(super) fn heard_only(&mut self, heard: BTreeMap<NodeId, Heard>) {
        self.heard = heard;
    }

    /// How `node` last stood in `shard`'s chain.
    fn report_of(&self, shard: usize, node: NodeId) -> Option<(&Heard, &ShardReport)> {
        let h = self.heard.get(&node)?;
        Some((h, h.shards.get(shard)?))
    }

    /// The member of `shard`'s chain reported holding everything its predecessor held, in
    /// this life and this membership (a report of an earlier membership vouches for a history
    /// since wiped).
    fn synced(&self, shard: usize, m: &Member) -> bool {
        self.report_of(shard, m.node)
            .is_some_and(|(h, r)| h.boot == m.boot && r.joined == Some(m.joined) && r.synced)
    }

    /// The successor `m` reports cut off in `shard`'s chain, if it reported so in the current
    /// configuration (an older report names a successor of another chain) since this replica
    /// leads.
    fn cut_off_by(&self, shard: usize, m: &Member, cur: &Config, since: Time) -> Option<NodeId> {
        let (h, r) = self.report_of(shard, m.node)?;
        let cut = r
            .cut_off
            .filter(|_| h.at >= since && r.epoch == cur.epoch)?;
        (cur.successor(m.node) == Some(cut)).then_some(cut)
    }

    /// Heard from `node` recently, since this replica leads: its boot id.
    fn alive(&self, node: NodeId, now: Time) -> Option<u64> {
        let since = self.leader_since?;
        self.heard
            .get(&node)
            .filter(|h| h.at >= since && now.saturating_sub(h.at) <= FAIL_AFTER)
            .map(|h| h.boot)
    }

    /// The layout that should follow `cur` (`None`: keep it), and whether it bypasses a node.
    pub(super) fn next_layout(
        &mut self,
        cur: Option<&Layout>,
        now: Time,
    ) -> Option<(Layout, bool)> {
        let Some(cur) = cur else {
            return self.first_layout(now).map(|l| (l, false));
        };
        if self.bug == ChainBug::SelfReconfigure {
            return None; // C01: the nodes reconfigure themselves; the manager never does.
        }
        assert_eq!(
            cur.shards.len(),
            self.shards,
            "the manager stores one chain per shard"
        );
        let mut next = cur.clone();
        let mut bypass = false;
        for (shard, config) in next.shards.iter_mut().enumerate() {
            if let Some((c, b)) = self.next_config(shard, config, now) {
                *config = c;
                bypass |= b;
            }
        }
        (next != *cur).then_some((next, bypass))
    }

    /// The first layout: every node in every shard's chain, once all reported or a while
    /// passed; shard `s`'s chain is the nodes turned by `s`, so roles rotate among shards.
    fn first_layout(&self, now: Time) -> Option<Layout> {
        let since = self.leader_since?;
        let up: Vec<Member> = self
            .nodes
            .iter()
            .filter_map(|&node| {
                let boot = self.alive(node, now)?;
                Some(Member {
                    node,
                    boot,
                    joined: 1,
                })
            })
            .collect();
        let waited = now.saturating_sub(since) >= FAIL_AFTER;
        if up.is_empty() || (up.len() < self.nodes.len() && !waited) {
            return None;
        }
        let shards = (0..self.shards)
            .map(|s| {
                let mut members = up.clone();
                members.rotate_left(s % up.len());
                Config {
                    epoch: 1,
                    members,
                    joining: false,
                }
            })
            .collect();
        Some(Layout { shards })
    }

    /// The configuration that should follow `cur` in `shard`'s chain (`None`: keep it).
    fn next_config(&mut self, shard: usize, cur: &Config, now: Time) -> Option<(Config, bool)> {
        let since = self.leader_since?;
        let epoch = cur.epoch + 1;
        // A restarted member lost what it held: it goes. A silent one goes too, unless that
        // would leave fewer than two members known to hold everything (it may only be cut off
        // from the manager, and a crash of the last copy would lose acknowledged writes).
        let alive: Vec<Member> = cur
            .chain()
            .iter()
            .filter(|m| !self.restarted(m, since))
            .copied()
            .collect();
        let heard: Vec<Member> = alive
            .iter()
            .filter(|m| self.recent(m, since, now))
            .copied()
            .collect();
        let joining = cur
            .joining_member()
            .filter(|j| !self.restarted(j, since) && self.recent(j, since, now))
            .copied();
        // A member that reports its successor cut off while the manager hears both: the
        // successor is bypassed (it holds a prefix of what its predecessor holds).
        let cut: Vec<NodeId> = heard
            .iter()
            .filter_map(|m| self.cut_off_by(shard, m, cur, since))
            .filter(|s| {
                let listened = heard.iter().chain(&joining).any(|m| m.node == *s);
                self.reachability && listened
            })
            .collect();
        let reachable: Vec<Member> = heard
            .iter()
            .filter(|m| !cut.contains(&m.node))
            .copied()
            .collect();
        let copies = |ms: &[Member]| ms.iter().filter(|m| self.synced(shard, m)).count();
        let need = copies(&alive).min(2);
        let bypass = copies(&reachable) >= need && reachable.len() < heard.len();
        let mut members = if bypass {
            reachable
        } else if copies(&heard) >= need {
            heard
        } else {
            alive
        };
        if bypass {
            for &n in &cut {
                self.bypassed.insert((shard, n), now);
            }
        }
        if let Some(j) = joining.filter(|j| cut.contains(&j.node)) {
            self.bypassed.insert((shard, j.node), now);
        }
        let joining = joining.filter(|j| !cut.contains(&j.node));
        if !members.first().is_some_and(|m| self.synced(shard, m)) {
            // The new head would not hold every acknowledged update (a node still catching
            // up, or nobody): wait for a member that does to be heard again.
            return None;
        }
        let joining = match joining {
            Some(j) if members == cur.chain() && self.ready_for_handoff(shard, &j, cur, since) => {
                // The hand-off: the node caught up behind a serving tail becomes the tail.
                let members = cur.members.clone();
                let next = Config {
                    epoch,
                    members,
                    joining: false,
                };
                return Some((next, bypass));
            }
            Some(j) => Some(j),
            None => self.newcomer(shard, &members, epoch, now),
        };
        let joins = joining.is_some();
        members.extend(joining);
        let next = Config {
            epoch,
            members,
            joining: joins,
        };
        (next.members != cur.members || joins != cur.joining).then_some((next, bypass))
    }

    /// A node to join `shard`'s chain behind its tail: the first one heard from that is not a
    /// member (nor bypassed a moment ago). One joins at a time.
    fn newcomer(&self, shard: usize, members: &[Member], epoch: u64, now: Time) -> Option<Member> {
        self.nodes.iter().find_map(|&node| {
            let cooling = self
                .bypassed
                .get(&(shard, node))
                .is_some_and(|&at| now.saturating_sub(at) < FAIL_AFTER + FAIL_AFTER);
            if cooling || members.iter().any(|m| m.node == node) {
                return None;
            }
            let boot = self.alive(node, now)?;
            Some(Member {
                node,
                boot,
                joined: epoch,
            })
        })
    }

    /// The joining member `j` caught up in this epoch, and the tail it joined behind said,
    /// in this epoch, that it acknowledges (past its own wait): the tail's role may pass on.
    fn ready_for_handoff(&self, shard: usize, j: &Member, cur: &Config, since: Time) -> bool {
        let in_epoch = |m: &Member| {
            self.report_of(shard, m.node).filter(|(h, r)| {
                h.at >= since
                    && h.boot == m.boot
                    && r.joined == Some(m.joined)
                    && r.epoch == cur.epoch
            })
        };
        let tail = cur.chain().last();
        in_epoch(j).is_some_and(|(_, r)| r.synced)
            && tail.and_then(in_epoch).is_some_and(|(_, r)| r.serving)
    }

    /// The member's node reported a new boot id since this replica leads: it restarted.
    fn restarted(&self, m: &Member, since: Time) -> bool {
        self.heard
            .get(&m.node)
            .is_some_and(|h| h.boot != m.boot && h.at >= since)
    }

    /// Heard from the member within `FAIL_AFTER` (counting from when this replica leads).
    fn recent(&self, m: &Member, since: Time, now: Time) -> bool {
        let last = self.heard.get(&m.node).map_or(since, |h| h.at.max(since));
        now.saturating_sub(last) <= FAIL_AFTER
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ReadPath;

    fn member(node: usize, boot: u64, joined: u64) -> Member {
        Member {
            node: NodeId::server(node),
            boot,
            joined,
        }
    }

    fn heard(at: Time, boot: u64, epoch: u64, joined: u64, cut_off: Option<usize>) -> Heard {
        let shard = ShardReport {
            epoch,
            joined: Some(joined),
            synced: true,
            cut_off: cut_off.map(NodeId::server),
            serving: false,
        };
        Heard {
            at,
            boot,
            shards: vec![shard],
        }
    }

    /// Three shards over three nodes: each node heads one chain, is the middle of another and
    /// ends the third, all in epoch 1.
    #[test]
    fn the_first_layout_rotates_roles_among_shards() {
        let mut cfg = ChainConfig::new(ChainBug::None, ReadPath::Tail, 3);
        cfg.shards = 3;
        let nodes: Vec<NodeId> = (3..6).map(NodeId::server).collect();
        let mut d = Driver::new(nodes.clone(), cfg);
        let now = Time(100_000);
        d.leader_since = Some(Time(0));
        for (i, &n) in nodes.iter().enumerate() {
            let mut h = heard(now, i as u64, 0, 0, None);
            h.shards = vec![h.shards[0].clone(); 3];
            d.note(n, h);
        }
        let (layout, _) = d.next_layout(None, now).expect("everyone reported");
        let heads: Vec<_> = layout.shards.iter().map(|c| c.head()).collect();
        let tails: Vec<_> = layout.shards.iter().map(|c| c.tail()).collect();
        let s = |i| Some(NodeId::server(i));
        assert_eq!(heads, [s(3), s(4), s(5)]);
        assert_eq!(tails, [s(5), s(3), s(4)]);
        assert!(layout.shards.iter().all(|c| c.epoch == 1));
    }

    /// A node joins behind the tail; the tail's role passes to it only once it caught up in
    /// this epoch and the tail said, in this epoch, that it acknowledges.
    #[test]
    fn a_joining_node_becomes_the_tail_only_behind_a_serving_tail() {
        let cfg = ChainConfig::new(ChainBug::None, ReadPath::Tail, 3);
        let nodes: Vec<NodeId> = (3..6).map(NodeId::server).collect();
        let mut d = Driver::new(nodes, cfg);
        let now = Time(2_000_000);
        d.leader_since = Some(Time(1_000_000));
        let cur = Config {
            epoch: 4,
            members: vec![member(3, 44, 1), member(4, 55, 1), member(5, 66, 4)],
            joining: true,
        };
        d.note(NodeId::server(3), heard(now, 44, 4, 1, None));
        let mut tail = heard(now, 55, 4, 1, None);
        d.note(NodeId::server(4), tail.clone());
        let mut newcomer = heard(now, 66, 4, 4, None);
        newcomer.shards[0].synced = false;
        d.note(NodeId::server(5), newcomer.clone());
        assert_eq!(d.next_config(0, &cur, now), None, "still catching up");
        newcomer.shards[0].synced = true;
        d.note(NodeId::server(5), newcomer);
        assert_eq!(
            d.next_config(0, &cur, now),
            None,
            "the tail is still waiting"
        );
        tail.shards[0].serving = true;
        d.note(NodeId::server(4), tail);
        let (next, _) = d.next_config(0, &cur, now).expect("the hand-off");
        assert_eq!(next.members, cur.members);
        assert!(!next.joining);
        assert_eq!(next.tail(), Some(NodeId::server(5)));
    }

    /// chain-swarm seed 4541 (before the fix): S6 was head of epoch 2 and, cut off from the
    /// manager, last reported in epoch 2, synced and its successor S4 cut off. The manager
    /// had since removed S6 and added it back (joined 4, holding nothing yet) behind the head
    /// S4. Read with that stale report, S4 looked cut off from a synced predecessor: the
    /// manager bypassed the head and made the empty S6 head of epoch 7.
    #[test]
    fn a_report_of_an_earlier_membership_neither_vouches_for_a_copy_nor_cuts_a_link() {
        let cfg = ChainConfig::new(ChainBug::None, ReadPath::Tail, 3);
        let nodes: Vec<NodeId> = (3..6).map(NodeId::server).collect();
        let mut d = Driver::new(nodes, cfg);
        let now = Time(4_654_000);
        d.leader_since = Some(Time(2_922_000));
        let cur = Config {
            epoch: 6,
            members: vec![member(3, 44, 2), member(5, 66, 4), member(4, 55, 6)],
            joining: false,
        };
        d.note(NodeId::server(3), heard(now, 44, 6, 2, None));
        d.note(NodeId::server(5), heard(Time(4_450_000), 66, 2, 1, Some(3)));
        let mut s5 = heard(now, 55, 6, 6, None);
        s5.shards[0].synced = false;
        d.note(NodeId::server(4), s5);
        assert!(
            !d.synced(0, &cur.members[1]),
            "S6 vouched for its earlier life"
        );
        let next = d.next_config(0, &cur, now);
        assert!(
            next.as_ref()
                .is_none_or(|(c, _)| c.head() == Some(NodeId::server(3))),
            "the head holding every update was replaced: {next:?}"
        );
        // The same report, made in the current epoch by S4's predecessor, does cut the link.
        let cur = Config {
            epoch: 6,
            members: vec![member(5, 66, 4), member(3, 44, 2), member(4, 55, 6)],
            joining: false,
        };
        d.note(NodeId::server(5), heard(now, 66, 6, 4, Some(3)));
        d.note(NodeId::server(3), heard(now, 44, 6, 2, Some(4)));
        assert_eq!(
            d.cut_off_by(0, &cur.members[0], &cur, Time(0)),
            Some(NodeId::server(3))
        );
        assert_eq!(
            d.cut_off_by(0, &cur.members[1], &cur, Time(0)),
            Some(NodeId::server(4))
        );
    }
}
