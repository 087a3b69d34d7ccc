//! Shrinking a failing run to a minimal repro by delta debugging: re-run candidates with fewer
//! faults, an earlier end, fewer client operations, fewer clients and fewer servers, keeping
//! each change only while the same check still fails; a few operations that fail only under
//! other network draws may move the repro to a nearby seed (the repro records it).
//! Deterministic: same input, same repro.

use crate::registry::ProtocolEntry;
use crate::repro::{Expected, Repro, Size};
use crate::runner::{run_seed, RunOptions, RunResult};
use crate::scenario::{Scenario, ScenarioError};
use crate::workload::{ScriptStep, WorkloadSpec};
use splitbrain_api::{NodeId, VariantInfo};
use splitbrain_sim::{Schedule, Timed};

/// Re-runs a shrink spends unless told otherwise (a few seconds for a Raft run).
pub const DEFAULT_MAX_RUNS: u64 = 8_000;

/// Repros with more operations than this also try other seeds (see `Shrinker::reseed`).
const RESEED_ABOVE_OPS: usize = 10;

/// Seeds tried per candidate by `Shrinker::reseed`.
const RESEED_TRIES: u64 = 32;

/// The result of a shrink.
pub struct Shrunk {
    pub repro: Repro,
    pub before: Size,
    pub after: Size,
    pub runs: u64,
    pub last: RunResult,
}

/// Why a shrink could not start.
#[derive(Debug, thiserror::Error)]
pub enum ShrinkError {
    #[error("seed {0} does not fail on this scenario: nothing to shrink")]
    NotFailing(u64),
    #[error("the explicit form of seed {0} no longer fails (a generated workload that is not replayable as a script?)")]
    NotReplayable(u64),
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
}

struct Shrinker<'a> {
    entry: &'a dyn ProtocolEntry,
    variant: &'a VariantInfo,
    expect: Expected,
    best: Repro,
    last: Option<RunResult>,
    runs: u64,
    max_runs: u64,
    strategy: OpsStrategy,
    /// Called after every re-run (progress display).
    on_run: &'a dyn Fn(),
}

/// Shrinks failing `seed` of `scenario`, spending at most `max_runs` re-runs.
pub fn shrink(
    entry: &dyn ProtocolEntry,
    variant: &VariantInfo,
    scenario: &Scenario,
    seed: u64,
    opts: &RunOptions,
    max_runs: u64,
) -> Result<Shrunk, ShrinkError> {
    shrink_with_progress(entry, variant, scenario, seed, opts, max_runs, &|| {})
}

/// [`shrink`], calling `on_run` after every re-run.
pub fn shrink_with_progress(
    entry: &dyn ProtocolEntry,
    variant: &VariantInfo,
    scenario: &Scenario,
    seed: u64,
    opts: &RunOptions,
    max_runs: u64,
    on_run: &dyn Fn(),
) -> Result<Shrunk, ShrinkError> {
    let first = run_seed(entry, variant, scenario, seed, opts)?;
    if !first.record.outcome.is_failure() {
        return Err(ShrinkError::NotFailing(seed));
    }
    let scenario = first.drawn.as_deref().unwrap_or(scenario);
    let explicit = explicit_repro(&first, scenario);
    let before = Size {
        sim_ms: scenario.safety_ms + scenario.liveness_ms,
        ..explicit.size()
    };
    // Removing one operation moves every later network draw, so which operations can go
    // depends on the order they are tried: four strategies share the runs, and the
    // smallest repro wins.
    let mut runs = 0;
    let mut best: Option<(Repro, RunResult)> = None;
    let strategies = [
        OpsStrategy::RecentFirst,
        OpsStrategy::DdminOnly,
        OpsStrategy::PerClient,
        OpsStrategy::Untimed,
    ];
    for strategy in strategies {
        let mut start = explicit.clone();
        if matches!(strategy, OpsStrategy::Untimed) {
            untime(&mut start);
        }
        let mut s = Shrinker {
            entry,
            variant,
            expect: explicit.expect.clone(),
            best: start,
            last: None,
            runs: 0,
            max_runs: (max_runs / strategies.len() as u64).max(1),
            strategy,
            on_run,
        };
        if !s.try_candidate(s.best.clone()) {
            return Err(ShrinkError::NotReplayable(seed));
        }
        s.run_passes();
        runs += s.runs;
        let last = s.last.expect("at least one candidate ran");
        if best.as_ref().is_none_or(|(b, _)| rank(&s.best) < rank(b)) {
            best = Some((s.best, last));
        }
    }
    let (mut repro, last) = best.expect("the strategies ran");
    repro.shrunk_from = Some(before);
    let after = repro.size();
    repro.expect = Expected::of(&last);
    Ok(Shrunk {
        repro,
        before,
        after,
        runs,
        last,
    })
}

