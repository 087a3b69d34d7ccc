//! OmniPaxos's `Storage` on splitbrain's simulated disk. OmniPaxos owns its storage and reads
//! it back synchronously, so the working copy is in memory (`Store`); every write also goes to
//! a `splitbrain::replica::Journal` the server shares (the library gives no access to the
//! storage it owns), and after each call into OmniPaxos the server moves the journal onto the
//! simulated disk (`Disk`, which replays the same writes).

use crate::Command;
use omnipaxos::ballot_leader_election::Ballot;
use omnipaxos::storage::{NoSnapshot, StopSign, Storage, StorageOp, StorageResult};
use splitbrain::replica::{Journal, Replay};

/// The writes since the server last moved them to the disk, as OmniPaxos asked for them.
pub type Writes = Journal<StorageOp<Command>>;

/// What survives a crash once synced: the log and OmniPaxos's small state.
#[derive(Clone, Debug, Default)]
pub struct Disk {
    pub log: Vec<Command>,
    pub promise: Option<Ballot>,
    pub accepted_round: Option<Ballot>,
    pub decided_idx: usize,
    pub stopsign: Option<StopSign>,
}

impl Replay<StorageOp<Command>> for Disk {
    /// Applies one write: O(appended entries) for the log, O(1) for the rest.
    fn replay(&mut self, op: &StorageOp<Command>) {
        match op {
            StorageOp::AppendEntry(e) => self.log.push(e.clone()),
            StorageOp::AppendEntries(es) => self.log.extend_from_slice(es),
            StorageOp::AppendOnPrefix(from, es) => {
                self.log.truncate(*from);
                self.log.extend_from_slice(es);
            }
            StorageOp::SetPromise(b) => self.promise = Some(*b),
            StorageOp::SetAcceptedRound(b) => self.accepted_round = Some(*b),
            StorageOp::SetDecidedIndex(i) => self.decided_idx = *i,
            StorageOp::SetStopsign(s) => self.stopsign = s.clone(),
            StorageOp::SetCompactedIdx(_) | StorageOp::Trim(_) | StorageOp::SetSnapshot(_) => {
                panic!("this adapter never trims or snapshots, so OmniPaxos never asks to")
            }
        }
    }
}

/// The storage OmniPaxos reads and writes: a `Disk` image in memory plus the journal.
pub struct Store {
    now: Disk,
    journal: Writes,
}

impl Store {
    /// A store holding `disk` (what a restarted server read back), journaling into `journal`.
    pub fn new(disk: Disk, journal: Writes) -> Store {
        Store { now: disk, journal }
    }

    fn write(&mut self, op: StorageOp<Command>) -> StorageResult<()> {
        self.now.replay(&op);
        self.journal.record(op);
        Ok(())
    }
}

impl Storage<Command> for Store {
    fn write_atomically(&mut self, ops: Vec<StorageOp<Command>>) -> StorageResult<()> {
        ops.into_iter().try_for_each(|op| self.write(op))
    }

    fn append_entry(&mut self, entry: Command) -> StorageResult<()> {
        self.write(StorageOp::AppendEntry(entry))
    }

    fn append_entries(&mut self, entries: Vec<Command>) -> StorageResult<()> {
        self.write(StorageOp::AppendEntries(entries))
    }

    fn append_on_prefix(&mut self, from: usize, entries: Vec<Command>) -> StorageResult<()> {
        self.write(StorageOp::AppendOnPrefix(from, entries))
    }

    fn set_promise(&mut self, n: Ballot) -> StorageResult<()> {
        self.write(StorageOp::SetPromise(n))
    }

    fn set_decided_idx(&mut self, idx: usize) -> StorageResult<()> {
        self.write(StorageOp::SetDecidedIndex(idx))
    }

    fn get_decided_idx(&self) -> StorageResult<usize> {
        Ok(self.now.decided_idx)
    }

    fn set_accepted_round(&mut self, na: Ballot) -> StorageResult<()> {
        self.write(StorageOp::SetAcceptedRound(na))
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
        self.write(StorageOp::SetStopsign(s))
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
