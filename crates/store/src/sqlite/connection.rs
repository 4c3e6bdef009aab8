//! Opening SQLite connections with the pragmas each role needs.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::BUSY_TIMEOUT;
use crate::StoreError;

/// What a writer connection is for, which decides how hard it syncs and how much it caches.
/// See the module docs of [`crate::sqlite`] for what each guarantees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// The journal: fsync the WAL at every commit (`synchronous=FULL`).
    Journal,
    /// The read models: fsync only at checkpoints (`synchronous=NORMAL`), as they are rebuilt
    /// from the journal if lost; a large page cache, because a projection transaction of
    /// thousands of batches touches many pages and must not spill them to the WAL mid-way.
    ReadModels,
}

impl Role {
    fn synchronous(self) -> &'static str {
        match self {
            Role::Journal => "FULL",
            Role::ReadModels => "NORMAL",
        }
    }

    /// SQLite's `wal_autocheckpoint`, in pages. The journal keeps SQLite's default (1,000
    /// pages). The read models checkpoint far less often: a projection round rewrites the
    /// same index and account pages again and again, and every checkpoint copies each page in
    /// the WAL to the database once, so a large WAL turns many rewrites of a page into one.
    fn autocheckpoint_pages(self) -> i64 {
        match self {
            Role::Journal => 1_000,
            Role::ReadModels => 16_000,
        }
    }

    /// SQLite's `cache_size`: negative means KiB.
    fn cache_size(self) -> i64 {
        match self {
            Role::Journal => -16 * 1024,
            Role::ReadModels => -256 * 1024,
        }
    }
}

/// Prepared statements kept per connection; more than any handle uses, so none is evicted.
const STATEMENT_CACHE_CAPACITY: usize = 64;

/// Keep the WAL file at most this long after a checkpoint (it may grow past it in between).
const WAL_SIZE_LIMIT_BYTES: i64 = 64 * 1024 * 1024;

/// A read-write connection in WAL mode, creating the file if needed.
pub(crate) fn open_writer(path: &Path, role: Role) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Backend(format!(
            "{} cannot use WAL mode (got {mode}): is it on a network file system?",
            path.display()
        )));
    }
    conn.pragma_update(None, "synchronous", role.synchronous())?;
    conn.pragma_update(None, "cache_size", role.cache_size())?;
    conn.pragma_update_and_check(None, "wal_autocheckpoint", role.autocheckpoint_pages(), |_| Ok(()))?;
    conn.pragma_update_and_check(None, "journal_size_limit", WAL_SIZE_LIMIT_BYTES, |_| Ok(()))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    Ok(conn)
}

/// A connection that cannot write: opened read-only and with `query_only` set.
pub(crate) fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

fn open_error(path: &Path, e: rusqlite::Error) -> StoreError {
    StoreError::Backend(format!("cannot open {}: {e}", path.display()))
}
