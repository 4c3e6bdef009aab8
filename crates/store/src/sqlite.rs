//! The embedded backend: SQLite in WAL mode, two files in a data directory.
//!
//! - `journal.db` holds the journal, snapshots, meta and the audit log. Its connections run with
//!   `synchronous=FULL`: in WAL mode SQLite then fsyncs the write-ahead log before a commit
//!   returns, so when [`Journal::append`] returns the group is on stable storage.
//! - `settlement.db` holds settlement's tables (`store::settlement`), synchronous FULL like the
//!   journal, in a file of its own so the daily run never holds the journal's write lock.
//! - `read.db` holds the read models. Its writer runs with `synchronous=NORMAL` (a crash may
//!   lose the last projected transactions, never corrupt the file; the projector re-sends
//!   everything above the watermark, which is in the same transaction as the rows). Keeping it
//!   a separate file means projection never holds the journal's write lock.
//!
//! # What durability rests on
//! "Nothing acknowledged is lost" holds as long as: `fsync` on the data directory's file system
//! reaches stable storage (no lying disk cache, no `nobarrier` mount, no `eatmydata`); SQLite's
//! WAL commit protocol is intact (the `-wal` and `-shm` files stay beside `journal.db` and are
//! never copied or deleted while a process has the store open); and the directory is on a
//! local file system (WAL needs shared memory, so not NFS). A process crash (SIGKILL, panic,
//! OOM) loses nothing that `append` acknowledged even without the fsync, because the write has
//! reached the kernel; the fsync is what covers power loss and kernel crashes.
//!
//! Each connection belongs to one thread (the traits take `&mut self`); [`Backend::journal`]
//! and [`Backend::read_models`] open a new connection per call, and several connections to the
//! same file are safe: writers take SQLite's lock (`BEGIN IMMEDIATE`) and wait up to
//! [`BUSY_TIMEOUT`] for it.

mod audit;
mod connection;
mod journal;
mod migrate;
mod outbox;
mod query;
mod read_models;
mod schema;
mod settlement;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::{Backend, Journal, ReadModels, StoreError};

pub use audit::SqliteAuditLog;
pub use journal::{SNAPSHOTS_KEPT, SqliteJournal};
pub use outbox::SqliteOutbox;
pub use query::QUERY_TIME_MAX;
pub use read_models::SqliteReadModels;
pub use settlement::SqliteSettlement;

/// How long a connection waits for another's write lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The journal database's file name in the data directory.
pub const JOURNAL_FILE: &str = "journal.db";
/// The read models' database file name in the data directory.
pub const READ_FILE: &str = "read.db";
/// Settlement's database file name in the data directory.
pub const SETTLEMENT_FILE: &str = "settlement.db";

/// A store in a data directory. Cheap to share: it holds paths, and each handle it opens has
/// its own connection.
#[derive(Clone, Debug)]
pub struct SqliteBackend {
    dir: PathBuf,
}

impl SqliteBackend {
    /// Opens the store in `data_dir`, creating the directory and both databases on first start
    /// and applying any schema migrations this build has that the files lack.
    pub fn open(data_dir: &Path) -> Result<SqliteBackend, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::Backend(format!("cannot create {}: {e}", data_dir.display())))?;
        let backend = SqliteBackend {
            dir: data_dir.to_path_buf(),
        };
        let mut journal = connection::open_writer(&backend.journal_path(), connection::Role::Journal)?;
        migrate::migrate(&mut journal, JOURNAL_FILE, schema::JOURNAL)?;
        let mut read = connection::open_writer(&backend.read_path(), connection::Role::ReadModels)?;
        migrate::migrate(&mut read, READ_FILE, schema::READ)?;
        let mut settlement = connection::open_writer(&backend.settlement_path(), connection::Role::Journal)?;
        migrate::migrate(&mut settlement, SETTLEMENT_FILE, schema::SETTLEMENT)?;
        Ok(backend)
    }

    pub fn data_dir(&self) -> &Path {
        &self.dir
    }

    pub fn journal_path(&self) -> PathBuf {
        self.dir.join(JOURNAL_FILE)
    }

    pub fn read_path(&self) -> PathBuf {
        self.dir.join(READ_FILE)
    }

    pub fn settlement_path(&self) -> PathBuf {
        self.dir.join(SETTLEMENT_FILE)
    }

    /// A journal handle with its concrete type (the engine uses [`Backend::journal`]).
    pub fn open_journal(&self) -> Result<SqliteJournal, StoreError> {
        SqliteJournal::open(&self.journal_path())
    }

    /// A read-model handle with its concrete type.
    pub fn open_read_models(&self) -> Result<SqliteReadModels, StoreError> {
        SqliteReadModels::open(&self.read_path())
    }
}

impl Backend for SqliteBackend {
    fn journal(&self) -> Result<Box<dyn Journal>, StoreError> {
        Ok(Box::new(self.open_journal()?))
    }

    fn read_models(&self) -> Result<Box<dyn ReadModels>, StoreError> {
        Ok(Box::new(self.open_read_models()?))
    }

    fn outbox(&self) -> Result<Box<dyn crate::Outbox>, StoreError> {
        Ok(Box::new(self.open_outbox()?))
    }

    fn audit(&self) -> Result<Box<dyn crate::AuditLog>, StoreError> {
        Ok(Box::new(self.open_audit()?))
    }

    fn settlement(&self) -> Result<Box<dyn crate::SettlementStore>, StoreError> {
        Ok(Box::new(self.open_settlement()?))
    }

    fn describe(&self) -> String {
        format!("sqlite:{}", self.dir.display())
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Backend(format!("sqlite: {e}"))
    }
}
