//! [`Vault`]: envelope encryption. Each sealed value has its own random data key (XChaCha20-
//! Poly1305, 24-byte random nonce), wrapped by the provider's current KEK. The sealed text is
//!
//! `iouv1.<kek id>.<base64url wrapped data key>.<base64url nonce || ciphertext || tag>`
//!
//! (the format version and the key id on every value). The data's AAD is the record it belongs
//! to ([`Aad`]: a kind and a record id), so a value copied into another record does not open.
//! [`Vault::rewrap`] moves a value to the current KEK by unwrapping and re-wrapping only its
//! data key: the data is never decrypted, and the text changes in its key id and wrapped key.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use crate::blind::BlindKey;
use crate::error::VaultError;
use crate::key::{SecretKey, random};
use crate::key_id::KeyId;
use crate::provider::KeyProvider;

/// What every sealed text starts with: the format and its version.
pub const PREFIX: &str = "iouv1.";
const DATA_DOMAIN: &[u8] = b"iou/vault/v1/data\0";
const NONCE_BYTES: usize = 24;
const TAG_BYTES: usize = 16;

/// The record a value belongs to: its kind (`customer_identity`, `merchant_secret`) and id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Aad(Vec<u8>);

impl Aad {
    pub fn new(kind: &str, record: &str) -> Aad {
        Aad([DATA_DOMAIN, kind.as_bytes(), b"\0", record.as_bytes()].concat())
    }
}

/// The parts of a sealed text.
struct Parts {
    key: KeyId,
    wrapped: Vec<u8>,
    data: Vec<u8>,
}

fn parse(text: &str) -> Result<Parts, VaultError> {
    let rest = text
        .strip_prefix(PREFIX)
        .ok_or(VaultError::Corrupt("no iouv1. prefix"))?;
    let mut parts = rest.split('.');
    let (Some(key), Some(wrapped), Some(data), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(VaultError::Corrupt("a sealed value has four dot-separated parts"));
    };
    let key = KeyId::parse(key).map_err(|_| VaultError::Corrupt("a sealed value's key id is not valid"))?;
    let decode = |part: &str| {
        B64.decode(part)
            .map_err(|_| VaultError::Corrupt("a sealed value is not base64url"))
    };
    let (wrapped, data) = (decode(wrapped)?, decode(data)?);
    if data.len() < NONCE_BYTES + TAG_BYTES {
        return Err(VaultError::Corrupt("a sealed value is too short"));
    }
    Ok(Parts { key, wrapped, data })
}

fn format(key: &KeyId, wrapped: &[u8], data: &[u8]) -> String {
    format!("{PREFIX}{key}.{}.{}", B64.encode(wrapped), B64.encode(data))
}

/// The KEK id a sealed text names.
pub fn key_id_of(text: &str) -> Result<KeyId, VaultError> {
    Ok(parse(text)?.key)
}

/// Envelope encryption and blind indexes with one key provider. Cheap to share (`Arc`).
#[derive(Debug)]
pub struct Vault {
    provider: Arc<dyn KeyProvider>,
    blind: BlindKey,
}

impl Vault {
    /// A vault over `provider`; fails if the provider has no blind-index key or its current KEK
    /// does not wrap and unwrap.
    pub fn new(provider: Arc<dyn KeyProvider>) -> Result<Vault, VaultError> {
        let blind = BlindKey::new(provider.blind_index_key()?);
        let vault = Vault { provider, blind };
        let probe = vault.seal(&Aad::new("vault", "probe"), b"probe")?;
        vault.open(&Aad::new("vault", "probe"), &probe)?;
        Ok(vault)
    }

    pub fn provider(&self) -> &Arc<dyn KeyProvider> {
        &self.provider
    }

    pub fn blind(&self) -> &BlindKey {
        &self.blind
    }

