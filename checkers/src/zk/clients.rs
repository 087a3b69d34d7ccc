//! Per-client guarantees: FIFO client order, reads that include the client's own writes and
//! never go back, and `sync` followed by a read. Also the index of clients, their operations
//! in order and the session each operation ran in, which the other checks share.

use std::collections::BTreeSet;

use super::cursor::Cursor;
use super::history::{Call, Notice, Reply, Step, ZkHistory, ZkOp};
use super::replay::Replayed;
use super::tree::Owner;
use super::{zxid_label, Found, Guarantee};

/// Clients, their operations and notices in order, and each operation's session.
pub(crate) struct Index<'h> {
    pub names: Vec<&'h str>,
    /// Per operation: its client.
    pub client_of: Vec<u32>,
    /// Per operation: what the passes over every operation read of it ([`Facts`]).
    pub facts: Vec<Facts>,
    /// Per operation: its position among its client's operations.
    pub pos: Vec<u32>,
    /// Per client: its operations (indices into `ops`), in order.
    pub by_client: Vec<Vec<usize>>,
    /// Per client: its notices (indices into `notices`), in arrival order.
    pub notices_by_client: Vec<Vec<usize>>,
    /// Per operation: the session its client had (an ephemeral znode's owner).
    pub owner: Vec<Owner>,
    /// The steps of every write, one after another (built once; the replay asks for them
    /// often), and per operation where its steps start and end (`None` for a read or sync).
    steps: Vec<Step<'h>>,
    steps_of: Vec<Option<(u32, u32)>>,
    /// Sessions whose client was told they expired: by id, and per client how many.
    expired_ids: BTreeSet<u64>,
    expiries: Vec<u32>,
}

impl<'h> Index<'h> {
    pub fn new(h: &'h ZkHistory) -> Index<'h> {
        let mut names = Names::default();
        let client_of: Vec<u32> = h.ops.iter().map(|o| names.id(&o.client)).collect();
        let facts = h.ops.iter().map(Facts::of).collect();
        let mut steps = Vec::with_capacity(h.ops.len());
        let steps_of = h
            .ops
            .iter()
            .map(|o| {
                let from = steps.len() as u32;
                // Tested first: reads (half the operations) skip the call.
                let write = o.op.is_write() && o.op.push_steps(&mut steps);
                write.then_some((from, steps.len() as u32))
            })
            .collect();
        let notice_client: Vec<u32> = h.notices.iter().map(|n| names.id(&n.client)).collect();
        let names = names.list;
        let mut by_client = vec![Vec::new(); names.len()];
        let mut pos = Vec::with_capacity(h.ops.len());
        for (i, &c) in client_of.iter().enumerate() {
            pos.push(by_client[c as usize].len() as u32);
            by_client[c as usize].push(i);
        }
        let mut notices_by_client = vec![Vec::new(); names.len()];
        for (i, &c) in notice_client.iter().enumerate() {
            notices_by_client[c as usize].push(i);
        }
        let owner = owners(h, &client_of, &by_client, &notices_by_client);
        let mut expired_ids = BTreeSet::new();
        let mut expiries = vec![0; names.len()];
        for (n, &c) in h.notices.iter().zip(&notice_client) {
            if let Notice::Expired { session } = n.notice {
                expired_ids.insert(session);
                expiries[c as usize] += 1;
            }
        }
        Index {
            names,
            client_of,
            facts,
            pos,
            by_client,
            notices_by_client,
            owner,
            steps,
            steps_of,
            expired_ids,
            expiries,
        }
    }

    /// The steps of operation `op` if it is a write (`Call::steps`).
    pub fn steps(&self, op: usize) -> Option<&[Step<'h>]> {
        let (from, to) = self.steps_of[op]?;
        Some(&self.steps[from as usize..to as usize])
    }

    /// True if the client of session `o` was told, at some point, that it expired.
    pub fn expired(&self, o: Owner) -> bool {
        match o {
            Owner::Session(s) => self.expired_ids.contains(&s),
            Owner::ClientSession { client, life } => self.expiries[client as usize] > life,
        }
    }

    pub fn name(&self, op: usize) -> &'h str {
        self.names[self.client_of[op] as usize]
    }
}

