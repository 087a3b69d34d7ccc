//! Faults as shaded bands on lanes: partitions until the next heal, crashes until the restart,
//! pauses until the resume, clock and slow-node faults until they are replaced. Everything
//! ends when the liveness phase starts (it heals, resumes and restarts every node).

use serde::Serialize;
use splitbrain_api::NodeId;
use splitbrain_sim::{Fault, LinkProfile, Timed, TraceEvent, TraceKind};

/// A shaded stretch of one lane (or of the whole diagram, `lane == -1`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Band {
    /// `partition`, `isolate`, `cut`, `link`, `crash`, `pause`, `clock`, `slow`, `liveness`.
    pub kind: &'static str,
    pub lane: i64,
    pub from_us: u64,
    pub to_us: u64,
    /// Side of a partition (0, 1, ...), so the two sides get different shades.
    pub group: usize,
    pub label: String,
}

/// Bands for a run. Crashes come from the trace when there is one (crash points fire at times
/// the schedule does not know); everything else from the schedule.
pub(crate) fn fault_bands(
    schedule: &[Timed],
    trace: Option<&[TraceEvent]>,
    lanes: &[NodeId],
    end_us: u64,
    liveness_from_us: Option<u64>,
) -> Vec<Band> {
    let stop = liveness_from_us.unwrap_or(end_us).min(end_us);
    let mut b = Builder {
        lanes,
        stop,
        out: Vec::new(),
        open_net: Vec::new(),
    };
    for (i, t) in schedule.iter().enumerate() {
        if t.at_us >= stop {
            break;
        }
        b.fault(schedule, i, t, trace.is_some());
    }
    b.close_net(stop);
    if let Some(trace) = trace {
        b.trace_crashes(trace, end_us);
    }
    if let Some(from) = liveness_from_us.filter(|&f| f < end_us) {
        b.out.push(Band {
            kind: "liveness",
            lane: -1,
            from_us: from,
            to_us: end_us,
            group: 0,
            label: "liveness phase: faults healed".to_string(),
        });
    }
    b.out
}

struct Builder<'a> {
    lanes: &'a [NodeId],
    stop: u64,
    out: Vec<Band>,
    /// Network bands waiting for the next heal (indices into `out`).
    open_net: Vec<usize>,
}

