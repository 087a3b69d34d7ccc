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
        self.effects.push(Effect::Send { to, msg });
    }

    /// Sends `msg` to every id in `to` except this node.
    pub fn broadcast(&mut self, to: &[NodeId], msg: &P::Msg) {
        for &peer in to.iter().filter(|&&p| p != self.id) {
            self.effects.push(Effect::Send {
                to: peer,
                msg: msg.clone(),
            });
        }
    }

    /// Arms (or re-arms) `timer` to fire after `after` on this node's clock.
    pub fn set_timer(&mut self, timer: P::Timer, after: Dur) {
        self.effects.push(Effect::SetTimer { timer, after });
    }

    pub fn cancel_timer(&mut self, timer: P::Timer) {
        self.effects.push(Effect::CancelTimer { timer });
    }

    pub fn persist(&mut self, durable: P::Durable) {
        self.effects.push(Effect::Persist { durable });
    }

    /// Holds the sends that follow until every earlier write of this node is durable.
    pub fn barrier(&mut self) {
        self.effects.push(Effect::Barrier);
    }

    pub fn complete(&mut self, ret: Ret) {
        self.effects.push(Effect::Complete { ret });
    }

    pub fn fail(&mut self) {
        self.effects.push(Effect::Fail);
    }

    pub fn give_up(&mut self) {
        self.effects.push(Effect::GiveUp);
    }

    /// Client only: records `notice` in the client's history now (see [`Effect::Notify`]).
    pub fn notify(&mut self, notice: Notice) {
        self.effects.push(Effect::Notify { notice });
    }

    pub fn mark(&mut self, name: &'static str) {
        self.effects.push(Effect::Mark { name });
    }

    pub fn applied(&mut self, index: u64, digest: u64) {
        self.effects.push(Effect::Applied { index, digest });
    }
}
