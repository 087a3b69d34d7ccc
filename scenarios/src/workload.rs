//! Client workloads: which operation each client issues next. Drawn from each client's own
//! workload stream, so adding a client never changes another client's operations.

use rand::Rng;
use serde::{Deserialize, Serialize};
use splitbrain_api::zk::{CreateMode, MultiOp};
use splitbrain_api::{Op, SimRng, Text};
use splitbrain_protocols::zab::recipes::{Ended, Program, Recipe, RecipeParams};
use splitbrain_sim::{HistoryNotice, HistoryOp, OpStatus, Workload};

/// The workload of a scenario.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum WorkloadSpec {
    /// Every client races to acquire lock 0, then lock 1, ... (one lock per epoch).
    Lock {
        #[serde(default)]
        max_ops_per_client: Option<u64>,
    },
    /// Key-value gets, puts, appends and compare-and-sets over `keys` keys.
    Kv {
        keys: u64,
        #[serde(default = "default_read_percent")]
        read_percent: u32,
        #[serde(default)]
        max_ops_per_client: Option<u64>,
    },
    /// ZooKeeper operations over `paths` znodes `/z0`, `/z1`, ... (and their sequential
    /// children): creates of every mode, versioned set-data and delete, multi, sync, and the
    /// reads exists, get-data and get-children.
    Zookeeper {
        paths: u64,
        #[serde(default = "default_read_percent")]
        read_percent: u32,
        /// Share of reads that leave a one-shot watch.
        #[serde(default)]
        watch_percent: u32,
        #[serde(default)]
        max_ops_per_client: Option<u64>,
    },
    /// ZooKeeper recipes as client programs (`protocols::zab::recipes`): every client runs
    /// `recipe` (`counter`, `simple-lock`, `scalable-lock`, `election`, `ready`), making one
    /// call at a time and reacting to what it returned and to its watch events.
    Recipe {
        recipe: Recipe,
        /// Increments, acquisitions, terms or configuration versions per client (without
        /// end when absent).
        #[serde(default)]
        rounds: Option<u64>,
        /// How long a lock or a leadership is held, and the pause between configuration
        /// versions, in simulated ms.
        #[serde(default = "default_hold_ms")]
        hold_ms: u64,
        /// Configuration keys of the `ready` recipe.
        #[serde(default = "default_config_keys")]
        keys: u64,
        /// A client waiting for a watch checks again after this many simulated ms without
        /// one (a watch is lost with the server that held it); null: it waits for the watch.
        #[serde(default = "default_recheck_ms")]
        recheck_ms: Option<u64>,
    },
    /// Write-once registers (Basic Paxos): every client races to propose its own value for
    /// register `r0`, then `r1`, ... (one register per round), so every round is contended.
    WriteOnce {
        #[serde(default)]
        max_ops_per_client: Option<u64>,
    },
    /// An explicit list of operations per client (what `shrink` writes into repro files).
    Script {
        /// The sequential model the history must satisfy (`mutex`, `kv`).
        model: String,
        /// `ops[i]` is client `C{i+1}`'s operations, issued in order.
        ops: Vec<Vec<ScriptStep>>,
    },
}

/// One scripted operation: `{"f": "put", "key": .., "value": .., "not_before_us": 1200}`.
/// `not_before_us` holds the operation back until that simulated time: a repro keeps the
/// moment each surviving operation was issued when the shrinker removes the ones before it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptStep {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before_us: Option<u64>,
    #[serde(flatten)]
    pub op: Op,
}

fn default_read_percent() -> u32 {
    40
}

fn default_hold_ms() -> u64 {
    20
}

fn default_config_keys() -> u64 {
    3
}

fn default_recheck_ms() -> Option<u64> {
    Some(1_000)
}

impl WorkloadSpec {
    /// The sequential model the history of this workload must satisfy.
    pub fn model(&self) -> &str {
        match self {
            WorkloadSpec::Lock { .. } => "mutex",
            WorkloadSpec::Kv { .. } => "kv",
            WorkloadSpec::WriteOnce { .. } => "write-once",
            WorkloadSpec::Zookeeper { .. } | WorkloadSpec::Recipe { .. } => "zookeeper",
            WorkloadSpec::Script { model, .. } => model,
        }
    }

    /// Total operations of a script (`None` for generated workloads).
    pub fn script_len(&self) -> Option<usize> {
        match self {
            WorkloadSpec::Script { ops, .. } => Some(ops.iter().map(Vec::len).sum()),
            _ => None,
        }
    }

