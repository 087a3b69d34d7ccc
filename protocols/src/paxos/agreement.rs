//! Agreement and validity, judged from the acceptors' own state changes rather than from any
//! learner's word: a value is chosen for an instance (a register, a slot) once a majority of
//! acceptors accepted it in one ballot. At most one value may ever be chosen per instance
//! (agreement), and a chosen value must be one a client proposed (validity). Checked after
//! every server step, from the votes that step cast, each counted once it reached the
//! acceptor's disk (a vote lost in a crash before its sync was never acknowledged).

use super::ballot::Ballot;
use super::lookup::Lookup;
use splitbrain_api::{check_by_stepped, ClusterInvariant, DiskEvent, NodeId, Scope, Time};

/// A value an acceptor can vote for: a stable digest, and a label for messages.
pub trait Voted: Clone {
    fn digest(&self) -> u64;
    fn label(&self) -> String;
    /// The label, written only if a message needs it: the check meets every value once and
    /// almost never reports one, so a value that can defer its formatting should.
    fn deferred_label(&self) -> DeferredLabel {
        let label = self.label();
        Box::new(move || label.clone())
    }
}

/// A value's label, formatted on demand (`Send`, so the check holds no protocol value).
pub type DeferredLabel = Box<dyn Fn() -> String + Send>;

/// One acceptance: `instance` (a register's id or a slot) took `value` at `ballot`.
#[derive(Clone, Debug)]
pub struct Vote<V> {
    pub instance: u64,
    /// The instance's name where it has one (a register's key); slots go by number.
    pub name: Option<std::rc::Rc<str>>,
    pub ballot: Ballot,
    pub value: V,
}

/// What a server shows the agreement check after a step.
pub trait Voter {
    type Value: Voted;
    /// The acceptances this server performed in its last handler.
    fn fresh_votes(&self) -> &[Vote<Self::Value>];
    /// Values clients proposed to this server in its last handler, with the instance they
    /// were proposed for (`None`: any instance, as a Multi-Paxos command may land in any slot).
    fn fresh_proposals(&self) -> &[(Option<u64>, u64)];
    /// Whether this acceptor's votes take effect when they reach the disk (an acceptor that
    /// persists them before acknowledging) or at once (one that keeps them in memory only and
    /// acknowledges them straight away, as P01's does).
    fn votes_wait_for_disk(&self) -> bool {
        true
    }
}

/// A vote reduced to what the check keeps: no protocol value, so the check stays `Send`.
#[derive(Clone, Copy)]
struct Cast {
    instance: u64,
    ballot: Ballot,
    digest: u64,
}

/// The acceptors that took one value in one ballot of an instance (for a chosen value: the
/// ballot and majority that chose it).
#[derive(Clone, Copy)]
struct Tally {
    ballot: Ballot,
    digest: u64,
    voters: u32,
}

/// What the check knows of one instance: its value once chosen, the votes per ballot and
/// value, and for messages the labels of the values voted for and the instance's name.
/// A quiet run votes for one value in one ballot per instance: the first tally and label
/// sit in the instance itself, any further ones in `more`, allocated only then.
#[derive(Default)]
struct Instance {
    chosen: Option<Tally>,
    tally: Option<Tally>,
    label: Option<(u64, DeferredLabel)>,
    name: Option<Box<str>>,
    more: Option<Box<More>>,
}

/// An instance's tallies and labels after its first (votes in several ballots or for
/// several values: contention, a new leader).
#[derive(Default)]
struct More {
    tallies: Vec<Tally>,
    labels: Vec<(u64, DeferredLabel)>,
}

/// Instance ids below this (Multi-Paxos' slots) are kept in chunks indexed by id, the rest
/// (Basic Paxos' hashed register ids) in a lookup map: a vote costs an index or a hash
/// probe, not a tree search.
const DENSE_INSTANCES: u64 = 1 << 20;

/// Dense instances per chunk: the chunks never move once made (no copy as slots grow).
const CHUNK: usize = 256;

/// Every instance the check has met.
#[derive(Default)]
struct Instances {
    dense: Vec<Box<[Instance]>>,
    far: Lookup<u64, Instance>,
}

impl Instances {
    /// Instance `id`, created empty if new.
    #[inline]
    fn entry(&mut self, id: u64) -> &mut Instance {
        if id >= DENSE_INSTANCES {
            return self.far.get_or_insert_with(id, Instance::default);
        }
        let (chunk, at) = (id as usize / CHUNK, id as usize % CHUNK);
        if chunk >= self.dense.len() {
            self.grow(chunk);
        }
        &mut self.dense[chunk][at]
    }

