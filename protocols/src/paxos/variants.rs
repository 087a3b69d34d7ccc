//! Variant descriptions shared by Basic Paxos and Multi-Paxos (what `splitbrain list` shows).

use splitbrain_api::{Expect, VariantInfo};

pub fn correct(name: &'static str, scenario: &'static str, summary: &'static str) -> VariantInfo {
    VariantInfo {
        name,
        bug_id: None,
        expect: Expect::Pass,
        scenario,
        summary,
    }
}

/// A variant that must fail for liveness, not safety (no bug id: it breaks no safety rule).
pub fn livelock(name: &'static str, scenario: &'static str, summary: &'static str) -> VariantInfo {
    VariantInfo {
        name,
        bug_id: None,
        expect: Expect::Fail,
        scenario,
        summary,
    }
}

pub fn bug(
    name: &'static str,
    id: &'static str,
    scenario: &'static str,
    summary: &'static str,
) -> VariantInfo {
    VariantInfo {
        name,
        bug_id: Some(id),
        expect: Expect::Fail,
        scenario,
        summary,
    }
}
