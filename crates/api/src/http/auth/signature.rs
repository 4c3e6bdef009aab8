//! The merchant request signature, version 2:
//! `hex(HMAC-SHA256(secret, "iou-v2" "\n" METHOD "\n" PATH_AND_QUERY "\n" TIMESTAMP "\n"
//! IDEMPOTENCY_KEY "\n" hex(SHA256(body))))`, sent as `X-Signature` with `X-Merchant-Id` and
//! `X-Timestamp` (unix seconds, accepted within [`WINDOW_SECONDS`] of the server's clock).
//! IDEMPOTENCY_KEY is the `Idempotency-Key` header exactly as sent (empty when there is none,
//! e.g. a GET). Verification compares in constant time. The first version (without the version
//! line and the key) is no longer accepted: it let a captured request be resent under a fresh
//! key. [`ReplayCache`] remembers the signatures seen inside the window.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub type HmacSha256 = Hmac<Sha256>;

/// How far a request's timestamp may be from the server's clock, either way.
pub const WINDOW_SECONDS: i64 = 300;

/// The first line of the signed text: the scheme's version.
pub const VERSION_LINE: &[u8] = b"iou-v2\n";

/// What a signature covers, besides the secret.
#[derive(Clone, Copy, Debug)]
pub struct Signed<'a> {
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub timestamp: &'a str,
    /// The `Idempotency-Key` header as sent; empty when absent.
    pub idempotency_key: &'a [u8],
    pub body_sha256: &'a [u8; 32],
}

/// The text a merchant signs.
fn write_canonical(mac: &mut HmacSha256, signed: &Signed<'_>) {
    let mut body_hex = [0u8; 64];
    // A 32-byte digest always fits 64 hex digits.
    let _ = hex::encode_to_slice(signed.body_sha256, &mut body_hex);
    mac.update(VERSION_LINE);
    mac.update(signed.method.as_bytes());
    mac.update(b"\n");
    mac.update(signed.path_and_query.as_bytes());
    mac.update(b"\n");
    mac.update(signed.timestamp.as_bytes());
    mac.update(b"\n");
    mac.update(signed.idempotency_key);
    mac.update(b"\n");
    mac.update(&body_hex);
}

/// A MAC keyed with a merchant's secret, kept per merchant so a request does not re-key it.
pub fn keyed(secret: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length.
    HmacSha256::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
}

/// The signature of a request, as a client computes it (the test suite, the simulator and the
/// load generator sign with this). `idempotency_key` is the header's value, `""` for none.
pub fn sign(
    secret: &[u8],
    method: &str,
    path_and_query: &str,
    timestamp: &str,
    idempotency_key: &str,
    body: &[u8],
) -> String {
    let mut mac = keyed(secret);
    let body_sha256: [u8; 32] = Sha256::digest(body).into();
    let signed = Signed {
        method,
        path_and_query,
        timestamp,
        idempotency_key: idempotency_key.as_bytes(),
        body_sha256: &body_sha256,
    };
    write_canonical(&mut mac, &signed);
    hex::encode(mac.finalize().into_bytes())
}

/// The 32 bytes of `signature_hex` when `signature_hex` signs the request (compared in constant
/// time), else `None`.
pub fn verify(keyed: &HmacSha256, signed: &Signed<'_>, signature_hex: &[u8]) -> Option<[u8; 32]> {
    let mut expected = [0u8; 32];
    if signature_hex.len() != 64 || hex::decode_to_slice(signature_hex, &mut expected).is_err() {
        return None;
    }
    let mut mac = keyed.clone();
    write_canonical(&mut mac, signed);
    mac.verify_slice(&expected).is_ok().then_some(expected)
}
