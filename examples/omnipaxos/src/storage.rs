//! OmniPaxos's `Storage` on splitbrain's simulated disk. OmniPaxos owns its storage and reads
//! it back synchronously, so the working copy is in memory (`Store`); every write also goes to
//! a journal the server shares (the library gives no access to the storage it owns), and after
//! each call into OmniPaxos the server drains the journal onto the simulated disk (`Disk`).

use crate::Command;
use omnipaxos::ballot_leader_election::Ballot;
use omnipaxos::storage::{NoSnapshot, StopSign, Storage, StorageOp, StorageResult};
use std::cell::RefCell;
use std::rc::Rc;

/// One change to durable state, as OmniPaxos asked for it.
#[derive(Clone, Debug)]
pub enum Write {
    /// Keep the first `from` entries, then append `entries`.
    Log {
        from: usize,
        entries: Vec<Command>,
    },
    Promise(Ballot),
    AcceptedRound(Ballot),
    Decided(usize),
    StopSign(Option<StopSign>),
}

/// The writes since the server last drained them.
pub type Journal = Rc<RefCell<Vec<Write>>>;

/// What survives a crash once synced: the log and OmniPaxos's small state.
#[derive(Clone, Debug, Default)]
pub struct Disk {
    pub log: Vec<Command>,
    pub promise: Option<Ballot>,
    pub accepted_round: Option<Ballot>,
    pub decided_idx: usize,
    pub stopsign: Option<StopSign>,
    /// The adapter's own: how many times the server started (its session incarnation).
    pub incarnation: u64,
}

impl Disk {
    /// Applies one write: O(appended entries) for the log, O(1) for the rest.
    pub fn apply(&mut self, write: Write) {
        match write {
            Write::Log { from, entries } => {
                self.log.truncate(from);
                self.log.extend(entries);
            }
            Write::Promise(b) => self.promise = Some(b),
            Write::AcceptedRound(b) => self.accepted_round = Some(b),
            Write::Decided(i) => self.decided_idx = i,
            Write::StopSign(s) => self.stopsign = s,
        }
    }
}

/// The storage OmniPaxos reads and writes: a `Disk` image in memory plus the journal.
pub struct Store {
    now: Disk,
    journal: Journal,
}

impl Store {
    /// A store holding `disk` (what a restarted server read back), journaling into `journal`.
    pub fn new(disk: Disk, journal: Journal) -> Store {
        Store { now: disk, journal }
    }

    fn write(&mut self, w: Write) -> StorageResult<()> {
        self.journal.borrow_mut().push(w.clone());
        self.now.apply(w);
        Ok(())
    }

    fn append(&mut self, entries: Vec<Command>) -> StorageResult<()> {
        let from = self.now.log.len();
        self.write(Write::Log { from, entries })
    }
}

impl Storage<Command> for Store {
    fn write_atomically(&mut self, ops: Vec<StorageOp<Command>>) -> StorageResult<()> {
        for op in ops {
            match op {
                StorageOp::AppendEntry(e) => self.append_entry(e)?,
                StorageOp::AppendEntries(es) => self.append_entries(es)?,
                StorageOp::AppendOnPrefix(from, es) => self.append_on_prefix(from, es)?,
                StorageOp::SetPromise(b) => self.set_promise(b)?,
                StorageOp::SetDecidedIndex(i) => self.set_decided_idx(i)?,
                StorageOp::SetAcceptedRound(b) => self.set_accepted_round(b)?,
                StorageOp::SetStopsign(s) => self.set_stopsign(s)?,
                StorageOp::SetCompactedIdx(_) | StorageOp::Trim(_) | StorageOp::SetSnapshot(_) => {
                    panic!("this adapter never trims or snapshots, so OmniPaxos never asks to")
                }
            }
        }
        Ok(())
    }

    fn append_entry(&mut self, entry: Command) -> StorageResult<()> {
        self.append(vec![entry])
    }

    fn append_entries(&mut self, entries: Vec<Command>) -> StorageResult<()> {
        self.append(entries)
    }

    fn append_on_prefix(&mut self, from: usize, entries: Vec<Command>) -> StorageResult<()> {
        self.write(Write::Log { from, entries })
    }

    fn set_promise(&mut self, n: Ballot) -> StorageResult<()> {
        self.write(Write::Promise(n))
    }

    fn set_decided_idx(&mut self, idx: usize) -> StorageResult<()> {
        self.write(Write::Decided(idx))
    }

    fn get_decided_idx(&self) -> StorageResult<usize> {
        Ok(self.now.decided_idx)
    }

    fn set_accepted_round(&mut self, na: Ballot) -> StorageResult<()> {
        self.write(Write::AcceptedRound(na))
    }

    fn get_accepted_round(&self) -> StorageResult<Option<Ballot>> {
        Ok(self.now.accepted_round)
    }

    fn get_entries(&self, from: usize, to: usize) -> StorageResult<Vec<Command>> {
        Ok(self
            .now
            .log
            .get(from..to)
            .map(<[_]>::to_vec)
            .unwrap_or_default())
    }

    fn get_log_len(&self) -> StorageResult<usize> {
        Ok(self.now.log.len())
    }

    fn get_suffix(&self, from: usize) -> StorageResult<Vec<Command>> {
        Ok(self
            .now
            .log
            .get(from..)
            .map(<[_]>::to_vec)
            .unwrap_or_default())
    }

    fn get_promise(&self) -> StorageResult<Option<Ballot>> {
        Ok(self.now.promise)
    }

    fn set_stopsign(&mut self, s: Option<StopSign>) -> StorageResult<()> {
        self.write(Write::StopSign(s))
    }

    fn get_stopsign(&self) -> StorageResult<Option<StopSign>> {
        Ok(self.now.stopsign.clone())
    }

    fn trim(&mut self, _idx: usize) -> StorageResult<()> {
        panic!("this adapter never trims")
    }

    fn set_compacted_idx(&mut self, _idx: usize) -> StorageResult<()> {
        panic!("this adapter never trims or snapshots")
    }

    fn get_compacted_idx(&self) -> StorageResult<usize> {
        Ok(0)
    }

    fn set_snapshot(&mut self, _snapshot: Option<NoSnapshot>) -> StorageResult<()> {
        panic!("this adapter never snapshots")
    }

    fn get_snapshot(&self) -> StorageResult<Option<NoSnapshot>> {
        Ok(None)
    }
}
