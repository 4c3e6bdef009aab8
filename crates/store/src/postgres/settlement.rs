//! [`PostgresSettlement`]: settlement's tables (migration 3, `sql/003_settlement.sql`) on a
//! connection of their own. The statements are SQLite's (`sqlite/settlement.rs`) with `$n`
//! placeholders, `GREATEST` for SQLite's two-argument `max`, sums cast back to BIGINT, and a
//! payout's compare-and-set as one `UPDATE ... RETURNING` (under READ COMMITTED a second mover
//! waits for the first and then finds the status changed). `record_facts`, `settle` and
//! `move_payouts` each run in one transaction, as on SQLite; a (merchant, day) two runs insert
//! at once is written by one, the other waits on its key and then skips it.

use postgres::types::ToSql;
use postgres::{Row, Statement, Transaction};

use super::conn::{Conn, int, small, uint};
use crate::StoreError;
use crate::settlement::{
    DayBalance, DayFact, FactKind, FactRow, MerchantBalance, MerchantRow, PayoutMove, PayoutRow, PostingRow, PriceRow,
    SettledDay, SettlementRow, SettlementStore, TxnMerchant,
};

/// One connection for settlement's tables.
#[derive(Debug)]
pub struct PostgresSettlement {
    conn: Conn,
}

impl PostgresSettlement {
    pub(crate) fn new(conn: Conn) -> PostgresSettlement {
        PostgresSettlement { conn }
    }
}

macro_rules! settlement_columns {
    () => {
        "merchant, day, captures, captured_fen, refunds, refunded_fen, fees_fen, subsidies_fen,
         balance_before_fen, held_fen, payout_fen, balance_after_fen, receivable_fen"
    };
}

const INSERT_TXN: &str = "INSERT INTO settlement_txns (txn, merchant, terms) VALUES ($1, $2, $3)
    ON CONFLICT (txn) DO NOTHING";

const INSERT_FACT: &str = "INSERT INTO settlement_facts (partition, seq, record, idx, txn, kind, amount_fen, day)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT (partition, seq, record, idx) DO NOTHING";

const SET_CONSUMED: &str = "INSERT INTO settlement_watermarks (partition, seq) VALUES ($1, $2)
    ON CONFLICT (partition) DO UPDATE SET seq = GREATEST(settlement_watermarks.seq, excluded.seq)";

const INSERT_SETTLEMENT: &str = concat!(
    "INSERT INTO settlements (",
    settlement_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (merchant, day) DO NOTHING"
);

const INSERT_POSTING: &str =
    "INSERT INTO settlement_postings (day, merchant, kind, account, amount_fen) VALUES ($1, $2, $3, $4, $5)";

const INSERT_PAYOUT: &str = "INSERT INTO settlement_payouts (id, merchant, day, amount_fen, status)
    VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING";

/// `$3` NULL keeps the receivable; a merchant's first row starts from zero.
const ADD_BALANCE: &str = "INSERT INTO settlement_balances (merchant, balance_fen, receivable_fen)
    VALUES ($1, $2, coalesce($3::BIGINT, 0))
    ON CONFLICT (merchant) DO UPDATE SET balance_fen = settlement_balances.balance_fen + excluded.balance_fen,
        receivable_fen = coalesce($3::BIGINT, settlement_balances.receivable_fen)";

const MOVE_PAYOUT: &str = "UPDATE settlement_payouts SET status = $3 WHERE id = $1 AND status = $2 RETURNING merchant";

/// A BIGINT column read back into the narrower type it was written from.
fn narrow<T: TryFrom<i64>>(value: i64, column: &str) -> Result<T, StoreError> {
    T::try_from(value).map_err(|_| StoreError::Backend(format!("postgres: {column} = {value} is out of range")))
}

fn settlement_row(row: &Row) -> Result<SettlementRow, StoreError> {
    Ok(SettlementRow {
        merchant: uint(row.get(0)),
        day: narrow(row.get(1), "settlements.day")?,
        captures: uint(row.get(2)),
        captured_fen: row.get(3),
        refunds: uint(row.get(4)),
        refunded_fen: row.get(5),
        fees_fen: row.get(6),
        subsidies_fen: row.get(7),
        balance_before_fen: row.get(8),
        held_fen: row.get(9),
        payout_fen: row.get(10),
        balance_after_fen: row.get(11),
        receivable_fen: row.get(12),
    })
}

