//! The proposer side of a Basic Paxos server: one run per register that clients are waiting
//! on. An attempt takes a fresh ballot above every round seen (persisted before its prepare
//! leaves), collects a majority of promises, proposes the value of the highest-ballot
//! proposal they report (its own client's value only if none: P2c), and learns the value once
//! a majority accepted that one ballot. A preempted or timed-out attempt retries after a
//! randomised backoff, so dueling proposers do not livelock.

use super::key::RegKey;
use super::server::BasicServer;
use super::BasicMsg;
use crate::paxos::acceptor::{adopt, Answer};
use crate::paxos::ballot::Ballot;
use crate::paxos::{majority, PaxosBug};
use splitbrain_api::{Ctx, Dur, NodeId, Ret, Time};
use std::rc::Rc;

/// Where an attempt stands.
pub(super) enum Phase {
    /// Waiting for `deadline` (a backoff) before the next attempt.
    Idle,
    Prepare {
        promised: u32,
        best: Option<(Ballot, Rc<str>)>,
    },
    Accept {
        value: Rc<str>,
        accepted: u32,
    },
}

/// One register this proposer is trying to decide.
pub(super) struct Run {
    /// The value of the first client that asked (proposed when no other was accepted).
    own: Rc<str>,
    waiters: Vec<(NodeId, u64)>,
    attempt: u32,
    pub(super) ballot: Ballot,
    phase: Phase,
    deadline: Time,
}

impl Run {
    /// One line for people: the ballot, the phase and its votes so far, who waits.
    pub(super) fn describe(&self, key: &str) -> String {
        let phase = match &self.phase {
            Phase::Idle => "backing off".to_string(),
            Phase::Prepare { promised, best } => {
                let best = best.as_ref().map_or("none accepted".to_string(), |(b, v)| {
                    format!("highest accepted {b}=`{v}`")
                });
                format!(
                    "prepare, promised by {}, {best}",
                    crate::paxos::agreement::names(*promised)
                )
            }
            Phase::Accept { value, accepted } => format!(
                "accept `{value}`, accepted by {}",
                crate::paxos::agreement::names(*accepted)
            ),
        };
        let waiters: Vec<String> = self.waiters.iter().map(|(c, _)| c.to_string()).collect();
        format!(
            "{key}: ballot {} (attempt {}), {phase}; for {}",
            self.ballot,
            self.attempt,
            waiters.join(",")
        )
    }
}

impl BasicServer {
    fn quorum(&self, mask: u32) -> bool {
        mask.count_ones() as usize >= majority(self.servers.len())
    }

    fn bit(&self, from: NodeId) -> u32 {
        1 << from.index()
    }

    /// The acceptors an attempt's prepare goes to: on a run's first attempt a bare majority
    /// ("some set of acceptors", Paxos Made Simple §2.2: this server and the next ones in
    /// server order, the same set whatever happened before), on a retry every acceptor.
    fn prepare_targets(&self, attempt: u32) -> Vec<NodeId> {
        if attempt > 0 {
            return self.servers.clone();
        }
        let n = self.servers.len();
        let me = self.id.index();
        (0..majority(n))
            .map(|i| self.servers[(me + i) % n])
            .collect()
    }

    /// A client's proposal: answered at once if the register is known to be decided.
    pub(super) fn propose(
        &mut self,
        ctx: &mut Ctx<Self>,
        client: NodeId,
        seq: u64,
        key: Rc<str>,
        value: Rc<str>,
    ) {
        if let Some(chosen) = self.learned.get(&RegKey::of(&key)) {
            let ret = Ret::Value {
                value: Some(String::from(&**chosen)),
            };
            ctx.send(client, BasicMsg::ClientReply { seq, ret });
            return;
        }
        if let Some(run) = self.runs.get_mut(&RegKey::of(&key)) {
            run.waiters.retain(|(c, _)| *c != client);
            run.waiters.push((client, seq));
            return;
        }
        let run = Run {
            own: value,
            waiters: vec![(client, seq)],
            attempt: 0,
            ballot: Ballot::ZERO,
            phase: Phase::Idle,
            deadline: ctx.now(),
        };
        self.runs.insert(RegKey::of(&key), run);
        let busy = self
            .acceptors
            .get(&RegKey::of(&key))
            .is_some_and(|i| i.promised > Ballot::ZERO);
        let wait = self.cfg.backoff.wait(self.cfg.bug, 1, ctx.rng());
        if !busy || wait == Dur::us(0) {
            return self.start_attempt(ctx, key);
        }
        // Another proposer is deciding this register: its value will do for this client
        // too, so wait for its decision before competing with it.
        self.mark(ctx, "deferred");
        let at = ctx.now() + wait;
        self.runs.get_mut(&RegKey::of(&key)).expect("run").deadline = at;
        self.wake_by(ctx, at);
    }

