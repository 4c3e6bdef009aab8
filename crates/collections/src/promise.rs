//! [`Promise`]: a customer's promise to pay an amount by a date (at most
//! [`PROMISE_MAX_DAYS`] away), and how the payments since judge it.
//!
//! A promise is **kept** once the payments made from its day to its date (inclusive) reach its
//! amount, and **broken** when its date has passed without that. Payments are read from the
//! account's own statement lines (the running cycle's and the kept statements': a payment's
//! line carries its day), so the judgement is exact whenever it is made, on the day roll or on a
//! read days later. Payments on the promise's own day before it was made are its `baseline`,
//! not counted.

use credit::statement::LineKind;
use credit::{Account, Day};
use money::Amount;
use serde::{Deserialize, Serialize};

/// The furthest date a promise may name, in days from the day it is made.
pub const PROMISE_MAX_DAYS: i32 = 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromiseStatus {
    Open,
    Kept,
    Broken,
}

impl PromiseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PromiseStatus::Open => "open",
            PromiseStatus::Kept => "kept",
            PromiseStatus::Broken => "broken",
        }
    }
}

/// A promise to pay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promise {
    pub id: u64,
    pub account: u64,
    pub amount: Amount,
    pub made_on: Day,
    pub due_on: Day,
    /// Payments already made on `made_on` when the promise was made.
    pub baseline: Amount,
    pub status: PromiseStatus,
    /// The day it was judged kept or broken.
    pub settled_on: Option<Day>,
    /// Who recorded it (an operator id, or `customer`).
    pub by: String,
}

/// Why a promise cannot be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PromiseError {
    #[error("amount must be positive")]
    AmountNotPositive,
    #[error("the promised date is before today")]
    DateInPast,
    #[error("the promised date is more than {PROMISE_MAX_DAYS} days away")]
    DateTooFar,
    #[error("the account has nothing past due")]
    NotInCollections,
    #[error("the account already has an open promise")]
    PromiseOpen,
}

impl PromiseError {
    /// The field at fault, for the API's error.
    pub fn field(self) -> Option<&'static str> {
        match self {
            PromiseError::AmountNotPositive => Some("amount_fen"),
            PromiseError::DateInPast | PromiseError::DateTooFar => Some("date"),
            PromiseError::NotInCollections | PromiseError::PromiseOpen => None,
        }
    }
}

/// Payments made on the account from `from` to `to` inclusive: payment lines (billed, unbilled
/// and to credit balance) of the running cycle and of the statements kept.
pub fn payments_between(account: &Account, from: Day, to: Day) -> Amount {
    let is_payment = |kind: &LineKind| {
        matches!(
            kind,
            LineKind::Payment { .. } | LineKind::PaymentUnbilled { .. } | LineKind::PaymentToCredit { .. }
        )
    };
    account
        .statements
        .iter()
        .flat_map(|s| s.lines.iter())
        .chain(account.cycle.lines.iter())
        .filter(|l| is_payment(&l.kind) && from <= l.on && l.on <= to)
        .map(|l| -l.amount)
        .sum()
}

impl Promise {
    /// A new promise on `account` (brought to `today`), refused when its amount or date is out
    /// of bounds, the account has nothing past due, or another promise is open (`existing`:
    /// the account's promises, judged today).
    pub fn make(
        id: u64,
        account: &Account,
        amount: Amount,
        due_on: Day,
        today: Day,
        existing: &[Promise],
        by: String,
    ) -> Result<Promise, PromiseError> {
        if !amount.is_positive() {
            return Err(PromiseError::AmountNotPositive);
        }
        if due_on < today {
            return Err(PromiseError::DateInPast);
        }
        if due_on.since(today) > PROMISE_MAX_DAYS {
            return Err(PromiseError::DateTooFar);
        }
        let owing = account.delinquency.dpd(today) > 0 || (account.is_charged_off() && !account.dues.is_empty());
        if !owing {
            return Err(PromiseError::NotInCollections);
        }
        if existing
            .iter()
            .any(|p| p.account == account.id.0 && p.status == PromiseStatus::Open)
        {
            return Err(PromiseError::PromiseOpen);
        }
        Ok(Promise {
            id,
            account: account.id.0,
            amount,
            made_on: today,
            due_on,
            baseline: payments_between(account, today, today),
            status: PromiseStatus::Open,
            settled_on: None,
            by,
        })
    }

    /// What was paid toward the promise by `today` (payments up to its date only).
    pub fn paid(&self, account: &Account, today: Day) -> Amount {
        let to = today.min(self.due_on);
        if to < self.made_on {
            return Amount::ZERO;
        }
        (payments_between(account, self.made_on, to) - self.baseline).max(Amount::ZERO)
    }

    /// Judges an open promise on `today`; returns true when its status changed.
    pub fn judge(&mut self, account: &Account, today: Day) -> bool {
        if self.status != PromiseStatus::Open {
            return false;
        }
        if self.paid(account, today) >= self.amount {
            self.status = PromiseStatus::Kept;
        } else if today > self.due_on {
            self.status = PromiseStatus::Broken;
        } else {
            return false;
        }
        self.settled_on = Some(today);
        true
    }
}
