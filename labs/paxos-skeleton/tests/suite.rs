//! The graded Basic Paxos suite against this crate:
//!
//! ```sh
//! cargo test --release -p paxos-skeleton --test suite -- --ignored --nocapture
//! LAB_TEST=Persist LAB_SEED=3 cargo test --release -p paxos-skeleton --test suite -- --ignored --nocapture
//! ```
//!
//! prints every test's verdict and the score; a failing test prints its seed, the property
//! that broke, the command that replays that seed (the second line) and an HTML report in
//! `lab-report/`. Ignored by default: the skeleton fails it until the handlers are written.

use splitbrain_scenarios::lab::{self, LabTest};
use std::path::Path;

const REPORTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/lab-report");

/// The tests `LAB_TEST` names (comma list; all by default), on `LAB_SEED` alone if set.
fn chosen() -> Vec<LabTest> {
    let seed: Option<u64> = std::env::var("LAB_SEED").ok().and_then(|s| s.parse().ok());
    let tests = match std::env::var("LAB_TEST") {
        Ok(names) => names
            .split(',')
            .map(|n| lab::paxos::find(n.trim()).unwrap_or_else(|| panic!("no test `{n}`")))
            .collect(),
        Err(_) => lab::paxos::suite(),
    };
    tests
        .into_iter()
        .map(|t| match seed {
            Some(s) => t.only_seed(s),
            None => t,
        })
        .collect()
}

fn replay(test: &LabTest, seed: u64) -> String {
    format!(
        "LAB_TEST={} LAB_SEED={seed} cargo test --release -p paxos-skeleton --test suite -- --ignored --nocapture",
        test.name
    )
}

#[test]
#[ignore = "the graded suite: cargo test --release -p paxos-skeleton --test suite -- --ignored --nocapture"]
fn paxos_lab() {
    let entry = paxos_skeleton::entry();
    let variant = entry.student();
    let (text, all) =
        lab::run_and_describe(&entry, &variant, &chosen(), 2, Path::new(REPORTS), &replay)
            .expect("the suite runs");
    println!("{text}");
    assert!(all, "not every test passed (see above)");
}
