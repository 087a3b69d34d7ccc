//! Watch notifications: each one names a change the write order really made (a false zxid
//! is caught), answers a watch the client set, arrives in zxid order, and arrives before the
//! client gets any reply that reflects the change. A client whose session expired loses its
//! watches (ZooKeeper's documented exception).

use std::collections::BTreeMap;

use super::clients::{describe_call, Index};
use super::history::{Notice, Reply, WatchKind, WatchOn, ZkHistory};
use super::replay::Replayed;
use super::{zxid_label, Found, Guarantee};

/// A watch a client's read set: on `path`, at the zxid the read reflected.
struct Registration<'h> {
    op: usize,
    pos: u64,
    path: &'h str,
    on: WatchOn,
    at_zxid: u64,
    /// The read saw no znode (an `exists` watch then waits for its creation).
    absent: bool,
}

const KINDS: [WatchKind; 4] = [
    WatchKind::NodeCreated,
    WatchKind::NodeDeleted,
    WatchKind::NodeDataChanged,
    WatchKind::NodeChildrenChanged,
];

fn triggers(on: WatchOn, absent: bool, kind: WatchKind) -> bool {
    match on {
        WatchOn::Exists if absent => kind == WatchKind::NodeCreated,
        WatchOn::Exists | WatchOn::Data => {
            matches!(kind, WatchKind::NodeDataChanged | WatchKind::NodeDeleted)
        }
        WatchOn::Children => {
            matches!(
                kind,
                WatchKind::NodeChildrenChanged | WatchKind::NodeDeleted
            )
        }
    }
}

pub(crate) fn check(h: &ZkHistory, ix: &Index, r: &Replayed, out: &mut Found) {
    for (c, ops) in ix.by_client.iter().enumerate() {
        let regs = registrations(h, ix, ops);
        // Without a watch set or a notification heard, there is nothing to check (most
        // histories have no watches): the client's replies are not indexed.
        if regs.is_empty() && !heard_watch(h, ix, c) {
            continue;
        }
        let replies = FirstAtLeast::new(ops.iter().map(|&i| ix.facts[i].reply_zxid.unwrap_or(0)));
        let client = Client { c, regs, replies };
        check_notices(h, ix, r, &client, out);
        check_missed(h, ix, r, &client, out);
    }
}

/// True if client `c` heard some watch notification.
fn heard_watch(h: &ZkHistory, ix: &Index, c: usize) -> bool {
    ix.notices_by_client[c]
        .iter()
        .any(|&n| matches!(h.notices[n].notice, Notice::Watch { .. }))
}

/// One client's watches and replies.
struct Client<'h> {
    c: usize,
    regs: Vec<Registration<'h>>,
    replies: FirstAtLeast,
}

/// "The first position after `p` whose value is at least `z`" in O(log n): a max segment
/// tree over the client's reply zxids by position (0 where no reply came).
struct FirstAtLeast {
    size: usize,
    max: Vec<u64>,
}

impl FirstAtLeast {
    fn new(values: impl Iterator<Item = u64>) -> FirstAtLeast {
        let v: Vec<u64> = values.collect();
        let size = v.len().next_power_of_two().max(1);
        let mut max = vec![0; 2 * size];
        max[size..size + v.len()].copy_from_slice(&v);
        for k in (1..size).rev() {
            max[k] = max[2 * k].max(max[2 * k + 1]);
        }
        FirstAtLeast { size, max }
    }

    /// The first position `> after` (any position when `None`) holding a value `>= z`.
    fn first_after(&self, after: Option<u64>, z: u64) -> Option<u64> {
        let from = after.map_or(0, |p| p as usize + 1);
        self.find(1, 0, self.size, from, z).map(|p| p as u64)
    }

