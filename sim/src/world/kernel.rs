//! The protocol-independent core of a world: the event queue over (time, insertion counter),
//! the network and disk streams, the trace, the client history and the online safety checks
//! that need no protocol knowledge.

use super::applied::FirstApplied;
use super::queue::EventQueue;
use crate::network::{Fate, Network};
use crate::record::{HistoryNotice, HistoryOp, OpStatus, TraceKind, Violation};
use crate::rng::{uniform_inclusive, LinkRngs};
use crate::trace::{stable_hash_of, Entry, Tracer};
use splitbrain_api::{Message, NodeId, NodeView, Notice, Op, Ret, Role, SimRng, Time};
use std::collections::BTreeMap;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::ptr;

/// Something that happens at a point of simulated time.
pub enum Event<M> {
    Deliver {
        from: NodeId,
        to: NodeId,
        msg: M,
        sent: Time,
        copy: bool,
    },
    Timer {
        node: NodeId,
        idx: u32,
        gen: u32,
    },
    SyncDone {
        node: NodeId,
        epoch: u32,
    },
    Fault {
        index: u32,
    },
    Invoke {
        client: NodeId,
    },
    LivenessStart,
    /// A crash point's own restart (`restart_after_us`), timed from the crash.
    Restart {
        node: NodeId,
    },
    /// A cut point's own heal (`heal_after_us`), timed from the isolation.
    Heal,
}

impl<M> Event<M> {
    /// The node an event is addressed to, if any (paused nodes park such events).
    pub fn target(&self) -> Option<NodeId> {
        match self {
            Event::Deliver { to, .. } => Some(*to),
            Event::Timer { node, .. } | Event::SyncDone { node, .. } => Some(*node),
            Event::Invoke { client } => Some(*client),
            Event::Fault { .. } | Event::LivenessStart | Event::Restart { .. } | Event::Heal => {
                None
            }
        }
    }
}

/// Something a reacting workload has yet to hear: an operation ended (its index in the
/// history) or a notice arrived (its index in the notices).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Fed {
    Ended(usize),
    Notice(usize),
}

/// Queue, network, trace, history and generic checks.
pub struct Kernel<M> {
    pub now: Time,
    seq: u64,
    queue: EventQueue,
    /// The events by slot. A slot holds a live event from its scheduling until `pop` hands
    /// it out where it lies, to be taken over there by `World::dispatch` (a delivery's
    /// message moves from it straight into the handler's argument); the queue's free slots
    /// hold none. `Kernel::drop` drops the events still pending.
    slab: Vec<MaybeUninit<Event<M>>>,
    pub net: Network,
    pub link_rngs: LinkRngs,
    pub disk_rng: SimRng,
    pub sync_us: (u64, u64),
    pub think_us: (u64, u64),
    pub workload_rngs: Vec<SimRng>,
    pub all: Vec<NodeId>,
    pub servers: Vec<NodeId>,
    pub tracer: Tracer,
    pub history: Vec<HistoryOp>,
    pub notices: Vec<HistoryNotice>,
    /// Per client: how many of its operations have ended.
    ops_ended: Vec<u64>,
    pub inflight: Vec<Option<usize>>,
    /// Per history entry: when the client gave the operation up (or crashed with it in
    /// flight); the history itself records no return time for an indeterminate operation.
    pub ended_indeterminate_us: Vec<Option<u64>>,
    /// What a reacting workload (client programs) has yet to hear, in order; `None` when the
    /// workload does not react, so plain workloads pay nothing.
    pub feed: Option<Vec<Fed>>,
    /// Per coverage mark: how often, and when and where first and last.
    pub marks: BTreeMap<&'static str, (u64, crate::record::MarkAt)>,
    pub violations: Vec<Violation>,
    /// Set when the event loop has something to look at after this event: a violation was
    /// recorded or a reacting workload has news in `feed` (one test per event for both).
    pub attention: bool,
    /// What was first applied at each index.
    applied: FirstApplied,
    leaders: BTreeMap<u64, NodeId>,
    /// A term and the leader `leaders` records for it (the last one checked): its views need
    /// no look-up.
    last_leader: Option<(u64, NodeId)>,
    pub events: u64,
}

