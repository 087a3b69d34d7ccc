//! The event list of Wing & Gong's search: call and return events in real-time order, as
//! a doubly linked list over flat arrays, so linearizing an operation unlinks its two
//! events and backtracking relinks them in O(1) (dancing links).

/// Marks "no node" (an indeterminate operation has no return node).
pub(crate) const NIL: u32 = u32::MAX;

pub(crate) struct Links {
    next: Vec<u32>,
    prev: Vec<u32>,
    /// Operation of each event node.
    node_op: Vec<u32>,
    /// True for return events; the tail sentinel counts as a return.
    node_ret: Vec<bool>,
    call_node: Vec<u32>,
    ret_node: Vec<u32>,
    head: u32,
}

impl Links {
    /// Builds the list. At equal times calls sort before returns, so operations that
    /// merely touch are concurrent (the permissive reading, as Porcupine does).
    pub(crate) fn new(calls: &[u64], rets: &[Option<u64>]) -> Self {
        let n = calls.len();
        let mut events: Vec<(u64, bool, u32)> = Vec::with_capacity(2 * n);
        if calls.windows(2).all(|w| w[0] <= w[1]) {
            // Calls in operation order (as the search numbers them): only the returns need
            // sorting, then one merge gives the same order as sorting everything.
            let mut returns: Vec<(u64, u32)> = (0..n)
                .filter_map(|op| rets[op].map(|r| (r, op as u32)))
                .collect();
            // Stable (a no-op on the unique keys) for speed: returns come almost in order,
            // and the stable sort merges the runs they form.
            returns.sort();
            let mut k = 0;
            for (op, &call) in calls.iter().enumerate() {
                while let Some(&(r, o)) = returns.get(k).filter(|&&(r, _)| r < call) {
                    events.push((r, true, o));
                    k += 1;
                }
                events.push((call, false, op as u32));
            }
            events.extend(returns[k..].iter().map(|&(r, o)| (r, true, o)));
        } else {
            for op in 0..n {
                events.push((calls[op], false, op as u32));
                if let Some(r) = rets[op] {
                    events.push((r, true, op as u32));
                }
            }
            events.sort_unstable();
        }
        let m = events.len();
        let (head, tail) = (m as u32, m as u32 + 1);
        // Nodes 0..m are events, m is the head sentinel, m + 1 the tail sentinel.
        let mut next = vec![NIL; m + 2];
        let mut prev = vec![NIL; m + 2];
        let mut last = head;
        for node in (0..m as u32).chain([tail]) {
            next[last as usize] = node;
            prev[node as usize] = last;
            last = node;
        }
        let mut l = Links {
            next,
            prev,
            node_op: events.iter().map(|e| e.2).chain([NIL, NIL]).collect(),
            node_ret: events.iter().map(|e| e.1).chain([false, true]).collect(),
            call_node: vec![NIL; n],
            ret_node: vec![NIL; n],
            head,
        };
        for (i, e) in events.iter().enumerate() {
            let slot = if e.1 {
                &mut l.ret_node
            } else {
                &mut l.call_node
            };
            slot[e.2 as usize] = i as u32;
        }
        l
    }

    /// Bytes held, by capacity.
    pub(crate) fn bytes(&self) -> usize {
        (self.next.capacity()
            + self.prev.capacity()
            + self.node_op.capacity()
            + self.call_node.capacity()
            + self.ret_node.capacity())
            * 4
            + self.node_ret.capacity()
    }

    #[inline]
    pub(crate) fn first(&self) -> u32 {
        self.next[self.head as usize]
    }

    #[inline]
    pub(crate) fn next(&self, node: u32) -> u32 {
        self.next[node as usize]
    }

    #[inline]
    pub(crate) fn is_ret(&self, node: u32) -> bool {
        self.node_ret[node as usize]
    }

    #[inline]
    pub(crate) fn op(&self, node: u32) -> u32 {
        self.node_op[node as usize]
    }

    #[inline]
    fn unlink(&mut self, node: u32) {
        let (p, n) = (self.prev[node as usize], self.next[node as usize]);
        self.next[p as usize] = n;
        self.prev[n as usize] = p;
    }

    #[inline]
    fn relink(&mut self, node: u32) {
        let (p, n) = (self.prev[node as usize], self.next[node as usize]);
        self.next[p as usize] = node;
        self.prev[n as usize] = node;
    }

    /// Removes an operation's events (it has been linearized).
    #[inline]
    pub(crate) fn lift(&mut self, op: u32) {
        self.unlink(self.call_node[op as usize]);
        let r = self.ret_node[op as usize];
        if r != NIL {
            self.unlink(r);
        }
    }

    /// Restores an operation's events; must undo the most recent `lift`.
    #[inline]
    pub(crate) fn unlift(&mut self, op: u32) {
        let r = self.ret_node[op as usize];
        if r != NIL {
            self.relink(r);
        }
        self.relink(self.call_node[op as usize]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(l: &Links) -> Vec<(u32, bool)> {
        let mut out = Vec::new();
        let mut n = l.first();
        while l.op(n) != NIL {
            out.push((l.op(n), l.is_ret(n)));
            n = l.next(n);
        }
        out
    }

    #[test]
    fn events_are_ordered_calls_first_on_ties() {
        let l = Links::new(&[0, 5], &[Some(5), None]);
        assert_eq!(walk(&l), vec![(0, false), (1, false), (0, true)]);
    }

    #[test]
    fn lift_and_unlift_restore_the_list() {
        let mut l = Links::new(&[0, 1, 2], &[Some(3), Some(4), None]);
        let before = walk(&l);
        l.lift(1);
        l.lift(2);
        assert_eq!(walk(&l), vec![(0, false), (0, true)]);
        l.unlift(2);
        l.unlift(1);
        assert_eq!(walk(&l), before);
    }

    #[test]
    fn the_merge_orders_events_as_a_full_sort() {
        let calls = [0, 1, 1, 4, 6, 6, 6];
        let rets = [Some(6), Some(1), None, Some(5), Some(9), Some(7), Some(6)];
        let mut all: Vec<(u64, bool, u32)> = (0..calls.len() as u32)
            .map(|op| (calls[op as usize], false, op))
            .chain(
                (0..calls.len() as u32).filter_map(|op| rets[op as usize].map(|r| (r, true, op))),
            )
            .collect();
        all.sort_unstable();
        let expected: Vec<(u32, bool)> = all.iter().map(|e| (e.2, e.1)).collect();
        assert_eq!(walk(&Links::new(&calls, &rets)), expected);
    }

    #[test]
    fn an_empty_list_starts_at_the_tail() {
        let l = Links::new(&[], &[]);
        assert!(l.is_ret(l.first()));
    }
}
