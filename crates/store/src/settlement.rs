//! Settlement's own tables behind the [`SettlementStore`] trait (SQLite in
//! `sqlite/settlement.rs`, its own file `settlement.db`; memory in `settlement/memory.rs`; the
//! same promises checked by `conformance::settlement`).
//!
//! A consumer tails the journal like the outbox scanner and records, per partition and in one
//! transaction with its watermark, which merchant each transaction is for ([`TxnMerchant`]) and
//! the merchant-side facts ([`FactRow`]: captures and refunds with their business day), keyed
//! by where they sit in the journal so a repeated scan changes nothing. The daily run reads a
//! day's facts joined with their merchants ([`DayFact`]), and records each merchant's day
//! ([`SettlementRow`]) with its ledger postings, its payout and the merchant's balance in one
//! transaction that does nothing when the (merchant, day) is already there: a run that crashed
//! midway resumes without doing anything twice.
//!
//! The store does not know what the numbers mean: the `settlement` crate computes them. SQL is
//! kept portable (no SQLite-only syntax beyond `ON CONFLICT`) for the PostgreSQL backend.

pub mod memory;

use crate::StoreError;

/// Where a fact sits in the journal: batch `seq` of `partition`, record, event of the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FactKey {
    pub partition: u32,
    pub seq: u64,
    pub record: u32,
    pub event: u32,
}

/// A capture or a refund.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FactKind {
    Capture,
    Refund,
}

impl FactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FactKind::Capture => "capture",
            FactKind::Refund => "refund",
        }
    }

    pub fn parse(text: &str) -> Option<FactKind> {
        [FactKind::Capture, FactKind::Refund]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// A merchant-side fact as the journal told it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FactRow {
    pub key: FactKey,
    pub txn: u64,
    pub kind: FactKind,
    pub amount_fen: i64,
    /// The business day (days since the epoch) of the record.
    pub day: i32,
}

/// Which merchant a transaction is for (from its authorization).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxnMerchant {
    pub txn: u64,
    pub merchant: u64,
    /// The plan's terms (0 without a plan), for a campaign's subsidy.
    pub terms: u32,
}

/// A day's fact with its merchant (`None` when no authorization named one: a break).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayFact {
    pub merchant: Option<u64>,
    pub txn: u64,
    pub kind: FactKind,
    pub amount_fen: i64,
    /// The transaction's plan terms (0 when none or unknown).
    pub terms: u32,
}

/// A pricing rule: `scope` is `default`, `category:<code>` or `merchant:<id>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceRow {
    pub scope: String,
    pub effective_from: i32,
    pub discount_ppm: u32,
    pub fixed_fee_fen: i64,
}

/// A merchant's settlement settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerchantRow {
    pub merchant: u64,
    pub category: Option<String>,
    pub delay_days: u16,
    pub reserve_ppm: u32,
    pub reserve_days: u16,
    pub receivable_limit_fen: i64,
}

/// A merchant's balance after its last settled day and payout changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MerchantBalance {
    pub merchant: u64,
    pub balance_fen: i64,
    pub receivable_fen: i64,
}

/// One merchant's settled day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettlementRow {
    pub merchant: u64,
    pub day: i32,
    pub captures: u64,
    pub captured_fen: i64,
    pub refunds: u64,
    pub refunded_fen: i64,
    pub fees_fen: i64,
    pub subsidies_fen: i64,
    pub balance_before_fen: i64,
    pub held_fen: i64,
    pub payout_fen: i64,
    pub balance_after_fen: i64,
    pub receivable_fen: i64,
}

/// One leg of a settlement ledger entry (debit positive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostingRow {
    pub day: i32,
    pub merchant: u64,
    pub kind: String,
    pub account: String,
    pub amount_fen: i64,
}

/// A merchant payout; `id` is the idempotency key the provider sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayoutRow {
    pub id: String,
    pub merchant: u64,
    pub day: i32,
    pub amount_fen: i64,
    /// `pending`, `paid`, `failed`, `returned`.
    pub status: String,
}

