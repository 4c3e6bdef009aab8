//! The domain edge: what the API adds around the engine for customers, merchants and operators, each
//! piece with its own state in `AppState`.
//!
//! - [`codes`]: one-time payment codes (offline QR/NFC payments).
//! - [`merchants`]: registered merchants, their categories and signing secrets.
//! - [`campaigns`]: installment campaigns (a merchant's or a category's fee rate, terms, dates,
//!   who pays the fee) and the campaign each payment was made under, in the meta table.
//! - [`step_up`]: step-up through the identity providers (OTP, liveness), single-use tokens.
//! - [`limit_requests`]: temporary-limit requests risk sent to a credit officer (the queue).
//! - [`review_evidence`]: the decision behind a payment held for review (features, scores,
//!   reasons), kept for the analyst's case view.
//! - [`subjects`]: who the customer is (mobile, ID number, verified card), sealed at rest.
//! - [`risk_input`]: the `risk` object of a request parsed into the engine's `RiskContext`.
//! - [`risk`], [`rules_watch`]: the risk edge's options and providers, the rules folder loaded
//!   and watched; [`rules_history`], the set in force and the one before, for a rollback.
//! - [`funding`]: payment and payout providers, driving and reconciling funding operations.
//! - [`operators`]: operator accounts (roles, argon2id passwords, TOTP), their sessions, and
//!   API keys for service callers.
//! - [`collections`]: collections' work records (promises to pay, call tasks) in the meta
//!   table.
//! - [`emergency`]: emergency controls (offline and merchant pauses, a raised risk tier), kept
//!   in the meta table.

pub mod approvals;
pub mod campaigns;
pub mod casework;
pub mod codes;
pub mod collections;
pub mod emergency;
pub mod funding;
pub mod limit_requests;
pub mod merchant_tiers;
pub mod merchants;
pub mod operators;
pub mod review_evidence;
pub mod risk;
pub mod risk_input;
pub mod rules_history;
pub mod rules_watch;
pub mod settlement;
pub mod step_up;
pub mod subjects;
