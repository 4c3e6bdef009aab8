//! Personal data and secrets at rest: the API's use of the `vault` crate. Values it keeps in the
//! meta table that identify a person (a customer's identity: name, ID number, mobile, bank card,
//! reserved mobile) or let someone act as a merchant (API secrets, which also sign webhooks)
//! are sealed with [`Vault`] (envelope encryption; the record's kind and id are the AAD, so a
//! sealed value copied to another record does not open). The blind-index key and the KEKs come
//! from the key provider in `Config::keys`, never from the store.
//!
//! [`check_at_start`] runs before anything is served: the server refuses to start without a
//! key provider, with keys that do not open the store's key check (another key file, a KEK
//! missing after a rotation, another blind-index key), or on a store that keeps a blind-index
//! key itself (made by a build before encryption at rest).

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use vault::{Aad, Vault};

use crate::http::error::ApiError;
use crate::meta::Meta;

/// The meta key of the key check ([`Vault::key_check`]).
pub const CHECK_META: &str = "vault:key_check";
/// Where builds before encryption at rest kept the blind-index key (in the store, beside the
/// index: whoever had the data directory could enumerate ID numbers).
const LEGACY_BLIND_KEY_META: &str = "onboarding:blind_index_key";

/// The vault over `provider`, or why the server must not start.
pub fn vault(provider: Option<&Arc<dyn vault::KeyProvider>>) -> Result<Vault, String> {
    let provider = provider.ok_or(
        "no key provider: personal data is never stored unencrypted. Create a key file with \
         `iou keys init --out PATH` (keep it outside the data directory) and start with \
         `--key-file PATH` or IOU_KEY_FILE",
    )?;
    Vault::new(provider.clone()).map_err(|e| format!("the key provider does not work: {e}"))
}

/// Checks the keys against the store (blocking; at start), writing the key check at the
/// store's first start.
pub fn check_at_start(meta: &Meta, vault: &Vault) -> Result<(), String> {
    let read = |key: &str| meta.get_blocking(key).map_err(|e| e.to_string());
    if read(LEGACY_BLIND_KEY_META)?.is_some() {
        return Err(format!(
            "this store keeps its blind-index key in the store ({LEGACY_BLIND_KEY_META}): it was made by a \
             build without encryption at rest and holds personal data in clear; start a new data directory"
        ));
    }
    match read(CHECK_META)? {
        Some(check) => vault.verify_key_check(&check).map_err(|e| {
            format!("the keys given are not this store's ({e}): start with the key file the store was created with")
        }),
        None => {
            let check = vault.key_check().map_err(|e| e.to_string())?;
            meta.set_blocking(CHECK_META, &check).map_err(|e| e.to_string())
        }
    }
}

/// `value` as JSON, sealed for the record `kind`/`id`.
pub fn seal_json<T: Serialize>(vault: &Vault, kind: &str, id: &str, value: &T) -> Result<String, ApiError> {
    let text = zeroize::Zeroizing::new(serde_json::to_string(value).map_err(|e| ApiError::internal(e.to_string()))?);
    vault
        .seal_str(&Aad::new(kind, id), &text)
        .map_err(|e| ApiError::internal(format!("sealing {kind} {id}: {e}")))
}

/// Opens what [`seal_json`] sealed. A value that does not open fails this record's read
/// loudly (logged, 500); other records are served.
pub fn open_json<T: DeserializeOwned>(vault: &Vault, kind: &str, id: &str, sealed: &str) -> Result<T, ApiError> {
    let fail = |why: String| {
        tracing::error!(kind, id, %why, "a sealed record does not open");
        ApiError::internal(format!("the stored {kind} of {id} cannot be read"))
    };
    let text = vault
        .open_str(&Aad::new(kind, id), sealed)
        .map_err(|e| fail(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| fail(e.to_string()))
}
