//! What a [`super::Writer`] hands a backend: which statement ([`Stmt`]) and its parameters
//! ([`Value`]s), through the backend's [`Sink`].

use std::borrow::Cow;

use super::sql::*;
use crate::StoreError;

/// A statement parameter: SQL NULL, a 64-bit integer, or text. Booleans are integers 0 and 1
/// (SQLite's own representation), so both backends store and show them the same way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    Null,
    Int(i64),
    Text(Cow<'a, str>),
}

macro_rules! int_value {
    ($($t:ty),*) => {$(
        impl From<$t> for Value<'_> {
            fn from(value: $t) -> Self {
                Value::Int(i64::from(value))
            }
        }
    )*};
}
int_value!(i64, i32, u32, u16, u8, bool);

impl<'a, T: Copy + Into<Value<'a>>> From<&T> for Value<'a> {
    fn from(value: &T) -> Self {
        (*value).into()
    }
}

impl From<usize> for Value<'_> {
    /// Indexes within a batch (legs, events), far below `i64::MAX`.
    fn from(value: usize) -> Self {
        Value::Int(value as i64)
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(value: &'a str) -> Self {
        Value::Text(Cow::Borrowed(value))
    }
}

impl From<String> for Value<'_> {
    fn from(value: String) -> Self {
        Value::Text(Cow::Owned(value))
    }
}

impl<'a, T: Into<Value<'a>>> From<Option<T>> for Value<'a> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Value::Null, Into::into)
    }
}

/// A fixed array of [`Value`]s: `vals![a, b, c]`.
macro_rules! vals {
    ($($value:expr),* $(,)?) => {
        [$($crate::writer::Value::from($value)),*]
    };
}
pub(crate) use vals;

/// The read-model statements, each with its SQL in the shared dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stmt {
    Event,
    AccountOpened,
    AccountBalances,
    AccountRow,
    HoldAuthorized,
    HoldSettled,
    PurchaseCaptured,
    PurchaseRefunded,
    PurchaseExempt,
    Refund,
    PlanCreated,
    PlanRefunded,
    PlanPaidOff,
    Repayment,
    Statement,
    StatementInstalled,
    Delinquency,
    LedgerEntry,
    LedgerPosting,
}

impl Stmt {
    /// Every statement, in the order of [`Stmt::index`].
    pub(crate) const ALL: [Stmt; 19] = [
        Stmt::Event,
        Stmt::AccountOpened,
        Stmt::AccountBalances,
        Stmt::AccountRow,
        Stmt::HoldAuthorized,
        Stmt::HoldSettled,
        Stmt::PurchaseCaptured,
        Stmt::PurchaseRefunded,
        Stmt::PurchaseExempt,
        Stmt::Refund,
        Stmt::PlanCreated,
        Stmt::PlanRefunded,
        Stmt::PlanPaidOff,
        Stmt::Repayment,
        Stmt::Statement,
        Stmt::StatementInstalled,
        Stmt::Delinquency,
        Stmt::LedgerEntry,
        Stmt::LedgerPosting,
    ];

    /// A dense index, for a sink's table of prepared statements.
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The statement's SQL, with `?N` placeholders.
    pub(crate) fn sql(self) -> &'static str {
        match self {
            Stmt::Event => EVENT,
            Stmt::AccountOpened => ACCOUNT_OPENED,
            Stmt::AccountBalances => ACCOUNT_BALANCES,
            Stmt::AccountRow => ACCOUNT_ROW,
            Stmt::HoldAuthorized => HOLD_AUTHORIZED,
            Stmt::HoldSettled => HOLD_SETTLED,
            Stmt::PurchaseCaptured => PURCHASE_CAPTURED,
            Stmt::PurchaseRefunded => PURCHASE_REFUNDED,
            Stmt::PurchaseExempt => PURCHASE_EXEMPT,
            Stmt::Refund => REFUND,
            Stmt::PlanCreated => PLAN_CREATED,
            Stmt::PlanRefunded => PLAN_REFUNDED,
            Stmt::PlanPaidOff => PLAN_PAID_OFF,
            Stmt::Repayment => REPAYMENT,
            Stmt::Statement => STATEMENT,
            Stmt::StatementInstalled => STATEMENT_INSTALLED,
            Stmt::Delinquency => DELINQUENCY,
            Stmt::LedgerEntry => LEDGER_ENTRY,
            Stmt::LedgerPosting => LEDGER_POSTING,
        }
    }
}

/// Where a backend runs the writer's statements, inside its open transaction.
pub(crate) trait Sink {
    /// Runs `stmt`, returning the number of rows it changed.
    fn exec(&mut self, stmt: Stmt, params: &[Value<'_>]) -> Result<u64, StoreError>;

    /// Runs an insert that answers one integer (`RETURNING id`) and returns it.
    fn insert_id(&mut self, stmt: Stmt, params: &[Value<'_>]) -> Result<i64, StoreError>;

    /// The partition's watermark (`watermarks.seq`, 0 when it has no row).
    fn watermark(&mut self, partition: u32) -> Result<u64, StoreError>;

    /// Sets the partition's watermark and the time of its batch.
    fn set_watermark(&mut self, partition: u32, seq: u64, at_ms: i64) -> Result<(), StoreError>;
}

/// The watermark statements, shared by both backends.
pub(crate) const WATERMARK: &str = "SELECT seq FROM watermarks WHERE partition = ?1";
pub(crate) const SET_WATERMARK: &str = "INSERT INTO watermarks (partition, seq, at_ms) VALUES (?1, ?2, ?3)
    ON CONFLICT (partition) DO UPDATE SET seq = excluded.seq, at_ms = excluded.at_ms";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_statement_is_listed_once_in_index_order() {
        for (i, stmt) in Stmt::ALL.iter().enumerate() {
            assert_eq!(stmt.index(), i, "{stmt:?}");
        }
    }

    #[test]
    fn values_convert() {
        assert_eq!(Value::from(true), Value::Int(1));
        assert_eq!(Value::from(None::<u32>), Value::Null);
        assert_eq!(Value::from(Some("a")), Value::Text(Cow::Borrowed("a")));
        assert_eq!(Value::from(u32::MAX), Value::Int(4_294_967_295));
    }
}
