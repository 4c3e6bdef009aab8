//! [`SqliteOutbox`]: the outbox in `read.db` (tables `notices`, `outbox`, `outbox_watermarks`
//! and the `cases` view; READ_MODELS.md describes them), on its own writer connection.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::SqliteBackend;
use super::connection::{self, Role};
use crate::StoreError;
use crate::outbox::{
    Backlog, Delivery, DeliveryStatus, Failure, NewDelivery, NoticeKey, NoticeRow, Outbox, clip_error,
};

/// One writer connection to `read.db` for the outbox.
#[derive(Debug)]
pub struct SqliteOutbox {
    conn: Connection,
}

impl SqliteBackend {
    /// An outbox handle on this store's `read.db`.
    pub fn open_outbox(&self) -> Result<SqliteOutbox, StoreError> {
        SqliteOutbox::open(&self.read_path())
    }
}

impl SqliteOutbox {
    pub(crate) fn open(path: &Path) -> Result<SqliteOutbox, StoreError> {
        Ok(SqliteOutbox {
            conn: connection::open_writer(path, Role::ReadModels)?,
        })
    }
}

const INSERT_NOTICE: &str = "INSERT INTO notices
    (partition, seq, record, idx, at_ms, type, account, merchant, txn, case_id, body)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
    ON CONFLICT (partition, seq, record, idx) DO NOTHING";

const INSERT_DELIVERY: &str = "INSERT INTO outbox
    (partition, seq, record, idx, merchant, event, body, created_at_ms, next_attempt_at_ms)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
    ON CONFLICT (partition, seq, record, idx) DO NOTHING";

const SET_SCANNED: &str = "INSERT INTO outbox_watermarks (partition, seq) VALUES (?1, ?2)
    ON CONFLICT (partition) DO UPDATE SET seq = max(seq, excluded.seq)";

const SCANNED: &str = "SELECT seq FROM outbox_watermarks WHERE partition = ?1";

const COLUMNS: &str = "partition, seq, record, idx, merchant, event, body, created_at_ms, status, attempts,
    next_attempt_at_ms, last_error, delivered_at_ms";

const KEY: &str = "partition = ?1 AND seq = ?2 AND record = ?3 AND idx = ?4";

/// Ids and sequences as SQLite's INTEGER (the same 64 bits).
fn int(value: u64) -> i64 {
    value as i64
}

fn key_params(key: NoticeKey) -> [i64; 4] {
    [
        i64::from(key.partition),
        int(key.seq),
        i64::from(key.record),
        i64::from(key.notice),
    ]
}

fn delivery(row: &Row<'_>) -> rusqlite::Result<Delivery> {
    let status: String = row.get(8)?;
    Ok(Delivery {
        key: NoticeKey {
            partition: row.get(0)?,
            seq: row.get::<_, i64>(1)? as u64,
            record: row.get(2)?,
            notice: row.get(3)?,
        },
        merchant: row.get::<_, i64>(4)? as u64,
        event: row.get(5)?,
        body: row.get(6)?,
        created_ms: row.get(7)?,
        status: DeliveryStatus::parse(&status).unwrap_or(DeliveryStatus::Dead),
        attempts: row.get(9)?,
        next_attempt_ms: row.get(10)?,
        last_error: row.get(11)?,
        delivered_ms: row.get(12)?,
    })
}

impl Outbox for SqliteOutbox {
    fn record(
        &mut self,
        partition: u32,
        through_seq: u64,
        notices: &[NoticeRow],
        deliveries: &[NewDelivery],
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut insert = tx.prepare_cached(INSERT_NOTICE)?;
            for n in notices {
                let [p, s, r, i] = key_params(n.key);
                insert.execute(params![
                    p,
                    s,
                    r,
                    i,
                    n.at_ms,
                    n.kind,
                    int(n.account),
                    n.merchant.map(int),
                    n.txn.map(int),
                    n.case.map(int),
                    n.body
                ])?;
            }
            let mut insert = tx.prepare_cached(INSERT_DELIVERY)?;
            for d in deliveries {
                let [p, s, r, i] = key_params(d.key);
                insert.execute(params![p, s, r, i, int(d.merchant), d.event, d.body, d.created_ms])?;
            }
            tx.prepare_cached(SET_SCANNED)?
                .execute(params![partition, int(through_seq)])?;
        }
        tx.commit()?;
        Ok(())
    }

    fn scanned(&mut self, partition: u32) -> Result<u64, StoreError> {
        let seq: Option<i64> = self
            .conn
            .prepare_cached(SCANNED)?
            .query_row([partition], |row| row.get(0))
            .optional()?;
        Ok(seq.map_or(0, |s| s as u64))
    }

    fn due(&mut self, now_ms: i64, limit: usize) -> Result<Vec<Delivery>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox WHERE status = 'pending' AND next_attempt_at_ms <= ?1
             ORDER BY next_attempt_at_ms, partition, seq, record, idx LIMIT ?2"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![now_ms, limit], delivery)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn delivered(&mut self, key: NoticeKey, at_ms: i64) -> Result<(), StoreError> {
        let sql = format!(
            "UPDATE outbox SET status = 'delivered', attempts = attempts + 1, delivered_at_ms = ?5
             WHERE {KEY} AND status = 'pending'"
        );
        let [p, s, r, i] = key_params(key);
        self.conn.prepare_cached(&sql)?.execute(params![p, s, r, i, at_ms])?;
        Ok(())
    }

    fn failed(&mut self, key: NoticeKey, failure: Failure<'_>) -> Result<Option<DeliveryStatus>, StoreError> {
        let sql = format!(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?5, next_attempt_at_ms = ?6,
                 status = CASE WHEN created_at_ms < ?7 THEN 'dead' ELSE 'pending' END
             WHERE {KEY} AND status = 'pending'"
        );
        let [p, s, r, i] = key_params(key);
        let error = clip_error(failure.error);
        self.conn.prepare_cached(&sql)?.execute(params![
            p,
            s,
            r,
            i,
            error,
            failure.retry_at_ms,
            failure.give_up_if_created_before_ms
        ])?;
        Ok(self.delivery(key)?.map(|d| d.status))
    }

    fn backlog(&mut self) -> Result<Backlog, StoreError> {
        // `outbox_due` (status, next_attempt_at_ms) narrows it to the pending rows.
        let (pending, oldest): (i64, Option<i64>) = self
            .conn
            .prepare_cached("SELECT COUNT(*), MIN(created_at_ms) FROM outbox WHERE status = 'pending'")?
            .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(Backlog {
            pending: pending.max(0) as u64,
            oldest_created_ms: oldest,
        })
    }

    fn delivery(&mut self, key: NoticeKey) -> Result<Option<Delivery>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM outbox WHERE {KEY}");
        let [p, s, r, i] = key_params(key);
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params![p, s, r, i], delivery)
            .optional()?)
    }
}
