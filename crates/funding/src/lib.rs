//! Money in and out through outside providers.
//!
//! This crate owns:
//! - the provider boundary for money: [`PaymentProvider`] (a bank-card or direct debit that
//!   pulls a repayment from the customer's card) and [`PayoutProvider`] (pays a credit balance
//!   out to the customer's card), as object-safe async traits, with their states: a debit is
//!   pending, then settled or failed; a payout is pending, then paid or failed, and a paid
//!   payout may come back returned;
//! - [`FundingId`]: our own id for one funding operation, which every provider call carries as
//!   its idempotency key, so a retried or re-sent call (after a restart) has one effect;
//! - an HTTP adapter for each trait ([`http`]) that reuses the identity crate's client (per
//!   attempt timeouts, retries with backoff, circuit breaker);
//! - a deterministic simulator for each trait ([`sim`]) with documented fixture cards that
//!   settle, stay pending, settle when asked again, fail or are unavailable;
//! - merchant payouts ([`merchant`]): the settlement run's payouts keyed by payout id, with an
//!   HTTP adapter on the same client;
//! - the signature of provider callbacks ([`callback`]): HMAC-SHA256 over timestamp and body,
//!   and for merchant payouts over method, path, timestamp and body.
//!
//! It must never know about accounts' credit rules (what a repayment pays, what a credit
//! balance is), storage (funding state is the engine's), risk, or the server's routes: it moves
//! money through a provider and reports what the provider said, nothing else.

pub mod callback;
mod error;
pub mod http;
pub mod merchant;
pub mod protocol;
pub mod sim;
mod types;

pub use error::FundingError;
pub use identity::BoxFuture;
pub use types::{
    DebitAnswer, DebitRequest, DebitStatus, FundingId, PaymentProvider, PayoutAnswer, PayoutProvider, PayoutRequest,
    PayoutStatus,
};
