//! [`SqliteAuditLog`]: the audit log in `journal.db` (tables `audit_log` and
//! `audit_checkpoints`), on its own writer connection with the journal's durability
//! (`synchronous=FULL`: an append is on stable storage when it returns).
//!
//! The SQL is plain (no `OR REPLACE`, no rowid): the PostgreSQL backend runs the same
//! statements with `$n` placeholders.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::SqliteBackend;
use super::connection::{self, Role};
use crate::StoreError;
use crate::audit::{AuditCheckpointRow, AuditLog, AuditRow};

/// One writer connection to `journal.db` for the audit log.
#[derive(Debug)]
pub struct SqliteAuditLog {
    conn: Connection,
}

impl SqliteBackend {
    /// An audit-log handle on this store's `journal.db`.
    pub fn open_audit(&self) -> Result<SqliteAuditLog, StoreError> {
        SqliteAuditLog::open(&self.journal_path())
    }
}

impl SqliteAuditLog {
    pub(crate) fn open(path: &Path) -> Result<SqliteAuditLog, StoreError> {
        Ok(SqliteAuditLog {
            conn: connection::open_writer(path, Role::Journal)?,
        })
    }
}

const RECORD_COLUMNS: &str = "seq, at_us, actor, action, target, detail, outcome, prev_hash, hash";
const CHECKPOINT_COLUMNS: &str = "seq, hash, at_us, signature";

/// Sequences as SQLite's INTEGER (the same 64 bits; sequences stay far below 2^63).
fn int(value: u64) -> i64 {
    value as i64
}

fn limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

fn record(row: &Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        seq: row.get::<_, i64>(0)? as u64,
        at_us: row.get(1)?,
        actor: row.get(2)?,
        action: row.get(3)?,
        target: row.get(4)?,
        detail: row.get(5)?,
        outcome: row.get(6)?,
        prev_hash: row.get(7)?,
        hash: row.get(8)?,
    })
}

fn checkpoint(row: &Row<'_>) -> rusqlite::Result<AuditCheckpointRow> {
    Ok(AuditCheckpointRow {
        seq: row.get::<_, i64>(0)? as u64,
        hash: row.get(1)?,
        at_us: row.get(2)?,
        signature: row.get(3)?,
    })
}

impl AuditLog for SqliteAuditLog {
    fn append(&mut self, row: &AuditRow) -> Result<u64, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let last: Option<i64> = tx
            .prepare_cached("SELECT max(seq) FROM audit_log")?
            .query_row([], |r| r.get(0))?;
        let last = last.map_or(0, |s| s as u64);
        if last.checked_add(1) != Some(row.seq) {
            return Err(StoreError::AuditSequence { seq: row.seq, last });
        }
        tx.prepare_cached(&format!(
            "INSERT INTO audit_log ({RECORD_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        ))?
        .execute(params![
            int(row.seq),
            row.at_us,
            row.actor,
            row.action,
            row.target,
            row.detail,
            row.outcome,
            row.prev_hash,
            row.hash
        ])?;
        tx.commit()?;
        Ok(row.seq)
    }

    fn scan(&mut self, after: u64, max: usize) -> Result<Vec<AuditRow>, StoreError> {
        let sql = format!("SELECT {RECORD_COLUMNS} FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![int(after), limit(max)], record)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn last(&mut self) -> Result<Option<AuditRow>, StoreError> {
        let sql = format!("SELECT {RECORD_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1");
        Ok(self.conn.prepare_cached(&sql)?.query_row([], record).optional()?)
    }

    fn add_checkpoint(&mut self, cp: &AuditCheckpointRow) -> Result<(), StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let last: Option<i64> = tx
            .prepare_cached("SELECT max(seq) FROM audit_checkpoints")?
            .query_row([], |r| r.get(0))?;
        let last = last.map_or(0, |s| s as u64);
        if cp.seq <= last {
            return Err(StoreError::AuditSequence { seq: cp.seq, last });
        }
        tx.prepare_cached(&format!(
            "INSERT INTO audit_checkpoints ({CHECKPOINT_COLUMNS}) VALUES (?1, ?2, ?3, ?4)"
        ))?
        .execute(params![int(cp.seq), cp.hash, cp.at_us, cp.signature])?;
        tx.commit()?;
        Ok(())
    }

    fn checkpoints(&mut self, after: u64, max: usize) -> Result<Vec<AuditCheckpointRow>, StoreError> {
        let sql = format!("SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE seq > ?1 ORDER BY seq LIMIT ?2");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![int(after), limit(max)], checkpoint)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn last_checkpoint(&mut self) -> Result<Option<AuditCheckpointRow>, StoreError> {
        let sql = format!("SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq DESC LIMIT 1");
        Ok(self.conn.prepare_cached(&sql)?.query_row([], checkpoint).optional()?)
    }
}
