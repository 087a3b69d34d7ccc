//! Faults are data: a schedule is a sorted list of `(at_us, fault)` that serialises to JSON and
//! replays exactly. Unknown fields and unknown kinds are errors, never silently ignored.

use serde::{Deserialize, Serialize};
use splitbrain_api::NodeId;

/// One fault, applied at a point of simulated time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Fault {
    /// The network's partition from now on: every link between endpoints of different groups
    /// is cut, and every other link works. It **replaces** the partition in force (whatever
    /// partition-shaped fault made it); endpoints not listed (often the clients) keep all
    /// their links. `add-partition` cuts more without restoring anything.
    Partition {
        groups: Vec<Vec<NodeId>>,
    },
    /// Cuts every link between endpoints of different groups *in addition to* the links
    /// already cut.
    AddPartition {
        groups: Vec<Vec<NodeId>>,
    },
    /// The partition from now on: only the one-way link `from -> to` is cut (replaces).
    CutLink {
        from: NodeId,
        to: NodeId,
    },
    /// The partition from now on: every link to and from `node` is cut (replaces).
    Isolate {
        node: NodeId,
    },
    /// The partition from now on: `left` and `right` cannot talk; `bridge` talks to both
    /// (replaces).
    Bridge {
        bridge: NodeId,
        left: Vec<NodeId>,
        right: Vec<NodeId>,
    },
    /// The partition from now on: only `a` and `b` cannot talk; both still see everyone else
    /// (replaces).
    PartialPartition {
        a: NodeId,
        b: NodeId,
    },
    /// Restore every link (partitions only; link profiles stay).
    Heal,
    /// Every fault ends at once, as when the liveness phase begins: links heal and return to
    /// the default profile, clocks stop drifting, crash points are disarmed, paused nodes
    /// resume and crashed nodes restart. Guided exploration writes it where a run's safety
    /// phase ended when it stretches that phase past a protocol event of its recovery.
    RecoverAll,
    /// Change the link profile of `from -> to` (`null` = every endpoint).
    Link {
        from: Option<NodeId>,
        to: Option<NodeId>,
        profile: crate::network::LinkProfile,
    },
    /// Stop the node; volatile state is lost. With `lose_unsynced`, writes not yet synced are
    /// lost too (power failure rather than process crash).
    Crash {
        node: NodeId,
        #[serde(default)]
        lose_unsynced: bool,
    },
    /// Start a crashed node from its durable state.
    Restart {
        node: NodeId,
    },
    /// Freeze the node: events for it wait until `resume`.
    Pause {
        node: NodeId,
    },
    Resume {
        node: NodeId,
    },
    /// Jump the node's clock by `offset_us` (may be negative).
    ClockOffset {
        node: NodeId,
        offset_us: i64,
    },
    /// Make the node's clock run fast (positive) or slow by `ppm` parts per million.
    ClockDrift {
        node: NodeId,
        ppm: i64,
    },
    /// Add `extra_us` to every message the node sends.
    Slow {
        node: NodeId,
        extra_us: u64,
    },
    /// Crash point: crash `node` right after it next sends a message of kind `msg_kind`.
    CrashAfterSend {
        node: NodeId,
        msg_kind: String,
        #[serde(default)]
        lose_unsynced: bool,
        /// Restart the node this long after the crash point fires (none: only a `restart`
        /// entry brings it back), so the downtime follows the protocol event, not the clock.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        restart_after_us: Option<u64>,
    },
    /// Crash point: crash `node` after its next persist, before that write is synced (the
    /// write is lost). With `restart_after_us` it restarts that long after the crash.
    CrashBeforeSync {
        node: NodeId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        restart_after_us: Option<u64>,
    },
    /// Cut point: once `node` has handled a message from each of `from` (counted from when
    /// this is applied), right after the last of those handlers it is isolated (the partition
    /// in force is replaced, as `isolate` does; its messages still in flight are lost), and
    /// with `heal_after_us` every link heals that long after, so the time away follows the
    /// protocol event (a leader cut off right after acting on its followers' answers), not
    /// the clock.
    IsolateAfterHearing {
        node: NodeId,
        from: Vec<NodeId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        heal_after_us: Option<u64>,
    },
}

/// A fault at a time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timed {
    pub at_us: u64,
    pub fault: Fault,
}

