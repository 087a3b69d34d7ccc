//! The public entry point: validate, split into independent parts, search each part,
//! and combine into one deterministic [`CheckReport`].

use std::collections::BTreeSet;
use std::time::Duration;

use rayon::prelude::*;
use serde::{Serialize, Serializer};

use crate::budget::Budget;
use crate::evidence::{self, Evidence};
use crate::history::{History, Input, Operation, Output, Value};
use crate::model::{Family, ModelKind};
use crate::partition::{self, Part};
use crate::search::{self, Found, Outcome, Problem};
use crate::spec::{self, AnySpec};
use crate::table::Interner;

/// Default step limit per independent part.
pub const DEFAULT_MAX_STEPS: u64 = 200_000_000;
/// Default memo size limit per independent part (bytes).
pub const DEFAULT_MAX_CACHE_BYTES: usize = 512 << 20;

/// Options of one check.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// Search steps allowed per independent part (deterministic budget).
    pub max_steps: u64,
    /// Memo size limit per independent part, in bytes; running out gives `Unknown`.
    pub max_cache_bytes: usize,
    /// Optional wall-clock limit for the whole check (not deterministic).
    pub time_limit: Option<Duration>,
    /// Check independent parts in parallel on the current rayon pool.
    pub parallel: bool,
    /// Build evidence (with a minimised sub-history) on a violation.
    pub evidence: bool,
    /// Most operations listed in any evidence list.
    pub max_evidence_ops: usize,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            max_steps: DEFAULT_MAX_STEPS,
            max_cache_bytes: DEFAULT_MAX_CACHE_BYTES,
            time_limit: None,
            parallel: false,
            evidence: true,
            max_evidence_ops: 64,
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

/// Checks `history` against `model`. Deterministic for a given step budget.
pub fn check_history(history: &History, model: ModelKind, opts: &CheckOptions) -> CheckReport {
    let unknown = |reason: String| CheckReport {
        verdict: Verdict::Unknown(reason),
        ops: history.ops.len(),
        evidence: None,
        steps: 0,
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
    let budget =
        Budget::new(opts.max_steps, opts.time_limit).with_cache_bytes(opts.max_cache_bytes);
    let unseen = unobserved_enqueues(history, model);
    let dropped = |i: usize| {
        let op = &history.ops[i];
        (op.is_indeterminate() && spec::is_pure_read(&op.input)) || unseen.contains(&i)
    };
    let keep: Vec<usize> = (0..history.ops.len()).filter(|&i| !dropped(i)).collect();
    let parts = partition::split(history, model, &keep);
    let run = |part: &Part| check_part(history, model, part, &budget, opts);
    let results: Vec<PartResult> = if opts.parallel {
        parts.par_iter().map(run).collect()
    } else {
        parts.iter().map(run).collect()
    };
    combine(history, model, &parts, results, &budget, opts)
}

/// The outcome of one part, with evidence rendered while its spec is alive.
pub(crate) struct PartResult {
    pub(crate) outcome: Outcome,
    pub(crate) evidence: Option<Evidence>,
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

fn check_part(
    h: &History,
    model: ModelKind,
    part: &Part,
    budget: &Budget,
    opts: &CheckOptions,
) -> PartResult {
    if budget.past_deadline() {
        let found = Found::OutOfBudget(crate::budget::Exhausted::Deadline);
        return PartResult {
            outcome: Outcome { found, steps: 0 },
            evidence: None,
        };
    }
    let (order, outcome, spec) = run_search(h, model, &part.ops, budget);
    let evidence = match (&outcome.found, opts.evidence) {
        (Found::NotLinearizable(f), true) => Some(evidence::render(
            h,
            &part.label,
            &order,
            f,
            &spec,
            opts.max_evidence_ops,
        )),
        _ => None,
    };
    PartResult { outcome, evidence }
}

/// Compiles and searches one set of operations (indices into `h.ops`). Returns the
/// operations in search order (search op `i` is `order[i]`), the outcome and the spec.
pub(crate) fn run_search(
    h: &History,
    model: ModelKind,
    ops: &[usize],
    budget: &Budget,
) -> (Vec<usize>, Outcome, AnySpec) {
    // An indeterminate read changes nothing, so it may as well never have happened.
    let droppable = |i: usize| h.ops[i].is_indeterminate() && spec::is_pure_read(&h.ops[i].input);
    let mut order: Vec<usize> = ops.iter().copied().filter(|&i| !droppable(i)).collect();
    order.sort_by_key(|&i| (h.ops[i].call, i));
    let refs: Vec<&Operation> = order.iter().map(|&i| &h.ops[i]).collect();
    let problem = problem_of(&refs);
    let mut spec = spec::compile(model, &refs);
    let outcome = match &mut spec {
        AnySpec::Scalar(s) => search::search(s, &problem, budget),
        AnySpec::Vector(s) => search::search(s, &problem, budget),
    };
    (order, outcome, spec)
}

fn problem_of(ops: &[&Operation]) -> Problem {
    let mut classes = Interner::new();
    let mut class = vec![u32::MAX; ops.len()];
    let mut rank = vec![0u32; ops.len()];
    let mut counts: Vec<u32> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        if op.is_indeterminate() {
            let c = classes.intern((&op.input, &op.output));
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

fn combine(
    h: &History,
    model: ModelKind,
    parts: &[Part],
    results: Vec<PartResult>,
    budget: &Budget,
    opts: &CheckOptions,
) -> CheckReport {
    let steps = results.iter().map(|r| r.outcome.steps).sum();
    let mut report = CheckReport {
        verdict: Verdict::Linearizable,
        ops: h.ops.len(),
        evidence: None,
        steps,
    };
    let failed = results
        .iter()
        .position(|r| matches!(r.outcome.found, Found::NotLinearizable(_)));
    if let Some(i) = failed {
        report.verdict = Verdict::NotLinearizable;
        let Some(PartResult {
            outcome,
            evidence: mut ev,
        }) = results.into_iter().nth(i)
        else {
            return report;
        };
        if let (Some(ev), Found::NotLinearizable(f)) = (ev.as_mut(), &outcome.found) {
            let cap = opts.max_evidence_ops;
            evidence::minimise(h, model, &parts[i].ops, f.frontier, ev, budget, cap);
        }
        report.evidence = ev;
        return report;
    }
    let reasons: Vec<String> = results
        .iter()
        .zip(parts)
        .filter_map(|(r, p)| match r.outcome.found {
            Found::OutOfBudget(e) => Some(format!("{}: {}", p.label, describe_exhausted(e))),
            _ => None,
        })
        .collect();
    if !reasons.is_empty() {
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
        report.verdict = Verdict::Unknown(format!("budget exhausted in {shown}{tail}"));
    }
    report
}

fn describe_exhausted(e: crate::budget::Exhausted) -> String {
    match e {
        crate::budget::Exhausted::Steps(n) => format!("step limit of {n} reached"),
        crate::budget::Exhausted::Deadline => "time limit reached".to_string(),
        crate::budget::Exhausted::Memory(b) => format!("memo limit of {} MiB reached", b >> 20),
    }
}
