//! The blind index: a keyed hash (HMAC-SHA256) of a normalized resident ID number, and the
//! account id derived from it, so that one ID number always lands on one account.

use std::fmt;

use credit::AccountId;
use hmac::{Hmac, Mac};
use identity::ResidentId;
use sha2::Sha256;

/// Shortest key accepted, in bytes (HMAC-SHA256 keys shorter than the hash weaken it).
pub const KEY_BYTES_MIN: usize = 32;
/// Longest key accepted, in bytes (one SHA-256 block).
pub const KEY_BYTES_MAX: usize = 64;

/// Domain separation: the index of an ID number is never the index of anything else.
const DOMAIN: &[u8] = b"iou/blind-index/resident-id/v1\0";

/// The server's blind-index key. A secret: `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct BlindIndexKey(Vec<u8>);

/// The keyed hash of one normalized ID number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlindIndex([u8; 32]);

/// Why a key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("a blind-index key is {KEY_BYTES_MIN} to {KEY_BYTES_MAX} bytes, this has {0}")]
    Length(usize),
    #[error("a blind-index key in hex has only the digits 0-9 and a-f, in pairs")]
    Hex,
}

impl BlindIndexKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<BlindIndexKey, KeyError> {
        if !(KEY_BYTES_MIN..=KEY_BYTES_MAX).contains(&bytes.len()) {
            return Err(KeyError::Length(bytes.len()));
        }
        Ok(BlindIndexKey(bytes.to_vec()))
    }

    /// A key written as hex (64 to 128 digits), as config files and environment variables hold it.
    pub fn from_hex(text: &str) -> Result<BlindIndexKey, KeyError> {
        let text = text.trim();
        if !text.len().is_multiple_of(2) {
            return Err(KeyError::Hex);
        }
        let digit = |b: u8| (b as char).to_digit(16).ok_or(KeyError::Hex);
        let bytes = text
            .as_bytes()
            .chunks(2)
            .map(|pair| Ok((digit(pair[0])? * 16 + digit(pair[1])?) as u8))
            .collect::<Result<Vec<u8>, KeyError>>()?;
        BlindIndexKey::from_bytes(&bytes)
    }

    /// The blind index of an ID number. [`ResidentId`] is already normalized (18 characters,
    /// uppercase `X`), so every spelling of one number has one index.
    pub fn index(&self, id: &ResidentId) -> BlindIndex {
        // HMAC takes a key of any length; the length was checked at construction.
        let mut mac = <Hmac<Sha256>>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
        mac.update(DOMAIN);
        mac.update(id.as_str().as_bytes());
        BlindIndex(mac.finalize().into_bytes().into())
    }

    /// The account that holds the credit line of this ID number.
    pub fn account_of(&self, id: &ResidentId) -> AccountId {
        self.index(id).account()
    }
}

impl fmt::Debug for BlindIndexKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlindIndexKey({} bytes)", self.0.len())
    }
}

impl BlindIndex {
    /// The account id: the first 8 bytes, big-endian, with the top bit cleared (ids fit an SQL
    /// `BIGINT`) and 0 moved to 1 (0 means "no account" in some places).
    pub fn account(&self) -> AccountId {
        let mut first = [0u8; 8];
        first.copy_from_slice(&self.0[..8]);
        AccountId((u64::from_be_bytes(first) & (u64::MAX >> 1)).max(1))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for BlindIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlindIndex({}..)", &self.to_hex()[..12])
    }
}