/// One account's postings of one day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayBalance {
    pub day: i32,
    pub account: String,
    pub debits_fen: i64,
    /// Positive: the sum of the credit legs' absolute values.
    pub credits_fen: i64,
}

/// One merchant's settled day with what it writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettledDay {
    pub row: SettlementRow,
    pub postings: Vec<PostingRow>,
    pub payout: Option<PayoutRow>,
}

/// A payout's move: the caller checked it with `settlement::payout`.
#[derive(Clone, Debug)]
pub struct PayoutMove<'a> {
    pub id: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub postings: &'a [PostingRow],
    /// Owed to the merchant again (a failed or returned payout).
    pub back_to_balance_fen: i64,
}

/// Settlement's tables in one store. Each method is one transaction.
pub trait SettlementStore: Send {
    /// The last batch of `partition` the consumer recorded (0 when none).
    fn consumed(&mut self, partition: u32) -> Result<u64, StoreError>;

    /// Records a scan of `partition` up to `through_seq`: transactions' merchants, facts and
    /// the watermark, atomically. Rows already there stay as they are; a watermark never goes
    /// back.
    fn record_facts(
        &mut self,
        partition: u32,
        through_seq: u64,
        txns: &[TxnMerchant],
        facts: &[FactRow],
    ) -> Result<(), StoreError>;

    /// The earliest business day of any fact (where a first run starts).
    fn first_fact_day(&mut self) -> Result<Option<i32>, StoreError>;

    /// The facts of business day `day`, in key order, with their merchants.
    fn day_facts(&mut self, day: i32) -> Result<Vec<DayFact>, StoreError>;

    /// Adds a pricing rule; a rule of the same scope and day already there is kept (rules are
    /// superseded, never edited) and `false` returned.
    fn put_price(&mut self, row: &PriceRow) -> Result<bool, StoreError>;
    fn prices(&mut self) -> Result<Vec<PriceRow>, StoreError>;

    /// Sets a merchant's settings (replacing earlier ones).
    fn put_merchant(&mut self, row: &MerchantRow) -> Result<(), StoreError>;
    fn merchants(&mut self) -> Result<Vec<MerchantRow>, StoreError>;

    /// Every merchant's balance, by merchant.
    fn balances(&mut self) -> Result<Vec<MerchantBalance>, StoreError>;

    /// Settled days with `from_day <= day <= to_day`, by merchant then day.
    fn settlements(&mut self, from_day: i32, to_day: i32) -> Result<Vec<SettlementRow>, StoreError>;

    /// Records merchants' days, all in one transaction: for each, the row, its postings, its
    /// payout (pending) and the merchant's balance moved by `balance_after - balance_before`
    /// and its receivable set. A (merchant, day) already settled is skipped (nothing of it is
    /// written). Returns, for each, whether it was written.
    fn settle(&mut self, days: &[SettledDay]) -> Result<Vec<bool>, StoreError>;

    /// The last day a run finished (every merchant settled).
    fn last_run(&mut self) -> Result<Option<i32>, StoreError>;
    /// Marks `day`'s run finished.
    fn finish_run(&mut self, day: i32) -> Result<(), StoreError>;

    /// Payouts in `status`, by day then id, at most `limit`.
    fn payouts(&mut self, status: &str, limit: usize) -> Result<Vec<PayoutRow>, StoreError>;
    fn payout(&mut self, id: &str) -> Result<Option<PayoutRow>, StoreError>;

    /// Moves payouts, all in one transaction: each from `from` to `to` with its postings and
    /// balance change, only if it is in `from` (compare and set). Returns, for each, whether
    /// it moved.
    fn move_payouts(&mut self, changes: &[PayoutMove<'_>]) -> Result<Vec<bool>, StoreError>;

    /// Debits and credits per account per day, for days up to `through_day`, by day then
    /// account (the GL export; summed, the trial balance).
    fn ledger_by_day(&mut self, through_day: i32) -> Result<Vec<DayBalance>, StoreError>;
}
