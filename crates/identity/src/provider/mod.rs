//! The provider boundary: the four checks an outside identity provider performs, as object-safe
//! async traits, with their outcomes and the one error type every provider returns.
//!
//! An outcome (`Mismatch`, `NoRecord`, a failed liveness score...) is the provider's answer about
//! the applicant; a [`ProviderError`] means there is no answer. An outage is never a pass.

mod error;
mod face;
mod otp;
mod outcome;
mod traits;

use std::future::Future;
use std::pin::Pin;

pub use error::{Outage, ProviderError};
pub use face::{FaceImage, FaceImageError};
pub use otp::{ChallengeId, OtpCheck, OtpCode, OtpError};
pub use outcome::{CardCheck, CardElement, FourElements, Liveness, LivenessScore, NameIdMatch};
pub use traits::{BankCardVerifier, LivenessChecker, NameIdVerifier, OtpSender};

/// The future every provider method returns: boxed so the traits can be used as
/// `Arc<dyn NameIdVerifier>`, `Send` so it can run on a multi-threaded tokio runtime.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
