//! A chain configuration as the manager stores it (one value of its replicated key-value
//! service) and the link every node and client keeps to the manager's replicas.
//!
//! With several shards the manager keeps one chain per shard, each with its own epochs, in one
//! value (a [`Layout`]); a key belongs to the shard [`shard_of`] names.
//!
//! A member is named by node, boot id and the epoch it joined in: a node that restarted (a new
//! boot id) is not the member it was, and a node removed and added again joins afresh (a new
//! joined epoch), so it wipes whatever it held before.
//!
//! A node added to a chain first joins behind the tail (`joining`): the tail sends it what it
//! holds and forwards it every new update, but acknowledges by itself; once the newcomer holds
//! everything, the manager makes it the tail (the hand-off), so the chain keeps serving while
//! the state is transferred.

use super::ShardReport;
use splitbrain_api::{NodeId, Time};
use std::fmt::Write;

/// The key under which the manager keeps the configuration.
pub const CONFIG_KEY: &str = "chain/config";

/// One member of a chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Member {
    pub node: NodeId,
    /// The boot id the node reported when it was added (a restart draws a new one).
    pub boot: u64,
    /// The epoch of the configuration that added it.
    pub joined: u64,
}

/// The chain of one epoch, head first.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    pub epoch: u64,
    pub members: Vec<Member>,
    /// The last member is joining: it catches up behind the tail and is not yet part of the
    /// chain (the one before it is the tail).
    pub joining: bool,
}

impl Config {
    /// `e7;S4/12/1,S5/99/3`: epoch (`e7j`: the last member is joining), then each member as
    /// node/boot/joined.
    pub fn encode(&self) -> String {
        let j = if self.joining { "j" } else { "" };
        let mut out = format!("e{}{j};", self.epoch);
        for (i, m) in self.members.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            write!(out, "{sep}{}/{}/{}", m.node, m.boot, m.joined).expect("writes to a string");
        }
        out
    }

    /// The inverse of [`Config::encode`]; `None` for text it did not write.
    pub fn decode(text: &str) -> Option<Config> {
        let (epoch, rest) = text.strip_prefix('e')?.split_once(';')?;
        let (epoch, joining) = match epoch.strip_suffix('j') {
            Some(e) => (e, true),
            None => (epoch, false),
        };
        let mut members = Vec::new();
        for part in rest.split(',').filter(|p| !p.is_empty()) {
            let mut fields = part.split('/');
            let node = NodeId::parse(fields.next()?)?;
            let boot = fields.next()?.parse().ok()?;
            let joined = fields.next()?.parse().ok()?;
            members.push(Member { node, boot, joined });
        }
        Some(Config {
            epoch: epoch.parse().ok()?,
            members,
            joining,
        })
    }

    pub fn position(&self, node: NodeId) -> Option<usize> {
        self.members.iter().position(|m| m.node == node)
    }

    pub fn member(&self, node: NodeId) -> Option<&Member> {
        self.members.iter().find(|m| m.node == node)
    }

    /// The members that form the chain (the joining one aside), head first.
    pub fn chain(&self) -> &[Member] {
        let n = self.members.len() - usize::from(self.joining).min(self.members.len());
        &self.members[..n]
    }

    /// The member catching up behind the tail, if any.
    pub fn joining_member(&self) -> Option<&Member> {
        self.members.last().filter(|_| self.joining)
    }

    pub fn head(&self) -> Option<NodeId> {
        self.chain().first().map(|m| m.node)
    }

    pub fn tail(&self) -> Option<NodeId> {
        self.chain().last().map(|m| m.node)
    }

    /// The member before `node` (toward the head).
    pub fn predecessor(&self, node: NodeId) -> Option<NodeId> {
        let i = self.position(node)?;
        i.checked_sub(1).map(|p| self.members[p].node)
    }

    /// The member after `node` (toward the tail).
    pub fn successor(&self, node: NodeId) -> Option<NodeId> {
        let i = self.position(node)?;
        self.members.get(i + 1).map(|m| m.node)
    }
}