impl Builder<'_> {
    fn lane(&self, n: NodeId) -> Option<i64> {
        self.lanes.iter().position(|&l| l == n).map(|i| i as i64)
    }

    fn push(&mut self, kind: &'static str, node: NodeId, from: u64, to: u64, group: usize) {
        let Some(lane) = self.lane(node) else { return };
        self.out.push(Band {
            kind,
            lane,
            from_us: from,
            to_us: to,
            group,
            label: String::new(),
        });
    }

    /// A network band, closed at the next heal.
    fn push_net(&mut self, kind: &'static str, node: NodeId, from: u64, group: usize) {
        let before = self.out.len();
        self.push(kind, node, from, self.stop, group);
        if self.out.len() > before {
            self.open_net.push(before);
        }
    }

    fn close_net(&mut self, at: u64) {
        for i in self.open_net.drain(..) {
            self.out[i].to_us = at;
        }
    }

    fn fault(&mut self, schedule: &[Timed], i: usize, t: &Timed, crashes_from_trace: bool) {
        let at = t.at_us;
        let first = self.out.len();
        let stop = self.stop;
        let until = |pred: &dyn Fn(&Fault) -> bool| {
            schedule[i + 1..]
                .iter()
                .find(|n| pred(&n.fault))
                .map_or(stop, |n| n.at_us.min(stop))
        };
        if t.fault.is_partition_shaped() && !matches!(t.fault, Fault::AddPartition { .. }) {
            // Each partition shape replaces the partition in force.
            self.close_net(at);
        }
        match &t.fault {
            Fault::Partition { groups } | Fault::AddPartition { groups } => {
                for (g, group) in groups.iter().enumerate() {
                    for &n in group {
                        self.push_net("partition", n, at, g);
                    }
                }
            }
            Fault::Bridge {
                bridge,
                left,
                right,
            } => {
                left.iter()
                    .for_each(|&n| self.push_net("partition", n, at, 0));
                right
                    .iter()
                    .for_each(|&n| self.push_net("partition", n, at, 1));
                self.push_net("partition", *bridge, at, 2);
            }
            Fault::PartialPartition { a, b } => {
                self.push_net("partition", *a, at, 0);
                self.push_net("partition", *b, at, 1);
            }
            Fault::Isolate { node } => self.push_net("isolate", *node, at, 0),
            Fault::CutLink { from, to } => {
                self.push_net("cut", *from, at, 0);
                self.push_net("cut", *to, at, 1);
            }
            Fault::Heal => {}
            Fault::RecoverAll => self.close_net(at),
            Fault::Link { from, profile, .. } if *profile != LinkProfile::default() => {
                let from = *from;
                // A later profile for the same links (or for every link) replaces this one.
                let to = until(
                    &|f| matches!(f, Fault::Link { from: f2, .. } if f2.is_none() || *f2 == from),
                );
                let nodes: Vec<NodeId> = match from {
                    Some(n) => vec![n],
                    None => self.lanes.to_vec(),
                };
                for n in nodes {
                    self.push("link", n, at, to, 0);
                }
            }
            Fault::Crash { node, .. } if !crashes_from_trace => {
                let node = *node;
                let to = until(&|f| {
                    matches!(f, Fault::Restart { node: n } if *n == node) || *f == Fault::RecoverAll
                });
                self.push("crash", node, at, to, 0);
            }
            Fault::Pause { node } => {
                let node = *node;
                let to = until(&|f| {
                    matches!(f, Fault::Resume { node: n } if *n == node) || *f == Fault::RecoverAll
                });
                self.push("pause", node, at, to, 0);
            }
            Fault::ClockDrift { ppm: 0, .. } | Fault::Slow { extra_us: 0, .. } => {}
            Fault::ClockOffset { node, .. } | Fault::ClockDrift { node, .. } => {
                let node = *node;
                let to = until(&|f| match f {
                    Fault::ClockOffset { node: n, .. } | Fault::ClockDrift { node: n, .. } => {
                        *n == node
                    }
                    _ => false,
                });
                self.push("clock", node, at, to, 0);
            }
            Fault::Slow { node, .. } => {
                let node = *node;
                let to = until(&|f| matches!(f, Fault::Slow { node: n, .. } if *n == node));
                self.push("slow", node, at, to, 0);
            }
            Fault::Link { .. }
            | Fault::Crash { .. }
            | Fault::Restart { .. }
            | Fault::Resume { .. }
            | Fault::CrashAfterSend { .. }
            | Fault::IsolateAfterHearing { .. }
            | Fault::CrashBeforeSync { .. } => {}
        }
        let label = t.fault.label();
        for band in &mut self.out[first..] {
            band.label.clone_from(&label);
        }
    }

    /// Crash bands from the trace: each crash until the node's next (re)start.
    fn trace_crashes(&mut self, trace: &[TraceEvent], end_us: u64) {
        let mut down: Vec<Option<(u64, String)>> = vec![None; self.lanes.len()];
        for e in trace {
            let Some(lane) = e.node.and_then(|n| self.lane(n)) else {
                continue;
            };
            let slot = &mut down[lane as usize];
            match e.kind {
                TraceKind::Crash => *slot = Some((e.at_us, e.label.clone())),
                TraceKind::Restart => {
                    if let Some((from, label)) = slot.take() {
                        self.out.push(crash_band(lane, from, e.at_us, label));
                    }
                }
                _ => {}
            }
        }
        for (lane, slot) in down.into_iter().enumerate() {
            if let Some((from, label)) = slot {
                self.out.push(crash_band(lane as i64, from, end_us, label));
            }
        }
    }
}

