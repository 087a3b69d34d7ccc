//! A generator of correct ZooKeeper histories for tests and the benchmark: a leader orders
//! the writes, three servers apply them with lag and answer reads from their own copies,
//! clients move between servers without going back, set watches and hear notifications when
//! a watched znode changes. Deterministic for a seed. `broken` plants one stale read that
//! claims a newer zxid than its data (a false witness) near the end.

use splitbrain_checkers::zk::history::{Mode, Stat, Step, StepResult};
use splitbrain_checkers::zk::tree::{Change, Owner, Tree};

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

struct Server {
    tree: Tree,
    applied: usize,
}

struct Client {
    server: usize,
    seen: u64,
    ended: u64,
    /// Watches set: (path, data watch?, child watch?, exists-on-absent?).
    watches: Vec<(String, u8)>,
}

const DATA: u8 = 1;
const CHILDREN: u8 = 2;
const CREATION: u8 = 4;

pub struct Gen {
    rng: Rng,
    leader: Tree,
    log: Vec<(u64, Vec<Step<'static>>, u32)>,
    servers: Vec<Server>,
    clients: Vec<Client>,
    zxid: u64,
    now: u64,
    ops: Vec<String>,
    notices: Vec<String>,
    /// A false zxid is still to be planted on the next read.
    plant: bool,
}

fn stat_json(s: &Stat) -> String {
    format!(
        r#"{{"czxid": {}, "mzxid": {}, "pzxid": {}, "version": {}, "cversion": {}, "ephemeral_owner": {}}}"#,
        s.czxid,
        s.mzxid,
        s.pzxid,
        s.version,
        s.cversion,
        s.ephemeral_owner
            .map_or("null".to_string(), |o| o.to_string())
    )
}

/// A correct history of `n` operations by `clients` clients on `keys` paths, as JSON.
pub fn zk_history(n: usize, clients: usize, keys: u64, seed: u64, broken: bool) -> String {
    let mut g = Gen {
        rng: Rng(seed),
        leader: Tree::default(),
        log: Vec::new(),
        servers: (0..3)
            .map(|_| Server {
                tree: Tree::default(),
                applied: 0,
            })
            .collect(),
        clients: (0..clients)
            .map(|c| Client {
                server: c % 3,
                seen: 0,
                ended: 0,
                watches: Vec::new(),
            })
            .collect(),
        zxid: 0,
        now: 0,
        ops: Vec::with_capacity(n),
        notices: Vec::new(),
        plant: false,
    };
    for k in 0..n {
        let c = g.rng.below(clients as u64) as usize;
        g.plant |= broken && k == n - n / 10;
        g.step(c, keys);
    }
    format!(
        "{{\"schema_version\": 2, \"model\": \"zookeeper\", \"ops\": [\n{}\n], \"notices\": [\n{}\n]}}",
        g.ops.join(",\n"),
        g.notices.join(",\n")
    )
}

impl Gen {
    fn step(&mut self, c: usize, keys: u64) {
        if self.rng.below(50) == 0 {
            self.clients[c].server = self.rng.below(3) as usize;
        }
        let path = format!("/k{}", self.rng.below(keys));
        let roll = self.rng.below(100);
        let (call, reply) = match roll {
            0..=9 => self.write(
                c,
                Step::Create {
                    path: path.clone().into(),
                    data: "0".into(),
                    mode: Mode::Persistent,
                },
            ),
            10..=12 => self.write(
                c,
                Step::Delete {
                    path: path.clone().into(),
                    version: None,
                },
            ),
            13..=29 => {
                let data = self.rng.below(1000).to_string();
                self.write(
                    c,
                    Step::SetData {
                        path: path.clone().into(),
                        data: data.into(),
                        version: None,
                    },
                )
            }
            30..=31 => self.sync(c),
            _ => self.read(c, &path, roll),
        };
        self.now += 2;
        let client = format!("C{}", c + 1);
        self.ops.push(format!(
            r#"{{"client": "{client}", "call_us": {}, "ret_us": {}, "status": "ok", "op": {call}, "out": {reply}}}"#,
            self.now - 2,
            self.now - 1
        ));
        self.clients[c].ended += 1;
    }

