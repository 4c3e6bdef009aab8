//! The key file and the environment: [`KeyFile`] (a JSON key file, mode 0600 on unix, re-read
//! when a sealed value names a key it does not hold yet, so `iou keys rotate` needs no
//! restart), [`create`] and [`rotate`] for `iou keys`, and [`from_env`].
//!
//! The file (`Keyring::to_json`):
//! `{"version": 1, "current": "k2", "keks": {"k1": "<64 hex>", "k2": "<64 hex>"}, "blind_index": "<64 hex>"}`.
//! It must not live in the data directory: whoever has the data directory alone must not have it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use crate::error::VaultError;
use crate::key::SecretKey;
use crate::key_id::KeyId;
use crate::provider::{KeyProvider, Keyring};

/// The environment variable that may hold a key file's text instead of a file.
pub const KEYS_ENV: &str = "IOU_KEYS";

/// A key file, read at start and again when a value names a key it lacks.
#[derive(Debug)]
pub struct KeyFile {
    path: PathBuf,
    ring: RwLock<Keyring>,
}

fn io(path: &Path, error: std::io::Error) -> VaultError {
    VaultError::Provider(format!("key file {}: {error}", path.display()))
}

/// Reads and checks a key file: on unix it must be readable by its owner only (0600 or 0400).
pub fn read(path: &Path) -> Result<Keyring, VaultError> {
    check_mode(path)?;
    let text = std::fs::read_to_string(path).map_err(|e| io(path, e))?;
    Keyring::from_json(&text).map_err(|e| VaultError::Provider(format!("key file {}: {e}", path.display())))
}

#[cfg(unix)]
fn check_mode(path: &Path) -> Result<(), VaultError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).map_err(|e| io(path, e))?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(VaultError::Provider(format!(
            "key file {} has mode {:o}: it must be readable by its owner only (chmod 600)",
            path.display(),
            mode & 0o777
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(_path: &Path) -> Result<(), VaultError> {
    Ok(())
}

/// Writes `ring` to a new file at `path` (mode 0600); refuses to overwrite one.
pub fn create(path: &Path, ring: &Keyring) -> Result<(), VaultError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| io(path, e))?;
    file.write_all(ring.to_json().as_bytes()).map_err(|e| io(path, e))?;
    file.sync_all().map_err(|e| io(path, e))
}

/// Adds a fresh KEK to the key file at `path` and makes it current, replacing the file
/// atomically (a temporary file of mode 0600, synced, then renamed). Returns the keyring.
pub fn rotate(path: &Path) -> Result<(KeyId, Keyring), VaultError> {
    let mut ring = read(path)?;
    let id = ring.rotate()?;
    let temporary = path.with_extension("rotating");
    let _ = std::fs::remove_file(&temporary);
    create(&temporary, &ring)?;
    std::fs::rename(&temporary, path).map_err(|e| io(path, e))?;
    Ok((id, ring))
}

/// A keyring from the text of [`KEYS_ENV`], if it is set.
pub fn from_env() -> Result<Option<Keyring>, VaultError> {
    match std::env::var(KEYS_ENV) {
        Ok(text) if !text.trim().is_empty() => Keyring::from_json(&text)
            .map(Some)
            .map_err(|e| VaultError::Provider(format!("{KEYS_ENV}: {e}"))),
        _ => Ok(None),
    }
}

impl KeyFile {
    pub fn open(path: &Path) -> Result<KeyFile, VaultError> {
        Ok(KeyFile {
            ring: RwLock::new(read(path)?),
            path: path.to_owned(),
        })
    }

    fn ring(&self) -> std::sync::RwLockReadGuard<'_, Keyring> {
        self.ring.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Re-reads the file if it now holds `id` (a rotation while serving).
    fn reload_for(&self, id: &KeyId) -> Result<(), VaultError> {
        let fresh = read(&self.path)?;
        if !fresh.has(id) {
            return Err(VaultError::UnknownKeyId(id.clone()));
        }
        *self.ring.write().unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        Ok(())
    }
}

impl KeyProvider for KeyFile {
    fn current(&self) -> KeyId {
        self.ring().current()
    }

    fn wrap(&self, data_key: &SecretKey) -> Result<(KeyId, Vec<u8>), VaultError> {
        self.ring().wrap(data_key)
    }

    fn unwrap(&self, id: &KeyId, wrapped: &[u8]) -> Result<SecretKey, VaultError> {
        if !self.ring().has(id) {
            self.reload_for(id)?;
        }
        self.ring().unwrap(id, wrapped)
    }

    fn blind_index_key(&self) -> Result<SecretKey, VaultError> {
        self.ring().blind_index_key()
    }
}