/// The chains of every shard, as one value of the manager's key-value service (so one read
/// tells a node or client every shard's configuration, and one compare-and-set changes them).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Layout {
    pub shards: Vec<Config>,
}

impl Layout {
    /// Each shard's configuration, separated by `|` (one shard: exactly [`Config::encode`]).
    pub fn encode(&self) -> String {
        let parts: Vec<String> = self.shards.iter().map(Config::encode).collect();
        parts.join("|")
    }

    /// The inverse of [`Layout::encode`]; `None` for text it did not write.
    pub fn decode(text: &str) -> Option<Layout> {
        let shards = text.split('|').map(Config::decode).collect::<Option<_>>()?;
        Some(Layout { shards })
    }
}

/// How a chain node stands in every shard, as the data of its ZooKeeper member znode:
/// `b<boot>` then, per shard, `;<epoch>/<joined or ->/<synced><serving>/<cut-off node or ->`
/// (the ZooKeeper manager reads it where the Raft one reads a report).
pub fn encode_status(boot: u64, shards: &[ShardReport]) -> String {
    let mut out = format!("b{boot}");
    for r in shards {
        let joined = r.joined.map_or("-".to_string(), |j| j.to_string());
        let cut = r.cut_off.map_or("-".to_string(), |n| n.to_string());
        let flags = |b: bool| if b { '1' } else { '0' };
        write!(
            out,
            ";{}/{joined}/{}{}/{cut}",
            r.epoch,
            flags(r.synced),
            flags(r.serving)
        )
        .expect("writes to a string");
    }
    out
}

/// The inverse of [`encode_status`]; `None` for text it did not write.
pub fn decode_status(text: &str) -> Option<(u64, Vec<ShardReport>)> {
    let mut parts = text.split(';');
    let boot = parts.next()?.strip_prefix('b')?.parse().ok()?;
    let mut shards = Vec::new();
    for part in parts {
        let mut f = part.split('/');
        let epoch = f.next()?.parse().ok()?;
        let joined = match f.next()? {
            "-" => None,
            j => Some(j.parse().ok()?),
        };
        let flags = f.next()?.as_bytes();
        let (synced, serving) = (*flags.first()? == b'1', *flags.get(1)? == b'1');
        let cut_off = match f.next()? {
            "-" => None,
            n => Some(NodeId::parse(n)?),
        };
        shards.push(ShardReport {
            epoch,
            synced,
            serving,
            joined,
            cut_off,
        });
    }
    Some((boot, shards))
}

/// The shard of `key` among `shards` (FNV-1a of its bytes): the same on every node and client.
pub fn shard_of(key: &str, shards: usize) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % shards.max(1) as u64) as usize
}

/// How long an unanswered question to one manager replica waits before the next is tried.
const SWITCH_AFTER_US: u64 = 150_000;
/// Questions remembered (their send times give leases their start).
const OUTSTANDING: usize = 8;

/// A node's or client's way to the manager: which replica it believes leads, the questions in
/// flight (a read of the configuration each) and when each was sent.
#[derive(Clone, Debug)]
pub struct ManagerLink {
    managers: Vec<NodeId>,
    target: usize,
    next_seq: u64,
    outstanding: Vec<(u64, Time)>,
}

impl ManagerLink {
    pub fn new(managers: Vec<NodeId>, start: usize) -> ManagerLink {
        assert!(!managers.is_empty(), "a chain needs a manager");
        let target = start % managers.len();
        ManagerLink {
            managers,
            target,
            next_seq: 0,
            outstanding: Vec::new(),
        }
    }

    /// A new question: the replica to ask and the question's id.
    pub fn ask(&mut self, now: Time) -> (NodeId, u64) {
        if self
            .outstanding
            .first()
            .is_some_and(|&(_, at)| now.saturating_sub(at).as_us() > SWITCH_AFTER_US)
        {
            self.target = (self.target + 1) % self.managers.len();
            self.outstanding.clear();
        }
        self.next_seq += 1;
        if self.outstanding.len() == OUTSTANDING {
            self.outstanding.remove(0);
        }
        self.outstanding.push((self.next_seq, now));
        (self.managers[self.target], self.next_seq)
    }

