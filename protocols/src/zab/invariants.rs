//! ZAB's safety properties (DSN 2011 §III), checked after every server step from what the
//! step reports (transactions delivered with the chain value of the history before them,
//! proposals of an established leader, an establishment):
//!
//! - **one established leader per epoch**;
//! - **primary order and integrity**: a server delivers in zxid order, and only what the
//!   established leader of the transaction's epoch proposed, on the same history;
//! - **agreement on delivered transactions**: every server walks one sequence: the same zxid
//!   carries the same history everywhere, and no server skips a transaction another delivered
//!   between two it delivered itself;
//! - **no delivered transaction lost**: every newly established leader of epoch e holds the
//!   last transaction any server delivered in an epoch before e (a client was answered for
//!   it).

use super::log::zxid_label;
use super::ZabServer;
use splitbrain_api::{check_by_stepped, ClusterInvariant, NodeId, Scope, Time};
use std::collections::BTreeMap;

/// Every ZAB invariant, ready for `run_world`, as one cluster invariant (`ZabChecks`).
pub fn all() -> Vec<Box<dyn ClusterInvariant<ZabServer>>> {
    vec![Box::new(ZabChecks::default())]
}

/// The four properties checked in order after every server step, behind one call: a step
/// whose report is empty (most are: pings, client traffic, elections) is passed over at
/// once instead of four times. A violation is reported under the name of the property
/// that failed first.
#[derive(Default)]
pub struct ZabChecks {
    one_leader: OneLeaderPerEpoch,
    primary: PrimaryOrder,
    agreement: Agreement,
    lost: NoDeliveredLost,
    failed: &'static str,
}

impl ClusterInvariant<ZabServer> for ZabChecks {
    fn name(&self) -> &'static str {
        self.failed
    }

    fn check(
        &mut self,
        at: Time,
        stepped: NodeId,
        servers: &[Option<&ZabServer>],
    ) -> Result<(), String> {
        check_by_stepped(self, at, stepped, servers)
    }

    /// Every property judges the stepped server's report alone.
    fn scope(&self) -> Scope {
        Scope::Stepped
    }

    fn check_stepped(
        &mut self,
        _: Time,
        stepped: NodeId,
        s: &ZabServer,
        _: usize,
    ) -> Result<(), String> {
        let r = s.report();
        if r.delivered.is_empty() && r.proposed.is_empty() && r.established.is_none() {
            return Ok(());
        }
        self.check_report(stepped, s)
    }

    /// No property judges durable state.
    fn hears_disk(&self) -> bool {
        false
    }
}

impl ZabChecks {
    /// The four properties on a step that reported something. Its common deliveries are
    /// checked and recorded by all of them at once ([`ZabChecks::agreed`]); from the first
    /// other one on (or for a step that established a leader), each property goes over the
    /// report in turn, as they always did, which also decides which violation is reported.
    /// Kept out of line: the common empty step then returns from a small function that
    /// saves no registers.
    #[inline(never)]
    fn check_report(&mut self, stepped: NodeId, s: &ZabServer) -> Result<(), String> {
        let report = s.report();
        if report.established.is_some() {
            return self.check_in_turn(stepped, s, 0, true);
        }
        // A call only for the leader's steps: a follower's delivery step proposes nothing.
        if !report.proposed.is_empty() {
            self.primary.note_all(&report.proposed);
        }
        for (agreed, &d) in report.delivered.iter().enumerate() {
            if !self.agreed(stepped, d) {
                return self.check_in_turn(stepped, s, agreed, false);
            }
        }
        Ok(())
    }

    /// A delivery (prev, z, chain) of `stepped` that every property accepts at a glance,
    /// recorded by each as its own check would record it: in zxid order, the very proposal
    /// `stepped`'s primary-order hint points at, and the zxid its agreement hint points at
    /// (delivered before on the same history) or the walk's next (right after its last).
    /// `false`, with nothing recorded, for any other: the properties' own checks decide.
    #[inline]
    fn agreed(&mut self, stepped: NodeId, (prev, z, chain): (u64, u64, u64)) -> bool {
        let (primary, agreement) = (&mut self.primary, &mut self.agreement);
        let Some((p, a)) = primary.next.get(stepped).zip(agreement.next.get(stepped)) else {
            return false;
        };
        let walked = &agreement.walked;
        let proposed = primary.proposed.get(p) == Some(&(z, chain));
        let known = walked.get(a).is_some_and(|w| (w.0, w.1) == (z, chain));
        let extends = a == walked.len() && walked.last().is_some_and(|w| w.0 == prev);
        if z <= prev || !proposed || !(known || extends) {
            return false;
        }
        primary.next.advance(stepped);
        if extends {
            agreement.walked.push((z, chain, stepped));
        }
        agreement.next.advance(stepped);
        self.lost.note(z, chain, stepped);
        true
    }

