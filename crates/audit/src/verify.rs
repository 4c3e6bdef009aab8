//! [`verify`]: walks the whole log from record 1, recomputing every hash, and checks every
//! checkpoint against the record it names (and its signature, given the verifying key). The
//! first problem in seq order is the answer ([`Broken`]), so a tampered store is named by the
//! first record an auditor should look at.
//!
//! What it detects: a record altered (its hash no longer matches; or, if the hash was
//! recomputed, the next record's `prev_hash` no longer matches), deleted (a gap in the seqs),
//! reordered (a record's hash covers its seq), inserted (a forged record breaks the chain where
//! it enters), and records removed from the end up to a checkpoint (the checkpoint names a
//! missing record). What it cannot: records after the newest checkpoint rewritten or dropped
//! wholesale by someone who recomputes the chain, and checkpoints deleted; an auditor who keeps
//! the exported checkpoints (or the last hash) closes that gap.

use std::fmt;

use store::AuditLog;
use store::audit::{AuditCheckpointRow, AuditRow};

use crate::AuditError;
use crate::chain::{self, RecordFields};
use crate::key::VerifyingKey;
use crate::record::{Hash, Outcome};

/// Records read per page.
const PAGE: usize = 1_000;

/// An intact log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// Records, all chained: 1..=records.
    pub records: u64,
    pub checkpoints: u64,
    /// Whether the checkpoints' signatures were checked (a verifying key was given).
    pub signatures_checked: bool,
    /// The newest checkpoint's seq: records after it are chained but not yet signed.
    pub last_checkpoint: Option<u64>,
    /// The last record's hash: an auditor who keeps it can tell later whether the log was
    /// rewritten up to here.
    pub last_hash: Option<Hash>,
}

/// The first bad entry: record (or checkpoint of record) `seq`, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("audit record {seq}: {why}")]
pub struct Broken {
    pub seq: u64,
    pub why: Why,
}

/// What is wrong at a [`Broken`] seq.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Why {
    /// No record has this seq; the next stored one is `next` (deleted or renumbered).
    Missing { next: u64 },
    /// A record with a seq already seen or below it (the store returned it out of order).
    OutOfOrder { found: u64 },
    /// A stored value is not well formed (a hash not 32 bytes, an unknown outcome).
    Malformed(&'static str),
    /// Its `prev_hash` is not the previous record's hash.
    PrevHashMismatch,
    /// Its fields do not hash to its stored hash.
    HashMismatch,
    /// A checkpoint of this record holds another hash than the record.
    CheckpointHashMismatch,
    /// A checkpoint's signature does not verify under the given key.
    BadSignature,
    /// A checkpoint names this record, but the log ends at `last`.
    CheckpointBeyondEnd { last: u64 },
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Why::Missing { next } => write!(f, "missing (the next stored record is {next}): deleted or renumbered"),
            Why::OutOfOrder { found } => write!(f, "found record {found} in its place: duplicated or out of order"),
            Why::Malformed(what) => write!(f, "malformed: {what}"),
            Why::PrevHashMismatch => f.write_str(
                "prev_hash is not the previous record's hash: this record or the one before was altered, replaced or inserted",
            ),
            Why::HashMismatch => f.write_str("its fields do not match its hash: altered, moved or forged"),
            Why::CheckpointHashMismatch => {
                f.write_str("its checkpoint signed another hash: the record was rewritten after it was signed")
            }
            Why::BadSignature => f.write_str("its checkpoint's signature does not verify with the given key"),
            Why::CheckpointBeyondEnd { last } => {
                write!(f, "a checkpoint names it but the log ends at {last}: records removed from the end")
            }
        }
    }
}

/// Why verification stopped: the log is broken, or it could not be read.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Broken(#[from] Broken),
    #[error(transparent)]
    Audit(#[from] AuditError),
}

impl From<store::StoreError> for VerifyError {
    fn from(e: store::StoreError) -> VerifyError {
        VerifyError::Audit(e.into())
    }
}

