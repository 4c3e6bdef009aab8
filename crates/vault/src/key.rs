//! Key material: [`KeyId`] (the name a sealed value carries), [`SecretKey`] (32 bytes, zeroed
//! when dropped, never printed), and drawing random bytes from the operating system.

use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::error::VaultError;

/// Longest key id, in characters.
pub const KEY_ID_MAX_CHARS: usize = 32;

/// The name of a key-encryption key: 1 to 32 of `a-z`, `0-9`, `_`, `-` (it is written into
/// every sealed value, between dots).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyId(String);

impl KeyId {
    pub fn parse(text: &str) -> Result<KeyId, VaultError> {
        let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-';
        if text.is_empty() || text.len() > KEY_ID_MAX_CHARS || !text.chars().all(ok) {
            return Err(VaultError::Provider(format!(
                "key id {text:?}: 1 to {KEY_ID_MAX_CHARS} of a-z, 0-9, _ and -"
            )));
        }
        Ok(KeyId(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for KeyId {
    type Error = VaultError;
    fn try_from(text: String) -> Result<KeyId, VaultError> {
        KeyId::parse(&text)
    }
}

impl From<KeyId> for String {
    fn from(id: KeyId) -> String {
        id.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// 32 bytes of key material. Zeroed when dropped; `Debug` shows no byte of it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey([u8; 32]);

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl SecretKey {
    pub fn from_bytes(bytes: [u8; 32]) -> SecretKey {
        SecretKey(bytes)
    }

    /// 32 fresh bytes from the operating system.
    pub fn generate() -> Result<SecretKey, VaultError> {
        Ok(SecretKey(random::<32>()?))
    }

    /// 64 hex digits, as key files and environment variables hold keys.
    pub fn from_hex(text: &str) -> Result<SecretKey, VaultError> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut bytes)
            .map_err(|_| VaultError::Provider("a key is 64 hex digits (32 bytes)".into()))?;
        Ok(SecretKey(bytes))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

/// `N` random bytes from the operating system (this crate is outside the deterministic core).
pub fn random<const N: usize>() -> Result<[u8; N], VaultError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| VaultError::Random(e.to_string()))?;
    Ok(out)
}
