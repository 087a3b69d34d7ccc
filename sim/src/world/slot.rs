//! One endpoint of the world (server or client): its process, timers, disk, clock and crash
//! points; and the generic step that runs a handler and applies its effects in order.

use super::clock::Clock;
use super::in_place::taking;
use super::kernel::{Event, Kernel};
use crate::record::{OpStatus, TraceKind};
use splitbrain_api::ctx::DurableChange;
use splitbrain_api::{Ctx, DiskEvent, Dur, Effect, NodeId, NodeView, Process, Role, SimRng};
use std::ptr;

struct TimerEntry<T> {
    timer: T,
    gen: u32,
    armed: bool,
    /// When it fires, on the node's own clock.
    due_local: u64,
}

/// The simulated disk: the last synced state, and the writes waiting for their sync (the last
/// whole state persisted, then the in-place changes written after it, in order) together with
/// the sends that must wait for them.
pub struct Disk<P: Process> {
    pub durable: Option<P::Durable>,
    /// The last unsynced whole state (`Ctx::persist`): it makes every write before it moot.
    pending_state: Option<P::Durable>,
    /// The unsynced changes (`Ctx::write`) after `pending_state` (or after the synced state
    /// when there is none), in order.
    pending_changes: Vec<DurableChange<P::Durable>>,
    held: Vec<(NodeId, P::Msg)>,
    epoch: u32,
    sync_due: Option<splitbrain_api::Time>,
}

impl<P: Process> Disk<P> {
    /// Every unsynced write reaches the durable state, in order: the whole state, then the
    /// changes after it. Inlined into its two callers: a protocol that persists whole states
    /// costs a move here, with no call per sync.
    #[inline]
    fn settle(&mut self) {
        if let Some(state) = self.pending_state.take() {
            self.durable = Some(state);
        }
        if !self.pending_changes.is_empty() {
            self.settle_changes();
        }
    }

    /// The unsynced changes reach the durable state, in order.
    fn settle_changes(&mut self) {
        for change in self.pending_changes.drain(..) {
            change.apply(&mut self.durable);
        }
    }

    /// Every unsynced write is lost.
    fn forget_unsynced(&mut self) {
        self.pending_state = None;
        self.pending_changes.clear();
    }
}

/// Appends `(to, msg)` to `held`, the message copied from where it lies straight into the
/// vector. (A tuple built on the stack first and then copied in read back a wider word than
/// was just written to it: a store-forwarding stall on every held send.)
///
/// # Safety
/// The message behind `msg` is handed over: the caller neither uses nor drops it afterwards.
#[inline(always)]
unsafe fn push_held<M>(held: &mut Vec<(NodeId, M)>, to: NodeId, msg: *mut M) {
    held.reserve(1);
    let len = held.len();
    // SAFETY: room for one more was reserved; both fields are written before the length
    // covers them, and the message is moved (read once, as the caller hands it over).
    unsafe {
        let dst = held.as_mut_ptr().add(len);
        ptr::addr_of_mut!((*dst).0).write(to);
        ptr::addr_of_mut!((*dst).1).copy_from_nonoverlapping(msg, 1);
        held.set_len(len + 1);
    }
}

/// A server or client slot.
pub struct Slot<P: Process> {
    pub id: NodeId,
    pub proc: Option<P>,
    pub rng: SimRng,
    timers: Vec<TimerEntry<P::Timer>>,
    pub disk: Disk<P>,
    pub paused: bool,
    pub parked: Vec<Event<P::Msg>>,
    pub clock: Clock,
    pub view: NodeView,
    pub crash_after_kind: Option<CrashPoint>,
    /// Armed to crash before its next sync: `Some(restart_after_us)`.
    pub crash_before_sync: Option<Option<u64>>,
    pub cut_after_hearing: Option<CutPoint>,
    /// What the disk did since the world last looked: syncs and crashes, in order, for the
    /// cluster invariants that judge durable state (kept only when `track_disk` is set).
    pub disk_news: Vec<DiskEvent>,
    pub track_disk: bool,
}

/// An armed crash-after-send point.
#[derive(Clone, Debug)]
pub struct CrashPoint {
    pub msg_kind: String,
    pub lose_unsynced: bool,
    pub restart_after_us: Option<u64>,
}

/// A node's crash points: after a message kind, before its next sync.
pub type Points = (Option<CrashPoint>, Option<Option<u64>>);

/// An armed isolate-after-hearing point.
#[derive(Clone, Debug)]
pub struct CutPoint {
    /// The nodes not heard from yet since it was armed.
    pub waiting: Vec<NodeId>,
    pub heal_after_us: Option<u64>,
}

