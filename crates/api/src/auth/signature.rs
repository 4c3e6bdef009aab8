//! The merchant request signature:
//! `hex(HMAC-SHA256(secret, METHOD "\n" PATH_AND_QUERY "\n" TIMESTAMP "\n" hex(SHA256(body))))`,
//! sent as `X-Signature` with `X-Merchant-Id` and `X-Timestamp` (unix seconds, accepted within
//! [`WINDOW_SECONDS`] of the server's clock). Verification compares in constant time.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub type HmacSha256 = Hmac<Sha256>;

/// How far a request's timestamp may be from the server's clock, either way.
pub const WINDOW_SECONDS: i64 = 300;

/// The text a merchant signs.
fn write_canonical(mac: &mut HmacSha256, method: &str, path_and_query: &str, timestamp: &str, body_sha256: &[u8; 32]) {
    let mut body_hex = [0u8; 64];
    // A 32-byte digest always fits 64 hex digits.
    let _ = hex::encode_to_slice(body_sha256, &mut body_hex);
    mac.update(method.as_bytes());
    mac.update(b"\n");
    mac.update(path_and_query.as_bytes());
    mac.update(b"\n");
    mac.update(timestamp.as_bytes());
    mac.update(b"\n");
    mac.update(&body_hex);
}

/// A MAC keyed with a merchant's secret, kept per merchant so a request does not re-key it.
pub fn keyed(secret: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length.
    HmacSha256::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
}

/// The signature of a request, as a client computes it (the test suite, the simulator and the
/// load generator sign with this).
pub fn sign(secret: &[u8], method: &str, path_and_query: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = keyed(secret);
    let body_sha256: [u8; 32] = Sha256::digest(body).into();
    write_canonical(&mut mac, method, path_and_query, timestamp, &body_sha256);
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `signature_hex` signs the request, compared in constant time.
pub fn verify(
    keyed: &HmacSha256,
    method: &str,
    path_and_query: &str,
    timestamp: &str,
    body_sha256: &[u8; 32],
    signature_hex: &[u8],
) -> bool {
    let mut expected = [0u8; 32];
    if signature_hex.len() != 64 || hex::decode_to_slice(signature_hex, &mut expected).is_err() {
        return false;
    }
    let mut mac = keyed.clone();
    write_canonical(&mut mac, method, path_and_query, timestamp, body_sha256);
    mac.verify_slice(&expected).is_ok()
}