impl<M> Drop for Kernel<M> {
    /// Drops the events still pending: those in the slots not free (the slab does not: see
    /// `slab`).
    fn drop(&mut self) {
        let mut free = vec![false; self.slab.len()];
        for slot in self.queue.free_slots() {
            free[slot as usize] = true;
        }
        for (ev, free) in self.slab.iter_mut().zip(free) {
            if !free {
                // SAFETY: a slot not free holds a pending event, owned by the slab alone and
                // dropped once, here.
                unsafe { ev.assume_init_drop() };
            }
        }
    }
}

impl<M: Message> Kernel<M> {
    pub fn new(
        net: Network,
        link_rngs: LinkRngs,
        disk_rng: SimRng,
        servers: usize,
        clients: usize,
    ) -> Self {
        let server_ids: Vec<NodeId> = (0..servers).map(NodeId::server).collect();
        let mut all = server_ids.clone();
        all.extend((0..clients).map(NodeId::client));
        Kernel {
            now: Time::ZERO,
            seq: 0,
            queue: EventQueue::default(),
            slab: Vec::with_capacity(1024),
            net,
            link_rngs,
            disk_rng,
            sync_us: (100, 1_000),
            think_us: (0, 0),
            workload_rngs: Vec::new(),
            all,
            servers: server_ids,
            tracer: Tracer::new(false),
            history: Vec::new(),
            notices: Vec::new(),
            ops_ended: vec![0; clients],
            inflight: vec![None; clients],
            ended_indeterminate_us: Vec::new(),
            feed: None,
            marks: BTreeMap::new(),
            violations: Vec::new(),
            attention: false,
            applied: FirstApplied::default(),
            leaders: BTreeMap::new(),
            last_leader: None,
            events: 0,
        }
    }

    /// Makes room for the history of `clients` clients over `run_us` of simulated time, at
    /// about one operation per client per `US_PER_OP` (swarm clients take some 9 ms each), so
    /// the history is not copied at every doubling as it grows; a longer one still grows.
    pub fn reserve_history(&mut self, clients: usize, run_us: u64) {
        const US_PER_OP: u64 = 6_000;
        let ops = (clients as u64)
            .saturating_mul(run_us / US_PER_OP)
            .min(1 << 16) as usize;
        self.history.reserve_exact(ops);
        self.ended_indeterminate_us.reserve_exact(ops);
    }

    /// Schedules `ev` at `at`; equal times run in insertion order. Always inlined (into a
    /// dozen callers): the event is then built straight in its slab slot, with no call and
    /// no copy of a whole event per timer, sync or client operation.
    #[inline(always)]
    pub fn schedule(&mut self, at: Time, ev: Event<M>) {
        let slot = self.vacant_slot();
        // SAFETY: just handed out.
        unsafe { self.fill(slot, ev) };
        self.enqueue(at, slot);
    }

    /// A free slab slot for the caller to fill (the slab grows when none is free).
    #[inline]
    fn vacant_slot(&mut self) -> u32 {
        let (slot, new) = self.queue.vacant_slot();
        if new {
            self.slab.push(MaybeUninit::uninit());
        }
        slot
    }

    /// Where slab slot `slot` lies, found without a bounds check (one per event scheduled and
    /// one per event popped).
    ///
    /// # Safety
    /// `slot` was handed out by the queue (`Kernel::vacant_slot`): the slab grew to cover each
    /// new slot as it was handed out and never shrinks, so it is in bounds.
    #[inline(always)]
    unsafe fn cell(&mut self, slot: u32) -> *mut Event<M> {
        debug_assert!(
            (slot as usize) < self.slab.len(),
            "slot {slot} not handed out"
        );
        // SAFETY: in bounds, as the caller guarantees.
        unsafe { self.slab.get_unchecked_mut(slot as usize) }.as_mut_ptr()
    }

    /// Queues the event in slab slot `slot` at `at`, after every event queued before it.
    #[inline(always)]
    fn enqueue(&mut self, at: Time, slot: u32) {
        self.seq += 1;
        self.queue.push(at.0, self.seq, slot);
    }