/// A replayable fault schedule, kept sorted by time (stable for equal times).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Schedule(pub Vec<Timed>);

impl Schedule {
    pub fn new(mut faults: Vec<Timed>) -> Schedule {
        faults.sort_by_key(|t| t.at_us);
        Schedule(faults)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every node the schedule names, to validate it against the cluster size.
    pub fn nodes(&self) -> Vec<NodeId> {
        let mut out = Vec::new();
        for t in &self.0 {
            t.fault.nodes_into(&mut out);
        }
        out.sort();
        out.dedup();
        out
    }
}

impl Fault {
    /// True for entries that end a fault rather than start one: heal, restart, resume, and a
    /// link profile, slowness or clock drift set back to normal.
    pub fn is_recovery(&self) -> bool {
        match self {
            Fault::Heal | Fault::RecoverAll | Fault::Restart { .. } | Fault::Resume { .. } => true,
            Fault::Slow { extra_us, .. } => *extra_us == 0,
            Fault::ClockDrift { ppm, .. } => *ppm == 0,
            Fault::Link { profile, .. } => *profile == crate::network::LinkProfile::default(),
            _ => false,
        }
    }

    /// True for the faults that change which links are cut: the partition shapes and heal.
    pub fn is_partition_shaped(&self) -> bool {
        matches!(
            self,
            Fault::Partition { .. }
                | Fault::AddPartition { .. }
                | Fault::CutLink { .. }
                | Fault::Isolate { .. }
                | Fault::Bridge { .. }
                | Fault::PartialPartition { .. }
                | Fault::Heal
        )
    }

    fn nodes_into(&self, out: &mut Vec<NodeId>) {
        match self {
            Fault::Partition { groups } | Fault::AddPartition { groups } => {
                out.extend(groups.iter().flatten())
            }
            Fault::Bridge {
                bridge,
                left,
                right,
            } => {
                out.push(*bridge);
                out.extend(left.iter().chain(right));
            }
            Fault::CutLink { from, to } => out.extend([*from, *to]),
            Fault::PartialPartition { a, b } => out.extend([*a, *b]),
            Fault::Link { from, to, .. } => out.extend(from.iter().chain(to.iter())),
            Fault::Heal | Fault::RecoverAll => {}
            Fault::Isolate { node }
            | Fault::Crash { node, .. }
            | Fault::Restart { node }
            | Fault::Pause { node }
            | Fault::Resume { node }
            | Fault::ClockOffset { node, .. }
            | Fault::ClockDrift { node, .. }
            | Fault::Slow { node, .. }
            | Fault::CrashAfterSend { node, .. }
            | Fault::CrashBeforeSync { node, .. } => out.push(*node),
            Fault::IsolateAfterHearing { node, from, .. } => {
                out.push(*node);
                out.extend(from);
            }
        }
    }

