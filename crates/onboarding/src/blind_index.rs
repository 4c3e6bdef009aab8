//! The blind index: a keyed hash (HMAC-SHA256, `vault::BlindKey`) of a normalized resident ID
//! number, and the account id derived from it (its first 63 bits), so that one ID number always
//! lands on one account. The key is the key provider's: whoever holds the data directory alone
//! can neither compute an index nor test a guessed ID number against one.

use std::fmt;

use credit::AccountId;
use identity::ResidentId;
use vault::{BlindKey, SecretKey};

/// The length of a blind-index key, in bytes.
pub const KEY_BYTES: usize = 32;

/// The kind an ID number's index is computed under (`vault::BlindKey::index`): the domain is
/// `iou/blind-index/resident-id/v1\0`, so the index of an ID number is never the index of
/// anything else.
const KIND: &str = "resident-id";

/// The blind-index key: the key provider's (`vault::Vault::blind`), never stored with the
/// data. A secret: `Debug` never prints it.
#[derive(Clone)]
pub struct BlindIndexKey(BlindKey);

/// The keyed hash of one normalized ID number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlindIndex([u8; 32]);

/// Why a key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("a blind-index key is {KEY_BYTES} bytes, this has {0}")]
    Length(usize),
    #[error("a blind-index key in hex has only the digits 0-9 and a-f, in pairs")]
    Hex,
}

impl BlindIndexKey {
    /// The key provider's blind-index key.
    pub fn new(key: BlindKey) -> BlindIndexKey {
        BlindIndexKey(key)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<BlindIndexKey, KeyError> {
        let bytes: [u8; KEY_BYTES] = bytes.try_into().map_err(|_| KeyError::Length(bytes.len()))?;
        Ok(BlindIndexKey(BlindKey::new(SecretKey::from_bytes(bytes))))
    }

    /// A key written as 64 hex digits (tests and benchmarks).
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
        BlindIndex(self.0.index(KIND, id.as_str().as_bytes()))
    }

    /// The account that holds the credit line of this ID number.
    pub fn account_of(&self, id: &ResidentId) -> AccountId {
        self.index(id).account()
    }
}

impl fmt::Debug for BlindIndexKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlindIndexKey({KEY_BYTES} bytes)")
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