/// What the passes over every operation (real time, FIFO order, sync, watches, the
/// replay's bounds) read of it, packed: an operation of the history is some 200 bytes (call,
/// reply, stat, strings), and thousands of them do not stay in the cache from one pass to
/// the next, where these 48 bytes each do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Facts {
    pub call_us: u64,
    pub ret_us: Option<u64>,
    /// The zxid of the operation's reply, if it returned one ([`ZkOp::reply`]).
    pub reply_zxid: Option<u64>,
    pub kind: Kind,
    /// A sync answered `synced`.
    pub synced: bool,
    /// The call sets a watch ([`Call::watch`]).
    pub watches: bool,
}

/// What kind of call an operation made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Read,
    Write,
    Sync,
}

impl Facts {
    fn of(o: &ZkOp) -> Facts {
        let reply = o.reply();
        // One match for what `Call::is_write` and `Call::watch` tell.
        let (kind, watches) = match o.op {
            Call::Create { .. }
            | Call::Delete { .. }
            | Call::SetData { .. }
            | Call::Multi { .. } => (Kind::Write, false),
            Call::Exists { watch, .. }
            | Call::GetData { watch, .. }
            | Call::GetChildren { watch, .. } => (Kind::Read, watch),
            Call::Sync { .. } => (Kind::Sync, false),
        };
        Facts {
            call_us: o.call_us,
            ret_us: o.ret_us,
            reply_zxid: reply.map(Reply::zxid),
            kind,
            synced: kind == Kind::Sync && matches!(reply, Some(Reply::Synced { .. })),
            watches,
        }
    }
}

/// Client names to dense ids, in order of first appearance. A history has a handful of
/// clients, so the list is searched rather than kept in a map: first by address (a history
/// handed over in memory lends every operation its client's one string), then by text.
#[derive(Default)]
struct Names<'h> {
    list: Vec<&'h str>,
}

impl<'h> Names<'h> {
    fn id(&mut self, name: &'h str) -> u32 {
        let same_string = |n: &&str| n.as_ptr() == name.as_ptr() && n.len() == name.len();
        let found = self.list.iter().position(same_string);
        match found.or_else(|| self.list.iter().position(|n| *n == name)) {
            Some(i) => i as u32,
            None => {
                self.list.push(name);
                (self.list.len() - 1) as u32
            }
        }
    }
}

/// The session of each operation: the last `connected` notice that arrived before the
/// operation ended names it; without one, the client's n-th session (counting expiries).
/// Each client's operations and notices are walked once, side by side: the notices that
/// arrived before an operation ended arrived before each later one ended too.
fn owners(
    h: &ZkHistory,
    client_of: &[u32],
    by_client: &[Vec<usize>],
    notices_by_client: &[Vec<usize>],
) -> Vec<Owner> {
    let mut owner_of = vec![Owner::Session(0); client_of.len()];
    for (c, (ops, notices)) in by_client.iter().zip(notices_by_client).enumerate() {
        let c = c as u32;
        let mut owner = Owner::ClientSession { client: c, life: 0 };
        let mut life = 0;
        let mut heard = notices.iter().map(|&n| &h.notices[n]).peekable();
        for (pos, &i) in ops.iter().enumerate() {
            while let Some(notice) = heard.next_if(|n| n.ops_ended <= pos as u64) {
                match notice.notice {
                    Notice::Connected { session } => owner = Owner::Session(session),
                    Notice::Expired { .. } => {
                        life += 1;
                        owner = Owner::ClientSession { client: c, life };
                    }
                    Notice::Watch { .. } => {}
                }
            }
            owner_of[i] = owner;
        }
    }
    owner_of
}

