//! [`Writer`]: the rows one batch's projection writes to `read.db`, inside the caller's
//! transaction. READ_MODELS.md describes every table and column.

mod rows;
mod sql;

use credit::{BalancesView, Day, Event};
use rusqlite::{CachedStatement, Connection, params};

use crate::names::{event_type, freeze_reason};
use crate::{AccountRow, Projection, StoreError};
use sql::*;

/// An id or sequence as SQLite's INTEGER: the same 64 bits, so an id above `i64::MAX` reads back
/// negative instead of failing the projection.
fn int(value: u64) -> i64 {
    value as i64
}

fn day(day: Day) -> String {
    day.to_string()
}

/// Where an event sits in the journal, and the batch's time.
#[derive(Clone, Copy)]
struct At {
    partition: u32,
    seq: i64,
    idx: i64,
    ms: i64,
}

/// The prepared statements of one projection transaction.
pub(crate) struct Writer<'c> {
    conn: &'c Connection,
    json: Vec<u8>,
    event: CachedStatement<'c>,
    account_opened: CachedStatement<'c>,
    account_balances: CachedStatement<'c>,
    account_row: CachedStatement<'c>,
    hold_authorized: CachedStatement<'c>,
    hold_settled: CachedStatement<'c>,
    purchase_captured: CachedStatement<'c>,
    purchase_refunded: CachedStatement<'c>,
    purchase_exempt: CachedStatement<'c>,
    refund: CachedStatement<'c>,
    plan_created: CachedStatement<'c>,
    plan_refunded: CachedStatement<'c>,
    plan_paid_off: CachedStatement<'c>,
    repayment: CachedStatement<'c>,
    statement: CachedStatement<'c>,
    statement_installed: CachedStatement<'c>,
    delinquency: CachedStatement<'c>,
    ledger_entry: CachedStatement<'c>,
    ledger_posting: CachedStatement<'c>,
}

impl<'c> Writer<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Result<Writer<'c>, StoreError> {
        Ok(Writer {
            conn,
            json: Vec::with_capacity(512),
            event: conn.prepare_cached(EVENT)?,
            account_opened: conn.prepare_cached(ACCOUNT_OPENED)?,
            account_balances: conn.prepare_cached(ACCOUNT_BALANCES)?,
            account_row: conn.prepare_cached(ACCOUNT_ROW)?,
            hold_authorized: conn.prepare_cached(HOLD_AUTHORIZED)?,
            hold_settled: conn.prepare_cached(HOLD_SETTLED)?,
            purchase_captured: conn.prepare_cached(PURCHASE_CAPTURED)?,
            purchase_refunded: conn.prepare_cached(PURCHASE_REFUNDED)?,
            purchase_exempt: conn.prepare_cached(PURCHASE_EXEMPT)?,
            refund: conn.prepare_cached(REFUND)?,
            plan_created: conn.prepare_cached(PLAN_CREATED)?,
            plan_refunded: conn.prepare_cached(PLAN_REFUNDED)?,
            plan_paid_off: conn.prepare_cached(PLAN_PAID_OFF)?,
            repayment: conn.prepare_cached(REPAYMENT)?,
            statement: conn.prepare_cached(STATEMENT)?,
            statement_installed: conn.prepare_cached(STATEMENT_INSTALLED)?,
            delinquency: conn.prepare_cached(DELINQUENCY)?,
            ledger_entry: conn.prepare_cached(LEDGER_ENTRY)?,
            ledger_posting: conn.prepare_cached(LEDGER_POSTING)?,
        })
    }

    /// Writes one batch: its events in order, then its accounts' balances.
    /// Writes one batch's events. Its balances rows are written by [`Writer::account_row`],
    /// which the caller may call once per account for many batches (the last row wins).
    pub(crate) fn events(&mut self, projection: &Projection<'_>) -> Result<(), StoreError> {
        for (idx, event) in projection.events.iter().enumerate() {
            let at = At {
                partition: projection.partition,
                seq: int(projection.seq),
                idx: idx as i64,
                ms: projection.at_ms,
            };
            self.event(at, event)?;
        }
        Ok(())
    }

    fn event(&mut self, at: At, event: &Event) -> Result<(), StoreError> {
        self.json.clear();
        serde_json::to_writer(&mut self.json, event).map_err(|e| StoreError::Backend(format!("event json: {e}")))?;
        let body = std::str::from_utf8(&self.json).map_err(|e| StoreError::Backend(format!("event json: {e}")))?;
        let account = int(event.account().0);
        self.event.execute(params![
            at.partition,
            at.seq,
            at.idx,
            account,
            event_type(event),
            at.ms,
            body
        ])?;
        self.event_rows(at, event)
    }

    /// Upserts an account's balances as of `projection`'s batch: an update of the balances
    /// alone when the indexed columns are unchanged, else the whole row.
    pub(crate) fn account_row(&mut self, projection: &Projection<'_>, row: &AccountRow) -> Result<(), StoreError> {
        let b: &BalancesView = &row.balances;
        let params = params![
            int(row.account.0),
            projection.partition,
            b.limit.fen(),
            b.temporary_limit.fen(),
            b.available.fen(),
            b.held.fen(),
            b.principal_billed.fen(),
            b.principal_unbilled.fen(),
            b.fees.fen(),
            b.interest.fen(),
            b.penalties.fen(),
            b.billed.fen(),
            b.credit_balance.fen(),
            b.accrued_interest.fen(),
            b.accrued_penalties.fen(),
            b.minimum_unpaid.fen(),
            b.past_due.fen(),
            b.dpd,
            b.bucket.as_str(),
            b.next_due_date.map(day),
            day(b.next_statement),
            b.frozen.map(freeze_reason),
            b.charged_off_on.map(day),
            int(projection.seq),
            projection.at_ms
        ];
        if self.account_balances.execute(params)? == 0 {
            self.account_row.execute(params)?;
        }
        Ok(())
    }
}

/// A repayment or early payoff, as the `repayments` table records it.
struct Payment {
    kind: &'static str,
    op: u64,
    plan: Option<u64>,
    amount: i64,
    fees_waived: i64,
    recovery: bool,
}
