//! [`Writer`]: the rows one batch's projection writes to the read models, inside the caller's
//! transaction, through a [`Sink`] (SQLite's in `sqlite/read_models.rs`, PostgreSQL's in
//! `postgres/read_models.rs`): both backends run the same statements ([`sql`], written with
//! `?N` placeholders, which PostgreSQL's sink rewrites to `$N`) with the same [`Value`]s, so
//! their read models hold the same rows. READ_MODELS.md describes every table and column.

mod rows;
mod sql;
mod value;

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use credit::{AccountId, BalancesView, Day, Event};

use crate::names::{event_type, freeze_reason};
use crate::{AccountRow, Projection, StoreError};
pub(crate) use value::{SET_WATERMARK, Sink, Stmt, Value, WATERMARK, vals};

/// An id or sequence as a 64-bit SQL integer: the same 64 bits, so an id above `i64::MAX` reads
/// back negative instead of failing the projection.
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

/// A partition's watermark within one transaction: as read, and as this transaction moved it.
struct Mark {
    seq: u64,
    at_ms: i64,
    moved: bool,
}

/// One projection transaction's writer: it turns events into rows and hands each statement to
/// the backend's sink.
pub(crate) struct Writer<S: Sink> {
    sink: S,
    json: Vec<u8>,
}

impl<S: Sink> Writer<S> {
    pub(crate) fn new(sink: S) -> Writer<S> {
        Writer {
            sink,
            json: Vec::with_capacity(512),
        }
    }

    /// [`crate::ReadModels::project_many`] inside the sink's transaction: every batch above
    /// its partition's watermark, each account's newest balances once, and the watermarks
    /// moved. The caller commits.
    pub(crate) fn project_many(&mut self, projections: &[Projection<'_>]) -> Result<(), StoreError> {
        let mut marks: HashMap<u32, Mark> = HashMap::new();
        // Each account's newest balances over the whole call: the rows of earlier batches
        // would be overwritten in this same transaction, so they are not written at all.
        let mut newest: HashMap<AccountId, (&Projection<'_>, &AccountRow)> = HashMap::new();
        for projection in projections {
            let mark = match marks.entry(projection.partition) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(Mark {
                    seq: self.sink.watermark(projection.partition)?,
                    at_ms: 0,
                    moved: false,
                }),
            };
            if projection.seq <= mark.seq {
                continue;
            }
            self.events(projection)?;
            for row in projection.accounts {
                newest.insert(row.account, (projection, row));
            }
            *mark = Mark {
                seq: projection.seq,
                at_ms: projection.at_ms,
                moved: true,
            };
        }
        for (projection, row) in newest.values() {
            self.account_row(projection, row)?;
        }
        for (partition, mark) in marks.iter().filter(|(_, m)| m.moved) {
            self.sink.set_watermark(*partition, mark.seq, mark.at_ms)?;
        }
        Ok(())
    }

    /// Writes one batch's events. Its balances rows are written by [`Writer::account_row`],
    /// which the caller may call once per account for many batches (the last row wins).
    fn events(&mut self, projection: &Projection<'_>) -> Result<(), StoreError> {
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
        self.sink.exec(
            Stmt::Event,
            &vals![at.partition, at.seq, at.idx, account, event_type(event), at.ms, body],
        )?;
        self.event_rows(at, event)
    }

    /// Upserts an account's balances as of `projection`'s batch: an update of the balances
    /// alone when the indexed columns are unchanged, else the whole row.
    fn account_row(&mut self, projection: &Projection<'_>, row: &AccountRow) -> Result<(), StoreError> {
        let b: &BalancesView = &row.balances;
        let params = vals![
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
        if self.sink.exec(Stmt::AccountBalances, &params)? == 0 {
            self.sink.exec(Stmt::AccountRow, &params)?;
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
