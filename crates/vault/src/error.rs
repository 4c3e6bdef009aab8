//! [`VaultError`]: why a key could not be had or a sealed value could not be opened. A failure
//! concerns one record: the caller fails that record's read loudly and serves the rest.

use crate::key_id::{KeyId, KeyIdError};

/// Why the vault refused.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The sealed value names a key-encryption key the provider does not have.
    #[error("unknown key id {0}: the key provider does not hold this key-encryption key")]
    UnknownKeyId(KeyId),
    /// The key-encryption key did not open the wrapped data key: not the key it was sealed
    /// with, or the wrapped key was altered.
    #[error("the data key of a sealed value did not unwrap under key {0}: wrong key, or altered")]
    WrongKey(KeyId),
    /// The data did not authenticate: altered, or opened as another record's (wrong AAD).
    #[error("a sealed value did not authenticate: altered, or not this record's")]
    Tampered,
    /// The text is not a sealed value of a format this build reads.
    #[error("not a sealed value: {0}")]
    Corrupt(&'static str),
    /// A key id that is not valid (in a key file or the provider's configuration).
    #[error("key provider: {0}")]
    KeyId(#[from] KeyIdError),
    /// The key provider could not be read or is not valid.
    #[error("key provider: {0}")]
    Provider(String),
    /// The key provider answered with an error (a KMS outage).
    #[error("key provider unavailable: {0}")]
    Unavailable(String),
    /// The blind-index key is not the one the store was written with.
    #[error("the blind-index key is not the one this store's lookups were made with")]
    BlindKeyMismatch,
    /// The operating system gave no randomness.
    #[error("no randomness from the operating system: {0}")]
    Random(String),
}
