//! The funding operations, their states, and the two provider traits.

use std::fmt;

use identity::{BankCard, BoxFuture};
use money::Amount;

use crate::FundingError;

/// Our id for one funding operation (a debit or a payout). Providers key their idempotency on
/// it: the same id sent twice is one debit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FundingId(pub u64);

impl fmt::Display for FundingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Pull `amount` from the customer's card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DebitRequest {
    pub funding: FundingId,
    pub card: BankCard,
    pub amount: Amount,
}

/// Pay `amount` to the customer's card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayoutRequest {
    pub funding: FundingId,
    pub card: BankCard,
    pub amount: Amount,
}

/// Where a debit stands at the provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DebitStatus {
    /// Accepted, the money is not confirmed yet (ask again, or wait for the callback).
    Pending,
    /// The money arrived.
    Settled,
    /// It will not arrive; the provider's reason code.
    Failed(String),
}

/// Where a payout stands at the provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayoutStatus {
    Pending,
    /// The money left for the card.
    Paid,
    /// It never left; the provider's reason code.
    Failed(String),
    /// It left and the receiving bank sent it back; the reason code.
    Returned(String),
}

/// A provider's answer about a debit: its status and the provider's own reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DebitAnswer {
    pub status: DebitStatus,
    pub provider_ref: Option<String>,
}

/// A provider's answer about a payout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayoutAnswer {
    pub status: PayoutStatus,
    pub provider_ref: Option<String>,
}

/// A bank-card or direct debit provider. Both calls are idempotent by the funding id: a second
/// `debit` with the same id answers the first one's state and moves no more money.
pub trait PaymentProvider: Send + Sync {
    fn debit<'a>(&'a self, request: &'a DebitRequest) -> BoxFuture<'a, Result<DebitAnswer, FundingError>>;

    /// The state of the debit with this id (the reconciler asks about pending ones).
    fn debit_status(&self, funding: FundingId) -> BoxFuture<'_, Result<DebitAnswer, FundingError>>;
}

/// A payout provider, idempotent by the funding id like [`PaymentProvider`].
pub trait PayoutProvider: Send + Sync {
    fn payout<'a>(&'a self, request: &'a PayoutRequest) -> BoxFuture<'a, Result<PayoutAnswer, FundingError>>;

    fn payout_status(&self, funding: FundingId) -> BoxFuture<'_, Result<PayoutAnswer, FundingError>>;
}