/// Smaller is better: fewest injected faults and operations together, then fewer faults,
/// schedule entries, nodes and simulated time.
fn rank(r: &Repro) -> (usize, usize, usize, usize, u64) {
    let s = r.size();
    (
        s.faults + s.ops,
        s.faults,
        s.entries,
        s.clients + s.servers,
        r.scenario.safety_ms,
    )
}

/// How the operations pass starts.
#[derive(Clone, Copy)]
enum OpsStrategy {
    /// Keep each client's last few operations first, then delta debugging.
    RecentFirst,
    /// Delta debugging over all operations from the start.
    DdminOnly,
    /// Delta debugging one client at a time.
    PerClient,
    /// Delta debugging over all operations, issued back to back as the generated workload
    /// did (no `not_before_us`): the surviving operations move earlier with the ones removed.
    Untimed,
}

/// Drops every scripted operation's `not_before_us`.
fn untime(r: &mut Repro) {
    if let WorkloadSpec::Script { ops, .. } = &mut r.scenario.workload {
        for step in ops.iter_mut().flatten() {
            step.not_before_us = None;
        }
    }
}

/// The failing run with its generated faults and workload written out explicitly.
fn explicit_repro(r: &RunResult, scenario: &Scenario) -> Repro {
    let mut ops: Vec<Vec<ScriptStep>> = vec![Vec::new(); r.clients];
    for h in &r.record.history.ops {
        ops[h.client.index()].push(ScriptStep {
            not_before_us: Some(h.call_us),
            op: h.op.clone(),
        });
    }
    let mut scenario = scenario.clone();
    scenario.name = format!("{}-seed{}-repro", scenario.name, r.record.seed);
    scenario.generator = None;
    scenario.schedule = r.schedule.clone();
    scenario.servers = Some(r.servers);
    scenario.workload = WorkloadSpec::Script {
        model: r.record.history.model.clone(),
        ops,
    };
    scenario.sometimes = Vec::new();
    Repro {
        schema_version: crate::repro::REPRO_SCHEMA_VERSION,
        protocol: r.protocol.clone(),
        variant: r.variant.clone(),
        seed: r.record.seed,
        servers: r.servers,
        clients: r.clients,
        scenario,
        expect: Expected::of(r),
        shrunk_from: None,
    }
}