fn payout_row(row: &Row) -> Result<PayoutRow, StoreError> {
    Ok(PayoutRow {
        id: row.get(0),
        merchant: uint(row.get(1)),
        day: narrow(row.get(2), "settlement_payouts.day")?,
        amount_fen: row.get(3),
        status: row.get(4),
    })
}

fn day_fact(row: &Row) -> Result<DayFact, StoreError> {
    let kind: String = row.get(2);
    Ok(DayFact {
        merchant: row.get::<_, Option<i64>>(0).map(uint),
        txn: uint(row.get(1)),
        kind: FactKind::parse(&kind).unwrap_or(FactKind::Capture),
        amount_fen: row.get(3),
        terms: small(row.get(4))?,
    })
}

/// The statements [`SettlementStore::settle`] and `move_payouts` run, prepared once per
/// connection.
struct Writes {
    settlement: Statement,
    posting: Statement,
    payout: Statement,
    balance: Statement,
    moved: Statement,
}

impl Writes {
    fn prepare(conn: &mut Conn) -> Result<Writes, StoreError> {
        Ok(Writes {
            settlement: conn.statement(INSERT_SETTLEMENT)?,
            posting: conn.statement(INSERT_POSTING)?,
            payout: conn.statement(INSERT_PAYOUT)?,
            balance: conn.statement(ADD_BALANCE)?,
            moved: conn.statement(MOVE_PAYOUT)?,
        })
    }

    fn postings(&self, tx: &mut Transaction<'_>, postings: &[PostingRow]) -> Result<(), StoreError> {
        for p in postings {
            let (day, merchant) = (i64::from(p.day), int(p.merchant));
            tx.execute(&self.posting, &[&day, &merchant, &p.kind, &p.account, &p.amount_fen])?;
        }
        Ok(())
    }

    fn add_balance(
        &self,
        tx: &mut Transaction<'_>,
        merchant: u64,
        delta: i64,
        receivable: Option<i64>,
    ) -> Result<(), StoreError> {
        tx.execute(&self.balance, &[&int(merchant), &delta, &receivable])?;
        Ok(())
    }

    fn settle_one(&self, tx: &mut Transaction<'_>, day: &SettledDay) -> Result<bool, StoreError> {
        let row = &day.row;
        let (merchant, d, captures, refunds) = (
            int(row.merchant),
            i64::from(row.day),
            int(row.captures),
            int(row.refunds),
        );
        let params: [&(dyn ToSql + Sync); 13] = [
            &merchant,
            &d,
            &captures,
            &row.captured_fen,
            &refunds,
            &row.refunded_fen,
            &row.fees_fen,
            &row.subsidies_fen,
            &row.balance_before_fen,
            &row.held_fen,
            &row.payout_fen,
            &row.balance_after_fen,
            &row.receivable_fen,
        ];
        if tx.execute(&self.settlement, &params)? == 0 {
            return Ok(false);
        }
        self.postings(tx, &day.postings)?;
        if let Some(p) = &day.payout {
            let (merchant, d) = (int(p.merchant), i64::from(p.day));
            tx.execute(&self.payout, &[&p.id, &merchant, &d, &p.amount_fen, &p.status])?;
        }
        let delta = row.balance_after_fen - row.balance_before_fen;
        self.add_balance(tx, row.merchant, delta, Some(row.receivable_fen))?;
        Ok(true)
    }

    fn move_one(&self, tx: &mut Transaction<'_>, change: &PayoutMove<'_>) -> Result<bool, StoreError> {
        let Some(moved) = tx.query_opt(&self.moved, &[&change.id, &change.from, &change.to])? else {
            return Ok(false);
        };
        self.postings(tx, change.postings)?;
        if change.back_to_balance_fen != 0 {
            self.add_balance(tx, uint(moved.get(0)), change.back_to_balance_fen, None)?;
        }
        Ok(true)
    }
}

impl PostgresSettlement {
    fn rows(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, StoreError> {
        let statement = self.conn.statement(sql)?;
        Ok(self.conn.client()?.query(&statement, params)?)
    }
}

impl SettlementStore for PostgresSettlement {
    fn consumed(&mut self, partition: u32) -> Result<u64, StoreError> {
        let rows = self.rows(
            "SELECT seq FROM settlement_watermarks WHERE partition = $1",
            &[&i64::from(partition)],
        )?;
        Ok(rows.first().map_or(0, |r| uint(r.get(0))))
    }

