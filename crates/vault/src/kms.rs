//! The KMS shape: a key service that holds the KEKs and wraps and unwraps data keys itself
//! (the KEKs never reach this process). [`KmsClient`] is the whole contract; [`KmsKeys`] is the
//! [`KeyProvider`] over it; [`SimulatedKms`] is an in-process service for tests.
//!
//! The HTTP protocol an adapter speaks (one JSON POST each, base64 bodies; a KMS's MAC
//! operation is not used: the blind-index key is delivered wrapped and unwrapped once at start):
//! - `POST {base}/v1/keys/{key_id}/wrap` `{"plaintext": b64}` -> `{"ciphertext": b64}`
//! - `POST {base}/v1/keys/{key_id}/unwrap` `{"ciphertext": b64}` -> `{"plaintext": b64}`
//!
//! No HTTP adapter is built yet: this crate stays below `identity` (whose `HttpProvider` is
//! the client such an adapter would use, async, in the shell). The trait is synchronous because
//! the stores that seal values write under a lock on a blocking thread.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::VaultError;
use crate::key::SecretKey;
use crate::key_id::KeyId;
use crate::provider::{KeyProvider, Keyring, unwrap_with, wrap_with};

/// A key service: wraps and unwraps bytes under a key it holds.
pub trait KmsClient: Send + Sync + std::fmt::Debug {
    fn wrap(&self, key: &KeyId, plaintext: &[u8]) -> Result<Vec<u8>, VaultError>;
    fn unwrap(&self, key: &KeyId, ciphertext: &[u8]) -> Result<Vec<u8>, VaultError>;
}

/// A [`KeyProvider`] over a [`KmsClient`]: data keys wrapped under `current` by the service;
/// the blind-index key unwrapped once, at construction, from its wrapped form (configuration,
/// never the data directory).
#[derive(Debug)]
pub struct KmsKeys<C: KmsClient> {
    client: C,
    current: KeyId,
    blind: SecretKey,
}

impl<C: KmsClient> KmsKeys<C> {
    pub fn new(client: C, current: KeyId, blind_wrapped: &[u8], blind_key: &KeyId) -> Result<KmsKeys<C>, VaultError> {
        let plain = zeroize::Zeroizing::new(client.unwrap(blind_key, blind_wrapped)?);
        let bytes: [u8; 32] = plain
            .as_slice()
            .try_into()
            .map_err(|_| VaultError::Provider("the blind-index key is not 32 bytes".into()))?;
        Ok(KmsKeys {
            client,
            current,
            blind: SecretKey::from_bytes(bytes),
        })
    }

    pub fn client(&self) -> &C {
        &self.client
    }
}

impl<C: KmsClient> KeyProvider for KmsKeys<C> {
    fn current(&self) -> KeyId {
        self.current.clone()
    }

    fn wrap(&self, data_key: &SecretKey) -> Result<(KeyId, Vec<u8>), VaultError> {
        Ok((
            self.current.clone(),
            self.client.wrap(&self.current, data_key.as_bytes())?,
        ))
    }

    fn unwrap(&self, id: &KeyId, wrapped: &[u8]) -> Result<SecretKey, VaultError> {
        let plain = zeroize::Zeroizing::new(self.client.unwrap(id, wrapped)?);
        let bytes: [u8; 32] = plain
            .as_slice()
            .try_into()
            .map_err(|_| VaultError::Corrupt("a data key is not 32 bytes"))?;
        Ok(SecretKey::from_bytes(bytes))
    }

    fn blind_index_key(&self) -> Result<SecretKey, VaultError> {
        Ok(self.blind.clone())
    }
}

/// An in-process key service over a [`Keyring`], counting its calls (a test can see that a
/// rewrap or a read went to the service). `down` makes every call fail as an outage would.
#[derive(Debug)]
pub struct SimulatedKms {
    ring: Keyring,
    calls: AtomicU64,
    down: std::sync::atomic::AtomicBool,
}

impl SimulatedKms {
    pub fn new(ring: Keyring) -> SimulatedKms {
        SimulatedKms {
            ring,
            calls: AtomicU64::new(0),
            down: Default::default(),
        }
    }

    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::Relaxed);
    }

    /// Counts a call and answers with the KEK `id`, or the outage.
    fn kek(&self, id: &KeyId) -> Result<&SecretKey, VaultError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if self.down.load(Ordering::Relaxed) {
            return Err(VaultError::Unavailable("the key service does not answer".into()));
        }
        self.ring.kek(id)
    }
}

impl KmsClient for SimulatedKms {
    fn wrap(&self, key: &KeyId, plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
        let data: [u8; 32] = plaintext
            .try_into()
            .map_err(|_| VaultError::Provider("the simulator wraps 32-byte keys only".into()))?;
        let kek = self.kek(key)?;
        wrap_with(kek, key, &SecretKey::from_bytes(data))
    }

    fn unwrap(&self, key: &KeyId, ciphertext: &[u8]) -> Result<Vec<u8>, VaultError> {
        let kek = self.kek(key)?;
        Ok(unwrap_with(kek, key, ciphertext)?.as_bytes().to_vec())
    }
}