    /// The answer to question `seq` arrived: when it was sent, if it is one of ours. Older
    /// questions are forgotten (their answers can only be older).
    pub fn answered(&mut self, seq: u64) -> Option<Time> {
        let i = self.outstanding.iter().position(|&(s, _)| s == seq)?;
        let sent = self.outstanding[i].1;
        self.outstanding.drain(..=i);
        Some(sent)
    }

    /// The replica asked is not the leader; `hint` names the one it knows of. Returns whether
    /// asking again at once is worth it (a new target was named).
    pub fn redirected(&mut self, from: NodeId, hint: Option<NodeId>) -> bool {
        match hint.and_then(|h| self.managers.iter().position(|&m| m == h)) {
            Some(i) if self.managers[i] != from => {
                self.target = i;
                true
            }
            _ => {
                self.target = (self.target + 1) % self.managers.len();
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configurations_round_trip_through_their_text() {
        let c = Config {
            epoch: 7,
            members: vec![
                Member {
                    node: NodeId::server(3),
                    boot: 12,
                    joined: 1,
                },
                Member {
                    node: NodeId::server(5),
                    boot: u64::MAX,
                    joined: 7,
                },
            ],
            joining: false,
        };
        assert_eq!(c.encode(), format!("e7;S4/12/1,S6/{}/7", u64::MAX));
        let mut j = c.clone();
        j.joining = true;
        assert_eq!(Config::decode(&j.encode()), Some(j.clone()));
        assert_eq!(
            j.tail(),
            Some(NodeId::server(3)),
            "the joining member is not the tail"
        );
        assert_eq!(j.successor(NodeId::server(3)), Some(NodeId::server(5)));
        assert_eq!(Config::decode(&c.encode()), Some(c.clone()));
        assert_eq!(c.predecessor(NodeId::server(5)), Some(NodeId::server(3)));
        assert_eq!(c.successor(NodeId::server(5)), None);
        assert_eq!(Config::decode("garbage"), None);
        let two = Layout {
            shards: vec![
                c.clone(),
                Config {
                    epoch: 1,
                    members: vec![],
                    joining: false,
                },
            ],
        };
        assert_eq!(Layout::decode(&two.encode()), Some(two));
        assert_eq!(Layout::decode(&c.encode()).map(|l| l.shards), Some(vec![c]));
    }

    #[test]
    fn a_status_round_trips_through_its_znode_data() {
        let shards = vec![
            ShardReport {
                epoch: 7,
                synced: true,
                serving: false,
                joined: Some(3),
                cut_off: Some(NodeId::server(4)),
            },
            ShardReport {
                epoch: 0,
                synced: false,
                serving: true,
                joined: None,
                cut_off: None,
            },
        ];
        let text = encode_status(u64::MAX, &shards);
        assert_eq!(text, format!("b{};7/3/10/S5;0/-/01/-", u64::MAX));
        assert_eq!(decode_status(&text), Some((u64::MAX, shards)));
        assert_eq!(decode_status("b1;7/x/10/-"), None);
    }

    #[test]
    fn keys_spread_over_shards_the_same_way_everywhere() {
        let of = |k: &str| shard_of(k, 3);
        let shards: Vec<usize> = (0..8).map(|k| of(&format!("k{k}"))).collect();
        assert_eq!(shards, [1, 2, 2, 0, 2, 0, 0, 1]);
        assert_eq!(shard_of("anything", 1), 0);
    }

    #[test]
    fn an_unanswered_manager_is_given_up_for_the_next() {
        let managers = vec![NodeId::server(0), NodeId::server(1)];
        let mut link = ManagerLink::new(managers, 0);
        let (to, first) = link.ask(Time(0));
        assert_eq!(to, NodeId::server(0));
        let (to, _) = link.ask(Time(200_000));
        assert_eq!(to, NodeId::server(1), "no answer for 200 ms");
        assert_eq!(link.answered(first), None, "forgotten with the switch");
    }
}
