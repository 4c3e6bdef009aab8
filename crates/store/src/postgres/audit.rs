//! [`PostgresAuditLog`]: the audit log (tables `audit_log` and `audit_checkpoints`) on its own
//! connection, with the journal's durability. Two writers racing for the same `seq` cannot
//! both win: the primary key refuses the second, which is answered as
//! [`StoreError::AuditSequence`] like a failed check.

use postgres::Row;
use postgres::error::SqlState;

use super::conn::{Conn, code, int, uint};
use crate::StoreError;
use crate::audit::{AuditCheckpointRow, AuditLog, AuditRow};

/// One connection for the audit log.
#[derive(Debug)]
pub struct PostgresAuditLog {
    conn: Conn,
}

impl PostgresAuditLog {
    pub(crate) fn new(conn: Conn) -> PostgresAuditLog {
        PostgresAuditLog { conn }
    }
}

const RECORD_COLUMNS: &str = "seq, at_us, actor, action, target, detail, outcome, prev_hash, hash";
const CHECKPOINT_COLUMNS: &str = "seq, hash, at_us, signature";

fn limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

fn record(row: &Row) -> AuditRow {
    AuditRow {
        seq: uint(row.get(0)),
        at_us: row.get(1),
        actor: row.get(2),
        action: row.get(3),
        target: row.get(4),
        detail: row.get(5),
        outcome: row.get(6),
        prev_hash: row.get(7),
        hash: row.get(8),
    }
}

fn checkpoint(row: &Row) -> AuditCheckpointRow {
    AuditCheckpointRow {
        seq: uint(row.get(0)),
        hash: row.get(1),
        at_us: row.get(2),
        signature: row.get(3),
    }
}

/// A primary-key refusal (another writer wrote `seq` first) as the sequence error the trait
/// promises: the last record is then at least `seq`.
fn refused(e: postgres::Error, seq: u64) -> StoreError {
    if code(&e) == Some(&SqlState::UNIQUE_VIOLATION) {
        StoreError::AuditSequence { seq, last: seq }
    } else {
        e.into()
    }
}

impl AuditLog for PostgresAuditLog {
    fn append(&mut self, row: &AuditRow) -> Result<u64, StoreError> {
        let mut tx = self.conn.client()?.transaction()?;
        let last: Option<i64> = tx.query_one("SELECT max(seq) FROM audit_log", &[])?.get(0);
        let last = last.map_or(0, uint);
        if last.checked_add(1) != Some(row.seq) {
            return Err(StoreError::AuditSequence { seq: row.seq, last });
        }
        let sql = format!("INSERT INTO audit_log ({RECORD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
        tx.execute(
            &sql,
            &[
                &int(row.seq),
                &row.at_us,
                &row.actor,
                &row.action,
                &row.target,
                &row.detail,
                &row.outcome,
                &row.prev_hash,
                &row.hash,
            ],
        )
        .map_err(|e| refused(e, row.seq))?;
        tx.commit().map_err(|e| refused(e, row.seq))?;
        Ok(row.seq)
    }

    fn scan(&mut self, after: u64, max: usize) -> Result<Vec<AuditRow>, StoreError> {
        let sql = format!("SELECT {RECORD_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2");
        let rows = self.conn.client()?.query(&sql, &[&int(after), &limit(max)])?;
        Ok(rows.iter().map(record).collect())
    }

    fn last(&mut self) -> Result<Option<AuditRow>, StoreError> {
        let sql = format!("SELECT {RECORD_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1");
        Ok(self.conn.client()?.query_opt(&sql, &[])?.as_ref().map(record))
    }

    fn add_checkpoint(&mut self, cp: &AuditCheckpointRow) -> Result<(), StoreError> {
        let mut tx = self.conn.client()?.transaction()?;
        let last: Option<i64> = tx.query_one("SELECT max(seq) FROM audit_checkpoints", &[])?.get(0);
        let last = last.map_or(0, uint);
        if cp.seq <= last {
            return Err(StoreError::AuditSequence { seq: cp.seq, last });
        }
        let sql = format!("INSERT INTO audit_checkpoints ({CHECKPOINT_COLUMNS}) VALUES ($1, $2, $3, $4)");
        tx.execute(&sql, &[&int(cp.seq), &cp.hash, &cp.at_us, &cp.signature])
            .map_err(|e| refused(e, cp.seq))?;
        tx.commit().map_err(|e| refused(e, cp.seq))?;
        Ok(())
    }

    fn checkpoints(&mut self, after: u64, max: usize) -> Result<Vec<AuditCheckpointRow>, StoreError> {
        let sql = format!("SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE seq > $1 ORDER BY seq LIMIT $2");
        let rows = self.conn.client()?.query(&sql, &[&int(after), &limit(max)])?;
        Ok(rows.iter().map(checkpoint).collect())
    }

    fn last_checkpoint(&mut self) -> Result<Option<AuditCheckpointRow>, StoreError> {
        let sql = format!("SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq DESC LIMIT 1");
        Ok(self.conn.client()?.query_opt(&sql, &[])?.as_ref().map(checkpoint))
    }
}
