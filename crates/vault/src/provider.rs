//! [`KeyProvider`]: where the key-encryption keys (KEKs) and the blind-index key come from,
//! and [`Keyring`]: keys held in this process (read from a key file or the environment), which
//! wraps data keys itself with XChaCha20-Poly1305.
//!
//! A provider wraps and unwraps data keys rather than handing out KEKs, so a KMS (whose keys
//! never leave it) fits the same trait (`kms`). Older KEKs stay in the provider after a rotation
//! so values sealed before it still open; `Vault::rewrap` moves them to the current one.

use std::collections::BTreeMap;
use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};

use crate::error::VaultError;
use crate::key::{SecretKey, random};
use crate::key_id::KeyId;

/// The AAD of a wrapped data key: the format and the KEK's id (a wrapped key moved under
/// another id does not unwrap).
const WRAP_DOMAIN: &[u8] = b"iou/vault/v1/data-key\0";
const NONCE_BYTES: usize = 24;

/// Where keys come from. Implementations: [`Keyring`] (in memory, from a key file or the
/// environment), `KeyFile` (a key file, re-read when a value names a key it lacks),
/// `KmsKeys` (a KMS-style service that wraps and unwraps).
pub trait KeyProvider: Send + Sync + fmt::Debug {
    /// The KEK new data keys are wrapped under.
    fn current(&self) -> KeyId;
    /// Wraps a data key under the current KEK: its id and the wrapped bytes.
    fn wrap(&self, data_key: &SecretKey) -> Result<(KeyId, Vec<u8>), VaultError>;
    /// Unwraps a data key wrapped under KEK `id`.
    fn unwrap(&self, id: &KeyId, wrapped: &[u8]) -> Result<SecretKey, VaultError>;
    /// The blind-index key (its own key, never a KEK).
    fn blind_index_key(&self) -> Result<SecretKey, VaultError>;
}

/// Keys held in this process: KEKs by id (one current) and the blind-index key.
#[derive(Clone)]
pub struct Keyring {
    current: KeyId,
    keks: BTreeMap<KeyId, SecretKey>,
    blind: SecretKey,
}

/// The text form of a [`Keyring`] (a key file's content, or `IOU_KEYS`).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyringText {
    version: u32,
    current: KeyId,
    keks: BTreeMap<KeyId, String>,
    blind_index: String,
}

impl Keyring {
    /// A keyring of one KEK (`k1`) and a blind-index key, all fresh from the OS.
    pub fn generate() -> Result<Keyring, VaultError> {
        let current = KeyId::parse("k1")?;
        let keks = BTreeMap::from([(current.clone(), SecretKey::generate()?)]);
        Ok(Keyring {
            current,
            keks,
            blind: SecretKey::generate()?,
        })
    }

    /// A keyring from given keys (tests, and the KMS simulator).
    pub fn new(current: KeyId, keks: BTreeMap<KeyId, SecretKey>, blind: SecretKey) -> Result<Keyring, VaultError> {
        if !keks.contains_key(&current) {
            return Err(VaultError::Provider(format!(
                "the current key {current} is not among the keys"
            )));
        }
        Ok(Keyring { current, keks, blind })
    }

    /// Adds a fresh KEK and makes it current (older ones stay, to open older values). Its id
    /// is `k<n+1>` for the highest `k<n>` held.
    pub fn rotate(&mut self) -> Result<KeyId, VaultError> {
        let highest = self
            .keks
            .keys()
            .filter_map(|id| id.as_str().strip_prefix('k')?.parse::<u64>().ok())
            .max()
            .unwrap_or(0);
        let id = KeyId::parse(&format!("k{}", highest + 1))?;
        self.keks.insert(id.clone(), SecretKey::generate()?);
        self.current = id.clone();
        Ok(id)
    }