    /// Makes room for dense chunk `chunk`.
    #[cold]
    fn grow(&mut self, chunk: usize) {
        while self.dense.len() <= chunk {
            self.dense
                .push((0..CHUNK).map(|_| Instance::default()).collect());
        }
    }

    fn get(&self, id: u64) -> Option<&Instance> {
        if id >= DENSE_INSTANCES {
            return self.far.get(&id);
        }
        let chunk = self.dense.get(id as usize / CHUNK)?;
        Some(&chunk[id as usize % CHUNK])
    }
}

impl Instance {
    /// Adds `by`'s vote for `digest` at `ballot`; returns the voters of that ballot and value.
    fn tally(&mut self, by: usize, ballot: Ballot, digest: u64) -> u32 {
        let first = self.tally.get_or_insert(Tally {
            ballot,
            digest,
            voters: 0,
        });
        let t = if first.ballot == ballot && first.digest == digest {
            first
        } else {
            let more = self.more.get_or_insert_with(Box::default);
            Self::other_tally(&mut more.tallies, ballot, digest)
        };
        t.voters |= 1 << by;
        t.voters
    }

    /// The tally of `ballot` and `digest` among the instance's further ones, added if new.
    #[cold]
    fn other_tally(more: &mut Vec<Tally>, ballot: Ballot, digest: u64) -> &mut Tally {
        let at = more
            .iter()
            .position(|t| t.ballot == ballot && t.digest == digest);
        let at = at.unwrap_or_else(|| {
            more.push(Tally {
                ballot,
                digest,
                voters: 0,
            });
            more.len() - 1
        });
        &mut more[at]
    }

    /// Whether a label for `digest` is kept.
    fn labelled(&self, digest: u64) -> bool {
        let first = self.label.as_ref().is_some_and(|(d, _)| *d == digest);
        first || self.more_labels().iter().any(|(d, _)| *d == digest)
    }

    fn more_labels(&self) -> &[(u64, DeferredLabel)] {
        self.more.as_ref().map_or(&[], |m| &m.labels)
    }

    /// Keeps `label` for `digest` (not yet labelled).
    fn keep_label(&mut self, digest: u64, label: DeferredLabel) {
        if self.label.is_none() {
            self.label = Some((digest, label));
        } else {
            let more = self.more.get_or_insert_with(Box::default);
            more.labels.push((digest, label));
        }
    }

    /// The label kept for `digest`, written out.
    fn label_of(&self, digest: u64) -> Option<String> {
        let mut all = self.label.iter().chain(self.more_labels());
        all.find(|(d, _)| *d == digest).map(|(_, l)| l())
    }
}

/// Client proposals the check makes room for at the start.
const PROPOSALS_ROOM: usize = 4096;

/// The agreement and validity check over every acceptor of a world.
///
/// A vote counts once it takes effect: when the acceptor's disk holds it (a sync, or a crash
/// that keeps unsynced writes), or at once for an acceptor that keeps votes in memory only.
/// A vote a crash lost before it reached the disk was never acknowledged by a correct
/// acceptor, so it never happened.
pub struct Agreement {
    /// "register" or "slot", for messages.
    what: &'static str,
    /// Values valid in every instance without a client proposing them (a no-op).
    always_valid: Vec<u64>,
    instances: Instances,
    proposed: Lookup<(Option<u64>, u64), ()>,
    /// Each server's votes cast but not yet on its disk.
    tentative: Vec<Vec<Cast>>,
    servers: usize,
}

impl Agreement {
    pub fn new(what: &'static str, always_valid: Vec<u64>) -> Agreement {
        Agreement {
            what,
            always_valid,
            instances: Instances::default(),
            // A run's proposals number in the thousands: no rehashing on the way there.
            proposed: Lookup::with_capacity(PROPOSALS_ROOM),
            tentative: Vec::new(),
            servers: 0,
        }
    }

    /// Notes `vote`'s value label and instance name, and reduces it to a `Cast`.
    fn cast<V: Voted>(&mut self, vote: &Vote<V>) -> Cast {
        let digest = vote.value.digest();
        let instance = self.instances.entry(vote.instance);
        if !instance.labelled(digest) {
            instance.keep_label(digest, vote.value.deferred_label());
        }
        if let (None, Some(name)) = (&instance.name, &vote.name) {
            instance.name = Some(Box::from(&**name));
        }
        Cast {
            instance: vote.instance,
            ballot: vote.ballot,
            digest,
        }
    }

    /// Records one vote by server `by` of `n` as taking effect now; `Err` says what broke.
    pub fn record<V: Voted>(&mut self, by: usize, n: usize, vote: &Vote<V>) -> Result<(), String> {
        let cast = self.cast(vote);
        self.count(by, n, cast)
    }