    pub fn build(&self, clients: usize) -> Box<dyn Workload> {
        if let WorkloadSpec::Script { ops, .. } = self {
            let mut ops = ops.clone();
            ops.resize(clients, Vec::new());
            return Box::new(Script {
                ops,
                next: vec![0; clients],
            });
        }
        match *self {
            WorkloadSpec::Lock { max_ops_per_client } => Box::new(LockRace {
                issued: vec![0; clients],
                limit: max_ops_per_client,
            }),
            WorkloadSpec::Kv {
                keys,
                read_percent,
                max_ops_per_client,
            } => Box::new(KvMix {
                keys: (0..keys.max(1)).map(|k| numbered("k", k, "")).collect(),
                read_percent,
                issued: vec![0; clients],
                limit: max_ops_per_client,
            }),
            WorkloadSpec::Zookeeper {
                paths,
                read_percent,
                watch_percent,
                max_ops_per_client,
            } => Box::new(ZkMix::new(
                paths.max(1),
                read_percent,
                watch_percent,
                clients,
                max_ops_per_client,
            )),
            WorkloadSpec::Recipe {
                recipe,
                rounds,
                hold_ms,
                keys,
                recheck_ms,
            } => {
                let p = RecipeParams {
                    rounds,
                    hold_us: hold_ms * 1_000,
                    keys,
                    recheck_us: recheck_ms.map(|ms| ms * 1_000),
                };
                Box::new(Programs {
                    programs: (0..clients).map(|c| recipe.program(c, p)).collect(),
                })
            }
            WorkloadSpec::WriteOnce { max_ops_per_client } => Box::new(ProposeRace {
                issued: vec![0; clients],
                limit: max_ops_per_client,
            }),
            WorkloadSpec::Script { .. } => unreachable!("handled above"),
        }
    }
}

/// One client program per client: each call the program asks for is the client's next
/// operation, and the program hears how it ended and what notices the client got.
struct Programs {
    programs: Vec<Box<dyn Program>>,
}

impl Workload for Programs {
    fn next_op(&mut self, client: usize, _rng: &mut SimRng) -> Option<Op> {
        self.programs[client].next_call()
    }

    fn not_before(&self, client: usize) -> Option<u64> {
        self.programs[client].not_before()
    }

    fn reacts(&self) -> bool {
        true
    }

    fn on_end(&mut self, client: usize, op: &HistoryOp, now_us: u64) {
        let end = match (op.status, &op.out) {
            (OpStatus::Ok, Some(ret)) => Ended::Ok(ret),
            (OpStatus::Fail, _) => Ended::Failed,
            _ => Ended::Unknown,
        };
        self.programs[client].on_end(&op.op, end, now_us);
    }

    fn on_notice(&mut self, client: usize, notice: &HistoryNotice) -> bool {
        self.programs[client].on_notice(&notice.notice, notice.at_us)
    }
}

struct Script {
    ops: Vec<Vec<ScriptStep>>,
    next: Vec<usize>,
}

impl Workload for Script {
    fn next_op(&mut self, client: usize, _rng: &mut SimRng) -> Option<Op> {
        let step = self.ops[client]
            .get(self.next[client])
            .map(|s| s.op.clone());
        self.next[client] += 1;
        step
    }

    fn not_before(&self, client: usize) -> Option<u64> {
        self.ops[client].get(self.next[client])?.not_before_us
    }
}

struct LockRace {
    issued: Vec<u64>,
    limit: Option<u64>,
}

impl Workload for LockRace {
    fn next_op(&mut self, client: usize, _rng: &mut SimRng) -> Option<Op> {
        let n = self.issued[client];
        if self.limit.is_some_and(|l| n >= l) {
            return None;
        }
        self.issued[client] += 1;
        Some(Op::Acquire { lock: n })
    }
}

struct ProposeRace {
    issued: Vec<u64>,
    limit: Option<u64>,
}

impl Workload for ProposeRace {
    fn next_op(&mut self, client: usize, _rng: &mut SimRng) -> Option<Op> {
        let n = self.issued[client];
        if self.limit.is_some_and(|l| n >= l) {
            return None;
        }
        self.issued[client] += 1;
        Some(Op::Propose {
            key: numbered("r", n, ""),
            value: client_value(client as u64 + 1, n, ""),
        })
    }
}

