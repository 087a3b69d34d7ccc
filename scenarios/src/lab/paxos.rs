//! The Basic Paxos lab's graded suite, named after the tests of MIT 6.824's Paxos lab (2015):
//! a service of write-once registers, each decided by its own single-decree instance. Part A
//! is agreement without faults (one proposer, dueling proposers, the message budget); part B
//! is agreement under faults (a deaf acceptor, partitions, acceptors that restart between the
//! phases, a proposer that crashes mid-accept, unreliable links, everything at once).
//!
//! A student's servers are judged only by what their clients saw (the history: every
//! register's proposals return one value, a value someone proposed, and every client
//! completes once faults heal) and by the message counts of the trace, so the suite runs any
//! protocol whose clients speak `write-once` (the shared `KvClient` does).

use super::{server_sends, test, LabTest};
use crate::catalog::paxos::PaxosEntry;
use crate::registry::ProtocolEntry;
use crate::runner::RunResult;
use crate::scenario::Scenario;
use splitbrain_sim::OpStatus;

/// Seeds per scenario.
const SEEDS: u64 = 8;
/// Seeds of the scenarios that aim at one classic mistake (a planted bug shows within them).
const BUG_SEEDS: u64 = 16;
/// Registers the single client of `Basic` and `RPCCount` proposes for, one after the other.
const COUNT_OPS: usize = 20;
/// Messages from servers per decided register allowed by `RPCCount`, per server.
const MSGS_PER_SERVER: usize = 6;

/// Every test of the suite, in order.
pub fn suite() -> Vec<LabTest> {
    let mut all = without_faults();
    all.extend(with_faults());
    all
}

/// The test called `name` (case-insensitive; a `Test` prefix is accepted, as `go test`
/// names them).
pub fn find(name: &str) -> Option<LabTest> {
    let bare = name.strip_prefix("Test").unwrap_or(name);
    suite()
        .into_iter()
        .find(|t| t.name.eq_ignore_ascii_case(bare) || t.name.eq_ignore_ascii_case(name))
}

fn without_faults() -> Vec<LabTest> {
    vec![
        test(
            "Basic",
            "A",
            "with no faults and one client, every register is decided with the value proposed",
            vec![(lab_scenario(BASIC), SEEDS)],
            Some((
                every_op_completed,
                "every proposal of the single client completes (no faults: nothing may be lost or left waiting)",
            )),
        ),
        test(
            "Duel",
            "A",
            "three proposers proposing different values for the same register at the same moment agree on one, and every one of them learns it",
            vec![(named("paxos-dueling"), BUG_SEEDS)],
            None,
        ),
        test(
            "RPCCount",
            "A",
            "deciding a register with one proposer takes a bounded number of messages",
            vec![(lab_scenario(BASIC), 4)],
            Some((
                rpc_count,
                "every proposal completes, and servers send at most 6 messages per server for each decided register (prepare, promise, accept, accepted, decided, with room to spare)",
            )),
        ),
    ]
}

fn with_faults() -> Vec<LabTest> {
    vec![
        test(
            "Deaf",
            "B",
            "a majority decides while one acceptor hears nothing, and the deaf one does not block anyone",
            vec![(lab_scenario(DEAF), SEEDS)],
            None,
        ),
        test(
            "Partition",
            "B",
            "a minority decides nothing, a majority decides, and after the heal every register has one value",
            vec![(lab_scenario(PARTITION), SEEDS)],
            None,
        ),
        test(
            "Persist",
            "B",
            "acceptors that crash and restart between the phases keep their promises and accepted values",
            vec![(lab_scenario(PERSIST), BUG_SEEDS)],
            None,
        ),
        test(
            "Old",
            "B",
            "a proposer that crashes after its accept reached some acceptors leaves a value the next proposer must adopt",
            vec![(named("paxos-proposer-crash"), BUG_SEEDS)],
            None,
        ),
        test(
            "ManyUnreliable",
            "B",
            "dropped, duplicated, late and reordered messages change nothing",
            vec![(named("paxos-unreliable"), SEEDS)],
            None,
        ),
        test(
            "Lots",
            "B",
            "partitions, crashes, pauses, clock faults and lossy links drawn at random, within a minority",
            vec![(named("paxos-swarm"), SEEDS)],
            None,
        ),
    ]
}

fn named(name: &str) -> Scenario {
    PaxosEntry
        .scenarios()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("paxos catalogue scenario {name}"))
}

fn lab_scenario(text: &str) -> Scenario {
    Scenario::from_json(text, "built-in paxos lab scenario").expect("lab scenarios parse")
}

/// One client, no faults: `COUNT_OPS` registers one after the other.
const BASIC: &str = r#"{
  "name": "lab-paxos-basic",
  "description": "No faults: one client proposes a value for 20 registers, one after the other, to three servers.",
  "servers": 3,
  "clients": 1,
  "safety_ms": 3000,
  "liveness_ms": 0,
  "workload": {"kind": "write-once", "max_ops_per_client": 20}
}"#;