    /// Phase 1a with a fresh ballot; this server's own acceptor answers first.
    fn start_attempt(&mut self, ctx: &mut Ctx<Self>, key: Rc<str>) {
        self.round += 1;
        let node = if self.cfg.bug == PaxosBug::NonUniqueBallots {
            0
        } else {
            self.id.index() as u8
        };
        let ballot = Ballot {
            round: self.round,
            node,
        };
        let deadline = ctx.now() + self.cfg.attempt_timeout;
        let run = self.runs.get_mut(&RegKey::of(&key)).expect("run");
        run.ballot = ballot;
        run.deadline = deadline;
        run.phase = Phase::Prepare {
            promised: 0,
            best: None,
        };
        self.persist(ctx);
        self.wake_by(ctx, deadline);
        let msg = BasicMsg::Prepare {
            key: Rc::clone(&key),
            ballot,
        };
        let attempt = self.runs[&RegKey::of(&key)].attempt;
        ctx.broadcast(&self.prepare_targets(attempt), &msg);
        match self.acceptor_answer(ctx, &key, ballot, None) {
            Answer::Promise(accepted) => self.on_promise(ctx, self.id, key, ballot, accepted),
            Answer::Nack(promised) => self.on_nack(ctx, key, ballot, promised),
            Answer::Accepted => unreachable!(),
        }
    }

    pub(super) fn on_promise(
        &mut self,
        ctx: &mut Ctx<Self>,
        from: NodeId,
        key: Rc<str>,
        ballot: Ballot,
        accepted: Option<(Ballot, Rc<str>)>,
    ) {
        let bit = self.bit(from);
        let Some(run) = self.runs.get_mut(&RegKey::of(&key)) else {
            return;
        };
        let Phase::Prepare { promised, best } = &mut run.phase else {
            return;
        };
        if run.ballot != ballot {
            return;
        }
        *promised |= bit;
        adopt(best, accepted);
        let (promised, best) = (*promised, best.clone());
        if !self.quorum(promised) {
            return;
        }
        let run = self.runs.get_mut(&RegKey::of(&key)).expect("run");
        let value = match best {
            Some((_, v)) if self.cfg.bug != PaxosBug::OwnValue => v,
            _ => Rc::clone(&run.own),
        };
        if value != run.own {
            self.mark(ctx, "adopted-value");
        }
        let run = self.runs.get_mut(&RegKey::of(&key)).expect("run");
        run.phase = Phase::Accept {
            value: Rc::clone(&value),
            accepted: 0,
        };
        ctx.barrier();
        let msg = BasicMsg::Accept {
            key: Rc::clone(&key),
            ballot,
            value: Rc::clone(&value),
        };
        // Phase 2 asks the acceptors that promised (Paxos Made Simple §2.2).
        let promisers: Vec<NodeId> = (self.servers.iter())
            .filter(|s| promised & self.bit(**s) != 0)
            .copied()
            .collect();
        ctx.broadcast(&promisers, &msg);
        match self.acceptor_answer(ctx, &key, ballot, Some(&value)) {
            Answer::Accepted => self.on_accepted(ctx, self.id, key, ballot),
            Answer::Nack(promised) => self.on_nack(ctx, key, ballot, promised),
            Answer::Promise(_) => unreachable!(),
        }
    }