    fn write(&mut self, c: usize, step: Step<'static>) -> (String, String) {
        let call = match &step {
            Step::Create { path, data, .. } => format!(
                r#"{{"f": "create", "path": "{path}", "data": "{data}", "mode": "persistent"}}"#
            ),
            Step::Delete { path, .. } => {
                format!(r#"{{"f": "delete", "path": "{path}", "version": null}}"#)
            }
            Step::SetData { path, data, .. } => format!(
                r#"{{"f": "set-data", "path": "{path}", "data": "{data}", "version": null}}"#
            ),
            Step::Check { .. } => unreachable!("not generated"),
        };
        let owner = Some(Owner::ClientSession {
            client: c as u32,
            life: 0,
        });
        let mut changes = Vec::new();
        let z = self.zxid + 1;
        let got = self
            .leader
            .apply(std::slice::from_ref(&step), z, owner, &mut changes);
        let reply = match got {
            Err((_, e)) => format!(
                r#"{{"r": "error", "error": "{e:?}", "zxid": {}}}"#,
                self.zxid
            ),
            Ok(results) => {
                self.zxid = z;
                self.log.push((z, vec![step], c as u32));
                self.notify(&changes, z);
                match &results[0] {
                    StepResult::Created { path } => {
                        format!(r#"{{"r": "created", "path": "{path}", "zxid": {z}}}"#)
                    }
                    StepResult::Deleted => format!(r#"{{"r": "deleted", "zxid": {z}}}"#),
                    StepResult::Stat { stat } => format!(
                        r#"{{"r": "stat", "stat": {}, "zxid": {z}}}"#,
                        stat_json(stat)
                    ),
                    StepResult::Checked => unreachable!("not generated"),
                }
            }
        };
        let cl = &mut self.clients[c];
        cl.seen = cl.seen.max(self.zxid);
        (call, reply)
    }

    fn notify(&mut self, changes: &[Change], z: u64) {
        use splitbrain_checkers::zk::history::WatchKind::*;
        for (c, cl) in self.clients.iter_mut().enumerate() {
            for ch in changes {
                let Some(k) = cl.watches.iter().position(|(p, _)| *p == ch.path) else {
                    continue;
                };
                let on = cl.watches[k].1;
                let fires = match ch.kind {
                    NodeCreated => on & CREATION != 0,
                    NodeDataChanged => on & DATA != 0,
                    NodeChildrenChanged => on & CHILDREN != 0,
                    NodeDeleted => on & (DATA | CHILDREN) != 0,
                };
                if fires {
                    cl.watches.swap_remove(k);
                    self.notices.push(format!(
                        r#"{{"client": "C{}", "at_us": {}, "ops_ended": {}, "notice": {{"n": "watch", "path": "{}", "kind": "{:?}", "zxid": {z}}}}}"#,
                        c + 1,
                        self.now,
                        cl.ended,
                        ch.path,
                        ch.kind
                    ));
                }
            }
        }
    }

    /// Brings server `s` up to at least `upto` and at most the leader, by a random amount.
    fn catch_up(&mut self, s: usize, upto: u64, full: bool) {
        let lag = if full { 0 } else { self.rng.below(8) as usize };
        let target = self.log.len().saturating_sub(lag);
        let need = self.log.partition_point(|e| e.0 <= upto);
        let server = &mut self.servers[s];
        let to = target.max(need).max(server.applied);
        for (z, steps, c) in &self.log[server.applied..to] {
            let owner = Some(Owner::ClientSession {
                client: *c,
                life: 0,
            });
            server
                .tree
                .apply(steps, *z, owner, &mut Vec::new())
                .expect("the leader applied it");
        }
        server.applied = to;
    }

    fn server_zxid(&self, s: usize) -> u64 {
        self.servers[s]
            .applied
            .checked_sub(1)
            .map_or(0, |i| self.log[i].0)
    }

    fn sync(&mut self, c: usize) -> (String, String) {
        let s = self.clients[c].server;
        self.catch_up(s, self.zxid, true);
        let z = self.server_zxid(s);
        self.clients[c].seen = z;
        (
            r#"{"f": "sync", "path": "/"}"#.into(),
            format!(r#"{{"r": "synced", "zxid": {z}}}"#),
        )
    }

    fn read(&mut self, c: usize, path: &str, roll: u64) -> (String, String) {
        let watch = roll.is_multiple_of(3);
        let s = self.clients[c].server;
        let seen = self.clients[c].seen;
        self.catch_up(s, seen, watch);
        let mut z = self.server_zxid(s);
        if std::mem::take(&mut self.plant) {
            z = self.zxid + 1; // a zxid no write has yet: the read claims the future
        }
        self.clients[c].seen = z;
        let tree = &self.servers[s].tree;
        let node = tree.get(path);
        let kind = roll % 3;
        let (call, reply, on) = match kind {
            0 => {
                let call = format!(r#"{{"f": "get-data", "path": "{path}", "watch": {watch}}}"#);
                let reply = match node {
                    None => format!(r#"{{"r": "error", "error": "NoNode", "zxid": {z}}}"#),
                    Some(n) => format!(
                        r#"{{"r": "data", "data": "{}", "stat": {}, "zxid": {z}}}"#,
                        n.data,
                        stat_json(&splitbrain_checkers::zk::tree::stat_of(n))
                    ),
                };
                (call, reply, node.map(|_| DATA))
            }
            1 => {
                let call = format!(r#"{{"f": "exists", "path": "{path}", "watch": {watch}}}"#);
                let st = node.map_or("null".into(), |n| {
                    stat_json(&splitbrain_checkers::zk::tree::stat_of(n))
                });
                let reply = format!(r#"{{"r": "stat", "stat": {st}, "zxid": {z}}}"#);
                (
                    call,
                    reply,
                    Some(if node.is_some() { DATA } else { CREATION }),
                )
            }
            _ => {
                let root = tree.get("/").expect("the root");
                let kids: Vec<String> = root.children.iter().map(|k| format!("\"{k}\"")).collect();
                let call = format!(r#"{{"f": "get-children", "path": "/", "watch": {watch}}}"#);
                let reply = format!(
                    r#"{{"r": "children", "children": [{}], "stat": {}, "zxid": {z}}}"#,
                    kids.join(", "),
                    stat_json(&splitbrain_checkers::zk::tree::stat_of(root))
                );
                (call, reply, Some(CHILDREN))
            }
        };
        if let (true, Some(on)) = (watch, on) {
            let p = if kind == 2 {
                "/".to_string()
            } else {
                path.to_string()
            };
            let cl = &mut self.clients[c];
            match cl.watches.iter_mut().find(|(q, _)| *q == p) {
                Some(w) => w.1 |= on,
                None => cl.watches.push((p, on)),
            }
        }
        (call, reply)
    }
}
