//! SMS one-time passwords: the challenge id a send returns, the code the applicant types, and
//! the answer to a verification.

use std::fmt;

/// The provider's handle for one sent code: 1 to 64 of `A-Z a-z 0-9 _ -`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChallengeId(String);

/// A code as typed: 4 to 8 ASCII digits. `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpCode(String);

/// Why a challenge id or code text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OtpError {
    #[error("a challenge id is 1 to 64 letters, digits, '_' or '-'")]
    ChallengeId,
    #[error("a verification code is 4 to 8 digits")]
    Code,
}

impl OtpError {
    /// A stable machine-readable code for API responses and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ChallengeId => "otp.challenge_id",
            Self::Code => "otp.code",
        }
    }
}

/// The answer to an OTP verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OtpCheck {
    Ok,
    Wrong,
    /// Too old, already used, or never sent.
    Expired,
    /// Too many wrong codes for this challenge; a new one must be sent.
    TooManyAttempts,
}

impl ChallengeId {
    pub fn parse(text: &str) -> Result<Self, OtpError> {
        let ok = (1..=64).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        ok.then(|| Self(text.to_owned())).ok_or(OtpError::ChallengeId)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For ids this crate makes from a format it knows is valid.
    pub(crate) fn from_trusted(text: String) -> Self {
        debug_assert!(Self::parse(&text).is_ok(), "a made id must parse");
        Self(text)
    }
}

impl OtpCode {
    pub fn parse(text: &str) -> Result<Self, OtpError> {
        let text = text.trim();
        let ok = (4..=8).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| Self(text.to_owned())).ok_or(OtpError::Code)
    }

    /// For codes this crate makes from a format it knows is valid.
    pub(crate) fn from_trusted(text: String) -> Self {
        debug_assert!(Self::parse(&text).is_ok(), "a made code must parse");
        Self(text)
    }

    /// The digits. A secret: never log it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OtpCode(******)")
    }
}