    fn count(&mut self, by: usize, n: usize, vote: Cast) -> Result<(), String> {
        let digest = vote.digest;
        let instance = self.instances.entry(vote.instance);
        let voters = instance.tally(by, vote.ballot, digest);
        if (voters.count_ones() as usize) * 2 <= n {
            return Ok(());
        }
        match &instance.chosen {
            Some(c) if c.digest == digest => Ok(()),
            Some(c) => {
                let (earlier, ballot, by) = (c.digest, c.ballot, c.voters);
                Err(format!(
                    "{}: {} was chosen at ballot {ballot} (accepted by {}) and {} at ballot {} (accepted by {})",
                    self.instance_label(vote.instance),
                    self.label(vote.instance, earlier),
                    names(by),
                    self.label(vote.instance, digest),
                    vote.ballot,
                    names(voters)
                ))
            }
            None => {
                let valid = self.always_valid.contains(&digest)
                    || self.proposed.contains_key(&(None, digest))
                    || self.proposed.contains_key(&(Some(vote.instance), digest));
                if !valid {
                    return Err(format!(
                        "{}: {} was chosen at ballot {} but no client proposed it (validity)",
                        self.instance_label(vote.instance),
                        self.label(vote.instance, digest),
                        vote.ballot
                    ));
                }
                instance.chosen = Some(Tally {
                    ballot: vote.ballot,
                    digest,
                    voters,
                });
                Ok(())
            }
        }
    }

    /// `register k1` or `slot 12`, for messages.
    fn instance_label(&self, instance: u64) -> String {
        match self.instances.get(instance).and_then(|i| i.name.as_ref()) {
            Some(n) => format!("{} {n}", self.what),
            None => format!("{} {instance}", self.what),
        }
    }

    /// The label of `digest`, a value voted for in `instance`.
    fn label(&self, instance: u64, digest: u64) -> String {
        let label = self
            .instances
            .get(instance)
            .and_then(|i| i.label_of(digest));
        label.unwrap_or_else(|| "?".to_string())
    }

    /// Server `by`'s tentative votes take effect (`Durable`) or are gone (`Lost`).
    fn settle(&mut self, by: usize, event: DiskEvent) -> Result<(), String> {
        let Some(pending) = self.tentative.get_mut(by) else {
            return Ok(());
        };
        if pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(pending);
        if event == DiskEvent::Durable {
            let n = self.servers;
            for cast in &pending {
                self.count(by, n, *cast)?;
            }
        }
        let mut pending = pending;
        pending.clear();
        self.tentative[by] = pending;
        Ok(())
    }
}

/// The servers of a bit mask, `S1,S3`.
pub fn names(mask: u32) -> String {
    (0..32)
        .filter(|i| mask & (1 << i) != 0)
        .map(|i| NodeId::server(i).to_string())
        .collect::<Vec<_>>()
        .join(",")
}

impl<S: Voter> ClusterInvariant<S> for Agreement {
    fn name(&self) -> &'static str {
        "agreement"
    }

    fn check(&mut self, at: Time, stepped: NodeId, servers: &[Option<&S>]) -> Result<(), String> {
        check_by_stepped(self, at, stepped, servers)
    }

    /// A step's votes and proposals are the stepped server's own; the cluster's size is all
    /// the majority needs of the rest.
    fn scope(&self) -> Scope {
        Scope::Stepped
    }

    fn check_stepped(
        &mut self,
        _at: Time,
        stepped: NodeId,
        s: &S,
        servers: usize,
    ) -> Result<(), String> {
        // Most steps cast no vote and take no proposal.
        if s.fresh_votes().is_empty() && s.fresh_proposals().is_empty() {
            return Ok(());
        }
        self.take_step(stepped.index(), servers, s)
    }

    fn on_disk(&mut self, _at: Time, node: NodeId, event: DiskEvent) -> Result<(), String> {
        self.settle(node.index(), event)
    }
}