/// A crash a handler's effects triggered (a crash point fired).
pub struct CrashNow {
    pub lose_unsynced: bool,
    /// Schedule the node's restart this long after the crash.
    pub restart_after_us: Option<u64>,
}

impl<P: Process> Slot<P> {
    pub fn new(id: NodeId, rng: SimRng) -> Slot<P> {
        Slot {
            id,
            proc: None,
            rng,
            timers: Vec::new(),
            disk: Disk {
                durable: None,
                pending_state: None,
                pending_changes: Vec::new(),
                held: Vec::new(),
                epoch: 0,
                sync_due: None,
            },
            paused: false,
            parked: Vec::new(),
            clock: Clock::default(),
            view: NodeView {
                role: Role::Down,
                ..NodeView::default()
            },
            crash_after_kind: None,
            crash_before_sync: None,
            cut_after_hearing: None,
            disk_news: Vec::new(),
            track_disk: false,
        }
    }

    pub fn is_up(&self) -> bool {
        self.proc.is_some()
    }

    /// Runs `handler` on the live process, checks its invariants and applies its effects.
    /// Returns true when the view changed. A crash point may stop the node during this call.
    ///
    /// `effects` is the world's one buffer for processes of this kind, empty between steps
    /// (one step runs at a time): the handler pushes into it and `apply` empties it, so no
    /// step moves a buffer in or out of its slot.
    pub fn step(
        &mut self,
        k: &mut Kernel<P::Msg>,
        effects: &mut Vec<Effect<P>>,
        handler: impl FnOnce(&mut P, &mut Ctx<P>),
    ) -> bool {
        let Some(proc) = self.proc.as_mut() else {
            return false;
        };
        debug_assert!(effects.is_empty(), "a step begins with no effects pending");
        let local_now = self.clock.local(k.now);
        {
            let mut ctx = Ctx::new(self.id, local_now, &mut self.rng, effects);
            handler(proc, &mut ctx);
        }
        proc.invariants();
        // Many steps push nothing (an ack counted, a stale message ignored): skip the call.
        let crash = if effects.is_empty() {
            None
        } else {
            self.apply(k, effects)
        };
        if let Some(c) = crash {
            self.crash_now(k, c);
            return true;
        }
        self.refresh_view(k)
    }

    /// After a handler of a message from `from`: fires an isolate-after-hearing point once
    /// every node it waits for has been heard (a node that crashed meanwhile keeps it).
    pub fn heard(&mut self, k: &mut Kernel<P::Msg>, from: NodeId) {
        let Some(point) = self.cut_after_hearing.as_mut() else {
            return;
        };
        point.waiting.retain(|&n| n != from);
        if point.waiting.is_empty() && self.is_up() {
            let point = self.cut_after_hearing.take().expect("armed");
            k.isolate_now(self.id, point.heal_after_us);
        }
    }

    fn refresh_view(&mut self, k: &mut Kernel<P::Msg>) -> bool {
        let Some(proc) = self.proc.as_ref() else {
            return false;
        };
        let view = proc.view();
        if view == self.view {
            return false;
        }
        k.note_view(self.id, &view);
        self.view = view;
        true
    }

    /// Applies a step's effects in order and leaves the buffer empty (the effects a crash
    /// point cut short are dropped). Inlined into `step`, its one caller: a call per step with
    /// effects saved.
    #[inline(always)]
    fn apply(&mut self, k: &mut Kernel<P::Msg>, effects: &mut Vec<Effect<P>>) -> Option<CrashNow> {
        let mut holding = false;
        let mut crash = None;
        // Each effect is read where it lies, each arm moving out only its own fields (a
        // drain would copy every whole effect to the stack first).
        for effect in taking(effects) {
            // SAFETY: every arm consumes its effect once: it moves out the one field that
            // needs dropping (`msg`, `durable`, `change`), or the whole effect (`apply_rare`),
            // or has nothing to drop (`Barrier`, `Applied`); none touches it afterwards.
            match unsafe { &mut *effect } {
                Effect::Send { to, msg } => {
                    if holding {
                        // SAFETY: the message is handed over once, here.
                        unsafe { push_held(&mut self.disk.held, *to, msg) };
                        continue;
                    }
                    let point = &mut self.crash_after_kind;
                    crash = unsafe { depart(point, self.id, k, *to, msg) };
                    if crash.is_some() {
                        break;
                    }
                    continue;
                }
                Effect::Persist { durable } => {
                    // A whole state makes every earlier unsynced write moot.
                    self.disk.pending_state = Some(unsafe { ptr::read(durable) });
                    self.disk.pending_changes.clear();
                }
                Effect::Write { change } => {
                    let change = unsafe { ptr::read(change) };
                    self.disk.pending_changes.push(change);
                }
                Effect::Barrier => {
                    holding |= self.disk.sync_due.is_some();
                    continue;
                }
                &mut Effect::Applied { index, digest } => {
                    k.check_applied(self.id, index, digest);
                    continue;
                }
                _ => {
                    self.apply_rare(k, unsafe { ptr::read(effect) });
                    continue;
                }
            }
            holding = true;
            self.sync_soon(k);
            if let Some(restart_after_us) = self.crash_before_sync.take() {
                crash = Some(CrashNow {
                    lose_unsynced: true,
                    restart_after_us,
                });
                break;
            }
        }
        crash
    }

