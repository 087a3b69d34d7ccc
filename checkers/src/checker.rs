//! The public entry point: validate, split into independent parts, decide the verdict
//! ([`decide`]: the parts interleaved, ending at the first that fails), then build
//! evidence for people ([`explain`]: bounded, only for a violation) into one
//! deterministic [`CheckReport`].

use std::collections::BTreeSet;
use std::time::Duration;

use serde::{Serialize, Serializer};

use crate::budget::Budget;
use crate::evidence::{self, Evidence};
use crate::history::{History, Input, Operation, Output, Value};
use crate::model::{Family, ModelKind};
use crate::partition::{self, Part};
use crate::schedule::{self, Refuted};
use crate::search::{self, Outcome, Problem};
use crate::spec::{self, AnySpec};
use crate::table::Interner;

/// Default step limit per independent part.
pub const DEFAULT_MAX_STEPS: u64 = 200_000_000;
/// Default of [`CheckOptions::observe_after_entries`].
pub const DEFAULT_OBSERVE_AFTER_ENTRIES: usize = 2048;
/// Default memory cap of one check (bytes): the history plus every live part's memo,
/// event list and spec tables.
pub const DEFAULT_MAX_MEMORY_BYTES: usize = 512 << 20;

/// Options of one check.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// Search steps allowed per independent part (deterministic budget).
    pub max_steps: u64,
    /// Memory cap of the whole check, in bytes (the history's estimated size included);
    /// reaching it gives `Unknown` with the reason, never an abort.
    pub max_memory_bytes: usize,
    /// Optional wall-clock limit for the whole check (not deterministic).
    pub time_limit: Option<Duration>,
    /// Run each round's slices of the independent parts in parallel on the current rayon
    /// pool (the result is the same as sequential).
    pub parallel: bool,
    /// Build evidence (with a minimised sub-history) on a violation; `false` when only
    /// the verdict matters.
    pub evidence: bool,
    /// Most operations listed in any evidence list.
    pub max_evidence_ops: usize,
    /// Memo entries a part records before its search starts asking which states no
    /// remaining operation can observe and which indeterminate operations can no longer
    /// matter (most parts end well before; the index costs time to build). Only speed
    /// depends on it: 0 asks from the start (as the property tests do).
    pub observe_after_entries: usize,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            max_steps: DEFAULT_MAX_STEPS,
            max_memory_bytes: DEFAULT_MAX_MEMORY_BYTES,
            time_limit: None,
            parallel: false,
            evidence: true,
            max_evidence_ops: 64,
            observe_after_entries: DEFAULT_OBSERVE_AFTER_ENTRIES,
        }
    }
}

/// The verdict of a check. Serialises as `linearizable`, `not-linearizable` or `unknown`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Linearizable,
    NotLinearizable,
    /// The check could not decide (budget exhausted, invalid history); never a pass.
    Unknown(String),
}

impl Verdict {
    /// The word used by reports and the `expected.tsv` tables.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Linearizable => "linearizable",
            Verdict::NotLinearizable => "not-linearizable",
            Verdict::Unknown(_) => "unknown",
        }
    }
}

impl Serialize for Verdict {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.word())
    }
}

/// The result of a check.
#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    pub verdict: Verdict,
    /// Operations in the history (indeterminate ones included).
    pub ops: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    /// Search steps taken over all parts.
    pub steps: u64,
}

/// The verdict of a check, before any evidence: what [`explain`] needs is kept inside.
pub struct Decision {
    pub verdict: Verdict,
    /// Operations in the history (indeterminate ones included).
    pub ops: usize,
    /// Search steps taken over all parts.
    pub steps: u64,
    /// The failing part's label, its operations and what its search found.
    refuted: Option<(String, Part, Refuted)>,
}

impl Decision {
    /// The label of the part found not linearizable (`key "3"`, `all`, ...), if any.
    pub fn failing_part(&self) -> Option<&str> {
        self.refuted.as_ref().map(|(label, _, _)| label.as_str())
    }

    /// The operation the failing part could not place, if any (cheap: no evidence built).
    pub fn culprit(&self, h: &History) -> Option<evidence::OpView> {
        let (_, _, r) = self.refuted.as_ref()?;
        let op = *r.task.order.get(r.failure.culprit as usize)?;
        Some(evidence::view(h, op))
    }

    /// The report, with the evidence (if any) built for it.
    pub fn report(self, evidence: Option<Evidence>) -> CheckReport {
        CheckReport {
            verdict: self.verdict,
            ops: self.ops,
            evidence,
            steps: self.steps,
        }
    }
}