    fn record_facts(
        &mut self,
        partition: u32,
        through_seq: u64,
        txns: &[TxnMerchant],
        facts: &[FactRow],
    ) -> Result<(), StoreError> {
        let insert_txn = self.conn.statement(INSERT_TXN)?;
        let insert_fact = self.conn.statement(INSERT_FACT)?;
        let mut tx = self.conn.client()?.transaction()?;
        for t in txns {
            tx.execute(&insert_txn, &[&int(t.txn), &int(t.merchant), &i64::from(t.terms)])?;
        }
        for f in facts {
            let k = f.key;
            let (p, seq, record, idx) = (
                i64::from(k.partition),
                int(k.seq),
                i64::from(k.record),
                i64::from(k.event),
            );
            let (txn, day) = (int(f.txn), i64::from(f.day));
            let params: [&(dyn ToSql + Sync); 8] =
                [&p, &seq, &record, &idx, &txn, &f.kind.as_str(), &f.amount_fen, &day];
            tx.execute(&insert_fact, &params)?;
        }
        tx.execute(SET_CONSUMED, &[&i64::from(partition), &int(through_seq)])?;
        tx.commit()?;
        Ok(())
    }

    fn first_fact_day(&mut self) -> Result<Option<i32>, StoreError> {
        let rows = self.rows("SELECT min(day) FROM settlement_facts", &[])?;
        let day: Option<i64> = rows.first().and_then(|r| r.get(0));
        day.map(|d| narrow(d, "settlement_facts.day")).transpose()
    }

    fn day_facts(&mut self, day: i32) -> Result<Vec<DayFact>, StoreError> {
        let rows = self.rows(
            "SELECT t.merchant, f.txn, f.kind, f.amount_fen, coalesce(t.terms, 0)
             FROM settlement_facts f LEFT JOIN settlement_txns t ON t.txn = f.txn
             WHERE f.day = $1 ORDER BY f.partition, f.seq, f.record, f.idx",
            &[&i64::from(day)],
        )?;
        rows.iter().map(day_fact).collect()
    }

    fn put_price(&mut self, row: &PriceRow) -> Result<bool, StoreError> {
        let statement = self.conn.statement(
            "INSERT INTO settlement_prices (scope, effective_from, discount_ppm, fixed_fee_fen) VALUES ($1, $2, $3, $4)
             ON CONFLICT (scope, effective_from) DO NOTHING",
        )?;
        let (from, ppm) = (i64::from(row.effective_from), i64::from(row.discount_ppm));
        let n = self
            .conn
            .client()?
            .execute(&statement, &[&row.scope, &from, &ppm, &row.fixed_fee_fen])?;
        Ok(n == 1)
    }

    fn prices(&mut self) -> Result<Vec<PriceRow>, StoreError> {
        let rows = self.rows(
            "SELECT scope, effective_from, discount_ppm, fixed_fee_fen FROM settlement_prices ORDER BY scope, effective_from",
            &[],
        )?;
        rows.iter()
            .map(|row| {
                Ok(PriceRow {
                    scope: row.get(0),
                    effective_from: narrow(row.get(1), "settlement_prices.effective_from")?,
                    discount_ppm: narrow(row.get(2), "settlement_prices.discount_ppm")?,
                    fixed_fee_fen: row.get(3),
                })
            })
            .collect()
    }

    fn put_merchant(&mut self, row: &MerchantRow) -> Result<(), StoreError> {
        let statement = self.conn.statement(
            "INSERT INTO settlement_merchants (merchant, category, delay_days, reserve_ppm, reserve_days, receivable_limit_fen)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (merchant) DO UPDATE SET category = excluded.category, delay_days = excluded.delay_days,
                 reserve_ppm = excluded.reserve_ppm, reserve_days = excluded.reserve_days,
                 receivable_limit_fen = excluded.receivable_limit_fen",
        )?;
        let (merchant, delay, ppm, days) = (
            int(row.merchant),
            i64::from(row.delay_days),
            i64::from(row.reserve_ppm),
            i64::from(row.reserve_days),
        );
        self.conn.client()?.execute(
            &statement,
            &[&merchant, &row.category, &delay, &ppm, &days, &row.receivable_limit_fen],
        )?;
        Ok(())
    }

