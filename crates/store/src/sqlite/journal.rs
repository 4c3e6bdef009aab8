//! [`SqliteJournal`]: the journal, snapshots and meta on one `journal.db` connection.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::connection::{self, Role};
use crate::{BatchRef, BatchVisitor, Journal, Snapshot, StoreError};

/// Snapshots kept per partition: the newest, and one before it in case the newest is bad.
pub const SNAPSHOTS_KEPT: u32 = 2;

const INSERT_BATCH: &str = "INSERT INTO journal (partition, seq, bytes) VALUES (?1, ?2, ?3)";
const LAST_SEQ: &str = "SELECT max(seq) FROM journal WHERE partition = ?1";

/// One connection to `journal.db`.
///
/// It caches each partition's last sequence so an append costs no lookup. The cache is checked
/// against `PRAGMA data_version` inside each append's write transaction: that number changes
/// whenever another connection (in this process or another) commits, and then the cache is
/// dropped and refilled from the table.
#[derive(Debug)]
pub struct SqliteJournal {
    conn: Connection,
    last: HashMap<u32, u64>,
    /// The `data_version` the cache is valid for.
    cache_version: Option<i64>,
}

impl SqliteJournal {
    pub(crate) fn open(path: &Path) -> Result<SqliteJournal, StoreError> {
        Ok(SqliteJournal {
            conn: connection::open_writer(path, Role::Journal)?,
            last: HashMap::new(),
            cache_version: None,
        })
    }

    fn append_group(&mut self, batches: &[BatchRef<'_>]) -> Result<(), StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA data_version", [], |row| row.get(0))?;
        if self.cache_version != Some(version) {
            self.last.clear();
            self.cache_version = Some(version);
        }
        // The last sequence of each partition in the group, as the group's batches advance it.
        let mut next: Vec<(u32, u64)> = Vec::with_capacity(batches.len());
        for batch in batches {
            let last = match next.iter().find(|(p, _)| *p == batch.partition) {
                Some(&(_, seq)) => seq,
                None => cached_last_seq(&tx, &mut self.last, batch.partition)?,
            };
            if last.checked_add(1) != Some(batch.seq) {
                return Err(StoreError::SequenceGap {
                    partition: batch.partition,
                    seq: batch.seq,
                    last,
                });
            }
            match next.iter_mut().find(|(p, _)| *p == batch.partition) {
                Some(entry) => entry.1 = batch.seq,
                None => next.push((batch.partition, batch.seq)),
            }
        }
        {
            let mut insert = tx.prepare_cached(INSERT_BATCH)?;
            for batch in batches {
                insert.execute(params![batch.partition, batch.seq, batch.bytes])?;
            }
        }
        tx.commit()?;
        self.last.extend(next);
        Ok(())
    }
}

fn cached_last_seq(conn: &Connection, cache: &mut HashMap<u32, u64>, partition: u32) -> Result<u64, StoreError> {
    if let Some(&seq) = cache.get(&partition) {
        return Ok(seq);
    }
    let seq = query_last_seq(conn, partition)?;
    cache.insert(partition, seq);
    Ok(seq)
}

fn query_last_seq(conn: &Connection, partition: u32) -> Result<u64, StoreError> {
    let seq: Option<u64> = conn
        .prepare_cached(LAST_SEQ)?
        .query_row([partition], |row| row.get(0))?;
    Ok(seq.unwrap_or(0))
}

impl Journal for SqliteJournal {
    fn append(&mut self, batches: &[BatchRef<'_>]) -> Result<(), StoreError> {
        if batches.is_empty() {
            return Ok(());
        }
        let result = self.append_group(batches);
        if let Err(e) = &result
            && !matches!(e, StoreError::SequenceGap { .. })
        {
            // A failed commit may or may not have reached the file: trust only the table.
            self.last.clear();
            self.cache_version = None;
        }
        result
    }

    fn last_seq(&mut self, partition: u32) -> Result<u64, StoreError> {
        query_last_seq(&self.conn, partition)
    }

    fn scan(&mut self, partition: u32, after: u64, visit: &mut BatchVisitor<'_>) -> Result<(), StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, bytes FROM journal WHERE partition = ?1 AND seq > ?2 ORDER BY seq")?;
        let mut rows = stmt.query(params![partition, after])?;
        while let Some(row) = rows.next()? {
            let seq: u64 = row.get(0)?;
            let bytes = row.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
            visit(seq, bytes)?;
        }
        Ok(())
    }

    fn read_batch(&mut self, partition: u32, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT bytes FROM journal WHERE partition = ?1 AND seq = ?2")?;
        Ok(stmt.query_row(params![partition, seq], |row| row.get(0)).optional()?)
    }

    fn save_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.prepare_cached("INSERT OR REPLACE INTO snapshots (partition, seq, bytes) VALUES (?1, ?2, ?3)")?
            .execute(params![snapshot.partition, snapshot.seq, snapshot.bytes])?;
        tx.prepare_cached(
            "DELETE FROM snapshots WHERE partition = ?1 AND seq < (
                SELECT seq FROM snapshots WHERE partition = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)",
        )?
        .execute(params![snapshot.partition, SNAPSHOTS_KEPT - 1])?;
        tx.commit()?;
        Ok(())
    }

    fn load_snapshot(&mut self, partition: u32) -> Result<Option<Snapshot>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, bytes FROM snapshots WHERE partition = ?1 ORDER BY seq DESC LIMIT 1")?;
        let found = stmt
            .query_row([partition], |row| {
                Ok(Snapshot {
                    partition,
                    seq: row.get(0)?,
                    bytes: row.get(1)?,
                })
            })
            .optional()?;
        Ok(found)
    }

    fn meta(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?;
        Ok(stmt.query_row([key], |row| row.get(0)).optional()?)
    }

    fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute([key, value])?;
        Ok(())
    }

    fn delete_meta(&mut self, key: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("DELETE FROM meta WHERE key = ?1")?
            .execute([key])?;
        Ok(())
    }

    fn meta_with_prefix(&mut self, prefix: &str) -> Result<Vec<(String, String)>, StoreError> {
        // Keys are compared as text (BINARY collation): the prefix's range is [prefix,
        // prefix + U+10FFFF), filtered again in Rust to be exact.
        let mut stmt = self
            .conn
            .prepare_cached("SELECT key, value FROM meta WHERE key >= ?1 AND key < ?2 ORDER BY key")?;
        let upper = format!("{prefix}\u{10FFFF}");
        let rows = stmt.query_map([prefix, upper.as_str()], |row| {
            Ok((row.get::<_, String>(0)?, row.get(1)?))
        })?;
        let mut found = Vec::new();
        for row in rows {
            let (key, value) = row?;
            if key.starts_with(prefix) {
                found.push((key, value));
            }
        }
        Ok(found)
    }
}