    /// Schedules the delivery of the message behind `msg` at `at`, written straight into its
    /// slab slot: the message is copied once, from where the handler left it.
    ///
    /// # Safety
    /// Takes the message over: it is moved out of `msg` here, and the caller must neither use
    /// nor drop it afterwards.
    #[inline(always)]
    unsafe fn schedule_delivery(
        &mut self,
        at: Time,
        from: NodeId,
        to: NodeId,
        msg: *mut M,
        copy: bool,
    ) {
        let slot = self.vacant_slot();
        let sent = self.now;
        // SAFETY: a free slot holds no live event, so the event is written over it in place
        // (`vacant_slot` handed the slot out); the message is read from `msg` once, as the
        // caller handed it over.
        unsafe {
            let cell = self.cell(slot);
            let msg = ptr::read(msg);
            ptr::write(
                cell,
                Event::Deliver {
                    from,
                    to,
                    msg,
                    sent,
                    copy,
                },
            );
        }
        self.enqueue(at, slot);
    }

    /// Writes `ev` into the free slab slot `slot` (it holds no live event, so nothing is
    /// dropped).
    ///
    /// # Safety
    /// `slot` was just handed out by `vacant_slot`.
    #[inline(always)]
    unsafe fn fill(&mut self, slot: u32, ev: Event<M>) {
        // SAFETY: handed out by the queue, as the caller guarantees.
        unsafe { self.cell(slot).write(ev) };
    }

    /// The next event at or before `end`, advancing `now` to it, where it lies in the slab:
    /// no copy of it is made. Its slot is free again at once.
    ///
    /// # Safety
    /// The caller owns the event behind the pointer: it must take it over (move it out, or
    /// each field that needs dropping, or drop it in place) exactly once, and finish reading
    /// it before it schedules anything, since scheduling may reuse the slot or move the slab.
    #[inline]
    pub unsafe fn pop(&mut self, end: Time) -> Option<*mut Event<M>> {
        let (at, slot) = self.queue.pop(end.0)?;
        self.now = Time(at);
        // SAFETY: the queue pops only slots it handed out.
        Some(unsafe { self.cell(slot) })
    }

    /// A fired cut point: `node` is cut from everyone now (replacing the partition in force),
    /// and every link heals `heal_after_us` later when given.
    pub fn isolate_now(&mut self, node: NodeId, heal_after_us: Option<u64>) {
        self.note(TraceKind::Fault, Some(node), 3, || {
            format!("isolate {node} (cut point)")
        });
        let all = std::mem::take(&mut self.all);
        self.net
            .apply_cuts(&crate::faults::Fault::Isolate { node }, &all);
        self.all = all;
        if let Some(after) = heal_after_us {
            self.schedule(self.now + splitbrain_api::Dur(after), Event::Heal);
        }
    }

    /// Puts the message behind `msg` on the network now. Inlined into `Slot::depart`, its one
    /// caller, so a send is one call (no second frame to save registers for).
    ///
    /// # Safety
    /// Takes the message over (queued, or dropped when the network loses it): the caller must
    /// neither use nor drop it afterwards.
    #[inline(always)]
    pub unsafe fn send(&mut self, from: NodeId, to: NodeId, msg: *mut M) {
        let now = self.now;
        let servers = self.servers.len();
        let link = self.net.link_between(from.slot(servers), to.slot(servers));
        match self.net.send_on(link, self.link_rngs.at(link)) {
            Fate::Delivered { first, copy } => {
                if let Some(extra) = copy {
                    // SAFETY: `msg` is live; the copy is handed over to its delivery.
                    let mut dup = ManuallyDrop::new(unsafe { (*msg).clone() });
                    let at = now + splitbrain_api::Dur(extra);
                    unsafe { self.schedule_delivery(at, from, to, &mut *dup, true) };
                }
                // SAFETY: handed over by the caller, taken once.
                unsafe {
                    self.schedule_delivery(now + splitbrain_api::Dur(first), from, to, msg, false)
                };
            }
            // SAFETY: the lost message is recorded, then dropped once, in place.
            Fate::Cut => unsafe {
                self.note_lost(TraceKind::Cut, from, to, now, &*msg);
                ptr::drop_in_place(msg);
            },
            Fate::Dropped => unsafe {
                self.note_lost(TraceKind::Drop, from, to, now, &*msg);
                ptr::drop_in_place(msg);
            },
        }
    }