/// FIFO order, own writes, never going back and sync, client by client.
pub(crate) fn check(h: &ZkHistory, ix: &Index, r: &Replayed, out: &mut Found) {
    for ops in &ix.by_client {
        check_client(h, ix, r, ops, out);
    }
}

/// Where the client's view stood: the highest zxid it saw and whether its own write set it.
#[derive(Clone, Copy, Default)]
struct Seen {
    zxid: u64,
    op: Option<usize>,
    own_write: bool,
}

fn check_client(h: &ZkHistory, ix: &Index, r: &Replayed, ops: &[usize], out: &mut Found) {
    let mut seen = Seen::default();
    let mut sync_bound: Option<(u64, usize)> = None;
    let mut cursor = Cursor::default();
    for &i in ops {
        let f = &ix.facts[i];
        let Some(z) = f.reply_zxid else { continue };
        let op = &h.ops[i];
        let at = f.ret_us.unwrap_or(f.call_us);
        let name = ix.name(i);
        let is_write = r.write_zxid[i].is_some();
        let prev = seen.op.unwrap_or(i);
        if is_write && seen.op.is_some() && z <= seen.zxid {
            let msg = format!(
                "{name}'s write {} took zxid {} although {name} had already seen {} (op {prev}): \
                 its operations did not take effect in the order it issued them",
                describe_call(&op.op),
                zxid_label(z),
                zxid_label(seen.zxid)
            );
            out.add(Guarantee::ClientFifoOrder, msg, vec![prev, i], at);
        } else if !is_write && z < seen.zxid {
            let (g, why) = if seen.own_write {
                (
                    Guarantee::ReadIncludesOwnWrites,
                    "misses its own earlier write",
                )
            } else {
                (
                    Guarantee::ReadNeverGoesBack,
                    "goes back behind what it had already seen",
                )
            };
            let msg = format!(
                "{name}'s {} reflects zxid {} but {name} had seen {} (op {prev}): the read {why}",
                describe_call(&op.op),
                zxid_label(z),
                zxid_label(seen.zxid)
            );
            out.add(g, msg, vec![prev, i], at);
        }
        if let Some((bound, s)) = sync_bound {
            if f.kind != Kind::Sync && z < bound {
                let msg = format!(
                    "{name}'s {} after its sync (op {s}) reflects zxid {} but a write with zxid {} \
                     had completed before the sync began",
                    describe_call(&op.op),
                    zxid_label(z),
                    zxid_label(bound)
                );
                out.add(Guarantee::SyncThenRead, msg, vec![s, i], at);
                sync_bound = None;
            }
        }
        if f.synced {
            if let Some(bound) = r.completed_before(f.call_us, &mut cursor) {
                sync_bound = Some((bound.max(sync_bound.map_or(0, |b| b.0)), i));
            }
        }
        if z >= seen.zxid {
            seen = Seen {
                zxid: z,
                op: Some(i),
                own_write: is_write,
            };
        }
    }
}