impl Agreement {
    /// Notes the proposals and votes of server `by` (of `n`) in the step it just took.
    #[inline(never)]
    fn take_step<S: Voter>(&mut self, by: usize, n: usize, s: &S) -> Result<(), String> {
        let servers = n;
        self.servers = servers;
        if self.tentative.len() < servers {
            self.tentative.resize_with(servers, Vec::new);
        }
        for p in s.fresh_proposals() {
            self.proposed.insert(*p, ());
        }
        for vote in s.fresh_votes() {
            if s.votes_wait_for_disk() {
                let cast = self.cast(vote);
                self.tentative[by].push(cast);
            } else {
                self.record(by, servers, vote)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Voted for &'static str {
        fn digest(&self) -> u64 {
            splitbrain_api::stable_hash(self.as_bytes())
        }
        fn label(&self) -> String {
            self.to_string()
        }
    }

    fn vote(instance: u64, round: u64, value: &'static str) -> Vote<&'static str> {
        Vote {
            instance,
            name: None,
            ballot: Ballot { round, node: 0 },
            value,
        }
    }

    fn checker() -> Agreement {
        let mut a = Agreement::new("register", Vec::new());
        for v in ["a", "b"] {
            a.proposed.insert((Some(1), v.digest()), ());
        }
        a
    }

    #[test]
    fn two_majorities_for_different_values_break_agreement() {
        let mut a = checker();
        a.record(0, 3, &vote(1, 1, "a")).unwrap();
        a.record(1, 3, &vote(1, 1, "a")).unwrap();
        a.record(1, 3, &vote(1, 2, "b")).unwrap();
        let e = a.record(2, 3, &vote(1, 2, "b")).unwrap_err();
        assert!(
            e.contains("register 1: a was chosen at ballot (1,S1) (accepted by S1,S2) and b"),
            "{e}"
        );
    }

    #[test]
    fn the_chosen_value_in_a_later_ballot_is_fine() {
        let mut a = checker();
        a.record(0, 3, &vote(1, 1, "a")).unwrap();
        a.record(1, 3, &vote(1, 1, "a")).unwrap();
        a.record(1, 3, &vote(1, 2, "a")).unwrap();
        a.record(2, 3, &vote(1, 2, "a")).unwrap();
        // A minority for another value is not a choice.
        a.record(0, 3, &vote(1, 3, "b")).unwrap();
    }

    #[test]
    fn a_value_no_client_proposed_breaks_validity() {
        let mut a = checker();
        a.record(0, 3, &vote(2, 1, "a")).unwrap();
        let e = a.record(1, 3, &vote(2, 1, "a")).unwrap_err();
        assert!(e.contains("no client proposed it"), "{e}");
    }

    /// A server that cast `votes` in its last step.
    struct Acceptor(Vec<Vote<&'static str>>);

    impl Voter for Acceptor {
        type Value = &'static str;
        fn fresh_votes(&self) -> &[Vote<&'static str>] {
            &self.0
        }
        fn fresh_proposals(&self) -> &[(Option<u64>, u64)] {
            &[]
        }
    }

    /// Server `by` of three steps and casts `value` for register 1 at `round`.
    fn step(a: &mut Agreement, by: usize, round: u64, value: &'static str) -> Result<(), String> {
        let me = Acceptor(vec![vote(1, round, value)]);
        let others = [Acceptor(Vec::new()), Acceptor(Vec::new())];
        let mut servers: Vec<Option<&Acceptor>> = others.iter().map(Some).collect();
        servers.insert(by, Some(&me));
        ClusterInvariant::check(a, Time(0), NodeId::server(by), &servers)
    }

    fn disk(a: &mut Agreement, by: usize, event: DiskEvent) -> Result<(), String> {
        ClusterInvariant::<Acceptor>::on_disk(a, Time(0), NodeId::server(by), event)
    }

    #[test]
    fn a_vote_lost_before_its_sync_never_counted() {
        let mut a = checker();
        step(&mut a, 0, 1, "a").unwrap();
        step(&mut a, 1, 1, "a").unwrap();
        disk(&mut a, 0, DiskEvent::Durable).unwrap();
        // S2's vote for `a` dies with its unsynced write: `a` was never chosen.
        disk(&mut a, 1, DiskEvent::Lost).unwrap();
        step(&mut a, 1, 2, "b").unwrap();
        step(&mut a, 2, 2, "b").unwrap();
        disk(&mut a, 1, DiskEvent::Durable).unwrap();
        disk(&mut a, 2, DiskEvent::Durable).unwrap();
    }

    #[test]
    fn votes_count_when_their_disk_holds_them() {
        let mut a = checker();
        step(&mut a, 0, 1, "a").unwrap();
        step(&mut a, 1, 1, "a").unwrap();
        disk(&mut a, 0, DiskEvent::Durable).unwrap();
        disk(&mut a, 1, DiskEvent::Durable).unwrap();
        step(&mut a, 1, 2, "b").unwrap();
        step(&mut a, 2, 2, "b").unwrap();
        disk(&mut a, 1, DiskEvent::Durable).unwrap();
        let e = disk(&mut a, 2, DiskEvent::Durable).unwrap_err();
        assert!(
            e.contains("a was chosen at ballot (1,S1) (accepted by S1,S2)"),
            "{e}"
        );
    }
}