    pub fn ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keks.keys()
    }

    /// Parses the JSON text of a key file.
    pub fn from_json(text: &str) -> Result<Keyring, VaultError> {
        let parsed: KeyringText =
            serde_json::from_str(text).map_err(|e| VaultError::Provider(format!("not a key file: {e}")))?;
        if parsed.version != 1 {
            return Err(VaultError::Provider(format!(
                "key file version {} (this build reads 1)",
                parsed.version
            )));
        }
        let keks = parsed
            .keks
            .into_iter()
            .map(|(id, hex)| Ok((id, SecretKey::from_hex(&hex)?)))
            .collect::<Result<BTreeMap<_, _>, VaultError>>()?;
        Keyring::new(parsed.current, keks, SecretKey::from_hex(&parsed.blind_index)?)
    }

    /// The JSON text of a key file (holds every key in hex: keep it secret).
    pub fn to_json(&self) -> String {
        let text = KeyringText {
            version: 1,
            current: self.current.clone(),
            keks: self.keks.iter().map(|(id, key)| (id.clone(), key.to_hex())).collect(),
            blind_index: self.blind.to_hex(),
        };
        let mut json = serde_json::to_string_pretty(&text).unwrap_or_default();
        json.push('\n');
        json
    }

    pub(crate) fn has(&self, id: &KeyId) -> bool {
        self.keks.contains_key(id)
    }

    pub(crate) fn kek(&self, id: &KeyId) -> Result<&SecretKey, VaultError> {
        self.keks.get(id).ok_or_else(|| VaultError::UnknownKeyId(id.clone()))
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current)
            .field("keks", &self.keks.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn wrap_aad(id: &KeyId) -> Vec<u8> {
    [WRAP_DOMAIN, id.as_str().as_bytes()].concat()
}

/// Wraps `data_key` under `kek` (named `id`): a fresh 24-byte nonce, then the AEAD output.
pub(crate) fn wrap_with(kek: &SecretKey, id: &KeyId, data_key: &SecretKey) -> Result<Vec<u8>, VaultError> {
    let cipher = XChaCha20Poly1305::new(kek.as_bytes().into());
    let nonce = random::<NONCE_BYTES>()?;
    let aad = wrap_aad(id);
    let payload = Payload {
        msg: data_key.as_bytes(),
        aad: &aad,
    };
    let sealed = cipher
        .encrypt(XNonce::from_slice(&nonce), payload)
        .map_err(|_| VaultError::Corrupt("wrapping failed"))?;
    Ok([nonce.as_slice(), &sealed].concat())
}

/// Unwraps what [`wrap_with`] made.
pub(crate) fn unwrap_with(kek: &SecretKey, id: &KeyId, wrapped: &[u8]) -> Result<SecretKey, VaultError> {
    if wrapped.len() != NONCE_BYTES + 32 + 16 {
        return Err(VaultError::Corrupt("a wrapped data key has the wrong length"));
    }
    let cipher = XChaCha20Poly1305::new(kek.as_bytes().into());
    let (nonce, sealed) = wrapped.split_at(NONCE_BYTES);
    let aad = wrap_aad(id);
    let payload = Payload { msg: sealed, aad: &aad };
    let plain = zeroize::Zeroizing::new(
        cipher
            .decrypt(XNonce::from_slice(nonce), payload)
            .map_err(|_| VaultError::WrongKey(id.clone()))?,
    );
    let bytes: [u8; 32] = plain
        .as_slice()
        .try_into()
        .map_err(|_| VaultError::Corrupt("a data key is not 32 bytes"))?;
    Ok(SecretKey::from_bytes(bytes))
}

impl KeyProvider for Keyring {
    fn current(&self) -> KeyId {
        self.current.clone()
    }

    fn wrap(&self, data_key: &SecretKey) -> Result<(KeyId, Vec<u8>), VaultError> {
        let kek = self.kek(&self.current)?;
        Ok((self.current.clone(), wrap_with(kek, &self.current, data_key)?))
    }

    fn unwrap(&self, id: &KeyId, wrapped: &[u8]) -> Result<SecretKey, VaultError> {
        unwrap_with(self.kek(id)?, id, wrapped)
    }

    fn blind_index_key(&self) -> Result<SecretKey, VaultError> {
        Ok(self.blind.clone())
    }
}
