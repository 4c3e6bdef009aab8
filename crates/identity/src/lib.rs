//! Identity checks for iou onboarding.
//!
//! This crate owns:
//! - parsed identity values, each with a `masked()` form that its `Debug` prints:
//!   [`ResidentId`] (GB 11643-1999 resident ID number with derived birth date, sex, region),
//!   [`Mobile`], [`BankCard`] (Luhn, brand), [`PersonName`]; every rejection is an enum variant
//!   with a stable `code()` and a human message;
//! - the provider traits ([`NameIdVerifier`], [`BankCardVerifier`], [`OtpSender`],
//!   [`LivenessChecker`]) and [`ProviderError`], under which an outage is never a pass;
//! - an HTTP adapter for each trait ([`http`]) speaking the small JSON [`protocol`], with
//!   timeouts, retries with seeded-jitter backoff and a circuit breaker on an injected [`Clock`];
//! - a deterministic simulator for each trait ([`sim`]) with documented fixture outcomes, which
//!   also answers the protocol so it can be served over HTTP;
//! - with the `testkit` feature, seeded generators of valid identities (`testkit`).
//!
//! It must never know about accounts, credit, risk rules, storage or the server's routes: it
//! checks who someone is and nothing about what they may do. It reads no wall clock (dates and
//! a [`Clock`] come in), draws no unseeded randomness, and never prints a raw identity value:
//! raw values leave only through the explicit `as_str()` accessors. OCR of ID cards is the
//! provider's job; this crate accepts its result as text.

mod bank_card;
mod base64;
mod clock;
mod gb11643;
pub mod http;
mod mobile;
mod person_name;
pub mod protocol;
mod provider;
pub mod region;
mod resident_id;
mod seeded;
pub mod sim;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use bank_card::{BankCard, BankCardError, CardBrand};
pub use clock::{Clock, ManualClock, SystemClock};
pub use mobile::{Mobile, MobileError};
pub use person_name::{PersonName, PersonNameError};
pub use provider::{
    BankCardVerifier, BoxFuture, CardCheck, CardElement, ChallengeId, FaceImage, FaceImageError, FourElements,
    Liveness, LivenessChecker, LivenessScore, NameIdMatch, NameIdVerifier, OtpCheck, OtpCode, OtpError, OtpSender,
    Outage, ProviderError,
};
pub use resident_id::{ResidentId, ResidentIdError, Sex};
