//! Real time against the zxids: a write that completed before another was called has the
//! smaller zxid (writes are linearizable), and no reply reflects a write that was called only
//! after the reply came back (a zxid too high is a false witness).

use super::clients::{describe_call, Index, Kind};
use super::cursor::Cursor;
use super::history::ZkHistory;
use super::replay::Replayed;
use super::{zxid_label, Found, Guarantee};

pub(crate) fn check(h: &ZkHistory, ix: &Index, r: &Replayed, out: &mut Found) {
    writes_respect_real_time(h, ix, r, out);
    replies_reflect_only_issued_writes(h, ix, r, out);
}

/// Every write request (a failed one too: it is decided in the write order) sits after every
/// write that completed before it was called.
fn writes_respect_real_time(h: &ZkHistory, ix: &Index, r: &Replayed, out: &mut Found) {
    let mut cursors = vec![Cursor::default(); ix.names.len()];
    for (i, f) in ix.facts.iter().enumerate() {
        let Some(z) = f.reply_zxid else { continue };
        if f.kind != Kind::Write {
            continue;
        }
        let cursor = &mut cursors[ix.client_of[i] as usize];
        let Some(before) = r.completed_before(f.call_us, cursor) else {
            continue;
        };
        if before > z {
            let op = &h.ops[i];
            let earlier = r.order[r.order.partition_point(|&(w, _)| w < before)].1;
            let msg = format!(
                "{}'s {} (zxid {}) was called after {}'s {} (zxid {}) had completed, yet is \
                 ordered before it",
                ix.name(i),
                describe_call(&op.op),
                zxid_label(z),
                ix.name(earlier),
                describe_call(&h.ops[earlier].op),
                zxid_label(before)
            );
            let at = f.ret_us.unwrap_or(f.call_us);
            out.add(Guarantee::WritesLinearizable, msg, vec![earlier, i], at);
        }
    }
}

/// The writes up to a reply's zxid were all called before the reply returned.
fn replies_reflect_only_issued_writes(h: &ZkHistory, ix: &Index, r: &Replayed, out: &mut Found) {
    // latest[k]: the write among order[..=k] called last, and its call time.
    let mut latest: Vec<(u64, usize)> = Vec::with_capacity(r.order.len());
    for &(_, i) in &r.order {
        let call = ix.facts[i].call_us;
        match latest.last() {
            Some(&(c, j)) if c >= call => latest.push((c, j)),
            _ => latest.push((call, i)),
        }
    }
    let mut cursors = vec![Cursor::default(); ix.names.len()];
    for (i, f) in ix.facts.iter().enumerate() {
        let (Some(z), Some(ret)) = (f.reply_zxid, f.ret_us) else {
            continue;
        };
        let n = cursors[ix.client_of[i] as usize].seek(&r.order, |&(w, _)| w <= z);
        let Some(&(called, w)) = n.checked_sub(1).map(|k| &latest[k]) else {
            continue;
        };
        if called <= ret || w == i {
            continue;
        }
        let op = &h.ops[i];
        let g = if f.kind == Kind::Write {
            Guarantee::WritesLinearizable
        } else {
            Guarantee::ReadReflectsPrefix
        };
        let msg = format!(
            "{}'s {} claims zxid {}, which would include {}'s {} (zxid {}), called only after \
             the reply came back: the zxid is false",
            ix.name(i),
            describe_call(&op.op),
            zxid_label(z),
            ix.name(w),
            describe_call(&h.ops[w].op),
            zxid_label(r.write_zxid[w].unwrap_or(0))
        );
        out.add(g, msg, vec![i, w], ret);
    }
}
