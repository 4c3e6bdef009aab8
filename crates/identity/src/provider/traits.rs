//! The four provider traits. Each is object-safe (methods return a [`BoxFuture`]) so the server
//! holds `Arc<dyn NameIdVerifier>` and picks the HTTP adapter or the simulator from config.

use super::{
    BoxFuture, CardCheck, ChallengeId, FaceImage, FourElements, Liveness, NameIdMatch, OtpCheck, OtpCode, ProviderError,
};
use crate::{Mobile, PersonName, ResidentId};

/// Checks that a name is the one registered for an ID number.
pub trait NameIdVerifier: Send + Sync {
    fn verify_name_id<'a>(
        &'a self,
        name: &'a PersonName,
        id: &'a ResidentId,
    ) -> BoxFuture<'a, Result<NameIdMatch, ProviderError>>;
}

/// Checks that a card, a name, an ID number and a reserved mobile belong together.
pub trait BankCardVerifier: Send + Sync {
    fn verify_card<'a>(&'a self, elements: &'a FourElements) -> BoxFuture<'a, Result<CardCheck, ProviderError>>;
}

/// Sends SMS one-time passwords and verifies what the applicant typed.
pub trait OtpSender: Send + Sync {
    /// Sends a code to `mobile`; the returned id names this challenge in [`Self::verify_otp`].
    fn send_otp<'a>(&'a self, mobile: &'a Mobile) -> BoxFuture<'a, Result<ChallengeId, ProviderError>>;

    fn verify_otp<'a>(
        &'a self,
        challenge: &'a ChallengeId,
        code: &'a OtpCode,
    ) -> BoxFuture<'a, Result<OtpCheck, ProviderError>>;
}

/// Compares a live face with the photo on record for an ID number. The implementation holds
/// the pass threshold; the provider only scores.
pub trait LivenessChecker: Send + Sync {
    fn check_liveness<'a>(
        &'a self,
        face: &'a FaceImage,
        id: &'a ResidentId,
    ) -> BoxFuture<'a, Result<Liveness, ProviderError>>;
}
