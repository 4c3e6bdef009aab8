//! API keys for service callers (the app backend running checkpoints, a reconciliation job):
//! an admin creates one with scopes (a subset of the permissions) and an expiry; the key reads
//! `ak_<id>_<64 hex digits>` and is shown once; only its SHA-256 is stored (meta
//! `operator_api_key:<id>`, with its name, scopes, expiry, who made it and whether it was
//! revoked). Every key is loaded at start and kept in memory. A key acts as the operator
//! `apikey-<id>` in the audit log.

use std::sync::Arc;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::http::auth::permissions::{Grants, Permission};
use crate::http::error::{ApiError, ErrorCode};
use crate::meta::Meta;
use crate::sharded::Sharded;

const PREFIX: &str = "ak_";
const META_PREFIX: &str = "operator_api_key:";

/// A key's stored record.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRecord {
    pub id: u64,
    pub name: String,
    sha256: String,
    /// Permission names.
    pub scopes: Vec<String>,
    pub expires_at_us: i64,
    pub revoked: bool,
    pub created_by: String,
    pub created_at_us: i64,
}

/// A key in memory: its record and its scopes as a set.
#[derive(Clone, Debug)]
pub struct Key {
    pub record: KeyRecord,
    pub grants: Grants,
}

/// The API keys.
#[derive(Debug, Default)]
pub struct ApiKeys {
    by_id: Sharded<u64, Key>,
    last_id: tokio::sync::Mutex<u64>,
}

/// Whether a bearer token is shaped like an API key.
pub fn is_api_key(token: &str) -> bool {
    token.starts_with(PREFIX)
}

/// The actor name a key acts as.
pub fn actor_name(id: u64) -> String {
    format!("apikey-{id}")
}

fn meta_key(id: u64) -> String {
    format!("{META_PREFIX}{id}")
}

fn bad_token() -> ApiError {
    ApiError::new(ErrorCode::BadToken, "the bearer token is not valid")
}

fn grants_of(record: &KeyRecord) -> Result<Grants, String> {
    let scopes = record
        .scopes
        .iter()
        .map(|s| Permission::parse(s).ok_or_else(|| format!("api key {}: unknown scope {s}", record.id)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Grants::of(scopes))
}

impl ApiKeys {
    /// Loads every key (blocking; at start only).
    pub fn load(meta: &Meta) -> Result<ApiKeys, String> {
        let keys = ApiKeys::default();
        let mut last = 0;
        for (_, text) in meta.with_prefix_blocking(META_PREFIX).map_err(|e| e.to_string())? {
            let record: KeyRecord = serde_json::from_str(&text).map_err(|e| format!("api key: {e}"))?;
            last = last.max(record.id);
            let grants = grants_of(&record)?;
            keys.by_id.insert(record.id, Key { record, grants });
        }
        *keys.last_id.try_lock().map_err(|e| e.to_string())? = last;
        Ok(keys)
    }

    /// Makes a key; returns it with its token (shown once).
    pub async fn create(
        &self,
        meta: &Arc<Meta>,
        name: String,
        scopes: Grants,
        expires_at: Timestamp,
        created_by: String,
        now: Timestamp,
    ) -> Result<(Key, String), ApiError> {
        let mut last_id = self.last_id.lock().await;
        let id = *last_id + 1;
        let token = format!("{PREFIX}{id}_{}", crate::random::hex_secret()?);
        let record = KeyRecord {
            id,
            name,
            sha256: hex::encode(Sha256::digest(token.as_bytes())),
            scopes: scopes.iter().map(|p| p.name().to_owned()).collect(),
            expires_at_us: expires_at.as_microsecond(),
            revoked: false,
            created_by,
            created_at_us: now.as_microsecond(),
        };
        self.store(meta, &record).await?;
        *last_id = id;
        let key = Key { record, grants: scopes };
        self.by_id.insert(id, key.clone());
        Ok((key, token))
    }

    async fn store(&self, meta: &Arc<Meta>, record: &KeyRecord) -> Result<(), ApiError> {
        let text = serde_json::to_string(record).map_err(|e| ApiError::internal(e.to_string()))?;
        meta.set(meta_key(record.id), text).await
    }

    /// Revokes key `id` (at once, for good); revoking it again changes nothing.
    pub async fn revoke(&self, meta: &Arc<Meta>, id: u64) -> Result<Key, ApiError> {
        let _one_writer = self.last_id.lock().await;
        let mut key = self
            .by_id
            .get_cloned(&id)
            .ok_or_else(|| ApiError::new(ErrorCode::ApiKeyNotFound, "no API key has this id").with_field("key_id"))?;
        if !key.record.revoked {
            key.record.revoked = true;
            self.store(meta, &key.record).await?;
            self.by_id.insert(id, key.clone());
        }
        Ok(key)
    }

    /// The operator who made key `id` (its audit name).
    pub fn created_by(&self, id: u64) -> Option<String> {
        self.by_id.get_cloned(&id).map(|key| key.record.created_by)
    }

    /// The key a token is, if it is valid now: 401 `bad_token`, `api_key_revoked`,
    /// `api_key_expired`.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<Key, ApiError> {
        let rest = token.strip_prefix(PREFIX).ok_or_else(bad_token)?;
        let (id, secret) = rest.split_once('_').ok_or_else(bad_token)?;
        if secret.len() != 64 || id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad_token());
        }
        let id: u64 = id.parse().map_err(|_| bad_token())?;
        let key = self.by_id.get_cloned(&id).ok_or_else(bad_token)?;
        let hash = hex::encode(Sha256::digest(token.as_bytes()));
        if !bool::from(hash.as_bytes().ct_eq(key.record.sha256.as_bytes())) {
            return Err(bad_token());
        }
        if key.record.revoked {
            return Err(ApiError::new(ErrorCode::ApiKeyRevoked, "this API key was revoked"));
        }
        if now.as_microsecond() >= key.record.expires_at_us {
            return Err(ApiError::new(ErrorCode::ApiKeyExpired, "this API key expired"));
        }
        Ok(key)
    }
}