    /// The effects that neither send, write nor hold: timers, a client's outcomes, notices,
    /// marks.
    fn apply_rare(&mut self, k: &mut Kernel<P::Msg>, effect: Effect<P>) {
        match effect {
            Effect::SetTimer { timer, after } => self.arm(k, timer, after),
            Effect::CancelTimer { timer } => self.disarm(timer),
            Effect::Complete { ret } => self.finish(k, OpStatus::Ok, Some(ret)),
            Effect::Fail => self.finish(k, OpStatus::Fail, None),
            Effect::GiveUp => self.finish(k, OpStatus::Indeterminate, None),
            Effect::Notify { notice } => {
                assert!(
                    self.id.is_client(),
                    "server {} sent a client notice",
                    self.id
                );
                k.notice(self.id, notice)
            }
            Effect::Mark { name } => k.mark(self.id, name),
            Effect::Send { .. }
            | Effect::Persist { .. }
            | Effect::Write { .. }
            | Effect::Barrier
            | Effect::Applied { .. } => unreachable!("handled by apply"),
        }
    }

    fn finish(
        &mut self,
        k: &mut Kernel<P::Msg>,
        status: OpStatus,
        ret: Option<splitbrain_api::Ret>,
    ) {
        assert!(
            self.id.is_client(),
            "server {} tried to complete a client operation",
            self.id
        );
        k.finish_op(self.id, status, ret);
    }

    /// A fired crash point: the crash, and its own restart when it has one.
    fn crash_now(&mut self, k: &mut Kernel<P::Msg>, c: CrashNow) {
        self.crash(k, c.lose_unsynced);
        if let Some(after) = c.restart_after_us {
            let node = self.id;
            k.schedule(k.now + splitbrain_api::Dur(after), Event::Restart { node });
        }
    }

    fn arm(&mut self, k: &mut Kernel<P::Msg>, timer: P::Timer, after: Dur) {
        let idx = match self.timers.iter().position(|t| t.timer == timer) {
            Some(i) => i,
            None => {
                self.timers.push(TimerEntry {
                    timer,
                    gen: 0,
                    armed: false,
                    due_local: 0,
                });
                self.timers.len() - 1
            }
        };
        let entry = &mut self.timers[idx];
        entry.gen = entry.gen.wrapping_add(1);
        entry.armed = true;
        entry.due_local = self.clock.local(k.now).0.saturating_add(after.0);
        let real = self.clock.real_span(after);
        let ev = Event::Timer {
            node: self.id,
            idx: idx as u32,
            gen: entry.gen,
        };
        k.schedule(k.now + real, ev);
    }

    /// A drift change: the clock runs at the new rate from now, and every pending timer is
    /// re-timed to fire when the node's own clock reaches its deadline. (An offset jump
    /// leaves pending timers alone: they model monotonic timers, which a wall-clock step does
    /// not move.)
    pub fn set_drift(&mut self, k: &mut Kernel<P::Msg>, ppm: i64) {
        self.clock.set_drift(k.now, ppm);
        let local_now = self.clock.local(k.now).0;
        for (idx, entry) in self.timers.iter_mut().enumerate() {
            if !entry.armed {
                continue;
            }
            entry.gen = entry.gen.wrapping_add(1);
            let left = Dur(entry.due_local.saturating_sub(local_now));
            let ev = Event::Timer {
                node: self.id,
                idx: idx as u32,
                gen: entry.gen,
            };
            k.schedule(k.now + self.clock.real_span(left), ev);
        }
    }

    fn disarm(&mut self, timer: P::Timer) {
        if let Some(entry) = self.timers.iter_mut().find(|t| t.timer == timer) {
            entry.gen = entry.gen.wrapping_add(1);
            entry.armed = false;
        }
    }

    /// The timer an event refers to, if it is still the armed generation.
    pub fn take_timer(&mut self, idx: u32, gen: u32) -> Option<P::Timer> {
        let entry = self.timers.get_mut(idx as usize)?;
        if !entry.armed || entry.gen != gen {
            return None;
        }
        entry.armed = false;
        Some(entry.timer)
    }

