//! [`StoreError`].

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("batch {seq} of partition {partition} does not follow {last}")]
    SequenceGap { partition: u32, seq: u64, last: u64 },
    #[error("the store was created with {stored} for {key}, not {wanted}")]
    MetaMismatch {
        key: String,
        stored: String,
        wanted: String,
    },
    /// An audit record or checkpoint whose `seq` does not follow the last one (another writer
    /// appended first, or a bug): nothing was written.
    #[error("audit entry {seq} does not follow {last}")]
    AuditSequence { seq: u64, last: u64 },
    /// A fenced partition's lease token is no longer `token` (another owner acquired it at
    /// `current`): the whole group was refused and nothing was written. The writer of that
    /// partition must stop; it is not this process's any more.
    #[error("partition {partition} is fenced: this writer holds token {token}, the lease is at {current}")]
    Fenced { partition: u32, token: u64, current: u64 },
    #[error("only read-only queries are allowed")]
    NotReadOnly,
    /// The database was written by a newer build: its schema has steps this build lacks.
    #[error("{database} has schema version {found}; this build knows up to {known}")]
    SchemaTooNew { database: String, found: u32, known: u32 },
    /// The backend does not offer this operation (the memory backend runs no SQL).
    #[error("{backend} does not support {operation}")]
    Unsupported {
        backend: &'static str,
        operation: &'static str,
    },
    /// The database cannot be reached right now (refused, closed, timed out, shutting down):
    /// the operation may succeed later. The API answers 503 `store_unavailable`.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("storage error: {0}")]
    Backend(String),
}
