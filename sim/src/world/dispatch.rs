//! Routing each event to the slot it concerns, the client workload loop, the liveness phase
//! and the run's final outcome.

use super::kernel::{Event, Kernel};
use super::slot::Slot;
use super::{judge_stepped, World};
use crate::record::{OpStatus, Outcome, TraceKind};
use crate::trace::stable_hash_of;
use splitbrain_api::{ClientProcess, Effect, NodeId, Process, Protocol, Time};
use std::ptr;

impl<P: Protocol> World<'_, P> {
    /// Runs the event behind `ev`, taking it over where it lies in the slab: a delivery's
    /// message moves from there straight into the handler's argument. Inlined into the event
    /// loop, its one caller: a call per event saved.
    ///
    /// # Safety
    /// `ev` is a live event that the caller hands over (`Kernel::pop`). It is read before
    /// anything is scheduled: its plain fields are copied at once, and a delivery's message
    /// is read into the handler's argument before the handler runs.
    #[inline(always)]
    pub(super) unsafe fn dispatch(&mut self, ev: *mut Event<<P::Server as Process>::Msg>) {
        if self.paused_nodes > 0 {
            // SAFETY: live (see above).
            if let Some(target) = unsafe { &*ev }.target().filter(|&t| self.is_paused(t)) {
                // SAFETY: the event is moved out once, here, and not read again.
                self.park(target, unsafe { ptr::read(ev) });
                return;
            }
        }
        // Every other kind holds plain copies only: nothing of it is left to drop.
        // SAFETY: live, and read as described above.
        match unsafe { &mut *ev } {
            Event::Deliver {
                from,
                to,
                msg,
                sent,
                copy,
            } => {
                // SAFETY: the message is handed over once; the event is not read again.
                unsafe { self.deliver(*from, *to, msg, *sent, *copy) }
            }
            &mut Event::Timer { node, idx, gen } => self.fire_timer(node, idx, gen),
            &mut Event::SyncDone { node, epoch } => self.sync_done(node, epoch),
            &mut Event::Fault { index } => self.apply_fault(index as usize),
            &mut Event::Invoke { client } => self.invoke(client),
            Event::LivenessStart => self.start_liveness(),
            &mut Event::Restart { node } => self.restart(node),
            Event::Heal => {
                self.k
                    .note(TraceKind::Fault, None, 2, || "heal (cut point)".to_string());
                self.k.net.heal();
            }
        }
    }

    fn is_paused(&self, node: NodeId) -> bool {
        if node.is_client() {
            self.clients[node.index()].paused
        } else {
            self.servers[node.index()].paused
        }
    }

    fn park(&mut self, node: NodeId, ev: Event<<P::Server as Process>::Msg>) {
        if node.is_client() {
            self.clients[node.index()].parked.push(ev);
        } else {
            self.servers[node.index()].parked.push(ev);
        }
    }

    /// Delivers the message behind `msg`, or records it lost. A server's slot is looked up
    /// once for the delivery and the judging of its step.
    ///
    /// # Safety
    /// Takes the message over: it is read once (into the handler's argument) or dropped in
    /// place, and the caller must neither use nor drop it afterwards.
    unsafe fn deliver(
        &mut self,
        from: NodeId,
        to: NodeId,
        msg: *mut <P::Server as Process>::Msg,
        sent: splitbrain_api::Time,
        copy: bool,
    ) {
        if to.is_client() {
            let slot = &mut self.clients[to.index()];
            let fx = &mut self.client_effects;
            // SAFETY: handed over as this function was.
            unsafe { hand_over(&mut self.k, slot, fx, from, msg, sent, copy) };
            return;
        }
        let n = self.servers.len();
        let slot = &mut self.servers[to.index()];
        let fx = &mut self.server_effects;
        // SAFETY: handed over as this function was.
        if !unsafe { hand_over(&mut self.k, slot, fx, from, msg, sent, copy) } {
            return;
        }
        if self.view_needed {
            self.after_server_step(to.index());
        } else {
            judge_stepped(&mut self.invariants, &mut self.k, slot, n);
        }
    }

    fn fire_timer(&mut self, node: NodeId, idx: u32, gen: u32) {
        if node.is_client() {
            let slot = &mut self.clients[node.index()];
            if let Some(t) = slot.take_timer(idx, gen) {
                self.k
                    .note(TraceKind::Timer, Some(node), u64::from(idx), || {
                        format!("{t:?}")
                    });
                let fx = &mut self.client_effects;
                slot.step(&mut self.k, fx, |p, ctx| p.on_timer(ctx, t));
            }
            return;
        }
        let n = self.servers.len();
        let slot = &mut self.servers[node.index()];
        if let Some(t) = slot.take_timer(idx, gen) {
            self.k
                .note(TraceKind::Timer, Some(node), u64::from(idx), || {
                    format!("{t:?}")
                });
            let fx = &mut self.server_effects;
            slot.step(&mut self.k, fx, |p, ctx| p.on_timer(ctx, t));
            if self.view_needed {
                self.after_server_step(node.index());
            } else {
                judge_stepped(&mut self.invariants, &mut self.k, slot, n);
            }
        }
    }

    fn sync_done(&mut self, node: NodeId, epoch: u32) {
        if node.is_client() {
            self.clients[node.index()].sync_done(&mut self.k, epoch);
        } else {
            self.servers[node.index()].sync_done(&mut self.k, epoch);
            self.after_disk(node.index());
        }
    }

    fn invoke(&mut self, client: NodeId) {
        let i = client.index();
        if !self.clients[i].is_up() || self.k.inflight[i].is_some() {
            return;
        }
        if let Some(at) = self.workload.not_before(i).filter(|&t| t > self.k.now.0) {
            self.k.schedule(Time(at), Event::Invoke { client });
            return;
        }
        let Some(op) = self.workload.next_op(i, &mut self.op_rngs[i]) else {
            return;
        };
        self.k.begin_op(client, op.clone());
        let fx = &mut self.client_effects;
        self.clients[i].step(&mut self.k, fx, |p, ctx| p.on_invoke(ctx, op));
    }

    /// Faults stop: links heal and return to the default profile, paused nodes resume, clocks
    /// stop drifting, crashed nodes restart. Progress must follow within the liveness phase.
    fn start_liveness(&mut self) {
        self.k.note(TraceKind::Fault, None, 1, || {
            "liveness phase: heal, resume, restart all".to_string()
        });
        self.liveness_from = Some(self.k.now);
        self.recover_all();
    }

    /// Every fault ends: links heal and return to the default profile, clocks stop drifting,
    /// crash points are disarmed, paused nodes resume, crashed nodes restart.
    pub(super) fn recover_all(&mut self) {
        self.k.net.heal();
        self.k.net.reset_profiles();
        for i in 0..self.servers.len() {
            self.set_drift(NodeId::server(i), 0);
            self.servers[i].crash_after_kind = None;
            self.servers[i].crash_before_sync = None;
            self.servers[i].cut_after_hearing = None;
            self.resume(NodeId::server(i));
            if !self.servers[i].is_up() {
                self.restart_server(i);
            }
        }
        for i in 0..self.clients.len() {
            self.resume(NodeId::client(i));
            if !self.clients[i].is_up() {
                self.restart_client(i);
            }
        }
    }

    /// Clients that had work during the liveness phase (an operation issued in it, given up
    /// in it, or still unanswered at the end) and completed nothing definite after the heal.
    /// A client whose workload ended before the heal is idle, not stuck, even if it gave an
    /// operation up on the way.
    fn stuck_clients(&self, from_us: u64) -> Vec<NodeId> {
        let mut progressed = vec![false; self.clients.len()];
        let mut active = vec![false; self.clients.len()];
        for (op, gave_up) in self.k.history.iter().zip(&self.k.ended_indeterminate_us) {
            let i = op.client.index();
            // An operation the client gave up before the phase is behind it, not pending.
            let gave_up_late = gave_up.is_some_and(|t| t >= from_us);
            let never_returned = op.ret_us.is_none() && gave_up.is_none();
            if op.call_us >= from_us || gave_up_late || never_returned {
                active[i] = true;
            }
            if op.status != OpStatus::Indeterminate && op.ret_us.is_some_and(|r| r >= from_us) {
                progressed[i] = true;
            }
        }
        for (i, slot) in self.k.inflight.iter().enumerate() {
            active[i] |= slot.is_some();
        }
        (0..self.clients.len())
            .filter(|&i| active[i] && !progressed[i])
            .map(NodeId::client)
            .collect()
    }

    pub(super) fn outcome(&mut self, panicked: bool) -> Outcome {
        if panicked {
            return Outcome::Panic;
        }
        if !self.k.violations.is_empty() {
            return Outcome::Violation;
        }
        if self.stopped_early {
            return Outcome::Inconclusive;
        }
        let Some(from) = self.liveness_from else {
            return Outcome::Pass;
        };
        let stuck = self.stuck_clients(from.0);
        if stuck.is_empty() {
            return Outcome::Pass;
        }
        let names: Vec<String> = stuck.iter().map(|c| c.to_string()).collect();
        let msg = format!(
            "{} completed no operation in the {} ms after faults healed",
            names.join(", "),
            self.cfg.liveness_us / 1_000
        );
        self.k.violate("liveness", msg);
        Outcome::Liveness
    }

    pub(super) fn close_history(&mut self) {
        // Operations still in flight stay indeterminate with no return time.
        for slot in self.k.inflight.iter_mut() {
            slot.take();
        }
    }
}

