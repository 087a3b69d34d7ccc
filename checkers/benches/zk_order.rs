//! The ZooKeeper ordering checker's speed on generated histories:
//! `cargo bench -p splitbrain-checkers --bench zk_order`
//!
//! Histories from `tests/common/zkgen.rs` (3 servers with lag, clients moving between them,
//! watches and notifications, 20 clients on 50 paths): 10,000 and 100,000 operations, correct
//! and with one read claiming a zxid from the future near the end. Prints the time to read
//! the JSON and the time to check, best of 3 (other work on the machine only adds time).

#[path = "../tests/common/zkgen.rs"]
mod zkgen;

use splitbrain_checkers::zk::{check_zk_order, read_zk_history};
use splitbrain_checkers::Stopwatch;

fn main() {
    for &n in &[10_000usize, 100_000] {
        for broken in [false, true] {
            let text = zkgen::zk_history(n, 20, 50, 7, broken);
            let (mut read_ms, mut check_ms) = (f64::MAX, f64::MAX);
            let mut verdict = String::new();
            for _ in 0..3 {
                let t = Stopwatch::start();
                let h = read_zk_history(&text, "generated").expect("generated history reads");
                read_ms = read_ms.min(t.elapsed_us() as f64 / 1e3);
                let t = Stopwatch::start();
                let r = check_zk_order(&h);
                check_ms = check_ms.min(t.elapsed_us() as f64 / 1e3);
                verdict = if r.passed() {
                    format!(
                        "pass ({} writes, {} reads, {} notices)",
                        r.writes, r.reads, r.notices
                    )
                } else {
                    format!("violation: {}", r.violations[0].guarantee.sentence())
                };
            }
            let case = if broken { "false zxid" } else { "correct" };
            println!(
                "zk-order {n:>7} ops {case:<10}  read {read_ms:8.1} ms  check {check_ms:8.1} ms  {verdict}"
            );
        }
    }
}
