//! The deterministic simulator: an implementation of each provider trait whose answers depend
//! only on the inputs, a seed and (for OTP expiry) an injected clock. Tests and demos use it in
//! process, or over HTTP through [`SimulatedProviders::answer`], which speaks
//! [`crate::protocol`].
//!
//! # Outcomes
//!
//! The [`fixtures`] give fixed answers whatever the seed, so API tests can drive every path:
//!
//! | input | answer |
//! | --- | --- |
//! | [`fixtures::ID_MATCH`] | name/ID: `Match` for any name |
//! | [`fixtures::ID_NAME_MISMATCH`] | name/ID: `Mismatch`; card check: `Mismatch(Name)` |
//! | [`fixtures::ID_NO_RECORD`] | name/ID: `NoRecord`; card check: `Mismatch(IdNumber)` |
//! | [`fixtures::ID_OUTAGE`] | name/ID and liveness: `Unavailable(Simulated)` |
//! | [`fixtures::CARD_VERIFIED`] | card check: `Verified` for any name, ID and mobile |
//! | [`fixtures::CARD_MISMATCH_MOBILE`] | card check: `Mismatch(Mobile)` |
//! | [`fixtures::CARD_MISMATCH_UNSPECIFIED`] | card check: `Mismatch(None)` |
//! | [`fixtures::CARD_NOT_SUPPORTED`] | card check: `CardNotSupported` |
//! | [`fixtures::CARD_OUTAGE`] | card check: `Unavailable(Simulated)` |
//! | [`fixtures::MOBILE_UNREACHABLE`] | OTP send: `Rejected { status: 422, code: "mobile.unreachable" }` |
//! | [`fixtures::MOBILE_OUTAGE`] | OTP send: `Unavailable(Simulated)` |
//! | face reference `spoof...` | liveness score 20..=99 (fails any sensible threshold) |
//! | face reference `score-NNN` | liveness score exactly NNN per mille (NNN <= 1000) |
//!
//! Any other valid input gets a seeded answer:
//! - name/ID: `NoRecord` when a keyed hash of the ID number falls in the lowest
//!   [`NO_RECORD_PER_MILLE`] of 1000, else `Mismatch` when a keyed hash of (ID, name) falls in
//!   the lowest [`NAME_MISMATCH_PER_MILLE`], else `Match`;
//! - card check: `CardNotSupported` for brands other than UnionPay, Visa and Mastercard; then the
//!   name/ID answer (`Mismatch(Name)` / `Mismatch(IdNumber)`); then `Mismatch(Mobile)` for the
//!   lowest [`MOBILE_MISMATCH_PER_MILLE`] of a keyed hash of all four elements; else `Verified`;
//! - OTP: every send gets a new challenge whose code is [`SimulatedOtp::code_for`]; see
//!   [`SimulatedOtp`] for expiry and attempts;
//! - liveness: a score of 850..=999 from a keyed hash of the face and ID number.

mod card;
pub mod fixtures;
mod liveness;
mod name_id;
mod otp;
mod server;

pub use card::SimulatedBankCard;
pub use liveness::SimulatedLiveness;
pub use name_id::SimulatedNameId;
pub use otp::{OtpPolicy, SimulatedOtp};
pub use server::{SimResponse, SimulatedProviders};

/// Per mille of ordinary ID numbers the name/ID simulator says it has no record of.
pub const NO_RECORD_PER_MILLE: u64 = 3;
/// Per mille of ordinary (ID, name) pairs the name/ID simulator calls a mismatch.
pub const NAME_MISMATCH_PER_MILLE: u64 = 10;
/// Per mille of ordinary four-element sets the card simulator calls a reserved-mobile mismatch.
pub const MOBILE_MISMATCH_PER_MILLE: u64 = 10;