    /// Each property in turn over the report, from delivery `from` on (the ones before
    /// were [`ZabChecks::agreed`]); the proposals are noted here if `note_proposals`.
    #[cold]
    #[inline(never)]
    fn check_in_turn(
        &mut self,
        stepped: NodeId,
        s: &ZabServer,
        from: usize,
        note_proposals: bool,
    ) -> Result<(), String> {
        let report = s.report();
        let delivered = &report.delivered[from..];
        let r = self.one_leader.after(stepped, s);
        named(&self.one_leader, &mut self.failed, r)?;
        if note_proposals {
            self.primary.note_all(&report.proposed);
        }
        let r = self.primary.all_delivered(stepped, delivered);
        named(&self.primary, &mut self.failed, r)?;
        let r = self.agreement.all_delivered(stepped, delivered);
        named(&self.agreement, &mut self.failed, r)?;
        for &(_, z, chain) in delivered {
            self.lost.note(z, chain, stepped);
        }
        let r = self.lost.established(stepped, s);
        named(&self.lost, &mut self.failed, r)
    }
}

/// `result` of one property's check; a violation is recorded in `failed` under its name.
fn named<C: ClusterInvariant<ZabServer>>(
    check: &C,
    failed: &mut &'static str,
    result: Result<(), String>,
) -> Result<(), String> {
    result.inspect_err(|_| *failed = check.name())
}

fn stepped_server<'a>(stepped: NodeId, servers: &[Option<&'a ZabServer>]) -> Option<&'a ZabServer> {
    servers.get(stepped.index()).copied().flatten()
}

/// A property's check after a step of server `stepped`, also run on its own as a cluster
/// invariant.
trait AfterStep {
    fn after(&mut self, stepped: NodeId, s: &ZabServer) -> Result<(), String>;
}

fn check_alone<C: AfterStep>(
    check: &mut C,
    stepped: NodeId,
    servers: &[Option<&ZabServer>],
) -> Result<(), String> {
    match stepped_server(stepped, servers) {
        Some(s) => check.after(stepped, s),
        None => Ok(()),
    }
}

#[derive(Default)]
pub struct OneLeaderPerEpoch {
    leaders: BTreeMap<u64, NodeId>,
}

impl ClusterInvariant<ZabServer> for OneLeaderPerEpoch {
    fn name(&self) -> &'static str {
        "one established leader per epoch"
    }

    fn check(
        &mut self,
        _: Time,
        stepped: NodeId,
        servers: &[Option<&ZabServer>],
    ) -> Result<(), String> {
        check_alone(self, stepped, servers)
    }
}

impl AfterStep for OneLeaderPerEpoch {
    fn after(&mut self, stepped: NodeId, s: &ZabServer) -> Result<(), String> {
        let Some(e) = s.report().established else {
            return Ok(());
        };
        match self.leaders.insert(e, stepped) {
            Some(other) if other != stepped => Err(format!(
                "{stepped} established itself leader of epoch {e}, which {other} already leads"
            )),
            _ => Ok(()),
        }
    }
}

#[derive(Default)]
pub struct PrimaryOrder {
    /// (zxid, chain value) as the established leader of its epoch proposed it, in zxid
    /// order: proposals come in zxid order (a deposed leader's late ones go in place).
    proposed: Vec<(u64, u64)>,
    /// Per server: where in `proposed` its next delivery likely is (right after its last).
    next: Hints,
}

impl PrimaryOrder {
    #[inline]
    fn note_all(&mut self, proposed: &[(u64, u64)]) {
        for &(z, chain) in proposed {
            self.note(z, chain);
        }
    }

    fn note(&mut self, z: u64, chain: u64) {
        let i = lower_bound(&self.proposed, z, |p| p.0);
        match self.proposed.get_mut(i).filter(|p| p.0 == z) {
            Some(p) => p.1 = chain,
            None => self.proposed.insert(i, (z, chain)),
        }
    }

