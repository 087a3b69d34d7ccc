//! Generated key-value histories shaped like a busy service: many clients on few keys.
//!
//! Shared by the `gen_big` example, the checker's benchmark and its tests (included with
//! `#[path]`). Each client runs get / put / append / cas on random keys with random
//! durations; every operation takes effect at a random point inside its interval and the
//! outputs come from applying them in that order, so the history is linearizable. About
//! `open_per_mille` of the operations end indeterminate (half of those took effect); the
//! client then continues under a new name, since its old operation stays in flight.
//! [`stale_read`] then makes it non-linearizable where asked.

#![allow(dead_code)] // Each includer uses its own part of it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub ops: u64,
    pub keys: u64,
    pub clients: u64,
    pub seed: u64,
    /// Operations that end indeterminate, per mille.
    pub open_per_mille: u64,
    /// Per mille of the first key's operations made indeterminate instead (a harder
    /// linearizable part, checked first since parts go in key order); 0 for none.
    pub hard_per_mille: u64,
    /// Where a stale read goes (per mille of the history's time), if anywhere.
    pub violation: Option<u64>,
}

impl Shape {
    /// `ops` operations by 50 clients on 10 keys, 1% indeterminate: the shape.
    pub fn busy(ops: u64, violation: Option<u64>) -> Self {
        Shape {
            ops,
            keys: 10,
            clients: 50,
            seed: 1,
            open_per_mille: 10,
            hard_per_mille: 0,
            violation,
        }
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Op {
    client: String,
    call: u64,
    ret: u64,
    point: u64,
    open: bool,
    f: u64,
    key: u64,
    value: String,
    from: Option<String>,
}

/// The history as splitbrain JSON text (`kv` model), or why the violation could not be
/// placed (no get to make stale after that point).
pub fn generate_json(shape: &Shape) -> Result<String, String> {
    let mut rng = Rng(shape.seed);
    let ops = timelines(&mut rng, shape);
    let mut outs = outputs(&mut rng, &ops);
    if let Some(at) = shape.violation {
        if !stale_read(&ops, &mut outs, shape.keys - 1, at) {
            return Err(format!("no get to make stale after {at} per mille"));
        }
    }
    Ok(render(&ops, &outs))
}

/// Client timelines: each client calls again after its previous operation returned.
fn timelines(rng: &mut Rng, s: &Shape) -> Vec<Op> {
    let mut ops = Vec::new();
    let mut clock = vec![0u64; s.clients as usize];
    let mut generation = vec![0u32; s.clients as usize];
    for i in 0..s.ops {
        let c = (i % s.clients) as usize;
        let call = clock[c] + rng.below(20);
        let ret = call + 1 + rng.below(200);
        let draw = rng.below(1000);
        let f = rng.below(4);
        let value = format!("v{i}.");
        let from = (f == 3).then(|| format!("v{}.", rng.below(i + 1)));
        let client = format!("C{c}#{}", generation[c]);
        let point = call + rng.below(ret - call + 1);
        let key = rng.below(s.keys);
        let open = draw
            < if key == 0 {
                s.open_per_mille.max(s.hard_per_mille)
            } else {
                s.open_per_mille
            };
        ops.push(Op {
            client,
            call,
            ret,
            point,
            open,
            f,
            key,
            value,
            from,
        });
        clock[c] = ret;
        if open {
            generation[c] += 1;
        }
    }
    ops
}

/// Applies the operations in linearization-point order; returns each one's `out` JSON.
fn outputs(rng: &mut Rng, ops: &[Op]) -> Vec<String> {
    let mut order: Vec<usize> = (0..ops.len()).collect();
    order.sort_by_key(|&i| (ops[i].point, i));
    let mut state: BTreeMap<u64, String> = BTreeMap::new();
    let mut outs: Vec<String> = vec![String::new(); ops.len()];
    let done = "{\"r\":\"done\"}".to_string();
    for i in order {
        let op = &ops[i];
        if op.open && rng.below(2) == 0 {
            continue; // Never took effect.
        }
        let cur = state.get(&op.key).cloned();
        let json = |v: &Option<String>| v.as_ref().map_or("null".into(), |s| format!("\"{s}\""));
        outs[i] = match op.f {
            0 => format!("{{\"r\":\"value\",\"value\":{}}}", json(&cur)),
            1 => {
                state.insert(op.key, op.value.clone());
                done.clone()
            }
            2 => {
                state.insert(op.key, format!("{}{}", cur.unwrap_or_default(), op.value));
                done.clone()
            }
            _ => {
                let ok = cur == op.from;
                if ok {
                    state.insert(op.key, op.value.clone());
                }
                format!("{{\"r\":\"bool\",\"value\":{ok}}}")
            }
        };
    }
    outs
}

/// Makes the first completed get on `key` called after `per_mille` of the history's time
/// return a value two completed puts back: non-linearizable. False if there is none.
fn stale_read(ops: &[Op], outs: &mut [String], key: u64, per_mille: u64) -> bool {
    let end = ops.iter().map(|o| o.call).max().unwrap_or(0);
    let from = end / 1000 * per_mille;
    let mut by_call: Vec<usize> = (0..ops.len()).filter(|&i| ops[i].key == key).collect();
    by_call.sort_by_key(|&i| (ops[i].call, i));
    let done_put = |i: usize| ops[i].f == 1 && !ops[i].open;
    for &g in by_call.iter().filter(|&&g| ops[g].call >= from) {
        if ops[g].f != 0 || ops[g].open {
            continue;
        }
        // The latest put that returned before the get, and a put that returned before
        // that one was called: its value was overwritten for sure.
        let before = |t: u64| {
            by_call
                .iter()
                .copied()
                .filter(|&i| done_put(i) && ops[i].ret < t)
                .max_by_key(|&i| ops[i].ret)
        };
        let Some(last) = before(ops[g].call) else {
            continue;
        };
        if let Some(old) = before(ops[last].call) {
            outs[g] = format!("{{\"r\":\"value\",\"value\":\"{}\"}}", ops[old].value);
            return true;
        }
    }
    false
}

fn render(ops: &[Op], outs: &[String]) -> String {
    let mut text = String::from("{\"schema_version\": 1, \"model\": \"kv\", \"ops\": [\n");
    for (i, op) in ops.iter().enumerate() {
        let f = ["get", "put", "append", "cas"][op.f as usize];
        let mut body = format!("{{\"f\":\"{f}\",\"key\":\"k{}\"", op.key);
        match op.f {
            0 => {}
            3 => {
                let from = op.from.as_deref().unwrap_or("");
                let _ = write!(body, ",\"from\":\"{from}\",\"to\":\"{}\"", op.value);
            }
            _ => {
                let _ = write!(body, ",\"value\":\"{}\"", op.value);
            }
        }
        body.push('}');
        let (status, ret, out) = if op.open {
            ("indeterminate", "null".to_string(), "null".to_string())
        } else {
            ("ok", op.ret.to_string(), outs[i].clone())
        };
        let sep = if i + 1 == ops.len() { "" } else { "," };
        let _ = writeln!(
            text,
            "{{\"client\":\"{}\",\"call_us\":{},\"ret_us\":{ret},\"status\":\"{status}\",\
             \"op\":{body},\"out\":{out}}}{sep}",
            op.client, op.call
        );
    }
    text.push_str("]}\n");
    text
}
