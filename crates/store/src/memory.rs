//! [`MemoryBackend`]: the store's traits in memory, for the engine's tests and the simulator.
//!
//! Every handle shares one state behind an `Arc<Mutex<..>>`, so an engine restarted on the same
//! backend finds its journal, snapshots and meta (a restart test is: drop the engine, start a
//! new one on a clone of the backend). The read models keep only what the traits promise:
//! watermarks, plus counts of what was projected; SQL queries are refused with
//! [`StoreError::Unsupported`] (after the same read-only check the SQL backends make).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::audit::memory::MemoryAuditLog;
use crate::outbox::memory::MemoryOutbox;
use crate::sql_guard::check_single_read;
use crate::{
    AuditLog, Backend, BatchRef, BatchVisitor, Journal, Outbox, Projection, QueryRows, ReadModels, Snapshot, StoreError,
};

/// Snapshots kept per partition, as in the SQLite backend.
const SNAPSHOTS_KEPT: usize = 2;

#[derive(Debug, Default)]
struct State {
    /// Each partition's batches; batch `seq` is at index `seq - 1`.
    journal: BTreeMap<u32, Vec<Vec<u8>>>,
    /// Each partition's newest snapshots, oldest first.
    snapshots: BTreeMap<u32, Vec<Snapshot>>,
    meta: BTreeMap<String, String>,
    watermarks: BTreeMap<u32, u64>,
    projected: ProjectedCounts,
}

/// What the memory read models have applied (batches at or below a watermark are not counted).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProjectedCounts {
    pub batches: u64,
    pub events: u64,
    pub account_rows: u64,
}

/// An in-memory store. Clones share the same state.
#[derive(Clone, Debug, Default)]
pub struct MemoryBackend {
    state: Arc<Mutex<State>>,
    outbox: MemoryOutbox,
    audit: MemoryAuditLog,
    settlement: crate::settlement::memory::MemorySettlement,
}

impl MemoryBackend {
    pub fn new() -> MemoryBackend {
        MemoryBackend::default()
    }

    /// The outbox every [`Backend::outbox`] handle shares.
    pub fn memory_outbox(&self) -> &MemoryOutbox {
        &self.outbox
    }

    /// What projection has applied so far, over all partitions.
    pub fn projected(&self) -> Result<ProjectedCounts, StoreError> {
        Ok(lock(&self.state)?.projected)
    }
}

fn lock(state: &Mutex<State>) -> Result<MutexGuard<'_, State>, StoreError> {
    state
        .lock()
        .map_err(|_| StoreError::Backend("memory store poisoned by a panic in another thread".into()))
}

impl Backend for MemoryBackend {
    fn journal(&self) -> Result<Box<dyn Journal>, StoreError> {
        Ok(Box::new(MemoryHandle {
            state: Arc::clone(&self.state),
        }))
    }

    fn read_models(&self) -> Result<Box<dyn ReadModels>, StoreError> {
        Ok(Box::new(MemoryHandle {
            state: Arc::clone(&self.state),
        }))
    }

    fn outbox(&self) -> Result<Box<dyn Outbox>, StoreError> {
        Ok(Box::new(self.outbox.clone()))
    }

    fn audit(&self) -> Result<Box<dyn AuditLog>, StoreError> {
        Ok(Box::new(self.audit.clone()))
    }

    fn settlement(&self) -> Result<Box<dyn crate::SettlementStore>, StoreError> {
        Ok(Box::new(self.settlement.clone()))
    }

    fn describe(&self) -> String {
        "memory".to_string()
    }
}

/// A journal or read-model handle on the shared state.
#[derive(Debug)]
struct MemoryHandle {
    state: Arc<Mutex<State>>,
}

impl MemoryHandle {
    fn lock(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        lock(&self.state)
    }
}

