//! Bearer tokens: the operator's bootstrap admin token and customers' tokens.
//!
//! Only SHA-256 hashes of tokens are stored (meta keys `admin_token_sha256` and
//! `customer_token:<account>`) and hashes are compared in constant time. A customer token reads
//! `ct_<account id>_<64 hex digits>`, so its account is known without a search; its record (the
//! hash and when the token expires, `{"sha256": "..", "expires_at_us": ..}`) is loaded from the
//! meta table on first use and kept in memory. A token is valid for the configured lifetime
//! after it was issued, rotated or refreshed; past it the answer is 401 `token_expired`. A
//! record of an older store holds the bare hash: it is valid for one lifetime from the first
//! time this process reads it.
//!
//! A token is issued when a line is opened (never again by a retry of that call) and replaced
//! by a rotation (the customer after a step-up, or an operator); a refresh moves the expiry of
//! the current token without changing it.

use std::sync::Arc;

use credit::AccountId;
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::http::error::{ApiError, ErrorCode};
use crate::meta::Meta;
use crate::sharded::Sharded;

const ADMIN_META: &str = "admin_token_sha256";
const CUSTOMER_PREFIX: &str = "ct_";

fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

fn parse_hash(hex_text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_text, &mut out).ok().map(|()| out)
}

/// The operator's token, as its hash.
#[derive(Debug)]
pub struct AdminToken {
    hash: [u8; 32],
}

impl AdminToken {
    /// The configured token (from config or `IOU_ADMIN_TOKEN`), else the one whose hash is in
    /// the meta table, else a new one: its hash is stored and the token returned to be printed
    /// once. Blocking; at start only.
    pub fn bootstrap(meta: &Meta, configured: Option<&str>) -> Result<(AdminToken, Option<String>), String> {
        if let Some(token) = configured {
            if token.len() < 16 {
                return Err("the admin token must be at least 16 characters".into());
            }
            return Ok((AdminToken { hash: sha256(token) }, None));
        }
        if let Some(stored) = meta.get_blocking(ADMIN_META).map_err(|e| e.to_string())? {
            let hash = parse_hash(&stored).ok_or("the stored admin token hash is not 64 hex digits")?;
            return Ok((AdminToken { hash }, None));
        }
        let token = format!("op_{}", crate::random::hex_secret().map_err(|e| e.message)?);
        let hash = sha256(&token);
        meta.set_blocking(ADMIN_META, &hex::encode(hash))
            .map_err(|e| e.to_string())?;
        Ok((AdminToken { hash }, Some(token)))
    }

    pub fn matches(&self, token: &str) -> bool {
        bool::from(sha256(token).ct_eq(&self.hash))
    }
}

/// Whether a bearer token is shaped like a customer's.
pub fn is_customer_token(token: &str) -> bool {
    token.starts_with(CUSTOMER_PREFIX)
}

/// A customer token's record: its hash and when it expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    #[serde(with = "hex_hash")]
    sha256: [u8; 32],
    expires_at_us: i64,
}

mod hex_hash {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(hash: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(hash))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(d)?;
        crate::http::auth::tokens::parse_hash(&text).ok_or_else(|| serde::de::Error::custom("not 64 hex digits"))
    }
}

/// Customers' token records, cached from the meta table.
#[derive(Debug)]
pub struct CustomerTokens {
    records: Sharded<AccountId, Stored>,
    lifetime: SignedDuration,
}

/// A token just issued: shown to its customer once.
#[derive(Debug)]
pub struct Issued {
    pub token: String,
    pub expires_at: Timestamp,
}

fn meta_key(account: AccountId) -> String {
    format!("customer_token:{account}")
}

fn bad_token() -> ApiError {
    ApiError::new(ErrorCode::BadToken, "the bearer token is not valid")
}

fn expired() -> ApiError {
    ApiError::new(
        ErrorCode::TokenExpired,
        "the customer token expired: refresh it before it expires, or have it rotated",
    )
}

fn corrupt() -> ApiError {
    ApiError::internal("a stored token record is corrupt")
}

