//! Durable storage for iou.
//!
//! This crate owns the on-disk shape of everything the engine keeps: the **journal** (each
//! partition's batches of applied commands, appended in one durable transaction per commit
//! group), **snapshots** of partition state, a small **meta** table (schema version, partition
//! count), and the **read models**: SQL tables an operator can query (accounts, holds,
//! purchases, plans, statements, ledger entries, events), written by a projector that tails
//! the journal; and the **outbox** ([`outbox`]): the engine's notices and the webhook deliveries
//! they make, recorded by a scanner that tails the journal; settlement's tables ([`settlement`]:
//! merchant facts read from the journal, pricing, settled days, payouts, the settlement ledger); and the **audit log** ([`audit`]):
//! append-only records of who did what, with their hashes and signed checkpoints (the `audit`
//! crate computes those; the store only keeps and returns rows).
//!
//! It knows SQL, files and database connections. It does not know how journal records are encoded (they are opaque
//! bytes written by the engine), how partitions are scheduled, or anything about HTTP. The
//! credit core's event and view types are its input for read models; it never changes them.
//!
//! Backends implement [`Journal`] and [`ReadModels`]; the embedded default is SQLite in WAL mode
//! (two files in the data directory, so projection never blocks commits), `postgres` (feature
//! `postgres`) keeps everything in one PostgreSQL schema with versioned migrations and one
//! transaction per commit group, and [`memory`] keeps the same traits in memory for tests and
//! the simulator. Both SQL backends project through one writer (`writer`: the same statements
//! and values), so their read models hold the same rows. The conformance suite in
//! `conformance` (behind the `conformance` feature, so production builds carry no test
//! harness) runs against any backend. READ_MODELS.md documents the read-model tables.
//!
//! A store that cannot be reached answers [`StoreError::Unavailable`] (callers may retry; the
//! API answers 503); every other failure is [`StoreError::Backend`].

pub mod audit;
#[cfg(feature = "conformance")]
pub mod conformance;
mod error;
pub mod lease;
pub mod memory;
mod names;
pub mod outbox;
#[cfg(feature = "postgres")]
pub mod postgres;
mod projection;
pub mod settlement;
mod sql_guard;
pub mod sqlite;
pub mod views;
mod writer;

pub use audit::AuditLog;
pub use error::StoreError;
pub use lease::{Claimant, Lease, Leases};
pub use outbox::Outbox;
pub use projection::{AccountRow, Projection};
pub use settlement::SettlementStore;

/// An operator query's answer: column names, and rows of values as text (`None` for NULL).
pub type QueryRows = (Vec<String>, Vec<Vec<Option<String>>>);

/// What [`Journal::scan`] calls with each batch's sequence and bytes; an error stops the scan.
pub type BatchVisitor<'a> = dyn FnMut(u64, &[u8]) -> Result<(), StoreError> + 'a;

/// One partition's batch in a commit group: a sequence number (1, 2, 3 ... per partition,
/// without gaps) and the engine's encoded records.
#[derive(Clone, Copy, Debug)]
pub struct BatchRef<'a> {
    pub partition: u32,
    pub seq: u64,
    pub bytes: &'a [u8],
}

/// A partition snapshot: the state after applying every batch up to `seq`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub partition: u32,
    pub seq: u64,
    pub bytes: Vec<u8>,
}

