//! Onboarding for iou: from an applicant to a usable credit line, and the line's limit over
//! time.
//!
//! This crate owns the shell layer between the API and the engine for applications: parsing an
//! application ([`ApplicationInput`] into [`Application`]), the identity checks through the
//! `identity` provider traits, the duplicate rule (one ID number, one line), the
//! credit-application risk checkpoint through the engine, scoring with the product's model, the
//! limit and price tier from the `rules/limits/limit_tier.json` decision table, the
//! [`Decision`] with stable codes, the review queue, per-customer pricing, the periodic limit
//! review (`rules/limits/limit_review.json`) and temporary limits. With the `testkit` feature
//! it also generates realistic applicant populations.
//!
//! It must never know HTTP routing or status codes (the API maps [`Decision`]s), decide a
//! credit rule (that is `credit`: the core refuses a limit below exposure, not this crate), or
//! evaluate risk rules itself (the engine runs the checkpoint and journals it). It does IO only
//! through the provider traits, the engine, and its own application store file.
//!
//! # The flow ([`Onboarding::apply`])
//!
//! 1. **Parse** the form; the first field that fails gives `invalid_input` with the field.
//! 2. **Identity**: OCR text against the form, then name/ID, four-element card and liveness at
//!    once. A definite failure is `declined` with its codes; an outage is `try_later` and
//!    nothing is opened. Identity comes before the duplicate check so that nobody learns
//!    whether an ID number has a line without passing the checks as its owner.
//! 3. **One at a time per ID**: the account id is claimed in an in-process set (an
//!    application for the same ID already running answers `duplicate`); earlier records of
//!    this ID in review, or an approved line, answer `duplicate` at once.
//! 4. **Score** the credit file ([`credit_file`] maps it to the `credit_data_es` scorecard).
//! 5. **Risk**: `engine::Request::CreditApplication` for the would-be account id with the model's
//!    PD and score and the device/IP/geo context. The engine decides it without an account,
//!    journals the decision with its reasons, counts it in the velocity features (applications
//!    per ID, per IP, applicants per device) and opens nothing. The shipped rules deny at a PD of
//!    25%, review from 12%, and read the application counts and the fraud lists. Deny is
//!    `declined` (risk reasons + scorecard reasons); an unsatisfied challenge is
//!    `challenge_required` (pass the step-up, apply again with it in the context); review goes
//!    on to the table, which sends it to review with its proposal. An applicant who already
//!    holds a line gets the engine's `AccountExists`: `duplicate`.
//! 6. **Limit table**: limit, price tier, approve / review / decline with a reason.
//! 7. **Approve**: `engine::Request::OpenLine` opens the account at the offered limit with its
//!    credit profile and price tier in one journaled op; the line is usable at once. Review:
//!    the application waits in the queue holding no account ([`Onboarding::approve_review`]
//!    opens the line the same way, [`Onboarding::decline_review`] opens nothing). Decline:
//!    nothing is opened.
//!
//! Declined and reviewed applicants never hold an account, so a declined applicant may apply
//! again later (the per-ID velocity rules see every attempt).
//!
//! # One ID number, one line: the blind index
//!
//! The account id is derived from the ID number: `HMAC-SHA256(key, domain || id)` over the
//! normalized number ([`identity::ResidentId`] stores 18 characters with an uppercase `X`,
//! so `...123x` and ` ...123X ` are one number), its first 8 bytes with the top bit cleared
//! ([`blind_index`]). The key is the key provider's blind-index key (`vault`; a key file or a
//! KMS, never the data directory), so the id reveals nothing about the number and cannot be
//! computed, nor a guessed number tested, without the key. Because the id is a function of
//! the ID number, a second application lands on the same account, in the same partition, and
//! the engine refuses it (the application, or the second `OpenLine` when two approvals race)
//! with `AccountExists`: no global lock, no cross-partition lookup, and it holds across
//! restarts and across processes because the journal does. The full
//! 256-bit index is kept with each application record, so an account-id collision between two
//! ID numbers (about 5 in 10,000 at 100 million customers) is told apart from a duplicate and
//! sent to review instead of refused. Records keep no ID number, name, mobile or card in clear:
//! the application record holds the masked name and ID number and the index; the applicant's
//! identity, kept for step-up and funding, is sealed by the API with the same provider.
//!
//! # Limits over time
//!
//! [`Onboarding::review_limits`] re-reads each line's [`behaviour::Behaviour`] and applies the
//! review table's raise / keep / lower with `ChangeLimit`, never below the exposure.
//! [`Onboarding::grant_temporary_limit`] checks the policy (line open, not frozen, nothing past
//! due, amount up to the permanent limit and 50,000 yuan, 1 to 90 days) and sets it.

pub mod application;
pub mod behaviour;
pub mod blind_index;
pub mod credit_file;
mod decision;
mod engine_io;
mod flow;
pub mod identity_check;
mod in_flight;
mod limit_changes;
pub mod limits;
mod onboarding;
pub mod pricing;
pub mod reasons;
mod review_queue;
pub mod shipped;
pub mod store;
pub mod table;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod tier;

pub use application::{Application, ApplicationId, ApplicationInput, OcrInput};
pub use blind_index::{BlindIndex, BlindIndexKey};
pub use credit_file::{CreditFile, CreditFileInput, Employment, Housing, Marital};
pub use decision::{Decision, Outcome, ScoreSummary, Timings};
pub use flow::default_billing_day;
pub use identity_check::Providers;
pub use limits::{LimitReview, LimitReviewTable, ReviewAction, TemporaryGrant, TemporaryPolicy, TemporaryRefusal};
pub use onboarding::{LoadError, Onboarding, OnboardingConfig};
pub use review_queue::ReviewError;
pub use store::{ApplicationRecord, ApplicationStore, EntryLog, FileLog, LineRecord, Resolution, StoreError};
pub use tier::{LimitTierTable, Offer, OfferInput, PriceTier, TableOutcome};
