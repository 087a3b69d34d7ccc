//! Writes a large splitbrain JSON history for the speed tests:
//! `gen_big OUT [OPS] [KEYS] [CLIENTS] [SEED] [OPEN_PER_MILLE] [VIOLATION] [HARD_PER_MILLE]`
//! (defaults 100000 ops, 1000 keys, 10 clients, seed 1, 10 per mille indeterminate, no
//! violation, no hard key). The generator is `tests/common/bigkv.rs` (module docs there).
//!
//! `VIOLATION` (`early`, `middle`, `late`, or a per-mille position) makes the last key's
//! first get called after that point of the history (10%, 50%, 90%) a stale read: it
//! returns the value of a put that a later put had overwritten before the get was called.
//! `HARD_PER_MILLE` makes that many of the first key's operations indeterminate instead (a
//! harder linearizable part, checked first since parts go in key order).

#[path = "../tests/common/bigkv.rs"]
mod bigkv;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, d: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let out = args.get(1).cloned().unwrap_or_else(|| "big.json".into());
    let violation = args.get(7).map(|a| match a.as_str() {
        "early" => 100,
        "middle" => 500,
        "late" => 900,
        other => other.parse().unwrap_or(1000),
    });
    let shape = bigkv::Shape {
        ops: arg(2, 100_000),
        keys: arg(3, 1000),
        clients: arg(4, 10),
        seed: arg(5, 1),
        open_per_mille: arg(6, 10),
        hard_per_mille: arg(8, 0),
        violation: violation.filter(|&v| v < 1000),
    };
    let text = match bigkv::generate_json(&shape) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("gen_big: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = std::fs::write(&out, text) {
        eprintln!("gen_big: cannot write {out}: {e}");
        std::process::exit(2);
    }
}
