//! [`SqliteSettlement`]: settlement's tables in their own file, `settlement.db` (synchronous
//! FULL like the journal: payouts are money; a file of its own so the daily run never takes the
//! journal's or the projector's write lock).

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};

use super::SqliteBackend;
use super::connection::{self, Role};
use crate::StoreError;
use crate::settlement::{
    DayBalance, DayFact, FactKind, FactRow, MerchantBalance, MerchantRow, PayoutMove, PayoutRow, PostingRow, PriceRow,
    SettledDay, SettlementRow, SettlementStore, TxnMerchant,
};

/// One writer connection to `settlement.db`.
#[derive(Debug)]
pub struct SqliteSettlement {
    conn: Connection,
}

impl SqliteBackend {
    /// A settlement handle on this store's `settlement.db`.
    pub fn open_settlement(&self) -> Result<SqliteSettlement, StoreError> {
        SqliteSettlement::open(&self.settlement_path())
    }
}

impl SqliteSettlement {
    pub(crate) fn open(path: &Path) -> Result<SqliteSettlement, StoreError> {
        Ok(SqliteSettlement {
            conn: connection::open_writer(path, Role::Journal)?,
        })
    }
}

fn int(value: u64) -> i64 {
    value as i64
}

const SETTLEMENT_COLUMNS: &str = "merchant, day, captures, captured_fen, refunds, refunded_fen, fees_fen,
    subsidies_fen, balance_before_fen, held_fen, payout_fen, balance_after_fen, receivable_fen";

fn settlement_row(row: &Row<'_>) -> rusqlite::Result<SettlementRow> {
    Ok(SettlementRow {
        merchant: row.get::<_, i64>(0)? as u64,
        day: row.get(1)?,
        captures: row.get::<_, i64>(2)? as u64,
        captured_fen: row.get(3)?,
        refunds: row.get::<_, i64>(4)? as u64,
        refunded_fen: row.get(5)?,
        fees_fen: row.get(6)?,
        subsidies_fen: row.get(7)?,
        balance_before_fen: row.get(8)?,
        held_fen: row.get(9)?,
        payout_fen: row.get(10)?,
        balance_after_fen: row.get(11)?,
        receivable_fen: row.get(12)?,
    })
}

fn payout_row(row: &Row<'_>) -> rusqlite::Result<PayoutRow> {
    Ok(PayoutRow {
        id: row.get(0)?,
        merchant: row.get::<_, i64>(1)? as u64,
        day: row.get(2)?,
        amount_fen: row.get(3)?,
        status: row.get(4)?,
    })
}

fn insert_postings(tx: &Transaction<'_>, postings: &[PostingRow]) -> rusqlite::Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO settlement_postings (day, merchant, kind, account, amount_fen) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for p in postings {
        insert.execute(params![p.day, int(p.merchant), p.kind, p.account, p.amount_fen])?;
    }
    Ok(())
}

fn add_balance(tx: &Transaction<'_>, merchant: u64, delta: i64, receivable: Option<i64>) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO settlement_balances (merchant, balance_fen, receivable_fen) VALUES (?1, ?2, coalesce(?3, 0))
         ON CONFLICT (merchant) DO UPDATE SET balance_fen = balance_fen + excluded.balance_fen,
             receivable_fen = coalesce(?3, receivable_fen)",
    )?
    .execute(params![int(merchant), delta, receivable])?;
    Ok(())
}

fn settle_one(tx: &Transaction<'_>, day: &SettledDay) -> rusqlite::Result<bool> {
    let row = &day.row;
    let sql = format!(
        "INSERT INTO settlements ({SETTLEMENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (merchant, day) DO NOTHING"
    );
    let inserted = tx.prepare_cached(&sql)?.execute(params![
        int(row.merchant),
        row.day,
        int(row.captures),
        row.captured_fen,
        int(row.refunds),
        row.refunded_fen,
        row.fees_fen,
        row.subsidies_fen,
        row.balance_before_fen,
        row.held_fen,
        row.payout_fen,
        row.balance_after_fen,
        row.receivable_fen
    ])?;
    if inserted == 0 {
        return Ok(false);
    }
    insert_postings(tx, &day.postings)?;
    if let Some(p) = &day.payout {
        tx.prepare_cached(
            "INSERT INTO settlement_payouts (id, merchant, day, amount_fen, status) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO NOTHING",
        )?
        .execute(params![p.id, int(p.merchant), p.day, p.amount_fen, p.status])?;
    }
    let delta = row.balance_after_fen - row.balance_before_fen;
    add_balance(tx, row.merchant, delta, Some(row.receivable_fen))?;
    Ok(true)
}