/// A short name assembled on the stack, then made a [`Text`] (inline up to its size, so most
/// names allocate nothing: a workload names a key or value per operation).
struct Name {
    bytes: [u8; Name::CAPACITY],
    len: usize,
}

impl Name {
    /// Two numbers of up to 20 digits and three short words.
    const CAPACITY: usize = 64;

    fn new() -> Name {
        Name {
            bytes: [0; Name::CAPACITY],
            len: 0,
        }
    }

    /// Appends `word` a byte at a time (the words joined here are a few characters long).
    fn word(&mut self, word: &str) -> &mut Name {
        for &b in word.as_bytes() {
            self.bytes[self.len] = b;
            self.len += 1;
        }
        self
    }

    /// Appends the decimal digits of `n`.
    fn decimal(&mut self, n: u64) -> &mut Name {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = n;
        loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        for &d in &digits[at..] {
            self.bytes[self.len] = d;
            self.len += 1;
        }
        self
    }

    fn finish(&self) -> Text {
        Text::from(std::str::from_utf8(&self.bytes[..self.len]).expect("words and digits"))
    }
}

/// `{prefix}{n}{suffix}`, as `format!` writes it but without its machinery.
fn numbered(prefix: &str, n: u64, suffix: &str) -> Text {
    Name::new().word(prefix).decimal(n).word(suffix).finish()
}

/// The value the client numbered `number` (from 1) writes in its operation `n`:
/// `c{number}.{n}`, followed by `suffix`. Out of line: each kind of write makes one, and a
/// copy inlined in each would make the once-per-operation code too large to stay cached.
#[inline(never)]
fn client_value(number: u64, n: u64, suffix: &str) -> Text {
    Name::new()
        .word("c")
        .decimal(number)
        .word(".")
        .decimal(n)
        .word(suffix)
        .finish()
}

struct KvMix {
    /// The key names, `k0`.., written once.
    keys: Vec<Text>,
    read_percent: u32,
    issued: Vec<u64>,
    limit: Option<u64>,
}

impl Workload for KvMix {
    fn next_op(&mut self, client: usize, rng: &mut SimRng) -> Option<Op> {
        let n = self.issued[client];
        if self.limit.is_some_and(|l| n >= l) {
            return None;
        }
        self.issued[client] += 1;
        let key = self.keys[rng.gen_range(0..self.keys.len() as u64) as usize].clone();
        // Built only for writes (reads are most operations); draws no randomness.
        let value = |suffix| client_value(client as u64 + 1, n, suffix);
        let roll = rng.gen_range(0..100u32);
        let writes = 100 - self.read_percent.min(100);
        let op = if roll < self.read_percent {
            Op::Get { key }
        } else if roll < self.read_percent + writes / 2 {
            Op::Put {
                key,
                value: value(""),
            }
        } else if roll < self.read_percent + writes * 3 / 4 {
            Op::Append {
                key,
                value: value(";"),
            }
        } else {
            let from = (rng.gen_range(0..3) > 0).then(|| {
                // An i32 draw, as the value's format once inferred: the stream stays put.
                let writer: i32 = rng.gen_range(1..=3);
                client_value(writer as u64, n.saturating_sub(1), "")
            });
            Op::Cas {
                key,
                from,
                to: value(""),
            }
        };
        Some(op)
    }
}

/// `{prefix}{n}` as text, with `n` counted up in place: a workload that names a value after
/// each operation's number copies the text rather than writing the digits of `n` again
/// (a carry touches a digit or two; writing them costs a division per digit). A `String`,
/// so that making a `Text` of it needs no UTF-8 check.
struct Counter {
    /// The prefix, then the decimal digits of `n`.
    text: String,
    digits_from: usize,
}

impl Counter {
    /// `{prefix}0`.
    fn new(prefix: &str) -> Counter {
        let mut text = String::with_capacity(prefix.len() + 20);
        text.push_str(prefix);
        text.push('0');
        Counter {
            text,
            digits_from: prefix.len(),
        }
    }

    fn text(&self) -> Text {
        Text::from(self.text.as_str())
    }

