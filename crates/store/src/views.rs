//! Typed reads of the read models for the operators' views: one customer's transactions (a
//! page of holds with what became of them), the portfolio's delinquency (accounts by bucket
//! now, openings, every bucket change), and a customer's statements as each closed (those the
//! engine no longer keeps in memory are served from here). Plain SQL both SQL backends run through
//! [`ReadModels::query`]; the memory backend has no read models and answers `Unsupported`.
//! Every read is bounded by a row limit its caller chooses.

use crate::{ReadModels, StoreError};

/// One authorization of a customer and what became of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnRow {
    pub txn: u64,
    pub merchant: u64,
    pub amount_fen: i64,
    /// `held`, `captured`, `voided` or `expired` (the hold's state).
    pub state: String,
    pub captured_fen: Option<i64>,
    pub released_fen: Option<i64>,
    /// Refunded so far (0 without a capture).
    pub refunded_fen: i64,
    /// Confirmed as unauthorized use (a theft's exemption).
    pub fraud_exempt: bool,
    pub plan: Option<u64>,
    pub authorized_at_ms: i64,
    pub settled_at_ms: Option<i64>,
    /// The journal batch of the authorization.
    pub partition: u32,
    pub seq: u64,
}

/// Accounts in one delinquency bucket now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketRow {
    pub bucket: String,
    pub accounts: u64,
    pub principal_fen: i64,
    pub past_due_fen: i64,
}

/// One closed statement as the read model keeps it: the close's figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementRow {
    pub seq: u32,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub due_date: String,
    pub balance_fen: i64,
    /// As closed, or as lowered by a bill installment.
    pub minimum_fen: i64,
    pub installed_plan: Option<u64>,
    pub closed_at_ms: i64,
}

/// One delinquency bucket change: account, business day, the bucket it moved to.
pub type BucketChange = (u64, String, String);

type Row = Vec<Option<String>>;

fn int(row: &Row, i: usize) -> Result<Option<i64>, StoreError> {
    match row.get(i).and_then(Option::as_deref) {
        None => Ok(None),
        Some(text) => text
            .parse::<i64>()
            .map(Some)
            .map_err(|_| StoreError::Backend(format!("column {i} is not an integer: {text:?}"))),
    }
}

fn need(row: &Row, i: usize) -> Result<i64, StoreError> {
    int(row, i)?.ok_or_else(|| StoreError::Backend(format!("column {i} is null")))
}

fn text(row: &Row, i: usize) -> String {
    row.get(i).cloned().flatten().unwrap_or_default()
}