impl CustomerTokens {
    /// Tokens valid `lifetime_days` days (at least one) after they are issued or refreshed.
    pub fn new(lifetime_days: u32) -> CustomerTokens {
        CustomerTokens {
            records: Sharded::default(),
            lifetime: SignedDuration::from_hours(24 * i64::from(lifetime_days.max(1))),
        }
    }

    /// When a token issued or refreshed `now` expires, at the stored precision (whole
    /// microseconds), so the answer shows exactly what is kept.
    fn expiry(&self, now: Timestamp) -> Result<Timestamp, ApiError> {
        now.checked_add(self.lifetime)
            .map(engine::journal_time)
            .map_err(|_| ApiError::internal("token expiry out of range"))
    }

    async fn store(&self, meta: &Arc<Meta>, account: AccountId, record: Stored) -> Result<(), ApiError> {
        let text = serde_json::to_string(&record).map_err(|e| ApiError::internal(e.to_string()))?;
        meta.set(meta_key(account), text).await?;
        self.records.insert(account, record);
        Ok(())
    }

    /// Issues a new token for `account`, replacing any earlier one (which stops working).
    pub async fn issue(&self, meta: &Arc<Meta>, account: AccountId, now: Timestamp) -> Result<Issued, ApiError> {
        let token = format!("{CUSTOMER_PREFIX}{account}_{}", crate::random::hex_secret()?);
        let expires_at = self.expiry(now)?;
        let record = Stored {
            sha256: sha256(&token),
            expires_at_us: expires_at.as_microsecond(),
        };
        self.store(meta, account, record).await?;
        Ok(Issued { token, expires_at })
    }

    /// Moves the expiry of `account`'s current token to a lifetime from `now`.
    pub async fn refresh(&self, meta: &Arc<Meta>, account: AccountId, now: Timestamp) -> Result<Timestamp, ApiError> {
        let mut record = self.record(meta, account, now).await?.ok_or_else(bad_token)?;
        let expires_at = self.expiry(now)?;
        record.expires_at_us = expires_at.as_microsecond();
        self.store(meta, account, record).await?;
        Ok(expires_at)
    }

    async fn record(&self, meta: &Arc<Meta>, account: AccountId, now: Timestamp) -> Result<Option<Stored>, ApiError> {
        if let Some(record) = self.records.get_cloned(&account) {
            return Ok(Some(record));
        }
        let Some(text) = meta.get(meta_key(account)).await? else {
            return Ok(None);
        };
        let record = match parse_hash(&text) {
            // A bare hash from an older store: valid for one lifetime from now.
            Some(sha256) => Stored {
                sha256,
                expires_at_us: self.expiry(now)?.as_microsecond(),
            },
            None => serde_json::from_str(&text).map_err(|_| corrupt())?,
        };
        self.records.insert(account, record);
        Ok(Some(record))
    }

    /// The account a customer token belongs to, if the token is its current one and unexpired.
    pub async fn verify(&self, meta: &Arc<Meta>, token: &str, now: Timestamp) -> Result<AccountId, ApiError> {
        let rest = token.strip_prefix(CUSTOMER_PREFIX).ok_or_else(bad_token)?;
        let (id, secret) = rest.split_once('_').ok_or_else(bad_token)?;
        if secret.len() != 64 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad_token());
        }
        let account = AccountId(id.parse().map_err(|_| bad_token())?);
        let stored = self.record(meta, account, now).await?.ok_or_else(bad_token)?;
        if !bool::from(sha256(token).ct_eq(&stored.sha256)) {
            return Err(bad_token());
        }
        if now.as_microsecond() >= stored.expires_at_us {
            return Err(expired());
        }
        Ok(account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expiry_is_kept_and_shown_at_whole_microseconds() {
        let tokens = CustomerTokens::new(30);
        let now: Timestamp = "2026-12-07T09:51:14.996179782Z".parse().unwrap();
        let expires = tokens.expiry(now).unwrap();
        assert_eq!(expires.to_string(), "2027-01-06T09:51:14.996179Z");
        assert_eq!(Timestamp::from_microsecond(expires.as_microsecond()).unwrap(), expires);
    }
}
