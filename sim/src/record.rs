//! What a run leaves behind, as plain serialisable data: the client history, violations, the
//! trace and the outcome. Checkers and reports read these; they never see a live world.

use serde::{Deserialize, Serialize};
use splitbrain_api::{NodeId, NodeView, Notice, Op, Ret};
use std::collections::BTreeMap;

/// How a client operation ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OpStatus {
    /// Returned; `out` is its result.
    Ok,
    /// Definitely did not take effect.
    Fail,
    /// The client gave up or crashed: it may or may not have taken effect.
    Indeterminate,
}

/// One client operation from invocation to return. The JSON shape is the `splitbrain` history
/// format the checkers read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryOp {
    pub client: NodeId,
    pub call_us: u64,
    pub ret_us: Option<u64>,
    pub status: OpStatus,
    pub op: Op,
    pub out: Option<Ret>,
}

/// Something a client heard outside any operation (a ZooKeeper watch event or session
/// change), in the order it arrived: after the first `ops_ended` of the client's operations
/// ended and before the next one did (an answer and a notice of one microsecond stay
/// ordered).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryNotice {
    pub client: NodeId,
    pub at_us: u64,
    /// How many of this client's operations had ended (returned, failed or been given up)
    /// when the notice arrived.
    pub ops_ended: u64,
    pub notice: Notice,
}

/// The history schema the world writes: 2 added the ZooKeeper operations and `notices`.
/// A schema-1 file reads as it did (it has no ZooKeeper operation and no notices).
pub const HISTORY_SCHEMA_VERSION: u32 = 2;

/// A client history in the `splitbrain` JSON history format.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub schema_version: u32,
    /// The sequential model the history should satisfy (`kv`, `mutex`, `zookeeper`, ...).
    pub model: String,
    pub ops: Vec<HistoryOp>,
    /// Watch events and session changes clients received, in the order they arrived
    /// (absent when there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<HistoryNotice>,
}

/// A safety or liveness property that failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub checker: String,
    pub message: String,
    pub at_us: u64,
}

/// The verdict of one run.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Pass,
    Inconclusive,
    Liveness,
    Violation,
    Panic,
}

impl Outcome {
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Inconclusive => "inconclusive",
            Outcome::Liveness => "liveness",
            Outcome::Violation => "violation",
            Outcome::Panic => "panic",
        }
    }

    /// True for outcomes that mean a check failed (exit code 1).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Outcome::Liveness | Outcome::Violation | Outcome::Panic
        )
    }
}

/// What kind of thing a trace entry records.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TraceKind {
    Deliver,
    Duplicate,
    Drop,
    Cut,
    LostAtDown,
    Timer,
    Fault,
    Crash,
    Restart,
    Invoke,
    Return,
    View,
    Mark,
    Sync,
    Violation,
    /// A client heard a notice (a watch event, a session change).
    Notice,
}

/// One entry of the full trace (kept only when asked for: `--trace`, reports, replay).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEvent {
    pub at_us: u64,
    pub kind: TraceKind,
    pub node: Option<NodeId>,
    /// The sender of a message, or the other end of a link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<NodeId>,
    /// When a delivered (or dropped) message was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_us: Option<u64>,
    /// The message kind, timer, fault or op label.
    pub label: String,
    /// A node's view after the step (view entries only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view: Option<NodeView>,
    /// The rolling trace hash after this entry.
    pub hash: u64,
}

/// Counts of client operations by ending.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpCounts {
    pub ok: u64,
    pub failed: u64,
    pub indeterminate: u64,
}

/// Everything one world run produced.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunRecord {
    pub seed: u64,
    pub outcome: Outcome,
    pub violations: Vec<Violation>,
    /// Documented exceptions a check found: behaviour the service documents as outside its
    /// promise (a lock holder whose session expired while another client took the lock),
    /// reported as such, neither a pass nor a violation. They do not change the outcome.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<Violation>,
    pub panic: Option<String>,
    pub trace_hash: u64,
    pub events: u64,
    pub sim_time_us: u64,
    pub liveness_from_us: Option<u64>,
    pub history: History,
    /// Coverage marks reached, with counts ("leader-elected": 3).
    pub marks: BTreeMap<String, u64>,
    /// When and where each mark was first and last reached (guided exploration places faults
    /// right after the protocol events it marks).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mark_at: BTreeMap<String, MarkAt>,
    /// Full trace when it was recorded.
    pub trace: Option<Vec<TraceEvent>>,
    /// Node names in lane order (servers then clients).
    pub nodes: Vec<NodeId>,
    /// Every node's own description at `WorldConfig::inspect_at_us`, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspection: Option<Inspection>,
}

/// The first and the last time a coverage mark was reached, and by which node.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkAt {
    pub first_us: u64,
    pub first_node: NodeId,
    pub last_us: u64,
    pub last_node: NodeId,
}

/// A node's own description: named fields, as `Process::describe` gives them.
pub type Description = Vec<(String, String)>;

/// The nodes' own state at one moment (`None`: the node was down).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inspection {
    pub at_us: u64,
    pub nodes: Vec<(NodeId, Option<Description>)>,
}

impl RunRecord {
    pub fn op_counts(&self) -> OpCounts {
        let mut c = OpCounts::default();
        for op in &self.history.ops {
            match op.status {
                OpStatus::Ok => c.ok += 1,
                OpStatus::Fail => c.failed += 1,
                OpStatus::Indeterminate => c.indeterminate += 1,
            }
        }
        c
    }

    /// The first violation's message, or the panic message, for one-line summaries.
    pub fn headline(&self) -> String {
        if let Some(p) = &self.panic {
            return format!("protocol panicked: {p}");
        }
        self.violations
            .first()
            .map(|v| {
                let at = splitbrain_api::ms_label(v.at_us);
                format!("{}: {} (at {at})", v.checker, v.message)
            })
            .unwrap_or_else(|| self.outcome.word().to_string())
    }
}
