//! The harness's check names in the plain words a student reads on a failed test.

/// What the check called `checker` guarantees, in a sentence (unknown names are returned as
/// they are).
pub fn plain_words(checker: &str) -> &str {
    let c = checker.to_ascii_lowercase();
    if c.starts_with("election safety") {
        "at most one leader per term (Figure 2, Election Safety): two servers were leader in the same term"
    } else if c.starts_with("state machine safety") {
        "every server applies the same command at the same log index (State Machine Safety)"
    } else if c.starts_with("log matching") {
        "two logs holding an entry with the same index and term hold the same entries up to it (Log Matching)"
    } else if c.starts_with("leader completeness") {
        "a newly elected leader holds every entry committed in an earlier term (Leader Completeness)"
    } else if c.starts_with("agreement") {
        "at most one value is chosen for each register or slot, and only a value someone proposed (agreement and validity, judged from the acceptors' accepted state)"
    } else if c.starts_with("linearizability (unknown)") {
        "the history could not be checked in the checker's budget (no verdict, not a pass)"
    } else if c.starts_with("linearizab") {
        "the service behaves like a single copy: every operation takes effect at one instant between its call and its return (a read saw a stale or impossible value, a write took effect twice, or two clients were told different chosen values)"
    } else if c.starts_with("liveness") {
        "once every fault is healed, every client completes an operation (a leader is elected and commits; a proposal gets a value chosen)"
    } else if c.starts_with("inconclusive") {
        "the run ends within its event bound (too many events: a message or timer storm?)"
    } else {
        checker
    }
}