    /// Records a message that never arrived.
    pub fn note_lost(&mut self, kind: TraceKind, from: NodeId, to: NodeId, sent: Time, msg: &M) {
        let e = Entry {
            at_us: self.now.0,
            kind,
            node: Some(to),
            peer: Some(from),
            sent_us: Some(sent.0),
            digest: stable_hash_of(msg),
        };
        self.tracer.note(e, || format!("{msg:?}"), None);
    }

    /// Folds a simple entry (no message) into the trace.
    pub fn note(
        &mut self,
        kind: TraceKind,
        node: Option<NodeId>,
        digest: u64,
        label: impl FnOnce() -> String,
    ) {
        let e = Entry {
            at_us: self.now.0,
            kind,
            node,
            peer: None,
            sent_us: None,
            digest,
        };
        self.tracer.note(e, label, None);
    }

    pub fn note_view(&mut self, node: NodeId, view: &NodeView) {
        let digest = stable_hash_of(&(view.role as u8, view.term, view.commit, view.log_len));
        let e = Entry {
            at_us: self.now.0,
            kind: TraceKind::View,
            node: Some(node),
            peer: None,
            sent_us: None,
            digest,
        };
        let label = || format!("{:?} term {} commit {}", view.role, view.term, view.commit);
        self.tracer.note(e, label, Some(view.clone()));
        if view.role == Role::Leader {
            self.check_one_leader(node, view.term);
        }
    }

    /// Election safety: at most one leader per term (epoch, ballot). A leader's views come
    /// in runs (each step of its term that moves its progress): the last leader found
    /// recorded as the one of its term is remembered, and its next views look nothing up.
    fn check_one_leader(&mut self, node: NodeId, term: u64) {
        if self.last_leader == Some((term, node)) {
            return;
        }
        match self.leaders.get(&term) {
            Some(&other) if other != node => {
                let msg = format!("{other} and {node} were both leader in term {term}");
                self.violate("election safety", msg);
                return;
            }
            Some(_) => {}
            None => {
                self.leaders.insert(term, node);
            }
        }
        self.last_leader = Some((term, node));
    }

    /// State machine safety: no two nodes apply different commands at one index. Inlined
    /// into the step's effect loop: the common case (the first command at its index, or the
    /// same one again) is a look-up and a compare, with no call.
    #[inline]
    pub fn check_applied(&mut self, node: NodeId, index: u64, digest: u64) {
        let first = self.applied.at(index);
        match *first {
            Some((d, other)) if d != digest => self.applied_differently(node, other, index),
            Some(_) => {}
            None => *first = Some((digest, node)),
        }
    }

    /// The state machine safety violation: `node` applied another command than `other` did
    /// at `index`.
    #[cold]
    #[inline(never)]
    fn applied_differently(&mut self, node: NodeId, other: NodeId, index: u64) {
        let msg = format!("{node} applied a different command than {other} at index {index}");
        self.violate("state machine safety", msg);
    }

    pub fn violate(&mut self, checker: &str, message: String) {
        let at_us = self.now.0;
        self.note(TraceKind::Violation, None, 0, || {
            format!("{checker}: {message}")
        });
        self.attention = true;
        self.violations.push(Violation {
            checker: checker.to_string(),
            message,
            at_us,
        });
    }

    pub fn mark(&mut self, node: NodeId, name: &'static str) {
        let (now, at) = (
            self.now.0,
            crate::record::MarkAt {
                first_us: self.now.0,
                first_node: node,
                last_us: self.now.0,
                last_node: node,
            },
        );
        let (count, seen) = self.marks.entry(name).or_insert((0, at));
        *count += 1;
        seen.last_us = now;
        seen.last_node = node;
        self.note(
            TraceKind::Mark,
            Some(node),
            splitbrain_api::stable_hash(name.as_bytes()),
            || name.to_string(),
        );
    }

    /// Records the start of a client operation.
    pub fn begin_op(&mut self, client: NodeId, op: Op) {
        self.note(TraceKind::Invoke, Some(client), stable_hash_of(&op), || {
            op.label()
        });
        self.inflight[client.index()] = Some(self.history.len());
        self.ended_indeterminate_us.push(None);
        self.history.push(HistoryOp {
            client,
            call_us: self.now.0,
            ret_us: None,
            status: OpStatus::Indeterminate,
            op,
            out: None,
        });
    }