    #[cfg(test)]
    fn chain_of(&self, z: u64) -> Option<u64> {
        let i = lower_bound(&self.proposed, z, |p| p.0);
        self.proposed.get(i).filter(|p| p.0 == z).map(|p| p.1)
    }
}

/// Per server (by index), an index into a zxid-ordered list where its next delivery is
/// likely to be: each server delivers in zxid order, mostly just behind the others, so a
/// delivery is found at once instead of searched for. Only a hint: checked before use.
#[derive(Default)]
struct Hints(Vec<usize>);

impl Hints {
    fn get(&self, who: NodeId) -> Option<usize> {
        self.0.get(who.index()).copied()
    }

    /// Moves `who`'s hint one entry on; `who` has one (no growth to check for).
    #[inline]
    fn advance(&mut self, who: NodeId) {
        if let Some(at) = self.0.get_mut(who.index()) {
            *at += 1;
        }
    }

    fn set(&mut self, who: NodeId, at: usize) {
        let k = who.index();
        if self.0.len() <= k {
            self.0.resize(k + 1, 0);
        }
        self.0[k] = at;
    }
}

/// [`lower_bound`], trying `hint` first.
fn hinted_lower_bound<T>(v: &[T], hint: Option<usize>, z: u64, key: impl Fn(&T) -> u64) -> usize {
    if let Some(i) = hint.filter(|&i| i <= v.len()) {
        let above = i == 0 || key(&v[i - 1]) < z;
        if above && v.get(i).is_none_or(|e| key(e) >= z) {
            return i;
        }
    }
    lower_bound(v, z, key)
}

/// The index of the first entry of `v` (sorted by `key`) whose key is not below `z`, looked
/// for from the end first: the zxids asked about are mostly among the latest.
fn lower_bound<T>(v: &[T], z: u64, key: impl Fn(&T) -> u64) -> usize {
    let mut i = v.len();
    for _ in 0..8 {
        if i == 0 || key(&v[i - 1]) < z {
            return i;
        }
        i -= 1;
    }
    v[..i].partition_point(|e| key(e) < z)
}

impl ClusterInvariant<ZabServer> for PrimaryOrder {
    fn name(&self) -> &'static str {
        "primary order and integrity"
    }

    fn check(
        &mut self,
        _: Time,
        stepped: NodeId,
        servers: &[Option<&ZabServer>],
    ) -> Result<(), String> {
        check_alone(self, stepped, servers)
    }
}

impl AfterStep for PrimaryOrder {
    fn after(&mut self, stepped: NodeId, s: &ZabServer) -> Result<(), String> {
        self.note_all(&s.report().proposed);
        self.all_delivered(stepped, &s.report().delivered)
    }
}

impl PrimaryOrder {
    fn all_delivered(
        &mut self,
        stepped: NodeId,
        delivered: &[(u64, u64, u64)],
    ) -> Result<(), String> {
        for &(prev, z, chain) in delivered {
            self.delivered(stepped, prev, z, chain)?;
        }
        Ok(())
    }

    /// `stepped` delivered `z` (chain value `chain`) right after `prev`.
    fn delivered(&mut self, stepped: NodeId, prev: u64, z: u64, chain: u64) -> Result<(), String> {
        if z <= prev {
            return Err(format!(
                "{stepped} delivered {} after {}: out of zxid order",
                zxid_label(z),
                zxid_label(prev)
            ));
        }
        let at = hinted_lower_bound(&self.proposed, self.next.get(stepped), z, |p| p.0);
        self.next.set(stepped, at + 1);
        if self.proposed.get(at).filter(|p| p.0 == z).map(|p| p.1) != Some(chain) {
            return Err(format!(
                "{stepped} delivered {} on a history the leader of epoch {} never proposed it \
                 on",
                zxid_label(z),
                z >> 32
            ));
        }
        Ok(())
    }
}

/// The one delivery sequence every server walks: (zxid, chain, first server to deliver it),
/// in zxid order. A zxid joins only above every zxid walked (one below, or between two,
/// is a violation), so the sequence is a list that grows at its end.
pub struct Agreement {
    walked: Vec<(u64, u64, NodeId)>,
    /// Per server: where in `walked` its next delivery is expected (right after its last).
    next: Hints,
}

impl Default for Agreement {
    fn default() -> Agreement {
        Agreement {
            walked: vec![(0, 0, NodeId::server(0))],
            next: Hints::default(),
        }
    }
}

