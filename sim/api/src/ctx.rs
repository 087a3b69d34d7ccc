//! The effect context handed to every handler. Handlers read the node's own clock and RNG
//! through it and push effects; the engine applies them after the handler returns, in order.

use crate::ids::NodeId;
use crate::ops::Ret;
use crate::process::Process;
use crate::time::{Dur, Time};
use crate::zk::Notice;
use crate::SimRng;

/// One thing a handler asked the world to do.
#[derive(Debug)]
pub enum Effect<P: Process> {
    Send {
        to: NodeId,
        msg: P::Msg,
    },
    SetTimer {
        timer: P::Timer,
        after: Dur,
    },
    CancelTimer {
        timer: P::Timer,
    },
    /// Replace the durable state. It is durable once the disk syncs; sends pushed after it in
    /// the same handler leave only then.
    Persist {
        durable: P::Durable,
    },
    /// Change the durable state in place (`Ctx::write`): durable, and holding later sends,
    /// exactly like `Persist`, but costing what the change costs rather than a whole state.
    Write {
        change: DurableChange<P::Durable>,
    },
    /// Sends pushed after this leave only once every earlier write of this node is durable
    /// (a no-op when the disk has nothing unsynced).
    Barrier,
    /// Client only: the current operation returned `ret`.
    Complete {
        ret: Ret,
    },
    /// Client only: the current operation definitely did not take effect.
    Fail,
    /// Client only: the client stopped waiting; the operation is indeterminate.
    GiveUp,
    /// Client only: something the client heard outside any operation (a watch event, a
    /// session change); recorded in the history in arrival order.
    Notify {
        notice: Notice,
    },
    /// A coverage mark ("leader-elected"); scenarios expect some marks to be reached.
    Mark {
        name: &'static str,
    },
    /// The node applied command `digest` at `index` to its state machine (state machine safety).
    Applied {
        index: u64,
        digest: u64,
    },
}

/// A change to a node's durable state, applied to the disk's own copy when the write reaches
/// it (at the sync, or at a crash that keeps unsynced writes). `None` is a disk never written.
pub struct DurableChange<D>(Box<ChangeFn<D>>);

/// The closure inside a [`DurableChange`].
type ChangeFn<D> = dyn FnOnce(&mut Option<D>);

impl<D> DurableChange<D> {
    /// Applies the change to the disk's copy.
    pub fn apply(self, disk: &mut Option<D>) {
        (self.0)(disk)
    }
}

impl<D> std::fmt::Debug for DurableChange<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DurableChange")
    }
}

/// A handler's window on the world.
pub struct Ctx<'a, P: Process> {
    id: NodeId,
    now: Time,
    rng: &'a mut SimRng,
    effects: &'a mut Vec<Effect<P>>,
}

impl<'a, P: Process> Ctx<'a, P> {
    /// Built by the engine (and by unit tests that drive a process by hand).
    pub fn new(
        id: NodeId,
        now: Time,
        rng: &'a mut SimRng,
        effects: &'a mut Vec<Effect<P>>,
    ) -> Self {
        Ctx {
            id,
            now,
            rng,
            effects,
        }
    }

    /// Appends the effect `make` builds, built only once there is room for it: the effect
    /// is then written straight into the buffer. (Built first and pushed after, a small
    /// effect was assembled on the stack with narrow stores and copied whole with wide
    /// loads, which cannot be forwarded from those stores: a stall of a dozen cycles on
    /// nearly every effect.)
    #[inline(always)]
    fn emit(&mut self, make: impl FnOnce() -> Effect<P>) {
        self.effects.reserve(1);
        let len = self.effects.len();
        // SAFETY: room for one more was reserved just above; the slot past the length is
        // written whole before the length covers it.
        unsafe {
            self.effects.as_mut_ptr().add(len).write(make());
            self.effects.set_len(len + 1);
        }
    }

    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// This node's clock (skewed and drifting when a clock fault says so).
    pub fn now(&self) -> Time {
        self.now
    }

    /// This node's own deterministic random stream.
    pub fn rng(&mut self) -> &mut SimRng {
        self.rng
    }

    pub fn send(&mut self, to: NodeId, msg: P::Msg) {
        self.emit(|| Effect::Send { to, msg });
    }

    /// Sends `msg` to every id in `to` except this node.
    pub fn broadcast(&mut self, to: &[NodeId], msg: &P::Msg) {
        let me = self.id;
        for &peer in to.iter().filter(|&&p| p != me) {
            self.emit(|| Effect::Send {
                to: peer,
                msg: msg.clone(),
            });
        }
    }

    /// Arms (or re-arms) `timer` to fire after `after` on this node's clock.
    pub fn set_timer(&mut self, timer: P::Timer, after: Dur) {
        self.emit(|| Effect::SetTimer { timer, after });
    }

    pub fn cancel_timer(&mut self, timer: P::Timer) {
        self.emit(|| Effect::CancelTimer { timer });
    }

    pub fn persist(&mut self, durable: P::Durable) {
        self.emit(|| Effect::Persist { durable });
    }

    /// Changes the durable state in place, as an incremental write to the simulated disk:
    /// `change` runs on the disk's copy (a default one on a disk never written) when the
    /// write becomes durable, so appending to a long log costs the appended entries, not a
    /// copy of the log. Sends pushed after it leave only once it is durable, as with
    /// [`Ctx::persist`]; writes and persists apply in the order they were pushed.
    pub fn write(&mut self, change: impl FnOnce(&mut P::Durable) + 'static)
    where
        P::Durable: Default,
    {
        let change = DurableChange(Box::new(move |disk: &mut Option<P::Durable>| {
            change(disk.get_or_insert_with(Default::default))
        }));
        self.emit(|| Effect::Write { change });
    }

    /// Pushes a change already made into a [`DurableChange`] (a wrapper carrying an inner
    /// process's writes over to its own context, whose durable type is the same).
    pub fn write_change(&mut self, change: DurableChange<P::Durable>) {
        self.emit(|| Effect::Write { change });
    }

    /// Holds the sends that follow until every earlier write of this node is durable.
    pub fn barrier(&mut self) {
        self.emit(|| Effect::Barrier);
    }

    pub fn complete(&mut self, ret: Ret) {
        self.emit(|| Effect::Complete { ret });
    }

    pub fn fail(&mut self) {
        self.emit(|| Effect::Fail);
    }

    pub fn give_up(&mut self) {
        self.emit(|| Effect::GiveUp);
    }

    /// Client only: records `notice` in the client's history now (see [`Effect::Notify`]).
    pub fn notify(&mut self, notice: Notice) {
        self.emit(|| Effect::Notify { notice });
    }

    pub fn mark(&mut self, name: &'static str) {
        self.emit(|| Effect::Mark { name });
    }

    pub fn applied(&mut self, index: u64, digest: u64) {
        self.emit(|| Effect::Applied { index, digest });
    }
}
