//! The signature of a provider's callback: `X-Provider-Timestamp: <unix seconds>` and
//! `X-Provider-Signature: hex(HMAC-SHA256(secret, timestamp + "." + body))` over the exact body
//! bytes. The receiver refuses a timestamp more than [`WINDOW_SECONDS`] from its clock and
//! compares in constant time.
//!
//! Merchant payout callbacks sign everything that changes their meaning ([`sign_request`]):
//! `hex(HMAC-SHA256(secret, timestamp "\n" METHOD "\n" path "\n" body))`, so a signature
//! for one route or method is no signature for another. Replays within the window are the
//! receiver's to refuse (it remembers the signatures it accepted).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub const TIMESTAMP_HEADER: &str = "x-provider-timestamp";
pub const SIGNATURE_HEADER: &str = "x-provider-signature";
/// How far a callback's timestamp may be from the receiver's clock, either way.
pub const WINDOW_SECONDS: i64 = 300;

fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The signature a provider sends (lower-case hex).
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
}

fn request_mac(secret: &[u8], method: &str, path: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    for part in [timestamp, method, path] {
        mac.update(part.as_bytes());
        mac.update(b"\n");
    }
    mac.update(body);
    mac
}

/// The signature of a request to us (lower-case hex): method, path, timestamp and body.
pub fn sign_request(secret: &[u8], method: &str, path: &str, timestamp: &str, body: &[u8]) -> String {
    hex::encode(
        request_mac(secret, method, path, timestamp, body)
            .finalize()
            .into_bytes(),
    )
}

/// What a signed request is: its method and path as received, its timestamp and signature
/// headers, and its exact body bytes.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a [u8]>,
    pub body: &'a [u8],
}

/// Checks a [`sign_request`] signature: the timestamp within the window of `now_seconds`,
/// then the signature in constant time.
pub fn verify_request(secret: &[u8], request: SignedRequest<'_>, now_seconds: i64) -> Result<(), SignatureError> {
    let timestamp = fresh(request.timestamp, now_seconds)?;
    let given = request
        .signature
        .and_then(|s| hex::decode(s).ok())
        .ok_or(SignatureError::Signature)?;
    let wanted = request_mac(secret, request.method, request.path, timestamp, request.body)
        .finalize()
        .into_bytes();
    if bool::from(wanted.as_slice().ct_eq(&given)) {
        Ok(())
    } else {
        Err(SignatureError::Signature)
    }
}

fn fresh(timestamp: Option<&str>, now_seconds: i64) -> Result<&str, SignatureError> {
    let timestamp = timestamp.ok_or(SignatureError::Timestamp)?;
    let seconds: i64 = timestamp.parse().map_err(|_| SignatureError::Timestamp)?;
    if now_seconds.abs_diff(seconds) > WINDOW_SECONDS.unsigned_abs() {
        return Err(SignatureError::Timestamp);
    }
    Ok(timestamp)
}

/// Why a callback's signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the timestamp is missing, not unix seconds, or outside the window")]
    Timestamp,
    #[error("the signature does not sign this body")]
    Signature,
}

/// Checks a callback: the timestamp within the window of `now_seconds`, then the signature in
/// constant time.
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&[u8]>,
    body: &[u8],
    now_seconds: i64,
) -> Result<(), SignatureError> {
    let timestamp = fresh(timestamp, now_seconds)?;
    let given = signature
        .and_then(|s| hex::decode(s).ok())
        .ok_or(SignatureError::Signature)?;
    let wanted = mac(secret, timestamp, body).finalize().into_bytes();
    if bool::from(wanted.as_slice().ct_eq(&given)) {
        Ok(())
    } else {
        Err(SignatureError::Signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_signature_covers_method_path_timestamp_and_body() {
        let body = br#"{"payout_id":"m7-20513","status":"paid"}"#;
        let path = "/v1/providers/merchant-payouts/callback";
        let signature = sign_request(b"secret", "POST", path, "1772330400", body);
        let check = |method: &str, path: &str, ts: &str, body: &[u8], now| {
            let request = SignedRequest {
                method,
                path,
                timestamp: Some(ts),
                signature: Some(signature.as_bytes()),
                body,
            };
            verify_request(b"secret", request, now)
        };
        assert_eq!(check("POST", path, "1772330400", body, 1_772_330_400), Ok(()));
        assert_eq!(
            check("PUT", path, "1772330400", body, 1_772_330_400),
            Err(SignatureError::Signature)
        );
        assert_eq!(
            check(
                "POST",
                "/v1/providers/payouts/callback",
                "1772330400",
                body,
                1_772_330_400
            ),
            Err(SignatureError::Signature)
        );
        assert_eq!(
            check("POST", path, "1772330401", body, 1_772_330_401),
            Err(SignatureError::Signature)
        );
        assert_eq!(
            check("POST", path, "1772330400", b"{}", 1_772_330_400),
            Err(SignatureError::Signature)
        );
        assert_eq!(
            check("POST", path, "1772330400", body, 1_772_330_701),
            Err(SignatureError::Timestamp)
        );
        // The body-only signature of the older callbacks is not this one.
        assert_ne!(sign(b"secret", "1772330400", body), signature);
    }

    #[test]
    fn a_signed_body_verifies_and_any_change_does_not() {
        let body = br#"{"funding_id":"257","status":"settled"}"#;
        let signature = sign(b"secret", "1772330400", body);
        let check =
            |ts: &str, sig: &str, body: &[u8], now| verify(b"secret", Some(ts), Some(sig.as_bytes()), body, now);
        assert_eq!(check("1772330400", &signature, body, 1_772_330_400), Ok(()));
        assert_eq!(check("1772330400", &signature, body, 1_772_330_700), Ok(()));
        assert_eq!(
            check("1772330400", &signature, body, 1_772_330_701),
            Err(SignatureError::Timestamp)
        );
        assert_eq!(
            check("1772330401", &signature, body, 1_772_330_400),
            Err(SignatureError::Signature)
        );
        assert_eq!(
            check("1772330400", &signature, b"{}", 1_772_330_400),
            Err(SignatureError::Signature)
        );
        assert_eq!(
            check("1772330400", "zz", body, 1_772_330_400),
            Err(SignatureError::Signature)
        );
        assert_eq!(
            verify(
                b"other",
                Some("1772330400"),
                Some(signature.as_bytes()),
                body,
                1_772_330_400
            ),
            Err(SignatureError::Signature)
        );
        assert_eq!(
            verify(b"secret", None, Some(signature.as_bytes()), body, 1_772_330_400),
            Err(SignatureError::Timestamp)
        );
    }
}