fn unsigned(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Up to `limit` of `account`'s authorizations, newest first, with transaction ids below
/// `before` (the previous page's last id) when given. An account's transactions all live in
/// one partition, whose counter orders their ids by time.
pub fn transactions(
    read: &mut dyn ReadModels,
    account: u64,
    before: Option<u64>,
    limit: usize,
) -> Result<Vec<TxnRow>, StoreError> {
    let before = before.map_or(String::new(), |b| format!(" AND h.txn < {}", b.min(i64::MAX as u64)));
    let sql = format!(
        "SELECT h.txn, h.merchant, h.amount_fen, h.state, h.captured_fen, h.released_fen, \
         COALESCE(p.refunded_fen, 0), COALESCE(p.fraud_exempt, 0), p.plan, h.authorized_at_ms, \
         h.settled_at_ms, h.partition, h.seq \
         FROM holds h LEFT JOIN purchases p ON p.txn = h.txn \
         WHERE h.account = {account}{before} ORDER BY h.txn DESC LIMIT {limit}"
    );
    let (_, rows) = read.query(&sql, limit)?;
    rows.iter()
        .map(|row| {
            Ok(TxnRow {
                txn: unsigned(need(row, 0)?),
                merchant: unsigned(need(row, 1)?),
                amount_fen: need(row, 2)?,
                state: text(row, 3),
                captured_fen: int(row, 4)?,
                released_fen: int(row, 5)?,
                refunded_fen: need(row, 6)?,
                fraud_exempt: need(row, 7)? != 0,
                plan: int(row, 8)?.map(unsigned),
                authorized_at_ms: need(row, 9)?,
                settled_at_ms: int(row, 10)?,
                partition: u32::try_from(need(row, 11)?).unwrap_or(u32::MAX),
                seq: unsigned(need(row, 12)?),
            })
        })
        .collect()
}

/// Up to `limit` of `account`'s statements numbered `from..=to`, oldest first.
pub fn statements(
    read: &mut dyn ReadModels,
    account: u64,
    from: u32,
    to: u32,
    limit: usize,
) -> Result<Vec<StatementRow>, StoreError> {
    // Ids are stored as the i64 of the same bits (a bill installment's plan id has the top one).
    let account = account as i64;
    let sql = format!(
        "SELECT statement, statement_date, due_date, balance_fen, minimum_fen, installed_plan, closed_at_ms \
         FROM statements WHERE account = {account} AND statement BETWEEN {from} AND {to} \
         ORDER BY statement LIMIT {limit}"
    );
    let (_, rows) = read.query(&sql, limit)?;
    rows.iter()
        .map(|row| {
            Ok(StatementRow {
                seq: u32::try_from(need(row, 0)?).unwrap_or(u32::MAX),
                date: text(row, 1),
                due_date: text(row, 2),
                balance_fen: need(row, 3)?,
                minimum_fen: need(row, 4)?,
                installed_plan: int(row, 5)?.map(|id| id as u64),
                closed_at_ms: need(row, 6)?,
            })
        })
        .collect()
}

/// Accounts per delinquency bucket now, with their principal and past due.
pub fn buckets(read: &mut dyn ReadModels) -> Result<Vec<BucketRow>, StoreError> {
    let sql = "SELECT bucket, COUNT(*), SUM(principal_billed_fen + principal_unbilled_fen), SUM(past_due_fen) \
               FROM accounts GROUP BY bucket ORDER BY bucket";
    let (_, rows) = read.query(sql, 64)?;
    rows.iter()
        .map(|row| {
            Ok(BucketRow {
                bucket: text(row, 0),
                accounts: unsigned(need(row, 1)?),
                principal_fen: int(row, 2)?.unwrap_or(0),
                past_due_fen: int(row, 3)?.unwrap_or(0),
            })
        })
        .collect()
}

/// Up to `limit` accounts with the time each was opened (ms), by id.
pub fn openings(read: &mut dyn ReadModels, limit: usize) -> Result<Vec<(u64, i64)>, StoreError> {
    let sql = format!(
        "SELECT account, opened_at_ms FROM accounts WHERE opened_at_ms IS NOT NULL ORDER BY account LIMIT {limit}"
    );
    let (_, rows) = read.query(&sql, limit)?;
    rows.iter()
        .map(|row| Ok((unsigned(need(row, 0)?), need(row, 1)?)))
        .collect()
}

/// Up to `limit` bucket changes in journal order.
pub fn bucket_changes(read: &mut dyn ReadModels, limit: usize) -> Result<Vec<BucketChange>, StoreError> {
    let sql = format!("SELECT account, on_date, to_bucket FROM delinquency ORDER BY partition, seq, idx LIMIT {limit}");
    let (_, rows) = read.query(&sql, limit)?;
    rows.iter()
        .map(|row| Ok((unsigned(need(row, 0)?), text(row, 1), text(row, 2))))
        .collect()
}

/// Fraud as the read models tell it: purchases confirmed as unauthorized use (lost, before any
/// recovery) and orders intercepted after their authorization (stopped).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FraudRow {
    pub lost_purchases: u64,
    pub lost_fen: i64,
    pub intercepted_orders: u64,
}

/// [`FraudRow`] now.
pub fn fraud(read: &mut dyn ReadModels) -> Result<FraudRow, StoreError> {
    let (_, lost) = read.query(
        "SELECT COUNT(*), COALESCE(SUM(amount_fen - refunded_fen), 0) FROM purchases WHERE fraud_exempt <> 0",
        1,
    )?;
    let (_, stopped) = read.query("SELECT COUNT(*) FROM notices WHERE type = 'order.intercepted'", 1)?;
    let first = |rows: &Vec<Row>, i| rows.first().map_or(Ok(0), |r| int(r, i).map(Option::unwrap_or_default));
    Ok(FraudRow {
        lost_purchases: unsigned(first(&lost, 0)?),
        lost_fen: first(&lost, 1)?,
        intercepted_orders: unsigned(first(&stopped, 0)?),
    })
}