    /// Ends the client's operation and schedules its next one after a think time.
    pub fn finish_op(&mut self, client: NodeId, status: OpStatus, out: Option<Ret>) {
        let Some(idx) = self.inflight[client.index()].take() else {
            panic!("{client} finished an operation while none was in flight");
        };
        let label = || {
            format!(
                "{status:?} {}",
                out.as_ref().map_or(String::new(), Ret::label)
            )
        };
        self.note(
            TraceKind::Return,
            Some(client),
            stable_hash_of(&(status as u8, &out)),
            label,
        );
        self.ops_ended[client.index()] += 1;
        let entry = &mut self.history[idx];
        if status != OpStatus::Indeterminate {
            entry.ret_us = Some(self.now.0);
        } else {
            self.ended_indeterminate_us[idx] = Some(self.now.0);
        }
        entry.status = status;
        entry.out = out;
        if let Some(feed) = &mut self.feed {
            feed.push(Fed::Ended(idx));
            self.attention = true;
        }
        let (lo, hi) = self.think_us;
        let think = uniform_inclusive(&mut self.workload_rngs[client.index()], lo, hi);
        self.schedule(
            self.now + splitbrain_api::Dur(think),
            Event::Invoke { client },
        );
    }

    /// Records a notice the client heard now.
    pub fn notice(&mut self, client: NodeId, notice: Notice) {
        self.note(
            TraceKind::Notice,
            Some(client),
            stable_hash_of(&notice),
            || notice.label(),
        );
        if let Some(feed) = &mut self.feed {
            feed.push(Fed::Notice(self.notices.len()));
            self.attention = true;
        }
        self.notices.push(HistoryNotice {
            client,
            at_us: self.now.0,
            ops_ended: self.ops_ended[client.index()],
            notice,
        });
    }

    /// A disk sync latency draw.
    pub fn sync_delay(&mut self) -> splitbrain_api::Dur {
        let (lo, hi) = self.sync_us;
        splitbrain_api::Dur(uniform_inclusive(&mut self.disk_rng, lo, hi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::LinkProfile;
    use crate::rng::{stream, Stream};

    #[derive(Clone, Debug, Hash)]
    struct Ping;

    impl Message for Ping {
        fn kind(&self) -> &'static str {
            "ping"
        }
    }

    fn kernel() -> Kernel<Ping> {
        let net = Network::new(3, 0, LinkProfile::default());
        Kernel::new(net, LinkRngs::new(1, 3), stream(1, Stream::Disk), 3, 0)
    }

    fn leader(term: u64) -> NodeView {
        NodeView {
            role: Role::Leader,
            term,
            ..NodeView::default()
        }
    }

    /// A leader's repeated views are one leader; a second leader of its term is reported at
    /// each of its views, whatever the first one's views in between; another term is free.
    #[test]
    fn a_second_leader_of_a_term_is_reported_after_the_first_ones_views() {
        let mut k = kernel();
        let (a, b) = (NodeId::server(0), NodeId::server(1));
        k.note_view(a, &leader(1));
        k.note_view(a, &leader(1));
        assert!(k.violations.is_empty());
        k.note_view(b, &leader(1));
        k.note_view(a, &leader(1));
        k.note_view(b, &leader(1));
        assert_eq!(k.violations.len(), 2, "{:?}", k.violations);
        k.note_view(b, &leader(2));
        k.note_view(b, &leader(2));
        k.note_view(a, &leader(3));
        assert_eq!(k.violations.len(), 2);
        k.note_view(a, &leader(2));
        assert_eq!(k.violations.len(), 3);
    }

    /// A different command at an index already applied is reported, the same one is not.
    #[test]
    fn a_different_command_at_an_applied_index_is_reported() {
        let mut k = kernel();
        let (a, b) = (NodeId::server(0), NodeId::server(1));
        let zxid = (1u64 << 32) | 7;
        for index in [5, zxid] {
            k.check_applied(a, index, 11);
            k.check_applied(b, index, 11);
        }
        assert!(k.violations.is_empty());
        k.check_applied(b, zxid, 12);
        k.check_applied(b, 5, 12);
        let found: Vec<_> = k.violations.iter().map(|v| v.checker.as_str()).collect();
        assert_eq!(found, ["state machine safety"; 2]);
        assert!(k.violations[0]
            .message
            .contains("S2 applied a different command than S1"));
    }
}
