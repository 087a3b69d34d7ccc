//! The data behind the space-time diagram, as the page's script reads it: lanes, messages,
//! events, views, operations, fault bands and highlights, in compact arrays with interned
//! labels. A large trace is thinned here, deterministically, and the thinning is reported.

use crate::bands::{fault_bands, Band};
use crate::counterexample::{highlights, Highlight};
use crate::ReportInput;
use serde::Serialize;
use splitbrain_api::{NodeId, Role};
use splitbrain_sim::{OpStatus, TraceEvent, TraceKind};
use std::collections::BTreeMap;

/// Limits on what the page embeds.
#[derive(Clone, Debug)]
pub struct DiagramOptions {
    /// Message events kept (delivered, duplicated, dropped, cut, lost at a down node).
    pub max_messages: usize,
    /// Minor events kept (timers, syncs, marks, views that change neither role nor term).
    pub max_minor: usize,
    /// Longer labels are cut (with `…`).
    pub label_max_chars: usize,
    /// Messages this close to a violation are kept first when thinning.
    pub keep_near_violation_us: u64,
}

impl Default for DiagramOptions {
    fn default() -> Self {
        DiagramOptions {
            max_messages: 60_000,
            max_minor: 40_000,
            label_max_chars: 160,
            keep_near_violation_us: 50_000,
        }
    }
}

/// What the thinning kept.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Thinning {
    pub messages_total: usize,
    pub messages_kept: usize,
    pub minor_total: usize,
    pub minor_kept: usize,
    pub labels_cut: usize,
    pub label_max_chars: usize,
}

impl Thinning {
    pub fn thinned(&self) -> bool {
        self.messages_kept < self.messages_total || self.minor_kept < self.minor_total
    }
}

/// Fates of a message, the `fate` column of `msgs`.
pub const FATES: [&str; 5] = ["deliver", "duplicate", "drop", "cut", "lost-at-down"];
/// Non-message event kinds, the `kind` column of `events`.
pub const EVENT_KINDS: [&str; 8] = [
    "timer",
    "mark",
    "sync",
    "crash",
    "restart",
    "fault",
    "violation",
    "notice",
];
/// Roles, the `role` column of `views`.
pub const ROLES: [&str; 5] = ["leader", "candidate", "follower", "member", "down"];