impl ClusterInvariant<ZabServer> for Agreement {
    fn name(&self) -> &'static str {
        "agreement on delivered transactions"
    }

    fn check(
        &mut self,
        _: Time,
        stepped: NodeId,
        servers: &[Option<&ZabServer>],
    ) -> Result<(), String> {
        check_alone(self, stepped, servers)
    }
}

impl AfterStep for Agreement {
    fn after(&mut self, stepped: NodeId, s: &ZabServer) -> Result<(), String> {
        self.all_delivered(stepped, &s.report().delivered)
    }
}

impl Agreement {
    fn all_delivered(&mut self, who: NodeId, delivered: &[(u64, u64, u64)]) -> Result<(), String> {
        for &(prev, z, chain) in delivered {
            self.walk(who, prev, z, chain)?;
        }
        Ok(())
    }

    fn walk(&mut self, who: NodeId, prev: u64, z: u64, chain: u64) -> Result<(), String> {
        // Formatted only for a violation: this runs for every delivery of every server.
        let label = || zxid_label(z);
        let at = hinted_lower_bound(&self.walked, self.next.get(who), z, |w| w.0);
        if let Some(&(_, known, by)) = self.walked.get(at).filter(|w| w.0 == z) {
            return if known == chain {
                self.next.set(who, at + 1);
                Ok(())
            } else {
                Err(format!(
                    "{who} delivered {} on another history than {by} delivered it on",
                    label()
                ))
            };
        }
        if let Some(&(before, _, by)) = at.checked_sub(1).map(|i| &self.walked[i]) {
            if before != prev {
                return Err(format!(
                    "{who} delivered {} right after {}, but {by} delivered {} between them",
                    label(),
                    zxid_label(prev),
                    zxid_label(before)
                ));
            }
        }
        if let Some(&(after, _, by)) = self.walked.get(at) {
            return Err(format!(
                "{who} delivered {}, which {by} skipped when it delivered {}",
                label(),
                zxid_label(after)
            ));
        }
        self.walked.push((z, chain, who));
        self.next.set(who, self.walked.len());
        Ok(())
    }
}

/// ZAB promises an established leader of epoch e every transaction delivered in an epoch
/// before e (it was committed by a quorum the new leader's quorum meets). A leader of e that
/// establishes itself late (its last AckNewLeader held up by a pause) while the leader of a
/// later epoch already delivered is not required to hold that later delivery (zab-zk-swarm
/// seed 8978), so deliveries are kept per epoch.
#[derive(Default)]
pub struct NoDeliveredLost {
    /// Per epoch, in epoch order: the epoch, the highest delivered zxid of it, its chain value
    /// and who delivered it first. A delivery is nearly always of the latest epoch: the
    /// list's end.
    last: Vec<(u64, u64, u64, NodeId)>,
}

impl NoDeliveredLost {
    #[inline]
    fn note(&mut self, z: u64, chain: u64, by: NodeId) {
        let e = z >> 32;
        // Nearly every delivery is of the latest epoch: its entry, the list's last, is
        // updated in place without the general search.
        if let Some(l) = self.last.last_mut().filter(|l| l.0 == e) {
            if z > l.1 {
                *l = (e, z, chain, by);
            }
            return;
        }
        self.note_other_epoch(e, z, chain, by);
    }

    /// [`NoDeliveredLost::note`] of a delivery in an epoch other than the latest noted.
    #[inline(never)]
    fn note_other_epoch(&mut self, e: u64, z: u64, chain: u64, by: NodeId) {
        let at = match self.last.last() {
            Some(l) if l.0 < e => self.last.len(),
            _ => self.last.partition_point(|l| l.0 < e),
        };
        match self.last.get_mut(at).filter(|l| l.0 == e) {
            Some(l) if z > l.1 => *l = (e, z, chain, by),
            Some(_) => {}
            None => self.last.insert(at, (e, z, chain, by)),
        }
    }
}

impl ClusterInvariant<ZabServer> for NoDeliveredLost {
    fn name(&self) -> &'static str {
        "no acknowledged write lost"
    }

    fn check(
        &mut self,
        _: Time,
        stepped: NodeId,
        servers: &[Option<&ZabServer>],
    ) -> Result<(), String> {
        check_alone(self, stepped, servers)
    }
}

impl AfterStep for NoDeliveredLost {
    fn after(&mut self, stepped: NodeId, s: &ZabServer) -> Result<(), String> {
        for &(_, z, chain) in &s.report().delivered {
            self.note(z, chain, stepped);
        }
        self.established(stepped, s)
    }
}