/// Hands the message behind `msg`, sent by `from` at `sent`, to the process in `slot`, or
/// records it lost (the link is cut, or the process is down). Returns whether the handler
/// ran.
///
/// # Safety
/// Takes the message over: it is read once (into the handler's argument) or dropped in
/// place, and the caller must neither use nor drop it afterwards.
#[inline(always)]
unsafe fn hand_over<Q: Process>(
    k: &mut Kernel<Q::Msg>,
    slot: &mut Slot<Q>,
    effects: &mut Vec<Effect<Q>>,
    from: NodeId,
    msg: *mut Q::Msg,
    sent: Time,
    copy: bool,
) -> bool {
    let to = slot.id;
    // SAFETY: live until it is read into the handler's argument or dropped below.
    let seen = unsafe { &*msg };
    let lost = if k.net.is_cut(from, to) {
        Some(TraceKind::Cut)
    } else if !slot.is_up() {
        Some(TraceKind::LostAtDown)
    } else {
        None
    };
    if let Some(kind) = lost {
        k.note_lost(kind, from, to, sent, seen);
        // SAFETY: dropped once, here; never read again.
        unsafe { ptr::drop_in_place(msg) };
        return false;
    }
    let kind = if copy {
        TraceKind::Duplicate
    } else {
        TraceKind::Deliver
    };
    let e = crate::trace::Entry {
        at_us: k.now.0,
        kind,
        node: Some(to),
        peer: Some(from),
        sent_us: Some(sent.0),
        digest: stable_hash_of(seen),
    };
    let full = k.tracer.is_full();
    k.tracer.note(
        e,
        || {
            if full {
                format!("{seen:?}")
            } else {
                String::new()
            }
        },
        None,
    );
    // The node is up, so its handler runs and reads the message, once: copied from the
    // event straight into the argument.
    // SAFETY: read once, here; never dropped or read elsewhere.
    slot.step(k, effects, |p, ctx| {
        p.on_message(ctx, from, unsafe { ptr::read(msg) })
    });
    slot.heard(k, from);
    true
}
