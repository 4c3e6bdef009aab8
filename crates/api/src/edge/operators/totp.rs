//! The second factor: time-based one-time passwords (RFC 6238 over RFC 4226's HOTP), the kind
//! authenticator apps make: HMAC-SHA1, 30-second steps, 6 digits. A code is accepted for the
//! step it was made in and the one before and after (clock drift), and each step only once
//! (the caller keeps the last step used).
//!
//! The secret is 20 random bytes, shown to the operator once as base32 and as an `otpauth://`
//! URI for a QR code. It is kept as it is in the operator's record: the key provider that will
//! encrypt it does not exist yet (ARCHITECTURE.md, "Operators").

use hmac::{Hmac, Mac};
use jiff::Timestamp;
use sha1::Sha1;
use subtle::ConstantTimeEq;

use crate::http::error::ApiError;

/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// Steps either side of now that are accepted.
const DRIFT_STEPS: i64 = 1;

/// A TOTP secret (the shared key).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    /// 20 random bytes (RFC 4226 recommends 160 bits).
    pub fn generate() -> Result<Secret, ApiError> {
        let mut bytes = vec![0u8; 20];
        getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
        Ok(Secret(bytes))
    }

    pub fn from_base32(text: &str) -> Option<Secret> {
        data_encoding::BASE32_NOPAD
            .decode(text.trim_end_matches('=').as_bytes())
            .ok()
            .filter(|b| !b.is_empty())
            .map(Secret)
    }

    /// The secret as base32 without padding (what apps accept typed in).
    pub fn base32(&self) -> String {
        data_encoding::BASE32_NOPAD.encode(&self.0)
    }

    /// The `otpauth://` URI an app reads from a QR code.
    pub fn uri(&self, issuer: &str, account: &str) -> String {
        format!(
            "otpauth://totp/{issuer}:{account}?secret={}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            self.base32()
        )
    }

    /// The code for time step `step` (RFC 4226 section 5.3, dynamic truncation).
    pub fn code_at_step(&self, step: u64) -> u32 {
        let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(&self.0) else {
            // HMAC takes a key of any length.
            return u32::MAX;
        };
        mac.update(&step.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        let offset = usize::from(digest[19] & 0x0f);
        let binary = u32::from_be_bytes([
            digest[offset],
            digest[offset + 1],
            digest[offset + 2],
            digest[offset + 3],
        ]) & 0x7fff_ffff;
        binary % 10u32.pow(DIGITS)
    }
}

/// The time step of `now`.
pub fn step_of(now: Timestamp) -> u64 {
    u64::try_from(now.as_second().div_euclid(STEP_SECONDS)).unwrap_or(0)
}

/// The step `code` was made in, if it is a code of `secret` for a step within the drift of
/// `now` and after `last_used` (a code works once).
pub fn check(secret: &Secret, code: &str, now: Timestamp, last_used: u64) -> Option<u64> {
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_of(now);
    let mut found = None;
    for delta in -DRIFT_STEPS..=DRIFT_STEPS {
        let Some(step) = now.checked_add_signed(delta) else {
            continue;
        };
        let expected = format!("{:0width$}", secret.code_at_step(step), width = DIGITS as usize);
        // Every candidate is compared, in constant time, so timing tells nothing of which.
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) && step > last_used {
            found = Some(step);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1: the key is ASCII "12345678901234567890"; 8-digit codes,
    /// whose last six digits are our 6-digit codes.
    #[test]
    fn the_rfc_6238_test_vectors() {
        let secret = Secret(b"12345678901234567890".to_vec());
        for (seconds, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            let step = step_of(Timestamp::from_second(seconds).unwrap());
            assert_eq!(format!("{:06}", secret.code_at_step(step)), eight[2..], "{seconds}");
        }
    }

    #[test]
    fn a_code_works_within_one_step_of_now_and_once() {
        let secret = Secret::generate().unwrap();
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let step = step_of(now);
        let code = |s: u64| format!("{:06}", secret.code_at_step(s));
        assert_eq!(check(&secret, &code(step), now, 0), Some(step));
        assert_eq!(check(&secret, &code(step - 1), now, 0), Some(step - 1));
        assert_eq!(check(&secret, &code(step + 1), now, 0), Some(step + 1));
        assert_eq!(check(&secret, &code(step + 2), now, 0), None);
        assert_eq!(check(&secret, &code(step), now, step), None, "used already");
        assert_eq!(check(&secret, "12345", now, 0), None);
        assert_eq!(check(&secret, "abcdef", now, 0), None);
    }

    #[test]
    fn base32_round_trips() {
        let secret = Secret::generate().unwrap();
        assert_eq!(Secret::from_base32(&secret.base32()), Some(secret.clone()));
        assert!(
            secret
                .uri("iou", "alice")
                .starts_with("otpauth://totp/iou:alice?secret=")
        );
    }
}