    /// A write was made: the disk syncs after a sync latency unless a sync is under way.
    fn sync_soon(&mut self, k: &mut Kernel<P::Msg>) {
        if self.disk.sync_due.is_none() {
            let due = k.now + k.sync_delay();
            self.disk.sync_due = Some(due);
            k.schedule(
                due,
                Event::SyncDone {
                    node: self.id,
                    epoch: self.disk.epoch,
                },
            );
        }
    }

    /// The disk finished syncing: the write is durable and held sends leave.
    pub fn sync_done(&mut self, k: &mut Kernel<P::Msg>, epoch: u32) {
        if epoch != self.disk.epoch || self.disk.sync_due.is_none() {
            return;
        }
        self.disk.sync_due = None;
        self.disk.settle();
        k.note(TraceKind::Sync, Some(self.id), 0, || "synced".to_string());
        self.tell_disk(DiskEvent::Durable);
        // The held sends leave in order, taken where they lie; the buffer keeps its capacity,
        // so a busy server does not grow a new one per sync.
        let (id, point) = (self.id, &mut self.crash_after_kind);
        let mut crash = None;
        for send in taking(&mut self.disk.held) {
            // SAFETY: `depart` takes the message over, once; `to` is a plain copy.
            let (to, msg) = unsafe { &mut *send };
            crash = unsafe { depart(point, id, k, *to, msg) };
            if crash.is_some() {
                break;
            }
        }
        if let Some(c) = crash {
            // The sends left behind were dropped.
            self.crash_now(k, c);
        }
    }

    fn tell_disk(&mut self, event: DiskEvent) {
        if self.track_disk {
            self.disk_news.push(event);
        }
    }

    /// Stops the process: volatile state, timers, parked events and held sends are gone.
    pub fn crash(&mut self, k: &mut Kernel<P::Msg>, lose_unsynced: bool) {
        if self.proc.take().is_none() {
            return;
        }
        for t in &mut self.timers {
            t.gen = t.gen.wrapping_add(1);
            t.armed = false;
        }
        if lose_unsynced {
            self.disk.forget_unsynced();
        } else {
            self.disk.settle();
        }
        self.tell_disk(if lose_unsynced {
            DiskEvent::Lost
        } else {
            DiskEvent::Durable
        });
        self.disk.held.clear();
        self.disk.sync_due = None;
        self.disk.epoch += 1;
        self.parked.clear();
        self.paused = false;
        self.view = NodeView {
            role: Role::Down,
            ..NodeView::default()
        };
        let label = if lose_unsynced {
            "crash (unsynced writes lost)"
        } else {
            "crash"
        };
        k.note(
            TraceKind::Crash,
            Some(self.id),
            u64::from(lose_unsynced),
            || label.to_string(),
        );
        if self.id.is_client() && k.inflight[self.id.index()].is_some() {
            k.finish_op(self.id, OpStatus::Indeterminate, None);
        }
    }

    /// Puts a fresh process in place and boots it from the durable state.
    pub fn start(
        &mut self,
        k: &mut Kernel<P::Msg>,
        effects: &mut Vec<Effect<P>>,
        fresh: P,
    ) -> bool {
        self.proc = Some(fresh);
        k.note(TraceKind::Restart, Some(self.id), 0, || "start".to_string());
        let durable = self.disk.durable.clone();
        self.step(k, effects, |p, ctx| p.on_start(ctx, durable.as_ref()))
    }
}

/// Sends a message from `from` now and fires its crash-after-send `point` if the message
/// matches. Kept out of line (its two callers are big; inlining it there made them save more
/// registers). It borrows only the crash point of the sender's slot, so a caller may walk a
/// buffer of that slot (the sends held for a sync) while it sends.
///
/// # Safety
/// The send takes the message behind `msg` over (it is moved out of there once, into the
/// event queue): the caller must neither use nor drop it afterwards.
#[inline(never)]
unsafe fn depart<M: splitbrain_api::Message>(
    point: &mut Option<CrashPoint>,
    from: NodeId,
    k: &mut Kernel<M>,
    to: NodeId,
    msg: *mut M,
) -> Option<CrashNow> {
    // SAFETY: `msg` is live until `send` takes it.
    let fires = point
        .as_ref()
        .is_some_and(|p| p.msg_kind == splitbrain_api::Message::kind(unsafe { &*msg }));
    // SAFETY: the caller handed the message over; `send` moves it out once.
    unsafe { k.send(from, to, msg) };
    if !fires {
        return None;
    }
    let point = point.take().expect("armed: it fired");
    Some(CrashNow {
        lose_unsynced: point.lose_unsynced,
        restart_after_us: point.restart_after_us,
    })
}
