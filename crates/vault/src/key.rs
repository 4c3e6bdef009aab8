//! Key material: [`SecretKey`] (32 bytes, zeroed when dropped, never printed), and drawing
//! random bytes from the operating system. Key names are [`crate::key_id::KeyId`].

use std::fmt;

use zeroize::Zeroize;

use crate::error::VaultError;

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