fn crash_band(lane: i64, from_us: u64, to_us: u64, label: String) -> Band {
    Band {
        kind: "crash",
        lane,
        from_us,
        to_us,
        group: 0,
        label,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(i: usize) -> NodeId {
        NodeId::server(i)
    }

    fn c(i: usize) -> NodeId {
        NodeId::client(i)
    }

    fn at(at_us: u64, fault: Fault) -> Timed {
        Timed { at_us, fault }
    }

    #[test]
    fn a_partition_shades_each_side_until_the_heal() {
        let lanes = [s(0), s(1), c(0), c(1)];
        let sched = [
            at(
                100,
                Fault::Partition {
                    groups: vec![vec![s(0), c(0)], vec![s(1), c(1)]],
                },
            ),
            at(600, Fault::Heal),
        ];
        let bands = fault_bands(&sched, None, &lanes, 1_000, None);
        assert_eq!(bands.len(), 4);
        assert!(bands
            .iter()
            .all(|b| b.kind == "partition" && b.from_us == 100 && b.to_us == 600));
        let groups: Vec<(i64, usize)> = bands.iter().map(|b| (b.lane, b.group)).collect();
        assert_eq!(groups, vec![(0, 0), (2, 0), (1, 1), (3, 1)]);
        assert_eq!(bands[0].label, "partition {S1,C1} | {S2,C2}");
    }

    #[test]
    fn faults_still_open_end_when_the_liveness_phase_starts() {
        let lanes = [s(0), s(1)];
        let sched = [
            at(100, Fault::Isolate { node: s(0) }),
            at(200, Fault::Pause { node: s(1) }),
        ];
        let bands = fault_bands(&sched, None, &lanes, 1_000, Some(700));
        let ends: Vec<(&str, u64)> = bands.iter().map(|b| (b.kind, b.to_us)).collect();
        assert_eq!(
            ends,
            vec![("isolate", 700), ("pause", 700), ("liveness", 1_000)]
        );
    }

    #[test]
    fn setting_a_fault_back_to_normal_ends_its_band_and_draws_none() {
        let lanes = [s(0), s(1)];
        let lossy = LinkProfile {
            drop: 0.5,
            ..LinkProfile::default()
        };
        let sched = [
            at(
                100,
                Fault::Slow {
                    node: s(0),
                    extra_us: 500,
                },
            ),
            at(
                150,
                Fault::Link {
                    from: Some(s(1)),
                    to: None,
                    profile: lossy,
                },
            ),
            at(
                300,
                Fault::Slow {
                    node: s(0),
                    extra_us: 0,
                },
            ),
            at(
                350,
                Fault::Link {
                    from: None,
                    to: None,
                    profile: LinkProfile::default(),
                },
            ),
        ];
        let bands = fault_bands(&sched, None, &lanes, 1_000, None);
        let spans: Vec<(&str, i64, u64, u64)> = bands
            .iter()
            .map(|b| (b.kind, b.lane, b.from_us, b.to_us))
            .collect();
        assert_eq!(spans, vec![("slow", 0, 100, 300), ("link", 1, 150, 350)]);
    }

    #[test]
    fn without_a_trace_a_crash_lasts_until_its_restart() {
        let lanes = [s(0)];
        let sched = [
            at(
                100,
                Fault::Crash {
                    node: s(0),
                    lose_unsynced: false,
                },
            ),
            at(400, Fault::Restart { node: s(0) }),
        ];
        let bands = fault_bands(&sched, None, &lanes, 1_000, None);
        assert_eq!((bands[0].kind, bands[0].to_us), ("crash", 400));
    }

    #[test]
    fn with_a_trace_crashes_come_from_the_trace() {
        let lanes = [s(0)];
        let ev = |at_us, kind| TraceEvent {
            at_us,
            kind,
            node: Some(s(0)),
            peer: None,
            sent_us: None,
            label: "x".into(),
            view: None,
            hash: 0,
        };
        let trace = [
            ev(0, TraceKind::Restart),
            ev(150, TraceKind::Crash),
            ev(300, TraceKind::Restart),
            ev(900, TraceKind::Crash),
        ];
        let bands = fault_bands(&[], Some(&trace), &lanes, 1_000, None);
        let spans: Vec<(u64, u64)> = bands.iter().map(|b| (b.from_us, b.to_us)).collect();
        assert_eq!(spans, vec![(150, 300), (900, 1_000)]);
    }
}