    /// `n` + 1: the trailing nines become zeros and the digit before them goes up; when
    /// every digit was a nine, a one takes the first's place (99 -> 100).
    fn count_up(&mut self) {
        let digits = &self.text.as_bytes()[self.digits_from..];
        let nines = digits.iter().rev().take_while(|&&d| d == b'9').count();
        if nines == digits.len() {
            self.text.truncate(self.digits_from);
            self.text.push('1');
        } else {
            let at = self.text.len() - nines - 1;
            let up = char::from(self.text.as_bytes()[at] + 1);
            self.text.truncate(at);
            self.text.push(up);
        }
        for _ in 0..nines {
            self.text.push('0');
        }
    }
}

struct ZkMix {
    paths: u64,
    read_percent: u32,
    watch_percent: u32,
    issued: Vec<u64>,
    limit: Option<u64>,
    /// `/z{i}` and `/z{i}/n-` for the first [`ZkMix::NAMED`] paths, and each client's
    /// `/e{c}`, written once: every operation names one, and copying a short `Text` is
    /// cheaper than writing its digits again.
    named: Vec<[Text; 2]>,
    ephemeral: Vec<Text>,
    /// Per client, the value its next operation writes ([`client_value`] of the operation's
    /// number), counted up with each operation.
    values: Vec<Counter>,
}

impl ZkMix {
    /// Paths named ahead (scenarios use a handful; more are written when drawn).
    const NAMED: u64 = 256;

    fn new(
        paths: u64,
        read_percent: u32,
        watch_percent: u32,
        clients: usize,
        limit: Option<u64>,
    ) -> ZkMix {
        let named = (0..paths.min(ZkMix::NAMED))
            .map(|z| [numbered("/z", z, ""), numbered("/z", z, "/n-")])
            .collect();
        let ephemeral = (0..clients as u64)
            .map(|c| numbered("/e", c + 1, ""))
            .collect();
        let values = (0..clients)
            .map(|c| Counter::new(&numbered("c", c as u64 + 1, ".")))
            .collect();
        ZkMix {
            paths,
            read_percent,
            watch_percent,
            issued: vec![0; clients],
            limit,
            named,
            ephemeral,
            values,
        }
    }

    /// `/z{z}`, or its sequential children's prefix `/z{z}/n-`.
    fn path(&self, z: u64, sequential: bool) -> Text {
        match self.named.get(z as usize) {
            Some(names) => names[usize::from(sequential)].clone(),
            None => numbered("/z", z, if sequential { "/n-" } else { "" }),
        }
    }
}

/// The draws of [`ZkMix::next_op`], each type's out of line: the operation's code runs once
/// per operation, cold each time, and one copy of the sampling per type touches fewer cache
/// lines than one inlined at every draw. Each is the very `gen_range` call it replaces.
mod draw {
    use rand::Rng;
    use splitbrain_api::SimRng;

    #[inline(never)]
    pub(super) fn below_u64(rng: &mut SimRng, n: u64) -> u64 {
        rng.gen_range(0..n)
    }

    #[inline(never)]
    pub(super) fn below_u32(rng: &mut SimRng, n: u32) -> u32 {
        rng.gen_range(0..n)
    }

    #[inline(never)]
    pub(super) fn below_i32(rng: &mut SimRng, n: i32) -> i32 {
        rng.gen_range(0..n)
    }

    /// A write's expected version: none one time in three, else 0, 1 or 2.
    #[inline(never)]
    pub(super) fn version(rng: &mut SimRng) -> Option<u32> {
        (rng.gen_range(0..3) > 0).then(|| rng.gen_range(0..3))
    }
}

impl Workload for ZkMix {
    fn next_op(&mut self, client: usize, rng: &mut SimRng) -> Option<Op> {
        let n = self.issued[client];
        if self.limit.is_some_and(|l| n >= l) {
            return None;
        }
        self.issued[client] += 1;
        let op = self.draw_op(client, rng);
        self.values[client].count_up();
        Some(op)
    }
}