/// Checks `history` against `model`: [`decide`], then [`explain`] if `opts.evidence`.
/// Deterministic for a given step budget.
pub fn check_history(history: &History, model: ModelKind, opts: &CheckOptions) -> CheckReport {
    let decision = decide(history, model, opts);
    let evidence = if opts.evidence {
        explain(history, model, &decision, opts)
    } else {
        None
    };
    decision.report(evidence)
}

/// Decides the verdict only. The independent parts run interleaved; the first part found
/// not linearizable ends the check, and a part that exhausts its budget does not hold the
/// others back. Deterministic for a given step budget, whatever `opts.parallel`.
pub fn decide(history: &History, model: ModelKind, opts: &CheckOptions) -> Decision {
    let unknown = |reason: String| Decision {
        verdict: Verdict::Unknown(reason),
        ops: history.ops.len(),
        steps: 0,
        refuted: None,
    };
    if let Err(e) = history.validate() {
        return unknown(format!("invalid history: {e}"));
    }
    if let Some(i) = history.ops.iter().position(|o| !model.supports(&o.input)) {
        let msg = format!(
            "operation {i} ({}) is not an operation of model {model}",
            history.ops[i].input
        );
        return unknown(msg);
    }
    let history_bytes = history_bytes(history);
    if history_bytes > opts.max_memory_bytes {
        return unknown(format!(
            "the history alone takes about {}, more than the memory cap of {}",
            size(history_bytes),
            size(opts.max_memory_bytes)
        ));
    }
    let budget = Budget::new(opts.max_steps, opts.time_limit)
        .with_memory_bytes(opts.max_memory_bytes)
        .with_observe_after(opts.observe_after_entries);
    let unseen = unobserved_enqueues(history, model);
    let dropped = |i: usize| {
        let op = &history.ops[i];
        (op.is_indeterminate() && spec::is_pure_read(&op.input)) || unseen.contains(&i)
    };
    let keep: Vec<usize> = (0..history.ops.len()).filter(|&i| !dropped(i)).collect();
    let mut parts = partition::split(history, model, &keep);
    let parts_bytes: usize = parts.iter().map(|p| p.ops.capacity() * 8).sum();
    let held = history_bytes + parts_bytes + keep.capacity() * 8;
    let v = schedule::run_parts(history, model, &parts, &budget, held, opts.parallel);
    let verdict = if v.refuted.is_some() {
        Verdict::NotLinearizable
    } else {
        let reasons: Vec<String> = v
            .exhausted
            .iter()
            .map(|&(i, e)| format!("{}: {}", parts[i].label(history), describe_exhausted(e)))
            .collect();
        unknown_or_pass(reasons)
    };
    let refuted = v.refuted.map(|r| {
        let label = parts[r.part].label(history);
        let part = std::mem::replace(&mut parts[r.part], empty_part());
        (label, part, r)
    });
    Decision {
        verdict,
        ops: history.ops.len(),
        steps: v.steps,
        refuted,
    }
}

/// Builds the evidence of a violation (nothing otherwise): the failing part's longest
/// partial linearization, the operation it could not place, and a failing sub-history
/// minimised under its own step budget.
pub fn explain(
    history: &History,
    model: ModelKind,
    decision: &Decision,
    opts: &CheckOptions,
) -> Option<Evidence> {
    let (label, part, refuted) = decision.refuted.as_ref()?;
    let cap = opts.max_evidence_ops;
    let (task, f) = (&refuted.task, &refuted.failure);
    let mut ev = evidence::render(history, label, &task.order, f, &task.spec, cap);
    let budget = Budget::new(opts.max_steps, opts.time_limit)
        .with_memory_bytes(opts.max_memory_bytes)
        .with_observe_after(opts.observe_after_entries);
    evidence::minimise(history, model, &part.ops, f.frontier, &mut ev, &budget, cap);
    Some(ev)
}

fn empty_part() -> Part {
    Part {
        label: partition::Label::Text(String::new()),
        ops: Vec::new(),
    }
}

fn unknown_or_pass(reasons: Vec<String>) -> Verdict {
    if reasons.is_empty() {
        return Verdict::Linearizable;
    }
    let shown = reasons
        .iter()
        .take(3)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    let more = reasons.len().saturating_sub(3);
    let tail = if more > 0 {
        format!(" (and {more} more parts)")
    } else {
        String::new()
    };
    Verdict::Unknown(format!("budget exhausted in {shown}{tail}"))
}

/// An estimate of the bytes a history holds (operations, their values, client names).
fn history_bytes(h: &History) -> usize {
    let ops: usize = h.ops.iter().map(op_value_bytes).sum();
    let clients: usize = h.clients.iter().map(|c| c.capacity() + 24).sum();
    h.ops.capacity() * std::mem::size_of::<Operation>() + ops + clients
}

