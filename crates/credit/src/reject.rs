//! [`Rejection`]: why a command changed nothing, ordered by precedence.
//!
//! When a command is wrong in several ways, the first applicable variant in declaration order
//! is returned: the shape of the input first (amounts, terms), then whether the things named
//! exist, then the state they are in, then amounts against balances. Each variant has a stable
//! machine code for APIs and logs.

use money::Amount;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    // --- The input itself.
    #[error("timestamps must not go backwards")]
    ClockWentBackwards,
    #[error("amount must be positive")]
    AmountNotPositive,
    #[error("amount is larger than the largest accepted amount")]
    AmountTooLarge,
    #[error("billing day must be between 1 and 28")]
    BillingDayOutOfRange,
    #[error("this installment term is not offered")]
    TermNotOffered,
    #[error("the expiry date is already past")]
    ExpiryInPast,
    #[error("no transactions named")]
    NoTransactions,
    // --- Existence.
    #[error("account not found")]
    AccountNotFound,
    #[error("an account with this id exists")]
    AccountExists,
    #[error("a transaction with this id exists on the account")]
    TxnExists,
    #[error("transaction not found")]
    TxnNotFound,
    #[error("plan not found")]
    PlanNotFound,
    #[error("statement is not the latest one")]
    StatementNotLatest,
    // --- State.
    #[error("account is charged off")]
    AccountChargedOff,
    #[error("account is frozen")]
    AccountFrozen,
    #[error("account is not frozen")]
    AccountNotFrozen,
    #[error("transaction is exempt as unauthorized use")]
    TxnExempt,
    #[error("hold was already captured")]
    HoldAlreadyCaptured,
    #[error("hold was already voided")]
    HoldAlreadyVoided,
    #[error("hold has expired")]
    HoldExpired,
    #[error("transaction was not captured")]
    NotCaptured,
    #[error("too many open holds on the account")]
    TooManyHolds,
    #[error("plan is not active")]
    PlanNotActive,
    #[error("the statement's due date has come")]
    StatementDue,
    #[error("the account has a past-due amount")]
    PastDueOutstanding,
    #[error("the statement was already converted to installments")]
    StatementAlreadyInstalled,
    #[error("the statement has no principal to convert")]
    NothingToInstall,
    #[error("the history does not reproduce the account")]
    HistoryMismatch,
    // --- Amounts against balances.
    #[error("amount exceeds the hold ({held})")]
    AmountExceedsHold { held: Amount },
    #[error("refund exceeds what is left of the purchase ({refundable})")]
    RefundExceedsPurchase { refundable: Amount },
    #[error("limit is below what is owed and held ({exposure})")]
    LimitBelowExposure { exposure: Amount },
    #[error("insufficient available credit ({available})")]
    InsufficientAvailableCredit { available: Amount },
    #[error("payment is below the payoff amount ({payoff})")]
    PaymentBelowPayoff { payoff: Amount },
    #[error("amount exceeds the credit balance ({credit_balance})")]
    AmountExceedsCreditBalance { credit_balance: Amount },
    // --- Appended after the rest (journals keep refusals by index): state, for hardship plans.
    #[error("the account has nothing past due")]
    NotDelinquent,
    #[error("a hardship plan was made on the account in the last 365 days")]
    HardshipTooRecent,
}

impl Rejection {
    /// The stable machine code, e.g. `"insufficient_available_credit"`.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::ClockWentBackwards => "clock_went_backwards",
            Rejection::AmountNotPositive => "amount_not_positive",
            Rejection::AmountTooLarge => "amount_too_large",
            Rejection::BillingDayOutOfRange => "billing_day_out_of_range",
            Rejection::TermNotOffered => "term_not_offered",
            Rejection::ExpiryInPast => "expiry_in_past",
            Rejection::NoTransactions => "no_transactions",
            Rejection::AccountNotFound => "account_not_found",
            Rejection::AccountExists => "account_exists",
            Rejection::TxnExists => "txn_exists",
            Rejection::TxnNotFound => "txn_not_found",
            Rejection::PlanNotFound => "plan_not_found",
            Rejection::StatementNotLatest => "statement_not_latest",
            Rejection::AccountChargedOff => "account_charged_off",
            Rejection::AccountFrozen => "account_frozen",
            Rejection::AccountNotFrozen => "account_not_frozen",
            Rejection::TxnExempt => "txn_exempt",
            Rejection::HoldAlreadyCaptured => "hold_already_captured",
            Rejection::HoldAlreadyVoided => "hold_already_voided",
            Rejection::HoldExpired => "hold_expired",
            Rejection::NotCaptured => "not_captured",
            Rejection::TooManyHolds => "too_many_holds",
            Rejection::PlanNotActive => "plan_not_active",
            Rejection::StatementDue => "statement_due",
            Rejection::PastDueOutstanding => "past_due_outstanding",
            Rejection::StatementAlreadyInstalled => "statement_already_installed",
            Rejection::NothingToInstall => "nothing_to_install",
            Rejection::HistoryMismatch => "history_mismatch",
            Rejection::AmountExceedsHold { .. } => "amount_exceeds_hold",
            Rejection::RefundExceedsPurchase { .. } => "refund_exceeds_purchase",
            Rejection::LimitBelowExposure { .. } => "limit_below_exposure",
            Rejection::InsufficientAvailableCredit { .. } => "insufficient_available_credit",
            Rejection::PaymentBelowPayoff { .. } => "payment_below_payoff",
            Rejection::AmountExceedsCreditBalance { .. } => "amount_exceeds_credit_balance",
            Rejection::NotDelinquent => "not_delinquent",
            Rejection::HardshipTooRecent => "hardship_too_recent",
        }
    }
}
