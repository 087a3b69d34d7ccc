//! The indeterminate resets that could lead to each read, listed once per read.
//!
//! An indeterminate write or cas stays pending for the rest of the history, so it sits in
//! every later window: asking at every configuration whether each of them could lead to
//! each pending read costs (reads × pending resets) per step. Whether a reset's value can
//! lead to a read does not depend on the configuration, so it is asked once per pair here,
//! and the search only checks which of a read's few listed resets are still untaken.

use super::Problem;
use crate::spec::Spec;

/// Marks a read whose list is not computed yet.
const UNLISTED: u32 = u32::MAX;

pub(super) struct OptionalBases {
    /// (call, operation) of the indeterminate resets, in call order.
    resets: Vec<(u64, u32)>,
    /// Per operation: (start, length) of its list in `arena`, or `UNLISTED`.
    spans: Vec<(u32, u32)>,
    arena: Vec<u32>,
}

impl OptionalBases {
    /// `is_reset[i]`: operation `i` is neither read-only nor monotone.
    pub(super) fn new(p: &Problem, is_reset: impl Fn(usize) -> bool) -> Self {
        let mut resets: Vec<(u64, u32)> = (0..p.calls.len())
            .filter(|&i| p.rets[i].is_none() && is_reset(i))
            .map(|i| (p.calls[i], i as u32))
            .collect();
        resets.sort_unstable();
        OptionalBases {
            resets,
            spans: Vec::new(),
            arena: Vec::new(),
        }
    }

    /// The indeterminate resets called before read `g` returns whose value could lead to
    /// what `g` saw (or whose value is not fixed).
    pub(super) fn of<S: Spec>(&mut self, spec: &mut S, p: &Problem, g: u32) -> &[u32] {
        let gi = g as usize;
        if self.spans.len() <= gi {
            self.spans.resize(gi + 1, (UNLISTED, 0));
        }
        if self.spans[gi].0 == UNLISTED {
            let start = self.arena.len();
            let g_ret = p.rets[gi].unwrap_or(u64::MAX);
            for &(_, r) in self.resets.iter().take_while(|&&(c, _)| c <= g_ret) {
                if spec.reset_to(r).is_none_or(|base| spec.reachable(base, g)) {
                    self.arena.push(r);
                }
            }
            self.spans[gi] = (start as u32, (self.arena.len() - start) as u32);
        }
        let (start, len) = self.spans[gi];
        &self.arena[start as usize..(start + len) as usize]
    }

    pub(super) fn bytes(&self) -> usize {
        self.resets.capacity() * 16 + self.spans.capacity() * 8 + self.arena.capacity() * 4
    }
}
