//! [`Auditor`]: the one writer of a store's audit log. It keeps the chain's tail (the last
//! record's seq and hash, read from the store at open), so each record costs one append; callers
//! on any thread share it (a mutex serializes them). Every [`AuditConfig::checkpoint_every`]
//! records, and on demand, it signs a checkpoint with the caller's [`CheckpointKey`].

use std::sync::{Arc, Mutex, MutexGuard};

use jiff::Timestamp;
use store::audit::{AuditCheckpointRow, AuditRow};
use store::{AuditLog, Backend, StoreError};

use crate::chain::{self, RecordFields};
use crate::key::{CheckpointKey, VerifyingKey};
use crate::record::{Action, Actor, Detail, Hash, Outcome, Target};
use crate::{AuditError, Checkpoint};

/// Where the auditor reads the time (tests pass a fixed one; servers the system clock).
pub trait AuditClock: Send + Sync {
    fn now(&self) -> Timestamp;
}

impl<F: Fn() -> Timestamp + Send + Sync> AuditClock for F {
    fn now(&self) -> Timestamp {
        self()
    }
}

/// How the auditor checkpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditConfig {
    /// Sign a checkpoint when this many records follow the last one (0: only on demand).
    /// Without a key no checkpoint is signed.
    pub checkpoint_every: u64,
}

impl Default for AuditConfig {
    fn default() -> AuditConfig {
        AuditConfig {
            checkpoint_every: 1_000,
        }
    }
}

/// How often an append refused because another writer got there first is tried again.
const APPEND_TRIES: usize = 3;

/// The chain's end as the store has it.
#[derive(Clone, Copy, Debug)]
struct Tail {
    seq: u64,
    hash: Hash,
    /// The seq of the newest checkpoint (0: none).
    checkpointed: u64,
}

struct Writer {
    log: Box<dyn AuditLog>,
    /// `None` after a failure: read again from the store before the next append.
    tail: Option<Tail>,
}

/// The audit log's writer. Share it (`Arc`); [`Auditor::record`] may be called from any thread.
pub struct Auditor {
    writer: Mutex<Writer>,
    clock: Arc<dyn AuditClock>,
    key: Option<CheckpointKey>,
    config: AuditConfig,
}

impl std::fmt::Debug for Auditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auditor")
            .field("config", &self.config)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl Auditor {
    /// Opens the audit log of `backend` and reads its tail. Without `key`, records are chained
    /// but no checkpoint is signed.
    pub fn open(
        backend: &dyn Backend,
        config: AuditConfig,
        key: Option<CheckpointKey>,
        clock: Arc<dyn AuditClock>,
    ) -> Result<Auditor, AuditError> {
        let mut log = backend.audit()?;
        let tail = read_tail(log.as_mut())?;
        Ok(Auditor {
            writer: Mutex::new(Writer { log, tail: Some(tail) }),
            clock,
            key,
            config,
        })
    }

    /// The verifying key of the checkpoint key, if there is one.
    pub fn verifying_key(&self) -> Option<VerifyingKey> {
        self.key.as_ref().map(CheckpointKey::verifying_key)
    }

    /// Appends one record, durable when this returns, and returns its seq. A checkpoint falls
    /// due after it is signed too; if signing or storing it fails the record still stands and
    /// the next record tries the checkpoint again.
    pub fn record(
        &self,
        actor: &Actor,
        action: &Action,
        target: &Target,
        detail: &Detail,
        outcome: Outcome,
    ) -> Result<u64, AuditError> {
        let at_us = self.clock.now().as_microsecond();
        let (actor, detail) = (actor.text(), detail.text());
        let mut writer = self.lock()?;
        let mut tries = 0;
        let tail = loop {
            tries += 1;
            let tail = writer.tail()?;
            let seq = tail.seq + 1;
            let fields = RecordFields {
                seq,
                at_us,
                actor: &actor,
                action: action.as_str(),
                target: target.as_str(),
                detail: &detail,
                outcome: outcome.as_str(),
                prev_hash: &tail.hash,
            };
            let hash = chain::record_hash(&fields);
            match writer.log.append(&row(&fields, &hash)) {
                Ok(_) => {
                    break Tail { seq, hash, ..tail };
                }
                Err(StoreError::AuditSequence { .. }) if tries < APPEND_TRIES => writer.tail = None,
                Err(e) => {
                    writer.tail = None;
                    return Err(e.into());
                }
            }
        };
        writer.tail = Some(tail);
        let due = self.config.checkpoint_every > 0 && tail.seq - tail.checkpointed >= self.config.checkpoint_every;
        if due && self.key.is_some() && self.checkpoint_locked(&mut writer).is_err() {
            writer.tail = None;
        }
        Ok(tail.seq)
    }

    /// Signs a checkpoint of the last record now. `None` when the log is empty or its last
    /// record already has one; [`AuditError::NoKey`] without a key.
    pub fn checkpoint(&self) -> Result<Option<Checkpoint>, AuditError> {
        let mut writer = self.lock()?;
        self.checkpoint_locked(&mut writer)
    }

    fn checkpoint_locked(&self, writer: &mut Writer) -> Result<Option<Checkpoint>, AuditError> {
        let key = self.key.as_ref().ok_or(AuditError::NoKey)?;
        let tail = writer.tail()?;
        if tail.seq == 0 || tail.seq == tail.checkpointed {
            return Ok(None);
        }
        let at = Timestamp::from_microsecond(self.clock.now().as_microsecond()).map_err(|_| AuditError::Clock)?;
        let signature = key.sign(&chain::checkpoint_bytes(tail.seq, &tail.hash, at.as_microsecond()));
        writer.log.add_checkpoint(&AuditCheckpointRow {
            seq: tail.seq,
            hash: tail.hash.0.to_vec(),
            at_us: at.as_microsecond(),
            signature: signature.to_vec(),
        })?;
        writer.tail = Some(Tail {
            checkpointed: tail.seq,
            ..tail
        });
        Ok(Some(Checkpoint {
            seq: tail.seq,
            hash: tail.hash,
            at,
            signature,
        }))
    }

    fn lock(&self) -> Result<MutexGuard<'_, Writer>, AuditError> {
        self.writer.lock().map_err(|_| AuditError::Poisoned)
    }
}

impl Writer {
    fn tail(&mut self) -> Result<Tail, AuditError> {
        if let Some(tail) = self.tail {
            return Ok(tail);
        }
        let tail = read_tail(self.log.as_mut())?;
        self.tail = Some(tail);
        Ok(tail)
    }
}

/// The last record's seq and hash, and the last checkpoint's seq, as stored.
fn read_tail(log: &mut dyn AuditLog) -> Result<Tail, AuditError> {
    let checkpointed = log.last_checkpoint()?.map_or(0, |c| c.seq);
    let Some(last) = log.last()? else {
        return Ok(Tail {
            seq: 0,
            hash: Hash::GENESIS,
            checkpointed,
        });
    };
    let hash = Hash::from_slice(&last.hash).ok_or(AuditError::Corrupt {
        seq: last.seq,
        why: "its hash is not 32 bytes",
    })?;
    Ok(Tail {
        seq: last.seq,
        hash,
        checkpointed,
    })
}

fn row(f: &RecordFields<'_>, hash: &Hash) -> AuditRow {
    AuditRow {
        seq: f.seq,
        at_us: f.at_us,
        actor: f.actor.to_owned(),
        action: f.action.to_owned(),
        target: f.target.to_owned(),
        detail: f.detail.to_owned(),
        outcome: f.outcome.to_owned(),
        prev_hash: f.prev_hash.0.to_vec(),
        hash: hash.0.to_vec(),
    }
}
