//! Applying one scheduled fault to the world.

use super::World;
use crate::faults::Fault;
use crate::record::TraceKind;
use crate::trace::stable_hash_of;
use splitbrain_api::{NodeId, Protocol};

impl<P: Protocol> World<'_, P> {
    pub(super) fn apply_fault(&mut self, index: usize) {
        let fault = self.cfg.schedule.0[index].fault.clone();
        let digest = stable_hash_of(&index);
        let label = fault.label();
        self.k
            .note(TraceKind::Fault, fault_node(&fault), digest, || label);
        let all = self.k.all.clone();
        let now = self.k.now;
        match fault {
            Fault::Partition { .. }
            | Fault::AddPartition { .. }
            | Fault::CutLink { .. }
            | Fault::Isolate { .. }
            | Fault::Bridge { .. }
            | Fault::PartialPartition { .. }
            | Fault::Heal => {
                self.k.net.apply_cuts(&fault, &all);
            }
            Fault::RecoverAll => self.recover_all(),
            Fault::Link { from, to, profile } => self.k.net.set_profile(from, to, profile, &all),
            Fault::Crash {
                node,
                lose_unsynced,
            } => self.crash(node, lose_unsynced),
            Fault::Restart { node } => self.restart(node),
            Fault::Pause { node } => self.set_paused(node, true),
            Fault::Resume { node } => self.resume(node),
            Fault::ClockOffset { node, offset_us } => {
                self.with_clock(node, |c| c.jump(now, offset_us))
            }
            Fault::ClockDrift { node, ppm } => self.set_drift(node, ppm),
            Fault::Slow { node, extra_us } => self.k.net.set_slow(node, extra_us),
            Fault::CrashAfterSend {
                node,
                msg_kind,
                lose_unsynced,
                restart_after_us,
            } => {
                let point = super::slot::CrashPoint {
                    msg_kind,
                    lose_unsynced,
                    restart_after_us,
                };
                self.arm(node, |s| s.0 = Some(point));
            }
            Fault::CrashBeforeSync {
                node,
                restart_after_us,
            } => self.arm(node, |s| s.1 = Some(restart_after_us)),
            Fault::IsolateAfterHearing {
                node,
                from,
                heal_after_us,
            } => {
                let point = super::slot::CutPoint {
                    waiting: from,
                    heal_after_us,
                };
                if node.is_client() {
                    self.clients[node.index()].cut_after_hearing = Some(point);
                } else {
                    self.servers[node.index()].cut_after_hearing = Some(point);
                }
            }
        }
    }

    fn crash(&mut self, node: NodeId, lose_unsynced: bool) {
        if node.is_client() {
            self.clients[node.index()].crash(&mut self.k, lose_unsynced);
        } else {
            self.servers[node.index()].crash(&mut self.k, lose_unsynced);
            self.after_disk(node.index());
        }
    }

    pub(super) fn restart(&mut self, node: NodeId) {
        if node.is_client() {
            if !self.clients[node.index()].is_up() {
                self.restart_client(node.index());
            }
        } else if !self.servers[node.index()].is_up() {
            self.restart_server(node.index());
        }
    }

    fn set_paused(&mut self, node: NodeId, paused: bool) {
        if node.is_client() {
            let s = &mut self.clients[node.index()];
            s.paused = paused && s.is_up();
        } else {
            let s = &mut self.servers[node.index()];
            s.paused = paused && s.is_up();
        }
        // Recounted here (pauses are rare); a crash clears a flag without recounting, which
        // only leaves the count high, so the hot path checks more often, never less.
        self.paused_nodes = self.servers.iter().filter(|s| s.paused).count()
            + self.clients.iter().filter(|s| s.paused).count();
    }

    /// Resumes a paused node; the events that waited for it run now, in arrival order.
    pub(super) fn resume(&mut self, node: NodeId) {
        self.set_paused(node, false);
        let parked = if node.is_client() {
            std::mem::take(&mut self.clients[node.index()].parked)
        } else {
            std::mem::take(&mut self.servers[node.index()].parked)
        };
        for ev in parked {
            self.k.schedule(self.k.now, ev);
        }
    }

    pub(super) fn set_drift(&mut self, node: NodeId, ppm: i64) {
        if node.is_client() {
            self.clients[node.index()].set_drift(&mut self.k, ppm);
        } else {
            self.servers[node.index()].set_drift(&mut self.k, ppm);
        }
    }

    fn with_clock(&mut self, node: NodeId, f: impl FnOnce(&mut super::clock::Clock)) {
        if node.is_client() {
            f(&mut self.clients[node.index()].clock);
        } else {
            f(&mut self.servers[node.index()].clock);
        }
    }

    fn arm(&mut self, node: NodeId, f: impl FnOnce(&mut super::slot::Points)) {
        let mut points = if node.is_client() {
            let s = &self.clients[node.index()];
            (s.crash_after_kind.clone(), s.crash_before_sync)
        } else {
            let s = &self.servers[node.index()];
            (s.crash_after_kind.clone(), s.crash_before_sync)
        };
        f(&mut points);
        if node.is_client() {
            let s = &mut self.clients[node.index()];
            (s.crash_after_kind, s.crash_before_sync) = points;
        } else {
            let s = &mut self.servers[node.index()];
            (s.crash_after_kind, s.crash_before_sync) = points;
        }
    }
}

fn fault_node(f: &Fault) -> Option<NodeId> {
    match f {
        Fault::Isolate { node }
        | Fault::Crash { node, .. }
        | Fault::Restart { node }
        | Fault::Pause { node }
        | Fault::Resume { node }
        | Fault::ClockOffset { node, .. }
        | Fault::ClockDrift { node, .. }
        | Fault::Slow { node, .. }
        | Fault::CrashAfterSend { node, .. }
        | Fault::IsolateAfterHearing { node, .. }
        | Fault::CrashBeforeSync { node, .. } => Some(*node),
        _ => None,
    }
}