    fn find(&self, node: usize, lo: usize, hi: usize, from: usize, z: u64) -> Option<usize> {
        if hi <= from || self.max[node] < z {
            return None;
        }
        if hi - lo == 1 {
            return Some(lo);
        }
        let mid = (lo + hi) / 2;
        self.find(2 * node, lo, mid, from, z)
            .or_else(|| self.find(2 * node + 1, mid, hi, from, z))
    }
}

fn registrations<'h>(h: &'h ZkHistory, ix: &Index, ops: &[usize]) -> Vec<Registration<'h>> {
    let mut regs = Vec::new();
    for &i in ops {
        // Most operations set no watch: their (large) records are not read.
        if !ix.facts[i].watches {
            continue;
        }
        let op = &h.ops[i];
        let (Some((path, on)), Some(reply)) = (op.op.watch(), op.reply()) else {
            continue;
        };
        let absent = match reply {
            Reply::Stat { stat, .. } => stat.is_none(),
            Reply::Error { .. } => continue, // NoNode sets no watch on data or children
            _ => false,
        };
        regs.push(Registration {
            op: i,
            pos: u64::from(ix.pos[i]),
            path,
            on,
            at_zxid: reply.zxid(),
            absent,
        });
    }
    regs
}

/// Each notice: a real change, a watch that asked for it, zxid order, and no earlier reply
/// (after the watch was set) that already reflected the change.
fn check_notices(h: &ZkHistory, ix: &Index, r: &Replayed, cl: &Client, out: &mut Found) {
    let (c, regs) = (cl.c, &cl.regs);
    let name = &ix.names[c];
    let mut by_path: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (k, g) in regs.iter().enumerate() {
        by_path.entry(g.path).or_default().push(k);
    }
    let mut last: Option<u64> = None;
    let mut used: BTreeMap<usize, ()> = BTreeMap::new();
    for &n in &ix.notices_by_client[c] {
        let notice = &h.notices[n];
        let Notice::Watch { path, kind, zxid } = &notice.notice else {
            continue;
        };
        let (z, at) = (*zxid, notice.at_us);
        let what = format!("{name}'s notification {kind:?} {path} @{}", zxid_label(z));
        if last.is_some_and(|l| z < l) {
            let msg = format!(
                "{what} arrived after one of zxid {}: notifications out of zxid order",
                zxid_label(last.unwrap_or(0))
            );
            out.add(Guarantee::WatchOrder, msg, Vec::new(), at);
        }
        last = Some(last.map_or(z, |l| l.max(z)));
        let real = r
            .changes
            .get(&**path)
            .is_some_and(|v| v.binary_search(&(z, *kind)).is_ok());
        if !real {
            let msg = format!(
                "{what} names a change the write order does not have at that zxid (a false zxid \
                 or a made-up event)"
            );
            out.add(Guarantee::WatchOrder, msg, Vec::new(), at);
            continue;
        }
        let on_path = by_path.get(&**path).map_or(&[][..], |v| v.as_slice());
        let set_before = |g: &Registration| g.pos < notice.ops_ended && g.at_zxid < z;
        let reg = on_path.iter().copied().find(|&k| {
            let g = &regs[k];
            set_before(g) && triggers(g.on, g.absent, *kind) && !used.contains_key(&k)
        });
        let Some(k) = reg else {
            let msg = format!("{what} answers no watch {name} had set (watches are one-shot)");
            out.add(Guarantee::WatchOrder, msg, Vec::new(), at);
            continue;
        };
        let reg = &regs[k];
        for &k2 in on_path {
            if set_before(&regs[k2]) && triggers(regs[k2].on, regs[k2].absent, *kind) {
                used.insert(k2, ());
            }
        }
        let early = cl
            .replies
            .first_after(Some(reg.pos), z)
            .filter(|&p| p < notice.ops_ended)
            .map(|p| ix.by_client[c][p as usize]);
        if let Some(i) = early {
            let msg = format!(
                "{what} arrived after {name}'s {} had already returned at zxid {}: the change \
                 was readable before its notification",
                describe_call(&h.ops[i].op),
                zxid_label(h.ops[i].reply().map_or(0, Reply::zxid))
            );
            out.add(Guarantee::WatchOrder, msg, vec![reg.op, i], at);
        }
    }
}

