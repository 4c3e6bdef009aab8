//! [`PostgresOutbox`]: the outbox (tables `notices`, `outbox`, `outbox_watermarks` and the
//! `cases` view; READ_MODELS.md describes them) on its own connection. The statements are
//! SQLite's (`sqlite/outbox.rs`) with `$n` placeholders and `GREATEST` for SQLite's two-argument
//! `max`.

use postgres::Row;
use postgres::types::ToSql;

use super::conn::{Conn, int, small, uint};
use crate::StoreError;
use crate::outbox::{
    Backlog, Delivery, DeliveryStatus, Failure, NewDelivery, NoticeKey, NoticeRow, Outbox, clip_error,
};

/// One connection for the outbox.
#[derive(Debug)]
pub struct PostgresOutbox {
    conn: Conn,
}

impl PostgresOutbox {
    pub(crate) fn new(conn: Conn) -> PostgresOutbox {
        PostgresOutbox { conn }
    }
}

const INSERT_NOTICE: &str = "INSERT INTO notices
    (partition, seq, record, idx, at_ms, type, account, merchant, txn, case_id, body)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
    ON CONFLICT (partition, seq, record, idx) DO NOTHING";

const INSERT_DELIVERY: &str = "INSERT INTO outbox
    (partition, seq, record, idx, merchant, event, body, created_at_ms, next_attempt_at_ms)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
    ON CONFLICT (partition, seq, record, idx) DO NOTHING";

const SET_SCANNED: &str = "INSERT INTO outbox_watermarks (partition, seq) VALUES ($1, $2)
    ON CONFLICT (partition) DO UPDATE SET seq = GREATEST(outbox_watermarks.seq, excluded.seq)";

const COLUMNS: &str = "partition, seq, record, idx, merchant, event, body, created_at_ms, status, attempts,
    next_attempt_at_ms, last_error, delivered_at_ms";

const KEY: &str = "partition = $1 AND seq = $2 AND record = $3 AND idx = $4";

fn key_params(key: NoticeKey) -> [i64; 4] {
    [
        i64::from(key.partition),
        int(key.seq),
        i64::from(key.record),
        i64::from(key.notice),
    ]
}

fn delivery(row: &Row) -> Result<Delivery, StoreError> {
    let status: String = row.get(8);
    Ok(Delivery {
        key: NoticeKey {
            partition: small(row.get(0))?,
            seq: uint(row.get(1)),
            record: small(row.get(2))?,
            notice: small(row.get(3))?,
        },
        merchant: uint(row.get(4)),
        event: row.get(5),
        body: row.get(6),
        created_ms: row.get(7),
        status: DeliveryStatus::parse(&status).unwrap_or(DeliveryStatus::Dead),
        attempts: small(row.get(9))?,
        next_attempt_ms: row.get(10),
        last_error: row.get(11),
        delivered_ms: row.get(12),
    })
}

impl Outbox for PostgresOutbox {
    fn record(
        &mut self,
        partition: u32,
        through_seq: u64,
        notices: &[NoticeRow],
        deliveries: &[NewDelivery],
    ) -> Result<(), StoreError> {
        let insert_notice = self.conn.statement(INSERT_NOTICE)?;
        let insert_delivery = self.conn.statement(INSERT_DELIVERY)?;
        let mut tx = self.conn.client()?.transaction()?;
        for n in notices {
            let [p, s, r, i] = key_params(n.key);
            let (account, merchant, txn, case) = (int(n.account), n.merchant.map(int), n.txn.map(int), n.case.map(int));
            let params: [&(dyn ToSql + Sync); 11] = [
                &p, &s, &r, &i, &n.at_ms, &n.kind, &account, &merchant, &txn, &case, &n.body,
            ];
            tx.execute(&insert_notice, &params)?;
        }
        for d in deliveries {
            let [p, s, r, i] = key_params(d.key);
            let merchant = int(d.merchant);
            let params: [&(dyn ToSql + Sync); 8] = [&p, &s, &r, &i, &merchant, &d.event, &d.body, &d.created_ms];
            tx.execute(&insert_delivery, &params)?;
        }
        tx.execute(SET_SCANNED, &[&i64::from(partition), &int(through_seq)])?;
        tx.commit()?;
        Ok(())
    }

    fn scanned(&mut self, partition: u32) -> Result<u64, StoreError> {
        let stmt = self
            .conn
            .statement("SELECT seq FROM outbox_watermarks WHERE partition = $1")?;
        let row = self.conn.client()?.query_opt(&stmt, &[&i64::from(partition)])?;
        Ok(row.map_or(0, |r| uint(r.get(0))))
    }

    fn due(&mut self, now_ms: i64, limit: usize) -> Result<Vec<Delivery>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox WHERE status = 'pending' AND next_attempt_at_ms <= $1
             ORDER BY next_attempt_at_ms, partition, seq, record, idx LIMIT $2"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.conn.client()?.query(&sql, &[&now_ms, &limit])?;
        rows.iter().map(delivery).collect()
    }

    fn delivered(&mut self, key: NoticeKey, at_ms: i64) -> Result<(), StoreError> {
        let sql = format!(
            "UPDATE outbox SET status = 'delivered', attempts = attempts + 1, delivered_at_ms = $5
             WHERE {KEY} AND status = 'pending'"
        );
        let [p, s, r, i] = key_params(key);
        self.conn.client()?.execute(&sql, &[&p, &s, &r, &i, &at_ms])?;
        Ok(())
    }

    fn failed(&mut self, key: NoticeKey, failure: Failure<'_>) -> Result<Option<DeliveryStatus>, StoreError> {
        let sql = format!(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $5, next_attempt_at_ms = $6,
                 status = CASE WHEN created_at_ms < $7 THEN 'dead' ELSE 'pending' END
             WHERE {KEY} AND status = 'pending'"
        );
        let [p, s, r, i] = key_params(key);
        let error = clip_error(failure.error);
        let params: [&(dyn ToSql + Sync); 7] = [
            &p,
            &s,
            &r,
            &i,
            &error,
            &failure.retry_at_ms,
            &failure.give_up_if_created_before_ms,
        ];
        self.conn.client()?.execute(&sql, &params)?;
        Ok(self.delivery(key)?.map(|d| d.status))
    }

    fn backlog(&mut self) -> Result<Backlog, StoreError> {
        let row = self.conn.client()?.query_one(
            "SELECT COUNT(*), MIN(created_at_ms) FROM outbox WHERE status = 'pending'",
            &[],
        )?;
        let pending: i64 = row.get(0);
        Ok(Backlog {
            pending: pending.max(0) as u64,
            oldest_created_ms: row.get(1),
        })
    }

    fn delivery(&mut self, key: NoticeKey) -> Result<Option<Delivery>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM outbox WHERE {KEY}");
        let [p, s, r, i] = key_params(key);
        let row = self.conn.client()?.query_opt(&sql, &[&p, &s, &r, &i])?;
        row.as_ref().map(delivery).transpose()
    }
}