impl ZkMix {
    /// Client `client`'s next operation: a read or a write of one path drawn from `rng`.
    #[inline(always)]
    fn draw_op(&self, client: usize, rng: &mut SimRng) -> Op {
        let z = draw::below_u64(rng, self.paths);
        let path = self.path(z, false);
        // Made only for a write (it draws nothing from the rng): `c{client + 1}.{n}`.
        let data = || self.values[client].text();
        let version = draw::version;
        if draw::below_u32(rng, 100) < self.read_percent {
            let watch = self.watch_percent > 0 && draw::below_u32(rng, 100) < self.watch_percent;
            return match draw::below_i32(rng, 4) {
                0 | 1 => Op::GetData { path, watch },
                2 => Op::Exists { path, watch },
                _ => Op::GetChildren { path, watch },
            };
        }
        match draw::below_i32(rng, 10) {
            0 | 1 => Op::Create {
                path,
                data: data(),
                mode: CreateMode::Persistent,
            },
            2..=4 => Op::SetData {
                path,
                data: data(),
                version: version(rng),
            },
            5 => Op::Create {
                path: self.path(z, true),
                data: data(),
                mode: CreateMode::Sequential,
            },
            6 => Op::Delete {
                path,
                version: version(rng),
            },
            7 => Op::Sync { path },
            8 => Op::Create {
                path: self.ephemeral[client].clone(),
                data: data(),
                mode: CreateMode::Ephemeral,
            },
            _ => Op::Multi {
                ops: vec![
                    MultiOp::Check {
                        path: path.clone(),
                        version: draw::below_u32(rng, 3),
                    },
                    MultiOp::SetData {
                        path,
                        data: data(),
                        version: None,
                    },
                ],
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys and values are the strings `format!` wrote (recorded histories and repros name them).
    #[test]
    fn numbered_names_are_what_format_writes() {
        for n in [0, 1, 9, 10, 99, 12_345, u64::MAX] {
            assert_eq!(numbered("r", n, ""), format!("r{n}"));
            assert_eq!(client_value(3, n, ";"), format!("c3.{n};"));
        }
    }

    /// A counter's text is `{prefix}{n}` after `n` counts up, across every carry (9 -> 10,
    /// 99 -> 100, ...), as `client_value` writes it.
    #[test]
    fn a_counter_counts_as_format_writes() {
        let mut counter = Counter::new("c3.");
        for n in 0..120_000 {
            assert_eq!(counter.text(), client_value(3, n, ""), "{n}");
            counter.count_up();
        }
        let mut counter = Counter::new("c2.");
        for _ in 0..9_999_998 {
            counter.count_up();
        }
        assert_eq!(counter.text(), "c2.9999998");
        counter.count_up();
        counter.count_up();
        assert_eq!(counter.text(), "c2.10000000");
    }

    /// ZkMix writes the value `c{client}.{n}` of the client's `n`-th operation, counted per
    /// client.
    #[test]
    fn zk_mix_writes_each_clients_operation_number() {
        let mut mix = ZkMix::new(3, 0, 0, 2, None);
        let mut rng = splitbrain_sim::rng::stream(7, splitbrain_sim::rng::Stream::Workload(0));
        for n in 0..300u64 {
            for client in 0..2 {
                let want = client_value(client as u64 + 1, n, "");
                let data = match mix.next_op(client, &mut rng).expect("no limit") {
                    Op::Create { data, .. } | Op::SetData { data, .. } => Some(data),
                    Op::Multi { ops } => match &ops[1] {
                        MultiOp::SetData { data, .. } => Some(data.clone()),
                        _ => None,
                    },
                    _ => None,
                };
                if let Some(data) = data {
                    assert_eq!(data, want);
                }
            }
        }
    }

    #[test]
    fn a_script_step_is_an_operation_with_an_optional_release_time() {
        let timed: ScriptStep =
            serde_json::from_str(r#"{"f": "put", "key": "k", "value": "v", "not_before_us": 7}"#)
                .expect("parses");
        assert_eq!(timed.not_before_us, Some(7));
        assert_eq!(
            timed.op,
            Op::Put {
                key: "k".into(),
                value: "v".into()
            }
        );
        let plain: ScriptStep =
            serde_json::from_str(r#"{"f": "get", "key": "k"}"#).expect("parses");
        assert_eq!(plain.not_before_us, None);
        assert_eq!(plain.op, Op::Get { key: "k".into() });
        let back = serde_json::to_string(&plain).unwrap();
        assert!(!back.contains("not_before_us"), "{back}");
        assert!(serde_json::from_str::<ScriptStep>(r#"{"f": "get", "key": "k", "x": 1}"#).is_err());
    }

    #[test]
    fn a_script_holds_an_operation_until_its_time() {
        let spec = WorkloadSpec::Script {
            model: "kv".into(),
            ops: vec![vec![ScriptStep {
                not_before_us: Some(500),
                op: Op::Get { key: "k".into() },
            }]],
        };
        let w = spec.build(1);
        assert_eq!(w.not_before(0), Some(500));
    }
}