impl NoDeliveredLost {
    /// If `stepped` became the established leader of an epoch in this step: it must hold
    /// the last transaction delivered in an epoch before it.
    fn established(&self, stepped: NodeId, s: &ZabServer) -> Result<(), String> {
        let Some(epoch) = s.report().established else {
            return Ok(());
        };
        let before = self.last.partition_point(|l| l.0 < epoch);
        let Some(&(_, z, chain, by)) = before.checked_sub(1).map(|i| &self.last[i]) else {
            return Ok(());
        };
        if z <= s.log().base_zxid() || s.log().chain_at(z) == Some(chain) {
            return Ok(());
        }
        Err(format!(
            "{by} delivered {} (its client may have been answered), but {stepped}, established \
             leader of epoch {epoch}, does not hold it",
            zxid_label(z)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zab::{ReadMode, ZabBug, ZabConfig};

    #[test]
    fn the_checks_name_the_property_that_failed() {
        let ids = [NodeId::server(0), NodeId::server(1)];
        let cfg = ZabConfig::new(ZabBug::None, ReadMode::Broadcast);
        let mut a = ZabServer::new(ids[0], ids.to_vec(), cfg);
        let mut b = ZabServer::new(ids[1], ids.to_vec(), cfg);
        let mut checks = ZabChecks::default();
        assert_eq!(
            checks.check(Time::ZERO, ids[1], &[Some(&a), Some(&b)]),
            Ok(())
        );
        a.report.established = Some(1);
        b.report.established = Some(1);
        assert_eq!(
            checks.check(Time::ZERO, ids[0], &[Some(&a), Some(&b)]),
            Ok(())
        );
        let twice = checks.check(Time::ZERO, ids[1], &[Some(&a), Some(&b)]);
        assert!(twice.is_err_and(|e| e.contains("which S1 already leads")));
        assert_eq!(checks.name(), "one established leader per epoch");
        b.report.established = None;
        b.report.delivered.push((0, 5, 50));
        let unproposed = checks.check(Time::ZERO, ids[1], &[Some(&a), Some(&b)]);
        assert!(unproposed.is_err_and(|e| e.contains("never proposed")));
        assert_eq!(checks.name(), "primary order and integrity");
    }

    /// The four properties run on their own, each over the whole report in turn: the
    /// verdict and name `ZabChecks` must match.
    #[derive(Default)]
    struct InTurn(OneLeaderPerEpoch, PrimaryOrder, Agreement, NoDeliveredLost);

    impl InTurn {
        fn check(&mut self, stepped: NodeId, servers: &[Option<&ZabServer>]) -> Result<(), String> {
            let t = Time::ZERO;
            let r = self
                .0
                .check(t, stepped, servers)
                .map_err(|e| (self.0.name(), e));
            let r = r.and_then(|()| {
                self.1
                    .check(t, stepped, servers)
                    .map_err(|e| (self.1.name(), e))
            });
            let r = r.and_then(|()| {
                self.2
                    .check(t, stepped, servers)
                    .map_err(|e| (self.2.name(), e))
            });
            let r = r.and_then(|()| {
                self.3
                    .check(t, stepped, servers)
                    .map_err(|e| (self.3.name(), e))
            });
            r.map_err(|(name, e)| format!("{name}: {e}"))
        }
    }

    #[test]
    fn one_pass_reports_what_the_properties_in_turn_report() {
        let ids: Vec<NodeId> = (0..3).map(NodeId::server).collect();
        let cfg = ZabConfig::new(ZabBug::None, ReadMode::Broadcast);
        let mut x: u64 = 7;
        let mut draw = |n: u64| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % n
        };
        let mut failures = 0;
        for _ in 0..300 {
            let mut servers: Vec<ZabServer> = ids
                .iter()
                .map(|&id| ZabServer::new(id, ids.clone(), cfg))
                .collect();
            let (mut fast, mut slow) = (ZabChecks::default(), InTurn::default());
            let mut last = [0u64; 3];
            let mut proposed = 0;
            for _ in 0..40 {
                let k = draw(3) as usize;
                let s = &mut servers[k];
                s.report = Default::default();
                if draw(40) == 0 {
                    s.report.established = Some(1 + draw(2));
                }
                for _ in 0..draw(3) {
                    proposed += 1;
                    s.report.proposed.push((proposed, proposed * 7));
                }
                for _ in 0..draw(4) {
                    let mut z = last[k] + 1 + u64::from(draw(30) == 0);
                    let mut chain = z * 7 + u64::from(draw(30) == 0);
                    if draw(60) == 0 {
                        (z, chain) = (last[k], last[k] * 7);
                    }
                    s.report.delivered.push((last[k], z, chain));
                    last[k] = z;
                }
                let view: Vec<Option<&ZabServer>> = servers.iter().map(Some).collect();
                let a = fast
                    .check(Time::ZERO, ids[k], &view)
                    .map_err(|e| format!("{}: {e}", fast.name()));
                let b = slow.check(ids[k], &view);
                assert_eq!(a, b);
                if a.is_err() {
                    failures += 1;
                    break;
                }
            }
        }
        assert!(
            failures > 100,
            "the walks leave the protocol often: {failures}"
        );
    }

    #[test]
    fn primary_order_keeps_a_late_proposal_of_an_older_epoch_in_place() {
        let mut p = PrimaryOrder::default();
        p.note(0x1_0000_0001, 11);
        p.note(0x2_0000_0001, 21);
        p.note(0x1_0000_0002, 12);
        p.note(0x2_0000_0001, 22);
        assert_eq!(p.chain_of(0x1_0000_0002), Some(12));
        assert_eq!(p.chain_of(0x2_0000_0001), Some(22));
        assert_eq!(p.chain_of(0x1_0000_0003), None);
        assert!(p.proposed.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn no_delivered_lost_keeps_the_highest_delivery_of_every_epoch() {
        let mut lost = NoDeliveredLost::default();
        let mut model: BTreeMap<u64, (u64, u64, NodeId)> = BTreeMap::new();
        let mut x: u64 = 3;
        for i in 0..2000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let (e, n) = ((x >> 60) % 5, (x >> 33) % 50);
            let (z, by) = ((e << 32) | n, NodeId::server((i % 3) as usize));
            lost.note(z, i, by);
            let best = model.entry(e).or_insert((z, i, by));
            if z > best.0 {
                *best = (z, i, by);
            }
            let kept: Vec<_> = model.iter().map(|(&e, &(z, c, b))| (e, z, c, b)).collect();
            assert_eq!(lost.last, kept, "after note {i}");
        }
    }

    #[test]
    fn lower_bound_from_the_end_agrees_with_a_binary_search() {
        let v: Vec<u64> = (0..40).map(|i| i * 2).collect();
        for z in 0..82 {
            assert_eq!(
                lower_bound(&v, z, |&x| x),
                v.partition_point(|&x| x < z),
                "{z}"
            );
        }
        assert_eq!(lower_bound(&[] as &[u64], 5, |&x| x), 0);
    }

    #[test]
    fn a_hinted_lower_bound_agrees_with_a_binary_search_whatever_the_hint() {
        let v: Vec<u64> = (0..20).map(|i| i * 2).collect();
        for z in 0..42 {
            for hint in (0..25).map(Some).chain([None]) {
                assert_eq!(
                    hinted_lower_bound(&v, hint, z, |&x| x),
                    v.partition_point(|&x| x < z),
                    "{z} {hint:?}"
                );
            }
        }
    }

    #[test]
    fn agreement_accepts_one_sequence_and_names_each_way_to_leave_it() {
        let (s1, s2) = (NodeId::server(0), NodeId::server(1));
        let mut a = Agreement::default();
        assert_eq!(a.walk(s1, 0, 5, 50), Ok(()));
        assert_eq!(a.walk(s1, 5, 7, 70), Ok(()));
        assert_eq!(a.walk(s2, 0, 5, 50), Ok(()));
        assert_eq!(a.walk(s2, 5, 7, 70), Ok(()));
        let other = a.walk(s2, 5, 7, 71).unwrap_err();
        assert!(other.contains("on another history"), "{other}");
        let between = a.walk(s2, 0, 6, 60).unwrap_err();
        assert!(between.contains("delivered 0.5 between them"), "{between}");
        let skipped = a.walk(s2, 0, 3, 30).unwrap_err();
        assert!(
            skipped.contains("skipped when it delivered 0.5"),
            "{skipped}"
        );
        assert_eq!(a.walk(s2, 7, 9, 90), Ok(()));
        assert_eq!(a.walked.len(), 4);
    }
}