impl Journal for MemoryHandle {
    fn append(&mut self, batches: &[BatchRef<'_>]) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        let mut next: BTreeMap<u32, u64> = BTreeMap::new();
        for batch in batches {
            let last = match next.get(&batch.partition) {
                Some(&seq) => seq,
                None => state.journal.get(&batch.partition).map_or(0, |b| b.len() as u64),
            };
            if last.checked_add(1) != Some(batch.seq) {
                return Err(StoreError::SequenceGap {
                    partition: batch.partition,
                    seq: batch.seq,
                    last,
                });
            }
            next.insert(batch.partition, batch.seq);
        }
        for batch in batches {
            state
                .journal
                .entry(batch.partition)
                .or_default()
                .push(batch.bytes.to_vec());
        }
        Ok(())
    }

    fn last_seq(&mut self, partition: u32) -> Result<u64, StoreError> {
        Ok(self.lock()?.journal.get(&partition).map_or(0, |b| b.len() as u64))
    }

    fn scan(&mut self, partition: u32, after: u64, visit: &mut BatchVisitor<'_>) -> Result<(), StoreError> {
        // Copy the batches out so `visit` runs without the lock (it may use another handle).
        let batches: Vec<(u64, Vec<u8>)> = {
            let state = self.lock()?;
            let Some(all) = state.journal.get(&partition) else {
                return Ok(());
            };
            let skip = usize::try_from(after).unwrap_or(usize::MAX).min(all.len());
            all[skip..]
                .iter()
                .enumerate()
                .map(|(i, bytes)| ((skip + i + 1) as u64, bytes.clone()))
                .collect()
        };
        for (seq, bytes) in &batches {
            visit(*seq, bytes)?;
        }
        Ok(())
    }

    fn read_batch(&mut self, partition: u32, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let state = self.lock()?;
        let index = seq.checked_sub(1).and_then(|i| usize::try_from(i).ok());
        Ok(index.and_then(|i| state.journal.get(&partition)?.get(i).cloned()))
    }

    fn save_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        let kept = state.snapshots.entry(snapshot.partition).or_default();
        kept.retain(|s| s.seq != snapshot.seq);
        kept.push(snapshot.clone());
        kept.sort_by_key(|s| s.seq);
        let excess = kept.len().saturating_sub(SNAPSHOTS_KEPT);
        kept.drain(..excess);
        Ok(())
    }

    fn load_snapshot(&mut self, partition: u32) -> Result<Option<Snapshot>, StoreError> {
        Ok(self.lock()?.snapshots.get(&partition).and_then(|s| s.last().cloned()))
    }

    fn meta(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.lock()?.meta.get(key).cloned())
    }

    fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.lock()?.meta.insert(key.to_string(), value.to_string());
        Ok(())
    }

    fn delete_meta(&mut self, key: &str) -> Result<(), StoreError> {
        self.lock()?.meta.remove(key);
        Ok(())
    }

    fn meta_with_prefix(&mut self, prefix: &str) -> Result<Vec<(String, String)>, StoreError> {
        let state = self.lock()?;
        Ok(state
            .meta
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}

impl ReadModels for MemoryHandle {
    fn project(&mut self, projection: &Projection<'_>) -> Result<(), StoreError> {
        self.project_many(std::slice::from_ref(projection))
    }

    fn project_many(&mut self, projections: &[Projection<'_>]) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        for projection in projections {
            let mark = state.watermarks.entry(projection.partition).or_insert(0);
            if projection.seq <= *mark {
                continue;
            }
            *mark = projection.seq;
            state.projected.batches += 1;
            state.projected.events += projection.events.len() as u64;
            state.projected.account_rows += projection.accounts.len() as u64;
        }
        Ok(())
    }

    fn watermark(&mut self, partition: u32) -> Result<u64, StoreError> {
        Ok(self.lock()?.watermarks.get(&partition).copied().unwrap_or(0))
    }

    fn query(&mut self, sql: &str, _limit: usize) -> Result<QueryRows, StoreError> {
        check_single_read(sql)?;
        Err(StoreError::Unsupported {
            backend: "memory",
            operation: "SQL queries",
        })
    }
}