impl Shrinker<'_> {
    /// Every pass in turn until a round changes nothing or the runs are spent.
    fn run_passes(&mut self) {
        loop {
            let size = self.best.size();
            self.shorten_phases();
            self.drop_faults();
            self.shift_faults_earlier();
            self.trim_tails();
            match self.strategy {
                OpsStrategy::RecentFirst => {
                    self.keep_involved_ops();
                    self.keep_recent_ops();
                    self.drop_ops();
                }
                OpsStrategy::DdminOnly => {
                    self.keep_involved_ops();
                    self.drop_ops();
                }
                OpsStrategy::PerClient => self.drop_ops_per_client(),
                OpsStrategy::Untimed => self.drop_ops(),
            }
            self.reseed();
            self.drop_clients();
            self.drop_servers();
            if self.best.size() == size || self.runs >= self.max_runs {
                break;
            }
        }
    }

    /// Runs `candidate`; keeps it as the best if it fails the same way.
    fn try_candidate(&mut self, candidate: Repro) -> bool {
        if self.runs >= self.max_runs {
            return false;
        }
        self.runs += 1;
        (self.on_run)();
        let opts = RunOptions {
            servers: Some(candidate.servers),
            clients: Some(candidate.clients),
            full_trace: false,
            inspect_at_us: None,
            skip_evidence: false,
            zk_linearizability: false,
        };
        let Ok(r) = run_seed(
            self.entry,
            self.variant,
            &candidate.scenario,
            candidate.seed,
            &opts,
        ) else {
            return false;
        };
        if !self.expect.matches(&r) {
            return false;
        }
        self.best = candidate;
        self.last = Some(r);
        true
    }

    /// Drops the liveness phase for safety failures and ends the run soon after the failure.
    fn shorten_phases(&mut self) {
        if self.expect.outcome != splitbrain_sim::Outcome::Liveness
            && self.best.scenario.liveness_ms > 0
        {
            let mut c = self.best.clone();
            c.scenario.liveness_ms = 0;
            self.try_candidate(c);
        }
        let Some(at_us) = self
            .last
            .as_ref()
            .and_then(|r| r.record.violations.first())
            .map(|v| v.at_us)
        else {
            return;
        };
        let (mut lo, mut hi) = (at_us / 1_000 / 4, self.best.scenario.safety_ms);
        while lo + 1 < hi {
            let mid = (lo + hi) / 2;
            let mut c = self.best.clone();
            c.scenario.safety_ms = mid.max(1);
            c.scenario.schedule.0.retain(|t| t.at_us < mid * 1_000);
            if self.try_candidate(c) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
    }

    fn drop_faults(&mut self) {
        let faults = self.best.scenario.schedule.0.clone();
        let kept = ddmin(faults, &mut |list: &[Timed]| {
            let mut c = self.best.clone();
            c.scenario.schedule = Schedule::new(list.to_vec());
            self.try_candidate(c)
        });
        self.best.scenario.schedule = Schedule::new(kept);
    }

    /// Moves every fault earlier by as much as still fails: the quiet start of a run is
    /// filler that only forces clients to issue operations before the interesting part.
    fn shift_faults_earlier(&mut self) {
        let Some(first) = self.best.scenario.schedule.0.first().map(|t| t.at_us) else {
            return;
        };
        let (mut lo, mut hi) = (0u64, first / 1_000 + 1);
        while lo + 1 < hi {
            let mid = (lo + hi) / 2;
            let mut c = self.best.clone();
            for t in &mut c.scenario.schedule.0 {
                t.at_us = t.at_us.saturating_sub(mid * 1_000);
            }
            if self.try_candidate(c) {
                // The shifted schedule is now the best; keep shifting from there.
                let rest = self.best.scenario.schedule.0.first().map_or(0, |t| t.at_us);
                lo = 0;
                hi = rest / 1_000 + 1;
                if hi <= 1 {
                    break;
                }
            } else {
                hi = mid;
            }
        }
    }

    /// Drops every operation a client issued after the failure was observed.
    fn trim_tails(&mut self) {
        let Some(last) = &self.last else { return };
        let Some(at_us) = last.record.violations.first().map(|v| v.at_us) else {
            return;
        };
        let mut issued = vec![0usize; self.best.clients];
        for h in &last.record.history.ops {
            if h.call_us <= at_us && h.client.index() < issued.len() {
                issued[h.client.index()] += 1;
            }
        }
        let mut c = self.best.clone();
        if let WorkloadSpec::Script { ops, .. } = &mut c.scenario.workload {
            for (list, &n) in ops.iter_mut().zip(&issued) {
                list.truncate(n);
            }
        }
        if c.scenario.workload.script_len() != self.best.scenario.workload.script_len() {
            self.try_candidate(c);
        }
    }

    /// For a linearizability failure: keeps only the operations of the checker's failing
    /// sub-history (each still issued no earlier than it was).
    fn keep_involved_ops(&mut self) {
        if let Some(c) = self.involved_ops_candidate() {
            self.try_candidate(c);
        }
    }

    /// The best repro with only the checker's failing sub-history, if that is smaller.
    fn involved_ops_candidate(&self) -> Option<Repro> {
        let last = self.last.as_ref()?;
        let involved = last
            .evidence
            .as_ref()
            .and_then(|e| e["involved_ops"].as_array())?;
        let wanted: Vec<usize> = involved
            .iter()
            .filter_map(|v| v.as_u64())
            .map(|v| v as usize)
            .collect();
        let mut seen = vec![0usize; self.best.clients];
        let mut keep: Vec<(usize, usize)> = Vec::new();
        for (i, h) in last.record.history.ops.iter().enumerate() {
            let c = h.client.index();
            if c >= seen.len() {
                continue;
            }
            if wanted.contains(&i) {
                keep.push((c, seen[c]));
            }
            seen[c] += 1;
        }
        let mut c = self.best.clone();
        if let WorkloadSpec::Script { ops, .. } = &mut c.scenario.workload {
            for (client, list) in ops.iter_mut().enumerate() {
                let mut pos = 0;
                list.retain(|_| {
                    pos += 1;
                    keep.contains(&(client, pos - 1))
                });
            }
        }
        (c.scenario.workload.script_len() < self.best.scenario.workload.script_len()).then_some(c)
    }

    /// Operations that fail only under the network draws of the run they came from: removing
    /// one shifts later draws on its links, so the failing sub-history alone (or each
    /// client's last few operations) may fail under another seed though not under this one.
    /// Tries a few.
    fn reseed(&mut self) {
        if self.best.size().ops <= RESEED_ABOVE_OPS {
            return;
        }
        let mut bases: Vec<Repro> = self.involved_ops_candidate().into_iter().collect();
        bases.extend([2, 4, 8].map(|k| self.recent_ops_candidate(k)));
        for base in bases {
            for step in 1..=RESEED_TRIES {
                let mut c = base.clone();
                c.seed = self.best.seed.wrapping_add(step);
                if self.try_candidate(c) {
                    return;
                }
            }
        }
    }

    /// Keeps only each client's last `k` operations, for the smallest `k` that still fails
    /// (doubling): the operations that matter usually sit just before the failure.
    fn keep_recent_ops(&mut self) {
        let Some(longest) = self
            .script()
            .map(|ops| ops.iter().map(Vec::len).max().unwrap_or(0))
        else {
            return;
        };
        let mut k = 1;
        while k < longest {
            if self.try_candidate(self.recent_ops_candidate(k)) {
                return;
            }
            k *= 2;
        }
    }

    /// The best repro with each client's last `k` operations only.
    fn recent_ops_candidate(&self, k: usize) -> Repro {
        let mut c = self.best.clone();
        if let WorkloadSpec::Script { ops, .. } = &mut c.scenario.workload {
            for list in ops.iter_mut() {
                list.drain(..list.len().saturating_sub(k));
            }
        }
        c
    }

    /// Delta debugging over every client's operations at once.
    fn drop_ops(&mut self) {
        let Some(ops) = self.script() else { return };
        let all: Vec<(usize, ScriptStep)> = ops
            .iter()
            .enumerate()
            .flat_map(|(c, list)| list.iter().map(move |s| (c, s.clone())))
            .collect();
        let clients = ops.len();
        ddmin(all, &mut |sub: &[(usize, ScriptStep)]| {
            let mut c = self.best.clone();
            if let WorkloadSpec::Script { ops, .. } = &mut c.scenario.workload {
                *ops = vec![Vec::new(); clients];
                for (client, step) in sub {
                    ops[*client].push(step.clone());
                }
            }
            self.try_candidate(c)
        });
    }

    /// Delta debugging over one client's operations at a time.
    fn drop_ops_per_client(&mut self) {
        let clients = self.script().map_or(0, Vec::len);
        for client in 0..clients {
            let Some(list) = self.script().and_then(|ops| ops.get(client)).cloned() else {
                return;
            };
            ddmin(list, &mut |sub: &[ScriptStep]| {
                let mut c = self.best.clone();
                if let WorkloadSpec::Script { ops, .. } = &mut c.scenario.workload {
                    ops[client] = sub.to_vec();
                }
                self.try_candidate(c)
            });
        }
    }

    /// The best repro's script, if its workload is one.
    fn script(&self) -> Option<&Vec<Vec<ScriptStep>>> {
        match &self.best.scenario.workload {
            WorkloadSpec::Script { ops, .. } => Some(ops),
            _ => None,
        }
    }

    /// Tries removing each client (renumbering the ones after it).
    fn drop_clients(&mut self) {
        let mut i = self.best.clients;
        while i > 0 && self.best.clients > 1 {
            i -= 1;
            if i >= self.best.clients {
                continue;
            }
            let mut c = self.best.clone();
            c.clients -= 1;
            if let WorkloadSpec::Script { ops, .. } = &mut c.scenario.workload {
                if i < ops.len() {
                    ops.remove(i);
                }
            }
            c.scenario.schedule = remove_node(&c.scenario.schedule, NodeId::client(i));
            self.try_candidate(c);
        }
    }

    /// Tries smaller clusters, down to one server.
    fn drop_servers(&mut self) {
        while self.best.servers > 1 {
            let gone = NodeId::server(self.best.servers - 1);
            let mut c = self.best.clone();
            c.servers -= 1;
            c.scenario.servers = Some(c.servers);
            c.scenario.schedule = remove_node(&c.scenario.schedule, gone);
            if !self.try_candidate(c) {
                break;
            }
        }
    }
}

