//! Personal data at rest for iou.
//!
//! This crate owns:
//! - [`KeyProvider`]: where the key-encryption keys (KEKs, by id: one current, older ones kept
//!   for values sealed before a rotation) and the blind-index key come from: a key file
//!   ([`KeyFile`], mode 0600), the environment ([`file::from_env`], `IOU_KEYS`), or a KMS-style
//!   service that wraps and unwraps ([`kms`], with a simulator);
//! - [`Vault`]: envelope encryption (a random XChaCha20-Poly1305 data key per value, wrapped by
//!   the current KEK; format version and key id on every value; the record as AAD), `rewrap`
//!   for rotation without decrypting data, and the key check a store keeps so that a wrong key
//!   refuses to start;
//! - blind indexes ([`BlindKey`]): keyed HMAC-SHA256 lookups, per kind;
//! - masking ([`mask`]): one rule per kind of personal data.
//!
//! It must never know the store, HTTP, records' shapes, or any other crate of ours: callers
//! give it bytes and the record they belong to. Its only IO is reading and writing a key file;
//! it draws randomness from the operating system (keys and nonces), which places it outside
//! the deterministic core: `credit`, `risk` and the engine never call it.

mod blind;
mod envelope;
mod error;
pub mod file;
mod key;
mod key_id;
pub mod kms;
pub mod mask;
mod provider;

pub use blind::BlindKey;
pub use envelope::{Aad, PREFIX, Vault, key_id_of};
pub use error::VaultError;
pub use file::KeyFile;
pub use key::SecretKey;
pub use key_id::{KeyId, KeyIdError};
pub use provider::{KeyProvider, Keyring};
