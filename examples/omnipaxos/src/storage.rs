//! OmniPaxos's `Storage` on splitbrain's simulated disk. OmniPaxos owns its storage and reads
//! it back synchronously, so the storage is a `splitbrain::replica::Journaled` disk image
//! (`Io::journaled`): each write changes the image at once and is journaled, and after each
//! call into OmniPaxos the replica moves the journal onto the simulated disk.

use crate::Command;
use omnipaxos::ballot_leader_election::Ballot;
use omnipaxos::storage::{NoSnapshot, StopSign, Storage, StorageOp, StorageResult};
use splitbrain::replica::{Journaled, Log};

/// What survives a crash once synced: the log and OmniPaxos's small state.
#[derive(Clone, Debug, Default)]
pub struct Disk {
    log: Log<Command>,
    promise: Option<Ballot>,
    accepted_round: Option<Ballot>,
    decided_idx: usize,
    stopsign: Option<StopSign>,
}

/// The storage OmniPaxos is built with: each write changes the image and journals the change
/// (appends cost the appended entries).
impl Storage<Command> for Journaled<Disk> {
    /// One call into OmniPaxos ends in one disk write, so these are atomic on the disk too.
    fn write_atomically(&mut self, ops: Vec<StorageOp<Command>>) -> StorageResult<()> {
        ops.into_iter().try_for_each(|op| match op {
            StorageOp::AppendEntry(e) => self.append_entry(e),
            StorageOp::AppendEntries(es) => self.append_entries(es),
            StorageOp::AppendOnPrefix(from, es) => self.append_on_prefix(from, es),
            StorageOp::SetPromise(b) => self.set_promise(b),
            StorageOp::SetDecidedIndex(i) => self.set_decided_idx(i),
            StorageOp::SetAcceptedRound(b) => self.set_accepted_round(b),
            StorageOp::SetStopsign(s) => self.set_stopsign(s),
            other => panic!("this adapter never trims or snapshots: {other:?}"),
        })
    }

    fn append_entry(&mut self, e: Command) -> StorageResult<()> {
        self.write(move |d| d.log.push(e.clone()))
    }

    fn append_entries(&mut self, es: Vec<Command>) -> StorageResult<()> {
        self.write(move |d| d.log.extend_from_slice(&es))
    }

    fn append_on_prefix(&mut self, from: usize, es: Vec<Command>) -> StorageResult<()> {
        self.write(move |d| d.log.replace_from(from, &es))
    }

    fn set_promise(&mut self, b: Ballot) -> StorageResult<()> {
        self.write(move |d| d.promise = Some(b))
    }

    fn set_decided_idx(&mut self, i: usize) -> StorageResult<()> {
        self.write(move |d| d.decided_idx = i)
    }

    fn get_decided_idx(&self) -> StorageResult<usize> {
        Ok(self.decided_idx)
    }

    fn set_accepted_round(&mut self, b: Ballot) -> StorageResult<()> {
        self.write(move |d| d.accepted_round = Some(b))
    }

    fn get_accepted_round(&self) -> StorageResult<Option<Ballot>> {
        Ok(self.accepted_round)
    }

    fn get_entries(&self, from: usize, to: usize) -> StorageResult<Vec<Command>> {
        Ok(self.log.range(from, to))
    }

    fn get_log_len(&self) -> StorageResult<usize> {
        Ok(self.log.len())
    }

    fn get_suffix(&self, from: usize) -> StorageResult<Vec<Command>> {
        Ok(self.log.suffix(from))
    }

    fn get_promise(&self) -> StorageResult<Option<Ballot>> {
        Ok(self.promise)
    }

    fn set_stopsign(&mut self, s: Option<StopSign>) -> StorageResult<()> {
        self.write(move |d| d.stopsign = s.clone())
    }

    fn get_stopsign(&self) -> StorageResult<Option<StopSign>> {
        Ok(self.stopsign.clone())
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