    /// Seals `plaintext` as part of the record `aad`, under a fresh data key.
    pub fn seal(&self, aad: &Aad, plaintext: &[u8]) -> Result<String, VaultError> {
        let data_key = SecretKey::generate()?;
        let (key, wrapped) = self.provider.wrap(&data_key)?;
        let nonce = random::<NONCE_BYTES>()?;
        let cipher = XChaCha20Poly1305::new(data_key.as_bytes().into());
        let payload = Payload {
            msg: plaintext,
            aad: &aad.0,
        };
        let sealed = cipher
            .encrypt(XNonce::from_slice(&nonce), payload)
            .map_err(|_| VaultError::Corrupt("encryption failed"))?;
        Ok(format(&key, &wrapped, &[nonce.as_slice(), &sealed].concat()))
    }

    /// Opens a value sealed for the record `aad`.
    pub fn open(&self, aad: &Aad, text: &str) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let parts = parse(text)?;
        let data_key = self.provider.unwrap(&parts.key, &parts.wrapped)?;
        let cipher = XChaCha20Poly1305::new(data_key.as_bytes().into());
        let (nonce, sealed) = parts.data.split_at(NONCE_BYTES);
        let payload = Payload {
            msg: sealed,
            aad: &aad.0,
        };
        let plain = cipher
            .decrypt(XNonce::from_slice(nonce), payload)
            .map_err(|_| VaultError::Tampered)?;
        Ok(Zeroizing::new(plain))
    }

    /// [`Vault::seal`] of a string.
    pub fn seal_str(&self, aad: &Aad, plaintext: &str) -> Result<String, VaultError> {
        self.seal(aad, plaintext.as_bytes())
    }

    /// [`Vault::open`] of a string.
    pub fn open_str(&self, aad: &Aad, text: &str) -> Result<Zeroizing<String>, VaultError> {
        let bytes = self.open(aad, text)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| VaultError::Corrupt("a sealed string is not UTF-8"))?;
        Ok(Zeroizing::new(text.to_owned()))
    }

    /// The value re-wrapped under the current KEK (the same text if it already is). The data
    /// is not decrypted: only its data key is unwrapped and wrapped again.
    pub fn rewrap(&self, text: &str) -> Result<String, VaultError> {
        let parts = parse(text)?;
        if parts.key == self.provider.current() {
            return Ok(text.to_owned());
        }
        let data_key = self.provider.unwrap(&parts.key, &parts.wrapped)?;
        let (key, wrapped) = self.provider.wrap(&data_key)?;
        Ok(format(&key, &wrapped, &parts.data))
    }

    /// Every sealed value inside `text` (a JSON record, say) re-wrapped under the current KEK,
    /// and how many changed. The rest of the text is kept byte for byte, so a store can rewrap
    /// every row without knowing any record's shape.
    pub fn rewrap_all(&self, text: &str) -> Result<(String, usize), VaultError> {
        let mut out = String::with_capacity(text.len());
        let mut changed = 0;
        let mut rest = text;
        while let Some(at) = rest.find(PREFIX) {
            out.push_str(&rest[..at]);
            let token_len = rest[at..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_'))
                .unwrap_or(rest.len() - at);
            let token = &rest[at..at + token_len];
            let rewrapped = self.rewrap(token)?;
            changed += usize::from(rewrapped != token);
            out.push_str(&rewrapped);
            rest = &rest[at + token_len..];
        }
        out.push_str(rest);
        Ok((out, changed))
    }

    /// A sealed value that a store keeps to be checked at every start with
    /// [`Vault::verify_key_check`]: it opens only with a KEK the provider holds, and holds the
    /// blind-index key's fingerprint.
    pub fn key_check(&self) -> Result<String, VaultError> {
        self.seal(&check_aad(), &self.blind.fingerprint())
    }

    /// Fails with the reason if this vault's keys are not the ones `check` was made with.
    pub fn verify_key_check(&self, check: &str) -> Result<(), VaultError> {
        let fingerprint = self.open(&check_aad(), check)?;
        if fingerprint.as_slice() != self.blind.fingerprint() {
            return Err(VaultError::BlindKeyMismatch);
        }
        Ok(())
    }
}

fn check_aad() -> Aad {
    Aad::new("vault", "key-check")
}
