//! The tamper-evident audit log: who did what, to what, and how it ended, as records chained by
//! hash, with Ed25519-signed checkpoints.
//!
//! This crate owns the chain: the record's fields and their types ([`record`]), the exact bytes
//! a hash and a signature cover ([`chain`], documented so an outside auditor can recompute
//! them), the one writer ([`Auditor`]), the checker ([`verify`]) and the auditor's export
//! ([`export()`]). The rows live in the store (`store::AuditLog`), so every backend keeps them.
//!
//! It must never know HTTP, routes, roles or the JSON API (it serializes only its own export
//! lines), the journal or its encoding, or personal data: callers pass masked values. The
//! checkpoint signing key is the caller's ([`CheckpointKey`]); it is never written to the store.

pub mod auditor;
pub mod chain;
pub mod export;
pub mod key;
pub mod record;
pub mod verify;

pub use auditor::{AuditClock, AuditConfig, Auditor};
pub use export::{Exported, export};
pub use key::{CheckpointKey, KeyError, VerifyingKey};
pub use record::{Action, Actor, AuditRecord, Detail, FieldError, Hash, Outcome, Target};
pub use verify::{Broken, Verified, VerifyError, Why, verify};

use jiff::Timestamp;
use serde::Serialize;

/// A signed checkpoint: record `seq` had hash `hash` at `at`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Checkpoint {
    pub seq: u64,
    pub hash: Hash,
    pub at: Timestamp,
    #[serde(serialize_with = "hex_bytes")]
    pub signature: [u8; 64],
}

fn hex_bytes<S: serde::Serializer>(bytes: &[u8; 64], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(bytes))
}

/// Why an audit operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("no checkpoint key: the audit log can be chained but not signed")]
    NoKey,
    #[error("audit record {seq} cannot be chained onto: {why}")]
    Corrupt { seq: u64, why: &'static str },
    #[error("the clock reads a time outside the representable range")]
    Clock,
    #[error("the audit writer was poisoned by a panic in another thread")]
    Poisoned,
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("encoding the export: {0}")]
    Json(#[from] serde_json::Error),
}
