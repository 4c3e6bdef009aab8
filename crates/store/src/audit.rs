//! The audit log as the store keeps it, behind the [`AuditLog`] trait (SQLite in
//! `sqlite/audit.rs`, memory in `audit/memory.rs`, the same promises checked by
//! `conformance::audit`).
//!
//! Two tables: the records ([`AuditRow`], numbered 1, 2, 3 ... without gaps, appended only) and
//! the checkpoints ([`AuditCheckpointRow`], one per checkpointed record, appended only). The
//! store does not know what a record means nor how its hash is computed: the `audit` crate owns
//! the chain and the signatures, and hands the store finished rows. It only refuses an append
//! that does not follow the last record, so two writers can never both write record `n`.
//!
//! Nothing here updates or deletes: the trait has no such method. An attacker with the files can
//! still edit them; the chain is what makes that visible (`audit::verify`).

pub mod memory;

use crate::StoreError;

/// One audit record as stored. Text fields are the exact bytes the record's hash covers;
/// `prev_hash` and `hash` are 32-byte SHA-256 digests (kept as bytes of any length, so that a
/// tampered value reaches the verifier instead of failing the read).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    pub seq: u64,
    /// Microseconds since the Unix epoch.
    pub at_us: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub outcome: String,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

/// A signed checkpoint: record `seq` had hash `hash` when the holder of the signing key signed
/// it at `at_us`. `signature` is the signature's bytes (Ed25519: 64).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditCheckpointRow {
    pub seq: u64,
    pub hash: Vec<u8>,
    pub at_us: i64,
    pub signature: Vec<u8>,
}

/// The audit log of one store. Each method is one transaction; an append is durable when it
/// returns (the same durability as the journal's).
pub trait AuditLog: Send {
    /// Appends `row`, whose `seq` must be exactly one more than the last record's (1 for the
    /// first); otherwise nothing is written and the answer is [`StoreError::AuditSequence`].
    /// Returns the row's `seq`.
    fn append(&mut self, row: &AuditRow) -> Result<u64, StoreError>;

    /// The records with `seq > after`, in `seq` order, at most `limit`.
    fn scan(&mut self, after: u64, limit: usize) -> Result<Vec<AuditRow>, StoreError>;

    /// The record with the highest `seq`, if any.
    fn last(&mut self) -> Result<Option<AuditRow>, StoreError>;

    /// Appends a checkpoint, whose `seq` must be above the last checkpoint's; otherwise
    /// nothing is written and the answer is [`StoreError::AuditSequence`].
    fn add_checkpoint(&mut self, checkpoint: &AuditCheckpointRow) -> Result<(), StoreError>;

    /// The checkpoints with `seq > after`, in `seq` order, at most `limit`.
    fn checkpoints(&mut self, after: u64, limit: usize) -> Result<Vec<AuditCheckpointRow>, StoreError>;

    /// The checkpoint with the highest `seq`, if any.
    fn last_checkpoint(&mut self) -> Result<Option<AuditCheckpointRow>, StoreError>;
}
