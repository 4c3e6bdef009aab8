//! The conformance suite: what every backend must do, as public functions that take a
//! [`Backend`] and panic with a message naming the backend and the broken promise.
//!
//! Each check uses its own partitions and meta keys, so [`run_all`] can run every check on one
//! backend, and each check can also run alone on a fresh one. Nothing here knows which backend
//! it is testing: the SQL checks use only the read-model tables READ_MODELS.md specifies, and
//! are skipped for a backend whose `query` answers [`crate::StoreError::Unsupported`].

mod audit;
mod journal;
pub mod outbox;
#[cfg(feature = "postgres")]
pub mod postgres;
mod read_models;
pub mod settlement;

pub use audit::{
    audit_append_and_scan, audit_checkpoints_in_order, audit_handles_share_the_log, audit_many_records_in_pages,
    audit_row, audit_sequence_gaps_are_refused,
};
pub use journal::{
    append_and_scan, handles_share_the_journal, large_blobs, last_seq_and_read_batch, many_small_batches,
    meta_round_trips, sequence_gaps_are_refused, snapshots_keep_the_newest,
};
pub use read_models::{project_many_coalesces, projection_is_idempotent, queries_are_read_only};

use crate::Backend;

/// Every check, in order.
pub fn run_all(backend: &dyn Backend) {
    append_and_scan(backend);
    sequence_gaps_are_refused(backend);
    handles_share_the_journal(backend);
    last_seq_and_read_batch(backend);
    snapshots_keep_the_newest(backend);
    meta_round_trips(backend);
    large_blobs(backend);
    many_small_batches(backend);
    projection_is_idempotent(backend);
    project_many_coalesces(backend);
    queries_are_read_only(backend);
    audit_append_and_scan(backend);
    audit_sequence_gaps_are_refused(backend);
    audit_handles_share_the_log(backend);
    audit_checkpoints_in_order(backend);
    audit_many_records_in_pages(backend);
}

/// Deterministic contents for batch `seq` of `partition`, `len` bytes long, so a check can
/// tell every batch from every other.
pub fn batch_bytes(partition: u32, seq: u64, len: usize) -> Vec<u8> {
    let mut rng = seeded::XorShift64::from_state((u64::from(partition) << 40) ^ seq ^ 0x9E37_79B9_7F4A_7C15);
    (0..len).map(|_| rng.next_u64() as u8).collect()
}