/// The journal and snapshots: the truth the engine restores from.
///
/// Each method is one transaction. `append` is durable when it returns: the engine replies to
/// the requests in those batches only after that.
pub trait Journal: Send {
    /// Appends a commit group atomically. A batch whose `seq` is not exactly one more than
    /// its partition's last is refused with [`StoreError::SequenceGap`] and nothing is written.
    fn append(&mut self, batches: &[BatchRef<'_>]) -> Result<(), StoreError>;

    /// Writes `partition` under lease token `token` from now on (`None`: unfenced again):
    /// every later [`Journal::append`] with a batch of it checks, in its own transaction, that
    /// the token is still the partition's current one, and refuses the whole group with
    /// [`StoreError::Fenced`] when it is not (see [`lease`]). A backend without leases is
    /// single-owner and ignores it (the default).
    fn fence(&mut self, partition: u32, token: Option<u64>) {
        let _ = (partition, token);
    }

    /// The last batch sequence of a partition (0 when it has none).
    fn last_seq(&mut self, partition: u32) -> Result<u64, StoreError>;

    /// Calls `visit(seq, bytes)` for each batch of `partition` with `seq > after`, in order.
    fn scan(&mut self, partition: u32, after: u64, visit: &mut BatchVisitor<'_>) -> Result<(), StoreError>;

    /// One batch, if present.
    fn read_batch(&mut self, partition: u32, seq: u64) -> Result<Option<Vec<u8>>, StoreError>;

    /// Saves a snapshot; older snapshots of the partition may be dropped.
    fn save_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), StoreError>;

    /// The newest snapshot of a partition.
    fn load_snapshot(&mut self, partition: u32) -> Result<Option<Snapshot>, StoreError>;

    /// A meta value (e.g. `"partitions"`), set once and checked at every start.
    fn meta(&mut self, key: &str) -> Result<Option<String>, StoreError>;
    fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError>;
    /// Every meta entry whose key starts with `prefix`, in key order (the API's idempotency
    /// records, read once at start).
    fn meta_with_prefix(&mut self, prefix: &str) -> Result<Vec<(String, String)>, StoreError>;
    /// Removes a meta entry (absent is fine): the API's expired idempotency records.
    fn delete_meta(&mut self, key: &str) -> Result<(), StoreError>;
}

/// The read models: tables derived from the journal, for operators and SQL.
pub trait ReadModels: Send {
    /// Applies one partition batch's projection and records `seq` as the partition's watermark,
    /// in one transaction. Applying a batch at or below the watermark is a no-op (projection is
    /// idempotent, so a restart may re-send it).
    fn project(&mut self, projection: &Projection<'_>) -> Result<(), StoreError>;

    /// Several batches in one transaction (the projector coalesces when it is behind).
    fn project_many(&mut self, projections: &[Projection<'_>]) -> Result<(), StoreError>;

    /// The last batch projected for a partition (0 when none).
    fn watermark(&mut self, partition: u32) -> Result<u64, StoreError>;

    /// Runs a read-only SQL query for operators, returning column names and rows as text.
    fn query(&mut self, sql: &str, limit: usize) -> Result<QueryRows, StoreError>;
}

/// Opens connections to one store (each thread gets its own).
pub trait Backend: Send + Sync {
    fn journal(&self) -> Result<Box<dyn Journal>, StoreError>;
    fn read_models(&self) -> Result<Box<dyn ReadModels>, StoreError>;
    /// The outbox: the engine's notices and the webhook deliveries they make.
    fn outbox(&self) -> Result<Box<dyn Outbox>, StoreError>;
    /// The audit log: append-only records and their signed checkpoints.
    fn audit(&self) -> Result<Box<dyn AuditLog>, StoreError>;
    /// Settlement's tables. A backend without them answers [`StoreError::Unsupported`] (the
    /// default, so a backend written before settlement still builds).
    fn settlement(&self) -> Result<Box<dyn SettlementStore>, StoreError> {
        Err(StoreError::Unsupported {
            backend: "this backend",
            operation: "settlement",
        })
    }
    /// The partition leases of a store several processes share (see [`lease`]). A backend
    /// only one process opens answers [`StoreError::Unsupported`] (the default).
    fn leases(&self) -> Result<Box<dyn Leases>, StoreError> {
        Err(StoreError::Unsupported {
            backend: "this backend",
            operation: "partition leases",
        })
    }
    /// A short name for logs: `"sqlite:/path"`, `"postgres"`.
    fn describe(&self) -> String;
}