/// The bytes an operation's values hold on the heap (its strings and lists).
pub(crate) fn op_value_bytes(op: &Operation) -> usize {
    let value = |v: &Value| match v {
        Value::Str(s) => s.capacity(),
        _ => 0,
    };
    let input = match &op.input {
        Input::Read { key } => value(key),
        Input::Write { key, value: v } | Input::Append { key, value: v } => value(key) + value(v),
        Input::Cas { key, from, to } => value(key) + value(from) + value(to),
        Input::Add { value: v } | Input::Enqueue { value: v } => value(v),
        Input::Txn(m) => m.capacity() * 64,
        _ => 0,
    };
    let output = match &op.output {
        Output::Value(v) => value(v),
        Output::Txn(vs) => vs.capacity() * 40,
        Output::Set(vs) => vs.capacity() * 32 + vs.iter().map(value).sum::<usize>(),
        _ => 0,
    };
    input + output
}

/// The operations of one part in search order (by call), their problem and spec.
pub(crate) fn compile_part(
    h: &History,
    model: ModelKind,
    ops: &[usize],
) -> (Vec<usize>, Problem, AnySpec) {
    // An indeterminate read changes nothing, so it may as well never have happened.
    let droppable = |i: usize| h.ops[i].is_indeterminate() && spec::is_pure_read(&h.ops[i].input);
    let mut order: Vec<usize> = ops.iter().copied().filter(|&i| !droppable(i)).collect();
    order.sort_by_key(|&i| (h.ops[i].call, i));
    let refs: Vec<&Operation> = order.iter().map(|&i| &h.ops[i]).collect();
    let problem = problem_of(&refs);
    let spec = spec::compile(model, &refs);
    (order, problem, spec)
}

/// Queue histories: the indeterminate enqueues whose value no dequeue returned. Dropping
/// them changes no verdict: had one taken effect, its value would sit in the queue unread
/// (or be taken by an indeterminate dequeue that may as well not have happened), so the
/// same order without it is valid too. Each one kept could otherwise take effect at any
/// later point, multiplying the states the search must tell apart.
fn unobserved_enqueues(history: &History, model: ModelKind) -> BTreeSet<usize> {
    if model.family() != Family::Queue {
        return BTreeSet::new();
    }
    let seen: BTreeSet<&Value> = history
        .ops
        .iter()
        .filter_map(|o| match (&o.input, &o.output) {
            (Input::Dequeue, Output::Value(v)) => Some(v),
            _ => None,
        })
        .collect();
    (0..history.ops.len())
        .filter(|&i| {
            let o = &history.ops[i];
            o.is_indeterminate()
                && matches!(&o.input, Input::Enqueue { value } if !seen.contains(value))
        })
        .collect()
}

/// Compiles and searches one set of operations (indices into `h.ops`) to the end.
/// Returns the operations in search order (search op `i` is `order[i]`), the outcome and
/// the spec.
pub(crate) fn run_search(
    h: &History,
    model: ModelKind,
    ops: &[usize],
    budget: &Budget,
) -> (Vec<usize>, Outcome, AnySpec) {
    let (order, problem, mut spec) = compile_part(h, model, ops);
    let outcome = match &mut spec {
        AnySpec::Scalar(s) => search::search(s, &problem, budget),
        AnySpec::Vector(s) => search::search(s, &problem, budget),
    };
    (order, outcome, spec)
}

fn problem_of(ops: &[&Operation]) -> Problem {
    let mut classes = None; // Built at the first indeterminate operation.
    let mut class = vec![u32::MAX; ops.len()];
    let mut rank = vec![0u32; ops.len()];
    let mut counts: Vec<u32> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        if op.is_indeterminate() {
            let c = classes
                .get_or_insert_with(Interner::new)
                .intern((&op.input, &op.output));
            if c as usize == counts.len() {
                counts.push(0);
            }
            class[i] = c;
            rank[i] = counts[c as usize];
            counts[c as usize] += 1;
        }
    }
    Problem {
        calls: ops.iter().map(|o| o.call).collect(),
        rets: ops.iter().map(|o| o.ret).collect(),
        class,
        rank,
        classes: counts.len(),
    }
}

fn describe_exhausted(e: crate::budget::Exhausted) -> String {
    match e {
        crate::budget::Exhausted::Steps(n) => format!("step limit of {n} reached"),
        crate::budget::Exhausted::Deadline => "time limit reached".to_string(),
        crate::budget::Exhausted::Memory(b) => format!(
            "memory cap of {} reached (memos, event lists and states of the live parts, \
             and the history)",
            size(b)
        ),
    }
}

/// A byte count for people: whole MiB from 1 MiB up, else KiB.
fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes.div_ceil(1 << 10))
    }
}