/// The schedule without `gone`, renumbering later nodes of the same kind.
fn remove_node(schedule: &Schedule, gone: NodeId) -> Schedule {
    let rename = move |n: NodeId| -> Option<NodeId> {
        if n == gone {
            None
        } else if n.is_client() == gone.is_client() && n.index() > gone.index() {
            Some(if n.is_client() {
                NodeId::client(n.index() - 1)
            } else {
                NodeId::server(n.index() - 1)
            })
        } else {
            Some(n)
        }
    };
    Schedule::new(
        schedule
            .0
            .iter()
            .filter_map(|t| {
                Some(Timed {
                    at_us: t.at_us,
                    fault: t.fault.remap(&rename)?,
                })
            })
            .collect(),
    )
}

/// Zeller's ddmin: the smallest sub-list (1-minimal) for which `fails` still holds, given
/// that it holds for `list`.
pub fn ddmin<T: Clone>(mut list: Vec<T>, fails: &mut dyn FnMut(&[T]) -> bool) -> Vec<T> {
    let mut n = 2usize;
    while !list.is_empty() {
        let chunk = list.len().div_ceil(n);
        let mut removed = false;
        let mut start = 0;
        while start < list.len() {
            let end = (start + chunk).min(list.len());
            let complement: Vec<T> = list[..start].iter().chain(&list[end..]).cloned().collect();
            if fails(&complement) {
                list = complement;
                n = (n - 1).max(2);
                removed = true;
                break;
            }
            start = end;
        }
        if !removed {
            if chunk == 1 {
                break;
            }
            n = (n * 2).min(list.len());
        }
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddmin_finds_the_two_elements_that_matter() {
        let list: Vec<u32> = (0..40).collect();
        let mut calls = 0;
        let kept = ddmin(list, &mut |l: &[u32]| {
            calls += 1;
            l.contains(&7) && l.contains(&31)
        });
        assert_eq!(kept, vec![7, 31]);
        assert!(calls < 60, "{calls} calls");
    }

    #[test]
    fn ddmin_can_remove_everything_when_nothing_matters() {
        assert!(ddmin(vec![1, 2, 3], &mut |_| true).is_empty());
    }
}