    /// A short human label ("partition {S1,C1} | {S2,C2}").
    pub fn label(&self) -> String {
        let list = |v: &[NodeId]| {
            v.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        match self {
            Fault::Partition { groups } => {
                let parts: Vec<String> =
                    groups.iter().map(|g| format!("{{{}}}", list(g))).collect();
                format!("partition {}", parts.join(" | "))
            }
            Fault::AddPartition { groups } => {
                let parts: Vec<String> =
                    groups.iter().map(|g| format!("{{{}}}", list(g))).collect();
                format!("add partition {}", parts.join(" | "))
            }
            Fault::Bridge {
                bridge,
                left,
                right,
            } => {
                format!(
                    "bridge {bridge} between {{{}}} and {{{}}}",
                    list(left),
                    list(right)
                )
            }
            Fault::CutLink { from, to } => format!("cut {from}->{to}"),
            Fault::PartialPartition { a, b } => format!("partial partition {a} x {b}"),
            Fault::Isolate { node } => format!("isolate {node}"),
            Fault::Heal => "heal".to_string(),
            Fault::RecoverAll => "recover all: heal, resume, restart all".to_string(),
            Fault::Link { from, to, profile } => format!(
                "link {}->{} {}",
                from.map_or("*".to_string(), |n| n.to_string()),
                to.map_or("*".to_string(), |n| n.to_string()),
                profile.label()
            ),
            Fault::Crash {
                node,
                lose_unsynced,
            } => {
                format!(
                    "crash {node}{}",
                    if *lose_unsynced {
                        " (lose unsynced)"
                    } else {
                        ""
                    }
                )
            }
            Fault::Restart { node } => format!("restart {node}"),
            Fault::Pause { node } => format!("pause {node}"),
            Fault::Resume { node } => format!("resume {node}"),
            Fault::ClockOffset { node, offset_us } => format!("clock {node} {offset_us:+}us"),
            Fault::ClockDrift { node, ppm } => format!("drift {node} {ppm:+}ppm"),
            Fault::Slow { node, extra_us } => format!("slow {node} +{extra_us}us"),
            Fault::CrashAfterSend {
                node,
                msg_kind,
                restart_after_us,
                ..
            } => {
                let back =
                    restart_after_us.map_or(String::new(), |us| format!(", back {us}us later"));
                format!("arm: crash {node} after it sends {msg_kind}{back}")
            }
            Fault::CrashBeforeSync {
                node,
                restart_after_us,
            } => {
                let back =
                    restart_after_us.map_or(String::new(), |us| format!(", back {us}us later"));
                format!("arm: crash {node} before its next sync{back}")
            }
            Fault::IsolateAfterHearing {
                node,
                from,
                heal_after_us,
            } => {
                let back = heal_after_us.map_or(String::new(), |us| format!(", heal {us}us later"));
                format!(
                    "arm: isolate {node} once it has heard from {}{back}",
                    list(from)
                )
            }
        }
    }
}

impl Fault {
    /// The same fault with every node renamed by `f`; `None` when it names a node `f` removes
    /// (a group member that disappears is just left out of its group).
    pub fn remap(&self, f: &dyn Fn(NodeId) -> Option<NodeId>) -> Option<Fault> {
        let list = |v: &[NodeId]| v.iter().filter_map(|&n| f(n)).collect::<Vec<_>>();
        let mut out = self.clone();
        match &mut out {
            Fault::Partition { groups } | Fault::AddPartition { groups } => {
                *groups = groups
                    .iter()
                    .map(|g| list(g))
                    .filter(|g| !g.is_empty())
                    .collect();
            }
            Fault::Bridge {
                bridge,
                left,
                right,
            } => {
                *bridge = f(*bridge)?;
                *left = list(left);
                *right = list(right);
            }
            Fault::CutLink { from: a, to: b } | Fault::PartialPartition { a, b } => {
                *a = f(*a)?;
                *b = f(*b)?;
            }
            Fault::Link { from, to, .. } => {
                if let Some(n) = from {
                    *n = f(*n)?;
                }
                if let Some(n) = to {
                    *n = f(*n)?;
                }
            }
            Fault::Heal | Fault::RecoverAll => {}
            Fault::Isolate { node }
            | Fault::Crash { node, .. }
            | Fault::Restart { node }
            | Fault::Pause { node }
            | Fault::Resume { node }
            | Fault::ClockOffset { node, .. }
            | Fault::ClockDrift { node, .. }
            | Fault::Slow { node, .. }
            | Fault::CrashAfterSend { node, .. }
            | Fault::CrashBeforeSync { node, .. } => *node = f(*node)?,
            Fault::IsolateAfterHearing { node, from, .. } => {
                *node = f(*node)?;
                *from = list(from);
                if from.is_empty() {
                    return None;
                }
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remapping_drops_faults_on_removed_nodes_and_renames_the_rest() {
        let (s1, s2, s3) = (NodeId::server(0), NodeId::server(1), NodeId::server(2));
        let drop_s2 = |n: NodeId| match n {
            n if n == s2 => None,
            n if n == s3 => Some(s2),
            n => Some(n),
        };
        assert_eq!(Fault::Isolate { node: s2 }.remap(&drop_s2), None);
        assert_eq!(
            Fault::Isolate { node: s3 }.remap(&drop_s2),
            Some(Fault::Isolate { node: s2 })
        );
        let p = Fault::Partition {
            groups: vec![vec![s1, s2], vec![s3]],
        };
        let want = Fault::Partition {
            groups: vec![vec![s1], vec![s2]],
        };
        assert_eq!(p.remap(&drop_s2), Some(want));
    }
}