/// One acceptor cut off from every other node for the first two seconds.
const DEAF: &str = r#"{
  "name": "lab-paxos-deaf",
  "description": "S3 hears nothing and is heard by nobody for 2 s (clients that try it move on); S1 and S2 are a majority of three and must decide every register. Healed for the last second.",
  "servers": 3,
  "clients": 2,
  "safety_ms": 3000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 0, "fault": {"kind": "partition", "groups": [["S3"], ["S1", "S2", "C1", "C2"]]}},
    {"at_us": 2000000, "fault": {"kind": "heal"}}
  ],
  "workload": {"kind": "write-once"}
}"#;

/// Five acceptors under a sequence of partitions, one of them with no majority anywhere.
const PARTITION: &str = r#"{
  "name": "lab-paxos-partition",
  "description": "Five servers, three clients (each reaching every server): {S1,S2} | {S3,S4,S5}, then {S1,S2,S3} | {S4,S5}, then {S1} | {S2,S3} | {S4,S5} (no side has a majority: nothing may be decided), then healed.",
  "servers": 5,
  "clients": 3,
  "safety_ms": 4000,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 0, "fault": {"kind": "partition", "groups": [["S1", "S2"], ["S3", "S4", "S5"]]}},
    {"at_us": 1000000, "fault": {"kind": "heal"}},
    {"at_us": 1000000, "fault": {"kind": "partition", "groups": [["S1", "S2", "S3"], ["S4", "S5"]]}},
    {"at_us": 2000000, "fault": {"kind": "heal"}},
    {"at_us": 2000000, "fault": {"kind": "partition", "groups": [["S1"], ["S2", "S3"], ["S4", "S5"]]}},
    {"at_us": 3000000, "fault": {"kind": "heal"}}
  ],
  "workload": {"kind": "write-once"}
}"#;

/// The classic lost promise: S2 is the only acceptor both S1 and S3 reach; it crashes right
/// after an acceptance and restarts at once, and the other side's proposer asks it next.
const PERSIST: &str = r#"{
  "name": "lab-paxos-persist",
  "description": "Three proposers duel while S1 and S3 cannot reach each other: S2, the acceptor both reach, crashes right after sending an acceptance and restarts 40 ms later, four times. The value it accepted may be chosen already (with the proposer's own acceptor); the other side's proposer then asks S2, which must still report it.",
  "servers": 3,
  "clients": 3,
  "safety_ms": 3200,
  "liveness_ms": 2000,
  "schedule": [
    {"at_us": 0, "fault": {"kind": "partition", "groups": [["S1"], ["S3"]]}},
    {"at_us": 0, "fault": {"kind": "crash-after-send", "node": "S2", "msg_kind": "Accepted"}},
    {"at_us": 40000, "fault": {"kind": "restart", "node": "S2"}},
    {"at_us": 400000, "fault": {"kind": "heal"}},
    {"at_us": 800000, "fault": {"kind": "partition", "groups": [["S1"], ["S3"]]}},
    {"at_us": 800000, "fault": {"kind": "crash-after-send", "node": "S2", "msg_kind": "Accepted"}},
    {"at_us": 840000, "fault": {"kind": "restart", "node": "S2"}},
    {"at_us": 1200000, "fault": {"kind": "heal"}},
    {"at_us": 1600000, "fault": {"kind": "partition", "groups": [["S1"], ["S3"]]}},
    {"at_us": 1600000, "fault": {"kind": "crash-after-send", "node": "S2", "msg_kind": "Accepted"}},
    {"at_us": 1640000, "fault": {"kind": "restart", "node": "S2"}},
    {"at_us": 2000000, "fault": {"kind": "heal"}},
    {"at_us": 2400000, "fault": {"kind": "partition", "groups": [["S1"], ["S3"]]}},
    {"at_us": 2400000, "fault": {"kind": "crash-after-send", "node": "S2", "msg_kind": "Accepted"}},
    {"at_us": 2440000, "fault": {"kind": "restart", "node": "S2"}},
    {"at_us": 2800000, "fault": {"kind": "heal"}}
  ],
  "workload": {"kind": "write-once"}
}"#;

/// Every proposal completed.
fn every_op_completed(r: &RunResult) -> Option<String> {
    let ops = &r.record.history.ops;
    let done = ops.iter().filter(|o| o.status == OpStatus::Ok).count();
    (done < COUNT_OPS).then(|| format!("{done} of the client's {COUNT_OPS} proposals completed"))
}

/// Messages sent by servers (delivered or lost on the way) until the last proposal completed,
/// per decided register.
fn rpc_count(r: &RunResult) -> Option<String> {
    if let Some(why) = every_op_completed(r) {
        return Some(why);
    }
    let last = r
        .record
        .history
        .ops
        .iter()
        .filter_map(|o| o.ret_us)
        .max()
        .unwrap_or(0);
    let sent = server_sends(r).into_iter().filter(|&t| t <= last).count();
    let allowed = MSGS_PER_SERVER * r.servers * COUNT_OPS;
    (sent > allowed).then(|| {
        format!(
            "{sent} messages from servers for {COUNT_OPS} decided registers ({:.1} each, at most {} allowed)",
            sent as f64 / COUNT_OPS as f64,
            MSGS_PER_SERVER * r.servers
        )
    })
}