/// One client's notifications on one path of one kind, in arrival order: when each arrived
/// (operations ended before it) and its zxid, with a search for "the first one from position
/// p on whose zxid is at least z".
#[derive(Default)]
struct Heard {
    ended: Vec<u64>,
    zxids: Vec<u64>,
}

impl Heard {
    /// True if a notification of zxid `z` or later arrived after `after` operations had
    /// ended and no later than `by`.
    fn between(&self, tree: &FirstAtLeast, after: u64, by: u64, z: u64) -> bool {
        let from = self.ended.partition_point(|&e| e <= after) as u64;
        tree.first_after(from.checked_sub(1), z)
            .is_some_and(|k| self.ended[k as usize] <= by)
    }
}

/// A watch whose change the client then read past without any notification of it. The
/// notification that fires the watch may name any change it triggers on from the first one
/// on (a server the client moved to reports the znode's latest change, as ZooKeeper's does
/// on reconnection), but must arrive before any reply that reflects the first.
fn check_missed(h: &ZkHistory, ix: &Index, r: &Replayed, cl: &Client, out: &mut Found) {
    let c = cl.c;
    let name = &ix.names[c];
    // Each (path, kind)'s notifications, and each expiry.
    let mut heard: BTreeMap<(&str, WatchKind), Heard> = BTreeMap::new();
    let mut expiries: Vec<u64> = Vec::new();
    for &n in &ix.notices_by_client[c] {
        let notice = &h.notices[n];
        match &notice.notice {
            Notice::Watch { path, zxid, kind } => {
                let e = heard.entry((&**path, *kind)).or_default();
                e.ended.push(notice.ops_ended);
                e.zxids.push(*zxid);
            }
            Notice::Expired { .. } => expiries.push(notice.ops_ended),
            Notice::Connected { .. } => {}
        }
    }
    let trees: BTreeMap<(&str, WatchKind), FirstAtLeast> = heard
        .iter()
        .map(|(&k, v)| (k, FirstAtLeast::new(v.zxids.iter().copied())))
        .collect();
    for g in &cl.regs {
        let Some(changes) = r.changes.get(g.path) else {
            continue;
        };
        let from = changes.partition_point(|&(z, _)| z <= g.at_zxid);
        let Some(&(z, kind)) = changes[from..]
            .iter()
            .find(|(_, k)| triggers(g.on, g.absent, *k))
        else {
            continue;
        };
        let Some(ended) = cl.replies.first_after(Some(g.pos), z) else {
            continue;
        };
        let i = ix.by_client[c][ended as usize];
        let heard = KINDS.iter().any(|&k| {
            let key = (g.path, k);
            triggers(g.on, g.absent, k)
                && heard
                    .get(&key)
                    .is_some_and(|v| v.between(&trees[&key], g.pos, ended, z))
        });
        let k = expiries.partition_point(|&e| e <= g.pos);
        let expired = expiries.get(k).is_some_and(|&e| e <= ended);
        if heard || expired {
            continue;
        }
        let msg = format!(
            "{name} set a watch on {} ({} at zxid {}), the znode changed ({kind:?} at zxid {}), \
             and {name}'s {} returned at zxid {} without the notification having arrived",
            g.path,
            describe_call(&h.ops[g.op].op),
            zxid_label(g.at_zxid),
            zxid_label(z),
            describe_call(&h.ops[i].op),
            zxid_label(h.ops[i].reply().map_or(0, Reply::zxid))
        );
        out.add(
            Guarantee::WatchOrder,
            msg,
            vec![g.op, i],
            h.ops[i].ret_us.unwrap_or(0),
        );
    }
}
