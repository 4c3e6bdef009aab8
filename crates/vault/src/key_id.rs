//! [`KeyId`]: the name of a key-encryption key, written into every sealed value.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A text that is not a key id (the text, cut short).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("key id {0:?}: 1 to {KEY_ID_MAX_CHARS} of a-z, 0-9, _ and -")]
pub struct KeyIdError(pub String);

/// Longest key id, in characters.
pub const KEY_ID_MAX_CHARS: usize = 32;

/// The name of a key-encryption key: 1 to 32 of `a-z`, `0-9`, `_`, `-` (it is written into
/// every sealed value, between dots).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyId(String);

impl KeyId {
    pub fn parse(text: &str) -> Result<KeyId, KeyIdError> {
        let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-';
        if text.is_empty() || text.len() > KEY_ID_MAX_CHARS || !text.chars().all(ok) {
            return Err(KeyIdError(text.chars().take(KEY_ID_MAX_CHARS + 8).collect()));
        }
        Ok(KeyId(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for KeyId {
    type Error = KeyIdError;
    fn try_from(text: String) -> Result<KeyId, KeyIdError> {
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