    pub(super) fn on_accepted(
        &mut self,
        ctx: &mut Ctx<Self>,
        from: NodeId,
        key: Rc<str>,
        b: Ballot,
    ) {
        let bit = self.bit(from);
        let Some(run) = self.runs.get_mut(&RegKey::of(&key)) else {
            return;
        };
        let Phase::Accept { value, accepted } = &mut run.phase else {
            return;
        };
        if run.ballot != b {
            return;
        }
        *accepted |= bit;
        let (accepted, value) = (*accepted, Rc::clone(value));
        if self.quorum(accepted) {
            self.learn(ctx, key, value, true);
        }
    }

    /// A refusal: the attempt of `ballot` is over; retry after a backoff.
    pub(super) fn on_nack(
        &mut self,
        ctx: &mut Ctx<Self>,
        key: Rc<str>,
        ballot: Ballot,
        promised: Ballot,
    ) {
        self.round = self.round.max(promised.round);
        let Some(run) = self.runs.get(&RegKey::of(&key)) else {
            return;
        };
        if run.ballot != ballot || matches!(run.phase, Phase::Idle) {
            return;
        }
        self.mark(ctx, "preempted");
        self.back_off(ctx, key);
    }

    fn back_off(&mut self, ctx: &mut Ctx<Self>, key: Rc<str>) {
        let (bug, backoff) = (self.cfg.bug, self.cfg.backoff);
        let run = self.runs.get_mut(&RegKey::of(&key)).expect("run");
        let wait = backoff.wait(bug, run.attempt, ctx.rng());
        run.attempt += 1;
        run.phase = Phase::Idle;
        if wait == Dur::us(0) {
            self.start_attempt(ctx, key);
            return;
        }
        let at = ctx.now() + wait;
        run.deadline = at;
        self.wake_by(ctx, at);
    }

    /// The register is decided: tell the learners (if this proposer saw the majority) and
    /// answer every waiting client.
    pub(super) fn learn(
        &mut self,
        ctx: &mut Ctx<Self>,
        key: Rc<str>,
        value: Rc<str>,
        saw_quorum: bool,
    ) {
        let mut fresh = false;
        self.learned.get_or_insert_with(RegKey::of(&key), || {
            fresh = true;
            Rc::clone(&value)
        });
        if !fresh {
            return;
        }
        self.mark(ctx, if saw_quorum { "chosen" } else { "learned" });
        ctx.barrier();
        if saw_quorum {
            let msg = BasicMsg::Decided {
                key: Rc::clone(&key),
                value: Rc::clone(&value),
            };
            ctx.broadcast(&self.servers, &msg);
        }
        if let Some(run) = self.runs.remove(&RegKey::of(&key)) {
            for (client, seq) in run.waiters {
                let ret = Ret::Value {
                    value: Some(String::from(&*value)),
                };
                ctx.send(client, BasicMsg::ClientReply { seq, ret });
            }
        }
    }

    fn wake_by(&mut self, ctx: &mut Ctx<Self>, at: Time) {
        if self.wake_at.is_some_and(|w| w <= at) {
            return;
        }
        self.wake_at = Some(at);
        ctx.set_timer(
            super::server::BasicTimer::Wake,
            at.saturating_sub(ctx.now()),
        );
    }

    /// Attempts past their deadline time out (or end their backoff) and start again.
    pub(super) fn on_wake(&mut self, ctx: &mut Ctx<Self>) {
        let now = ctx.now() + Dur::ms(1);
        let due: Vec<(Rc<str>, bool)> = self
            .runs
            .iter()
            .filter(|(_, r)| r.deadline <= now)
            .map(|(k, r)| (Rc::clone(&k.name), matches!(r.phase, Phase::Idle)))
            .collect();
        for (key, idle) in due {
            if idle {
                self.start_attempt(ctx, key);
            } else {
                self.mark(ctx, "attempt-timeout");
                self.back_off(ctx, key);
            }
        }
        if let Some(next) = self.runs.values().map(|r| r.deadline).min() {
            self.wake_by(ctx, next);
        }
    }
}