    fn merchants(&mut self) -> Result<Vec<MerchantRow>, StoreError> {
        let rows = self.rows(
            "SELECT merchant, category, delay_days, reserve_ppm, reserve_days, receivable_limit_fen
             FROM settlement_merchants ORDER BY merchant",
            &[],
        )?;
        rows.iter()
            .map(|row| {
                Ok(MerchantRow {
                    merchant: uint(row.get(0)),
                    category: row.get(1),
                    delay_days: narrow(row.get(2), "settlement_merchants.delay_days")?,
                    reserve_ppm: narrow(row.get(3), "settlement_merchants.reserve_ppm")?,
                    reserve_days: narrow(row.get(4), "settlement_merchants.reserve_days")?,
                    receivable_limit_fen: row.get(5),
                })
            })
            .collect()
    }

    fn balances(&mut self) -> Result<Vec<MerchantBalance>, StoreError> {
        let rows = self.rows(
            "SELECT merchant, balance_fen, receivable_fen FROM settlement_balances ORDER BY merchant",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|row| MerchantBalance {
                merchant: uint(row.get(0)),
                balance_fen: row.get(1),
                receivable_fen: row.get(2),
            })
            .collect())
    }

    fn settlements(&mut self, from_day: i32, to_day: i32) -> Result<Vec<SettlementRow>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            settlement_columns!(),
            " FROM settlements WHERE day BETWEEN $1 AND $2 ORDER BY merchant, day"
        );
        let rows = self.rows(SQL, &[&i64::from(from_day), &i64::from(to_day)])?;
        rows.iter().map(settlement_row).collect()
    }

    fn settle(&mut self, days: &[SettledDay]) -> Result<Vec<bool>, StoreError> {
        let writes = Writes::prepare(&mut self.conn)?;
        let mut tx = self.conn.client()?.transaction()?;
        let mut written = Vec::with_capacity(days.len());
        for day in days {
            written.push(writes.settle_one(&mut tx, day)?);
        }
        tx.commit()?;
        Ok(written)
    }

    fn last_run(&mut self) -> Result<Option<i32>, StoreError> {
        let rows = self.rows("SELECT max(day) FROM settlement_runs", &[])?;
        let day: Option<i64> = rows.first().and_then(|r| r.get(0));
        day.map(|d| narrow(d, "settlement_runs.day")).transpose()
    }

    fn finish_run(&mut self, day: i32) -> Result<(), StoreError> {
        let statement = self
            .conn
            .statement("INSERT INTO settlement_runs (day) VALUES ($1) ON CONFLICT (day) DO NOTHING")?;
        self.conn.client()?.execute(&statement, &[&i64::from(day)])?;
        Ok(())
    }

    fn payouts(&mut self, status: &str, limit: usize) -> Result<Vec<PayoutRow>, StoreError> {
        const SQL: &str = "SELECT id, merchant, day, amount_fen, status FROM settlement_payouts WHERE status = $1
             ORDER BY day, id LIMIT $2";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.rows(SQL, &[&status, &limit])?;
        rows.iter().map(payout_row).collect()
    }

    fn payout(&mut self, id: &str) -> Result<Option<PayoutRow>, StoreError> {
        let rows = self.rows(
            "SELECT id, merchant, day, amount_fen, status FROM settlement_payouts WHERE id = $1",
            &[&id],
        )?;
        rows.first().map(payout_row).transpose()
    }

    fn move_payouts(&mut self, changes: &[PayoutMove<'_>]) -> Result<Vec<bool>, StoreError> {
        let writes = Writes::prepare(&mut self.conn)?;
        let mut tx = self.conn.client()?.transaction()?;
        let mut moved = Vec::with_capacity(changes.len());
        for change in changes {
            moved.push(writes.move_one(&mut tx, change)?);
        }
        tx.commit()?;
        Ok(moved)
    }

    fn ledger_by_day(&mut self, through_day: i32) -> Result<Vec<DayBalance>, StoreError> {
        let rows = self.rows(
            "SELECT day, account,
                 SUM(CASE WHEN amount_fen > 0 THEN amount_fen ELSE 0 END)::BIGINT,
                 SUM(CASE WHEN amount_fen < 0 THEN -amount_fen ELSE 0 END)::BIGINT
             FROM settlement_postings WHERE day <= $1 GROUP BY day, account ORDER BY day, account",
            &[&i64::from(through_day)],
        )?;
        rows.iter()
            .map(|row| {
                Ok(DayBalance {
                    day: narrow(row.get(0), "settlement_postings.day")?,
                    account: row.get(1),
                    debits_fen: row.get(2),
                    credits_fen: row.get(3),
                })
            })
            .collect()
    }
}
