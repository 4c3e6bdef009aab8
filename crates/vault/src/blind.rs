//! Blind indexes: `HMAC-SHA256(blind-index key, "iou/blind-index/<kind>/v1\0" || value)`, so
//! a value can be looked up by equality without being stored, and nobody without the key can
//! compute (or enumerate) an index. The key is the key provider's own, never a KEK, and never
//! in the data directory.
//!
//! Length: [`BlindKey::index`] gives all 32 bytes; a caller truncates where a collision is
//! acceptable and says so. Onboarding keeps 63 bits as the account id (a collision between two
//! ID numbers, about 5 in 10,000 at 100 million customers, is caught by the full index kept
//! with the application and sent to review) and the full 256 bits in the application record.
//! Truncating further would not make the index safer to keep: without the key, even a short
//! index is no oracle for guesses.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::key::SecretKey;

/// The blind-index key. `Debug` prints no byte of it.
#[derive(Clone, Debug)]
pub struct BlindKey(SecretKey);

/// The domain of the key check (a keyed hash of nothing, kept sealed: see `Vault::key_check`).
const CHECK_KIND: &str = "key-check";

impl BlindKey {
    pub fn new(key: SecretKey) -> BlindKey {
        BlindKey(key)
    }

    /// The index of `value` among values of `kind` (`resident-id`, `mobile`, ...): indexes of
    /// different kinds never coincide by construction.
    pub fn index(&self, kind: &str, value: &[u8]) -> [u8; 32] {
        // HMAC takes a key of any length.
        let mut mac =
            <Hmac<Sha256>>::new_from_slice(self.0.as_bytes()).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
        mac.update(b"iou/blind-index/");
        mac.update(kind.as_bytes());
        mac.update(b"/v1\0");
        mac.update(value);
        mac.finalize().into_bytes().into()
    }

    /// What tells this key from another, kept only sealed (so a wrong blind-index key is
    /// refused at start instead of silently breaking lookups).
    pub fn fingerprint(&self) -> [u8; 32] {
        self.index(CHECK_KIND, b"")
    }
}
