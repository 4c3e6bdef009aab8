//! [`MemoryAuditLog`]: the [`AuditLog`] in memory, for tests and the simulator. Clones share one
//! state, like the memory backend's handles.

use std::sync::{Arc, Mutex, MutexGuard};

use super::{AuditCheckpointRow, AuditLog, AuditRow};
use crate::StoreError;

#[derive(Debug, Default)]
struct State {
    /// Record `seq` is at index `seq - 1`.
    records: Vec<AuditRow>,
    checkpoints: Vec<AuditCheckpointRow>,
}

/// An in-memory audit log. Clones share the same state.
#[derive(Clone, Debug, Default)]
pub struct MemoryAuditLog {
    state: Arc<Mutex<State>>,
}

impl MemoryAuditLog {
    pub fn new() -> MemoryAuditLog {
        MemoryAuditLog::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        self.state
            .lock()
            .map_err(|_| StoreError::Backend("memory audit log poisoned by a panic in another thread".into()))
    }
}

fn skip(after: u64, len: usize) -> usize {
    usize::try_from(after).unwrap_or(usize::MAX).min(len)
}

impl AuditLog for MemoryAuditLog {
    fn append(&mut self, row: &AuditRow) -> Result<u64, StoreError> {
        let mut state = self.lock()?;
        let last = state.records.len() as u64;
        if last.checked_add(1) != Some(row.seq) {
            return Err(StoreError::AuditSequence { seq: row.seq, last });
        }
        state.records.push(row.clone());
        Ok(row.seq)
    }

    fn scan(&mut self, after: u64, limit: usize) -> Result<Vec<AuditRow>, StoreError> {
        let state = self.lock()?;
        let from = skip(after, state.records.len());
        Ok(state.records[from..].iter().take(limit).cloned().collect())
    }

    fn last(&mut self) -> Result<Option<AuditRow>, StoreError> {
        Ok(self.lock()?.records.last().cloned())
    }

    fn add_checkpoint(&mut self, checkpoint: &AuditCheckpointRow) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        let last = state.checkpoints.last().map_or(0, |c| c.seq);
        if checkpoint.seq <= last {
            return Err(StoreError::AuditSequence {
                seq: checkpoint.seq,
                last,
            });
        }
        state.checkpoints.push(checkpoint.clone());
        Ok(())
    }

    fn checkpoints(&mut self, after: u64, limit: usize) -> Result<Vec<AuditCheckpointRow>, StoreError> {
        let state = self.lock()?;
        Ok(state
            .checkpoints
            .iter()
            .filter(|c| c.seq > after)
            .take(limit)
            .cloned()
            .collect())
    }

    fn last_checkpoint(&mut self) -> Result<Option<AuditCheckpointRow>, StoreError> {
        Ok(self.lock()?.checkpoints.last().cloned())
    }
}