/// Everything the page's script draws.
#[derive(Clone, Debug, Serialize)]
pub struct Diagram {
    pub lanes: Vec<String>,
    pub servers: usize,
    pub end_us: u64,
    pub liveness_from_us: Option<u64>,
    pub has_trace: bool,
    pub fates: [&'static str; 5],
    pub event_kinds: [&'static str; 8],
    pub roles: [&'static str; 5],
    /// Interned labels; the `label` columns index here.
    pub labels: Vec<String>,
    /// Message kinds (the label's first word), for the filters.
    pub kinds: Vec<String>,
    /// `[sent_us, at_us, from_lane, to_lane, fate, kind, label]`
    pub msgs: Vec<[i64; 7]>,
    /// `[at_us, lane (-1: none), event_kind, label]`
    pub events: Vec<[i64; 4]>,
    /// `[at_us, lane, role, term, commit, log_len]`
    pub views: Vec<[i64; 6]>,
    /// `[history_index, lane, call_us, ret_us (-1: open), status (0 ok, 1 fail, 2 ?), label]`
    pub ops: Vec<[i64; 6]>,
    pub bands: Vec<Band>,
    pub highlights: Vec<Highlight>,
    pub thinning: Thinning,
}

/// Builds the diagram data for a run.
pub fn build(input: &ReportInput, opts: &DiagramOptions) -> Diagram {
    let rec = input.record;
    let lanes: Vec<NodeId> = rec.nodes.clone();
    let end_us = end_of(input);
    let highlights = highlights(rec, input.evidence);
    let mut b = Builder {
        lanes: &lanes,
        labels: Interner::new(opts.label_max_chars),
        kinds: Interner::new(opts.label_max_chars),
        d: Diagram {
            lanes: lanes.iter().map(|n| n.to_string()).collect(),
            servers: lanes.iter().filter(|n| !n.is_client()).count(),
            end_us,
            liveness_from_us: rec.liveness_from_us,
            has_trace: rec.trace.is_some(),
            fates: FATES,
            event_kinds: EVENT_KINDS,
            roles: ROLES,
            labels: Vec::new(),
            kinds: Vec::new(),
            msgs: Vec::new(),
            events: Vec::new(),
            views: Vec::new(),
            ops: Vec::new(),
            bands: fault_bands(
                input.schedule,
                rec.trace.as_deref(),
                &lanes,
                end_us,
                rec.liveness_from_us,
            ),
            highlights: Vec::new(),
            thinning: Thinning {
                label_max_chars: opts.label_max_chars,
                ..Thinning::default()
            },
        },
    };
    b.ops(input);
    if let Some(trace) = &rec.trace {
        let windows = near_windows(input, &highlights, opts.keep_near_violation_us);
        b.trace(trace, &windows, opts);
    }
    b.d.highlights = highlights;
    b.d.thinning.labels_cut = b.labels.cut + b.kinds.cut;
    b.d.labels = b.labels.list;
    b.d.kinds = b.kinds.list;
    b.d
}

/// The end of the diagram: the run's end, or the last thing recorded if later.
fn end_of(input: &ReportInput) -> u64 {
    let rec = input.record;
    let last_trace = rec
        .trace
        .as_ref()
        .and_then(|t| t.last())
        .map_or(0, |e| e.at_us);
    let last_op = rec
        .history
        .ops
        .iter()
        .map(|o| o.ret_us.unwrap_or(o.call_us))
        .max()
        .unwrap_or(0);
    rec.sim_time_us.max(last_trace).max(last_op).max(1)
}

/// Time windows whose messages are kept first: around each violation and each highlighted op.
fn near_windows(input: &ReportInput, hs: &[Highlight], near_us: u64) -> Vec<(u64, u64)> {
    let ops = &input.record.history.ops;
    let mut w = Vec::new();
    for h in hs {
        w.push((h.at_us.saturating_sub(near_us), h.at_us + near_us));
        for &i in &h.ops {
            let op = &ops[i];
            let ret = op.ret_us.unwrap_or(op.call_us);
            w.push((op.call_us.saturating_sub(near_us), ret + near_us));
        }
    }
    w
}

/// Interns labels, cutting long ones.
struct Interner {
    max_chars: usize,
    index: BTreeMap<String, usize>,
    list: Vec<String>,
    cut: usize,
}

impl Interner {
    fn new(max_chars: usize) -> Interner {
        Interner {
            max_chars: max_chars.max(8),
            index: BTreeMap::new(),
            list: Vec::new(),
            cut: 0,
        }
    }

    fn id(&mut self, text: &str) -> i64 {
        if let Some(&i) = self.index.get(text) {
            return i as i64;
        }
        let shown = if text.chars().count() > self.max_chars {
            self.cut += 1;
            let mut s: String = text.chars().take(self.max_chars - 1).collect();
            s.push('…');
            s
        } else {
            text.to_string()
        };
        let i = self.list.len();
        self.list.push(shown);
        self.index.insert(text.to_string(), i);
        i as i64
    }
}

struct Builder<'a> {
    lanes: &'a [NodeId],
    labels: Interner,
    kinds: Interner,
    d: Diagram,
}

/// Which list a trace entry goes to.
enum Class {
    Message(i64),
    Always(i64),
    Minor(i64),
    View,
    Skip,
}

fn classify(kind: TraceKind) -> Class {
    match kind {
        TraceKind::Deliver => Class::Message(0),
        TraceKind::Duplicate => Class::Message(1),
        TraceKind::Drop => Class::Message(2),
        TraceKind::Cut => Class::Message(3),
        TraceKind::LostAtDown => Class::Message(4),
        TraceKind::Timer => Class::Minor(0),
        TraceKind::Mark => Class::Minor(1),
        TraceKind::Sync => Class::Minor(2),
        TraceKind::Crash => Class::Always(3),
        TraceKind::Restart => Class::Always(4),
        TraceKind::Fault => Class::Always(5),
        TraceKind::Violation => Class::Always(6),
        TraceKind::Notice => Class::Always(7),
        TraceKind::View => Class::View,
        // Client operations are drawn from the history, as bars.
        TraceKind::Invoke | TraceKind::Return => Class::Skip,
    }
}

fn role_index(r: Role) -> i64 {
    match r {
        Role::Leader => 0,
        Role::Candidate => 1,
        Role::Follower => 2,
        Role::Member => 3,
        Role::Down => 4,
    }
}

/// A message's kind: the first word of its label (`AppendEntries { .. }` is `AppendEntries`).
pub fn message_kind(label: &str) -> &str {
    let end = label.find([' ', '{', '(', ',']).unwrap_or(label.len());
    if end == 0 {
        "message"
    } else {
        &label[..end]
    }
}

impl Builder<'_> {
    fn lane(&self, n: Option<NodeId>) -> i64 {
        n.and_then(|n| self.lanes.iter().position(|&l| l == n))
            .map_or(-1, |i| i as i64)
    }

    fn ops(&mut self, input: &ReportInput) {
        for (i, op) in input.record.history.ops.iter().enumerate() {
            let out = op.out.as_ref().map_or(String::new(), |r| r.label());
            let label = match op.status {
                OpStatus::Ok => format!("{} -> {out}", op.op.label()),
                OpStatus::Fail => format!("{} -> failed", op.op.label()),
                OpStatus::Indeterminate => format!("{} -> ?", op.op.label()),
            };
            let status = match op.status {
                OpStatus::Ok => 0,
                OpStatus::Fail => 1,
                OpStatus::Indeterminate => 2,
            };
            let ret = match (op.status, op.ret_us) {
                (OpStatus::Indeterminate, _) | (_, None) => -1,
                (_, Some(r)) => r as i64,
            };
            let row = [
                i as i64,
                self.lane(Some(op.client)),
                op.call_us as i64,
                ret,
                status,
                self.labels.id(&label),
            ];
            self.d.ops.push(row);
        }
    }

    fn trace(&mut self, trace: &[TraceEvent], windows: &[(u64, u64)], opts: &DiagramOptions) {
        let mut msgs: Vec<(usize, i64)> = Vec::new();
        let mut minor: Vec<(usize, Class)> = Vec::new();
        let mut keep: Vec<(usize, Class)> = Vec::new();
        let mut last_role: BTreeMap<i64, (i64, u64)> = BTreeMap::new();
        for (i, e) in trace.iter().enumerate() {
            match classify(e.kind) {
                Class::Message(f) => msgs.push((i, f)),
                c @ Class::Always(_) => keep.push((i, c)),
                c @ Class::Minor(_) => minor.push((i, c)),
                Class::View => {
                    let lane = self.lane(e.node);
                    let v = e.view.clone().unwrap_or_default();
                    let now = (role_index(v.role), v.term);
                    if last_role.insert(lane, now) == Some(now) {
                        minor.push((i, Class::View));
                    } else {
                        keep.push((i, Class::View));
                    }
                }
                Class::Skip => {}
            }
        }
        let kept_msgs = thin_messages(trace, &msgs, windows, opts.max_messages);
        self.d.thinning.messages_total = msgs.len();
        self.d.thinning.messages_kept = kept_msgs.len();
        self.d.thinning.minor_total = minor.len();
        let minor = sample(minor, opts.max_minor);
        self.d.thinning.minor_kept = minor.len();
        let mut rest: Vec<(usize, Class)> = keep;
        rest.extend(minor);
        rest.sort_by_key(|(i, _)| *i);
        for (i, f) in kept_msgs {
            self.message(&trace[i], f);
        }
        for (i, c) in rest {
            self.entry(&trace[i], c);
        }
    }

    fn message(&mut self, e: &TraceEvent, fate: i64) {
        let kind = self.kinds.id(message_kind(&e.label));
        let row = [
            e.sent_us.unwrap_or(e.at_us) as i64,
            e.at_us as i64,
            self.lane(e.peer),
            self.lane(e.node),
            fate,
            kind,
            self.labels.id(&e.label),
        ];
        self.d.msgs.push(row);
    }

    fn entry(&mut self, e: &TraceEvent, c: Class) {
        let lane = self.lane(e.node);
        match c {
            Class::Always(k) | Class::Minor(k) => {
                let row = [e.at_us as i64, lane, k, self.labels.id(&e.label)];
                self.d.events.push(row);
            }
            Class::View => {
                let v = e.view.clone().unwrap_or_default();
                self.d.views.push([
                    e.at_us as i64,
                    lane,
                    role_index(v.role),
                    v.term as i64,
                    v.commit as i64,
                    v.log_len as i64,
                ]);
            }
            Class::Message(_) | Class::Skip => {}
        }
    }
}

/// Keeps at most `max` messages, in trace order: first those near a violation, then the ones
/// that did not arrive, then an even sample of the rest.
fn thin_messages(
    trace: &[TraceEvent],
    msgs: &[(usize, i64)],
    windows: &[(u64, u64)],
    max: usize,
) -> Vec<(usize, i64)> {
    if msgs.len() <= max {
        return msgs.to_vec();
    }
    let near = |e: &TraceEvent| {
        let sent = e.sent_us.unwrap_or(e.at_us);
        windows.iter().any(|&(a, b)| sent <= b && e.at_us >= a)
    };
    let mut tiers: [Vec<(usize, i64)>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for &(i, f) in msgs {
        let tier = if near(&trace[i]) {
            0
        } else if f != 0 {
            1
        } else {
            2
        };
        tiers[tier].push((i, f));
    }
    let mut out = Vec::with_capacity(max);
    for tier in tiers {
        let room = max - out.len();
        out.extend(sample(tier, room));
    }
    out.sort_by_key(|(i, _)| *i);
    out
}

/// An even, deterministic sample of at most `max` items, in order.
fn sample<T>(items: Vec<T>, max: usize) -> Vec<T> {
    let n = items.len();
    if n <= max {
        return items;
    }
    if max == 0 {
        return Vec::new();
    }
    let mut next = 0usize;
    let mut taken = 0usize;
    let mut out = Vec::with_capacity(max);
    for (i, item) in items.into_iter().enumerate() {
        // Take item i when it is the first at or past the next evenly spaced position.
        if taken < max && i == next {
            out.push(item);
            taken += 1;
            next = taken * n / max;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_kinds_are_the_first_word_of_the_label() {
        assert_eq!(message_kind("Replicate { lock: 9 }"), "Replicate");
        assert_eq!(message_kind("Vote(3)"), "Vote");
        assert_eq!(message_kind("Ping"), "Ping");
        assert_eq!(message_kind(""), "message");
    }

    #[test]
    fn sampling_is_even_bounded_and_keeps_order() {
        let s = sample((0..100).collect::<Vec<_>>(), 10);
        assert_eq!(s, vec![0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
        assert_eq!(sample((0..7).collect::<Vec<_>>(), 3), vec![0, 2, 4]);
        assert_eq!(sample(vec![1, 2], 5), vec![1, 2]);
        assert!(sample(vec![1, 2], 0).is_empty());
    }

    #[test]
    fn long_labels_are_cut_and_interned_once() {
        let mut i = Interner::new(10);
        let long = "x".repeat(50);
        assert_eq!(i.id(&long), 0);
        assert_eq!(i.id(&long), 0);
        assert_eq!(i.id("short"), 1);
        assert_eq!(i.list[0].chars().count(), 10);
        assert!(i.list[0].ends_with('…'));
        assert_eq!(i.cut, 1);
    }
}
