//! Idempotency keys: the `Idempotency-Key` header parsed and hashed once, the request's hash,
//! and the ids derived from a key.
//!
//! Every mutating route requires the header (1 to 255 visible ASCII characters). The engine
//! gets an [`engine::Idempotency`] whose `principal` is the caller's scope, `key` the key's
//! 128-bit hash and `request` the 128-bit hash of method, path and body: a retry gets the
//! stored reply, another request under the same key a conflict.
//!
//! Ids the shell must choose (a new account, a repayment's op id, a bill installment's plan
//! id) are derived from the caller's scope and key, so a retry names the same thing and the
//! engine recognizes it. Every key is claimed system-wide in the engine's `KeyClaims` first;
//! calls that never reach the engine keep their answer in the store's meta table (see `once`),
//! payment codes in memory (see `codes`).

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

use crate::http::error::{ApiError, ErrorCode};

pub const HEADER: &str = "idempotency-key";
const KEY_LEN_MAX: usize = 255;

/// A parsed key: the caller's scope and the two hashes the engine compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdemKey {
    pub scope: u64,
    pub key: u128,
    pub request: u128,
}

impl IdemKey {
    pub fn engine(self) -> engine::Idempotency {
        engine::Idempotency {
            principal: self.scope,
            key: self.key,
            request: self.request,
        }
    }

    /// A 64-bit id for `purpose`, the same for every retry under this key.
    pub fn derive(self, purpose: &str) -> u64 {
        let mut hash = Sha256::new();
        hash.update(purpose.as_bytes());
        hash.update(self.scope.to_be_bytes());
        hash.update(self.key.to_be_bytes());
        let digest = hash.finalize();
        u64::from_be_bytes(first_bytes(&digest))
    }

    /// The key of one engine call inside a call answered by `once` (which holds this key
    /// itself): a bulk freeze's account, a self-freeze. The same for every retry of the call.
    pub fn sub(self, purpose: &str, id: u64) -> IdemKey {
        let derive = |part: &str, value: u128| {
            let mut hash = Sha256::new();
            hash.update(purpose.as_bytes());
            hash.update(part.as_bytes());
            hash.update(value.to_be_bytes());
            hash.update(id.to_be_bytes());
            u128::from_be_bytes(first_bytes(&hash.finalize()))
        };
        IdemKey {
            scope: self.scope,
            key: derive("/key", self.key),
            request: derive("/request", self.request),
        }
    }
}

/// Reads the `Idempotency-Key` header.
pub fn key_hash(headers: &HeaderMap) -> Result<u128, ApiError> {
    let missing = || {
        ApiError::new(
            ErrorCode::IdempotencyKeyMissing,
            "this call needs an Idempotency-Key header",
        )
        .with_field("Idempotency-Key")
    };
    let value = headers.get(HEADER).ok_or_else(missing)?.as_bytes();
    let valid = !value.is_empty() && value.len() <= KEY_LEN_MAX && value.iter().all(|b| b.is_ascii_graphic());
    if !valid {
        return Err(ApiError::new(
            ErrorCode::IdempotencyKeyInvalid,
            "an Idempotency-Key is 1 to 255 visible ASCII characters",
        )
        .with_field("Idempotency-Key"));
    }
    let mut hash = Sha256::new();
    hash.update(b"idempotency-key\n");
    hash.update(value);
    Ok(u128::from_be_bytes(first_bytes(&hash.finalize())))
}

/// The hash that tells one request from another under the same key: method, path and query,
/// and the body's SHA-256 (already computed for the signature).
pub fn request_hash(method: &str, path_and_query: &str, body_sha256: &[u8; 32]) -> u128 {
    let mut hash = Sha256::new();
    hash.update(method.as_bytes());
    hash.update(b"\n");
    hash.update(path_and_query.as_bytes());
    hash.update(b"\n");
    hash.update(body_sha256);
    u128::from_be_bytes(first_bytes(&hash.finalize()))
}

fn first_bytes<const N: usize>(digest: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&digest[..N]);
    out
}