/// A call in a few words for messages.
pub(crate) fn describe_call(call: &Call) -> String {
    match call {
        Call::Create { path, .. } => format!("create {path}"),
        Call::Delete { path, .. } => format!("delete {path}"),
        Call::Exists { path, .. } => format!("exists {path}"),
        Call::GetData { path, .. } => format!("get-data {path}"),
        Call::SetData { path, data, .. } => format!("set-data {path}={data}"),
        Call::GetChildren { path, .. } => format!("get-children {path}"),
        Call::Sync { path } => format!("sync {path}"),
        Call::Multi { ops } => format!("multi of {} steps", ops.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zk::read_zk_history;

    /// Each operation's facts are what reading the operation itself gives: every kind of
    /// call, with a reply, an error, a failure, no outcome, a sync answered or not, a watch.
    #[test]
    fn facts_say_what_the_operations_say() {
        let ops = [
            r#"{"client": "a", "call_us": 1, "ret_us": 2, "status": "ok", "op": {"f": "create", "path": "/x", "data": "d", "mode": "persistent"}, "out": {"r": "created", "path": "/x", "zxid": 5}}"#,
            r#"{"client": "b", "call_us": 3, "ret_us": 4, "status": "ok", "op": {"f": "delete", "path": "/y", "version": null}, "out": {"r": "error", "error": "NoNode", "zxid": 6}}"#,
            r#"{"client": "a", "call_us": 5, "ret_us": 9, "status": "fail", "op": {"f": "set-data", "path": "/x", "data": "e", "version": 1}, "out": null}"#,
            r#"{"client": "b", "call_us": 6, "ret_us": null, "status": "indeterminate", "op": {"f": "multi", "ops": [{"f": "check", "path": "/x", "version": 0}]}, "out": null}"#,
            r#"{"client": "a", "call_us": 7, "ret_us": 8, "status": "ok", "op": {"f": "get-data", "path": "/x", "watch": true}, "out": {"r": "error", "error": "NoNode", "zxid": 7}}"#,
            r#"{"client": "a", "call_us": 8, "ret_us": 9, "status": "ok", "op": {"f": "exists", "path": "/x", "watch": false}, "out": {"r": "stat", "stat": null, "zxid": 7}}"#,
            r#"{"client": "c", "call_us": 8, "ret_us": 10, "status": "ok", "op": {"f": "get-children", "path": "/", "watch": true}, "out": {"r": "children", "children": ["x"], "stat": {"czxid": 0, "mzxid": 0, "pzxid": 5, "version": 0, "cversion": 1, "ephemeral_owner": null}, "zxid": 8}}"#,
            r#"{"client": "c", "call_us": 11, "ret_us": 12, "status": "ok", "op": {"f": "sync", "path": "/"}, "out": {"r": "synced", "zxid": 9}}"#,
            r#"{"client": "c", "call_us": 13, "ret_us": 14, "status": "ok", "op": {"f": "sync", "path": "/"}, "out": {"r": "error", "error": "NoNode", "zxid": 9}}"#,
            r#"{"client": "b", "call_us": 15, "ret_us": null, "status": "indeterminate", "op": {"f": "sync", "path": "/"}, "out": null}"#,
        ];
        let text = format!(
            r#"{{"schema_version": 2, "model": "zookeeper", "ops": [{}]}}"#,
            ops.join(",")
        );
        let h = read_zk_history(&text, "h.json").expect("a valid history");
        let ix = Index::new(&h);
        assert_eq!(ix.facts.len(), h.ops.len());
        for (o, f) in h.ops.iter().zip(&ix.facts) {
            assert_eq!((f.call_us, f.ret_us), (o.call_us, o.ret_us));
            assert_eq!(f.reply_zxid, o.reply().map(Reply::zxid), "{o:?}");
            let kind = match o.op {
                Call::Sync { .. } => Kind::Sync,
                _ if o.op.is_write() => Kind::Write,
                _ => Kind::Read,
            };
            assert_eq!(f.kind, kind, "{o:?}");
            let synced = matches!(
                (&o.op, o.reply()),
                (Call::Sync { .. }, Some(Reply::Synced { .. }))
            );
            assert_eq!(f.synced, synced, "{o:?}");
            assert_eq!(f.watches, o.op.watch().is_some(), "{o:?}");
        }
        let kinds: Vec<Kind> = ix.facts.iter().map(|f| f.kind).collect();
        assert_eq!(kinds[..2], [Kind::Write, Kind::Write]);
        assert_eq!(ix.facts.iter().filter(|f| f.synced).count(), 1);
        assert_eq!(ix.facts.iter().filter(|f| f.watches).count(), 2);
        assert_eq!(
            ix.facts.iter().filter(|f| f.reply_zxid.is_some()).count(),
            7
        );
    }
}