fn move_one(tx: &Transaction<'_>, change: &PayoutMove<'_>) -> rusqlite::Result<bool> {
    let merchant: Option<i64> = tx
        .prepare_cached("SELECT merchant FROM settlement_payouts WHERE id = ?1 AND status = ?2")?
        .query_row([change.id, change.from], |row| row.get(0))
        .optional()?;
    let Some(merchant) = merchant else {
        return Ok(false);
    };
    tx.prepare_cached("UPDATE settlement_payouts SET status = ?2 WHERE id = ?1")?
        .execute([change.id, change.to])?;
    insert_postings(tx, change.postings)?;
    if change.back_to_balance_fen != 0 {
        add_balance(tx, merchant as u64, change.back_to_balance_fen, None)?;
    }
    Ok(true)
}

impl SettlementStore for SqliteSettlement {
    fn consumed(&mut self, partition: u32) -> Result<u64, StoreError> {
        let seq: Option<i64> = self
            .conn
            .prepare_cached("SELECT seq FROM settlement_watermarks WHERE partition = ?1")?
            .query_row([partition], |row| row.get(0))
            .optional()?;
        Ok(seq.map_or(0, |s| s as u64))
    }

    fn record_facts(
        &mut self,
        partition: u32,
        through_seq: u64,
        txns: &[TxnMerchant],
        facts: &[FactRow],
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO settlement_txns (txn, merchant, terms) VALUES (?1, ?2, ?3) ON CONFLICT (txn) DO NOTHING",
            )?;
            for t in txns {
                insert.execute(params![int(t.txn), int(t.merchant), t.terms])?;
            }
            let mut insert = tx.prepare_cached(
                "INSERT INTO settlement_facts (partition, seq, record, idx, txn, kind, amount_fen, day)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (partition, seq, record, idx) DO NOTHING",
            )?;
            for f in facts {
                let k = f.key;
                insert.execute(params![
                    k.partition,
                    int(k.seq),
                    k.record,
                    k.event,
                    int(f.txn),
                    f.kind.as_str(),
                    f.amount_fen,
                    f.day
                ])?;
            }
            tx.prepare_cached(
                "INSERT INTO settlement_watermarks (partition, seq) VALUES (?1, ?2)
                 ON CONFLICT (partition) DO UPDATE SET seq = max(seq, excluded.seq)",
            )?
            .execute(params![partition, int(through_seq)])?;
        }
        tx.commit()?;
        Ok(())
    }

    fn first_fact_day(&mut self) -> Result<Option<i32>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT min(day) FROM settlement_facts")?
            .query_row([], |row| row.get(0))?)
    }

    fn day_facts(&mut self, day: i32) -> Result<Vec<DayFact>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT t.merchant, f.txn, f.kind, f.amount_fen, coalesce(t.terms, 0)
             FROM settlement_facts f LEFT JOIN settlement_txns t ON t.txn = f.txn
             WHERE f.day = ?1 ORDER BY f.partition, f.seq, f.record, f.idx",
        )?;
        let rows = stmt.query_map([day], |row| {
            let kind: String = row.get(2)?;
            Ok(DayFact {
                merchant: row.get::<_, Option<i64>>(0)?.map(|m| m as u64),
                txn: row.get::<_, i64>(1)? as u64,
                kind: FactKind::parse(&kind).unwrap_or(FactKind::Capture),
                amount_fen: row.get(3)?,
                terms: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn put_price(&mut self, row: &PriceRow) -> Result<bool, StoreError> {
        let n = self.conn.prepare_cached(
            "INSERT INTO settlement_prices (scope, effective_from, discount_ppm, fixed_fee_fen) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (scope, effective_from) DO NOTHING",
        )?
        .execute(params![row.scope, row.effective_from, row.discount_ppm, row.fixed_fee_fen])?;
        Ok(n == 1)
    }

    fn prices(&mut self) -> Result<Vec<PriceRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT scope, effective_from, discount_ppm, fixed_fee_fen FROM settlement_prices ORDER BY scope, effective_from",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(PriceRow {
                scope: row.get(0)?,
                effective_from: row.get(1)?,
                discount_ppm: row.get(2)?,
                fixed_fee_fen: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn put_merchant(&mut self, row: &MerchantRow) -> Result<(), StoreError> {
        self.conn.prepare_cached(
            "INSERT INTO settlement_merchants (merchant, category, delay_days, reserve_ppm, reserve_days, receivable_limit_fen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (merchant) DO UPDATE SET category = excluded.category, delay_days = excluded.delay_days,
                 reserve_ppm = excluded.reserve_ppm, reserve_days = excluded.reserve_days,
                 receivable_limit_fen = excluded.receivable_limit_fen",
        )?
        .execute(params![
            int(row.merchant),
            row.category,
            row.delay_days,
            row.reserve_ppm,
            row.reserve_days,
            row.receivable_limit_fen
        ])?;
        Ok(())
    }

    fn merchants(&mut self) -> Result<Vec<MerchantRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT merchant, category, delay_days, reserve_ppm, reserve_days, receivable_limit_fen
             FROM settlement_merchants ORDER BY merchant",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(MerchantRow {
                merchant: row.get::<_, i64>(0)? as u64,
                category: row.get(1)?,
                delay_days: row.get(2)?,
                reserve_ppm: row.get(3)?,
                reserve_days: row.get(4)?,
                receivable_limit_fen: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn balances(&mut self) -> Result<Vec<MerchantBalance>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT merchant, balance_fen, receivable_fen FROM settlement_balances ORDER BY merchant",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(MerchantBalance {
                merchant: row.get::<_, i64>(0)? as u64,
                balance_fen: row.get(1)?,
                receivable_fen: row.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn settlements(&mut self, from_day: i32, to_day: i32) -> Result<Vec<SettlementRow>, StoreError> {
        let sql =
            format!("SELECT {SETTLEMENT_COLUMNS} FROM settlements WHERE day BETWEEN ?1 AND ?2 ORDER BY merchant, day");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([from_day, to_day], settlement_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn settle(&mut self, days: &[SettledDay]) -> Result<Vec<bool>, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut written = Vec::with_capacity(days.len());
        for day in days {
            written.push(settle_one(&tx, day)?);
        }
        tx.commit()?;
        Ok(written)
    }

    fn last_run(&mut self) -> Result<Option<i32>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT max(day) FROM settlement_runs")?
            .query_row([], |row| row.get(0))?)
    }

    fn finish_run(&mut self, day: i32) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("INSERT INTO settlement_runs (day) VALUES (?1) ON CONFLICT (day) DO NOTHING")?
            .execute([day])?;
        Ok(())
    }

    fn payouts(&mut self, status: &str, limit: usize) -> Result<Vec<PayoutRow>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, merchant, day, amount_fen, status FROM settlement_payouts WHERE status = ?1
             ORDER BY day, id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![status, limit], payout_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn payout(&mut self, id: &str) -> Result<Option<PayoutRow>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT id, merchant, day, amount_fen, status FROM settlement_payouts WHERE id = ?1")?
            .query_row([id], payout_row)
            .optional()?)
    }

    fn move_payouts(&mut self, changes: &[PayoutMove<'_>]) -> Result<Vec<bool>, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut moved = Vec::with_capacity(changes.len());
        for change in changes {
            moved.push(move_one(&tx, change)?);
        }
        tx.commit()?;
        Ok(moved)
    }

    fn ledger_by_day(&mut self, through_day: i32) -> Result<Vec<DayBalance>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT day, account,
                 SUM(CASE WHEN amount_fen > 0 THEN amount_fen ELSE 0 END),
                 SUM(CASE WHEN amount_fen < 0 THEN -amount_fen ELSE 0 END)
             FROM settlement_postings WHERE day <= ?1 GROUP BY day, account ORDER BY day, account",
        )?;
        let rows = stmt.query_map([through_day], |row| {
            Ok(DayBalance {
                day: row.get(0)?,
                account: row.get(1)?,
                debits_fen: row.get(2)?,
                credits_fen: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