fn broken(seq: u64, why: Why) -> VerifyError {
    VerifyError::Broken(Broken { seq, why })
}

/// Checks the whole log; see the module docs for what that proves.
pub fn verify(log: &mut dyn AuditLog, key: Option<&VerifyingKey>) -> Result<Verified, VerifyError> {
    let checkpoints = all_checkpoints(log)?;
    let mut pending = checkpoints.iter().peekable();
    let (mut expected, mut prev) = (1u64, Hash::GENESIS);
    loop {
        let page = log.scan(expected - 1, PAGE)?;
        if page.is_empty() {
            break;
        }
        for row in &page {
            if row.seq != expected {
                let why = if row.seq > expected {
                    Why::Missing { next: row.seq }
                } else {
                    Why::OutOfOrder { found: row.seq }
                };
                return Err(broken(expected, why));
            }
            let hash = check_record(row, &prev)?;
            while let Some(cp) = pending.next_if(|cp| cp.seq <= row.seq) {
                check_checkpoint(cp, row.seq, &hash, key)?;
            }
            (prev, expected) = (hash, expected + 1);
        }
    }
    let last = expected - 1;
    if let Some(cp) = pending.next() {
        return Err(broken(cp.seq, Why::CheckpointBeyondEnd { last }));
    }
    Ok(Verified {
        records: last,
        checkpoints: checkpoints.len() as u64,
        signatures_checked: key.is_some(),
        last_checkpoint: checkpoints.last().map(|c| c.seq),
        last_hash: (last > 0).then_some(prev),
    })
}

fn all_checkpoints(log: &mut dyn AuditLog) -> Result<Vec<AuditCheckpointRow>, VerifyError> {
    let mut all: Vec<AuditCheckpointRow> = Vec::new();
    loop {
        let after = all.last().map_or(0, |c| c.seq);
        let page = log.checkpoints(after, PAGE)?;
        if page.is_empty() {
            return Ok(all);
        }
        all.extend(page);
    }
}

/// Checks one record against the previous record's hash; returns its hash.
fn check_record(row: &AuditRow, prev: &Hash) -> Result<Hash, VerifyError> {
    let seq = row.seq;
    let stored = Hash::from_slice(&row.hash).ok_or(broken(seq, Why::Malformed("hash is not 32 bytes")))?;
    let prev_hash = Hash::from_slice(&row.prev_hash).ok_or(broken(seq, Why::Malformed("prev_hash is not 32 bytes")))?;
    if Outcome::parse(&row.outcome).is_none() {
        return Err(broken(seq, Why::Malformed("outcome is not ok, denied or failed")));
    }
    if prev_hash != *prev {
        return Err(broken(seq, Why::PrevHashMismatch));
    }
    let fields = RecordFields {
        seq,
        at_us: row.at_us,
        actor: &row.actor,
        action: &row.action,
        target: &row.target,
        detail: &row.detail,
        outcome: &row.outcome,
        prev_hash: &prev_hash,
    };
    if chain::record_hash(&fields) != stored {
        return Err(broken(seq, Why::HashMismatch));
    }
    Ok(stored)
}

/// Checks a checkpoint against record `seq` (whose hash is `hash`) and, with a key, its
/// signature. A checkpoint whose seq is below the record's names a seq no record has (0).
fn check_checkpoint(
    cp: &AuditCheckpointRow,
    seq: u64,
    hash: &Hash,
    key: Option<&VerifyingKey>,
) -> Result<(), VerifyError> {
    if cp.seq != seq {
        return Err(broken(cp.seq, Why::Malformed("a checkpoint names no record")));
    }
    if cp.hash != hash.0 {
        return Err(broken(seq, Why::CheckpointHashMismatch));
    }
    if let Some(key) = key
        && !key.verifies(&chain::checkpoint_bytes(seq, hash, cp.at_us), &cp.signature)
    {
        return Err(broken(seq, Why::BadSignature));
    }
    Ok(())
}
