//! Bearer tokens: the operator's bootstrap admin token and customers' tokens.
//!
//! Only SHA-256 hashes of tokens are stored (meta keys `admin_token_sha256` and
//! `customer_token:<account>`) and hashes are compared in constant time. A customer token reads
//! `ct_<account id>_<64 hex digits>`, so its account is known without a search; its hash is
//! loaded from the meta table on first use and kept in memory.

use std::sync::Arc;

use credit::AccountId;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
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

/// Customers' token hashes, cached from the meta table.
#[derive(Debug, Default)]
pub struct CustomerTokens {
    hashes: Sharded<AccountId, [u8; 32]>,
}

fn meta_key(account: AccountId) -> String {
    format!("customer_token:{account}")
}

fn bad_token() -> ApiError {
    ApiError::unauthorized("bad_token", "the bearer token is not valid")
}

impl CustomerTokens {
    /// Issues a new token for `account`, replacing any earlier one.
    pub async fn issue(&self, meta: &Arc<Meta>, account: AccountId) -> Result<String, ApiError> {
        let token = format!("{CUSTOMER_PREFIX}{account}_{}", crate::random::hex_secret()?);
        let hash = sha256(&token);
        meta.set(meta_key(account), hex::encode(hash)).await?;
        self.hashes.insert(account, hash);
        Ok(token)
    }

    /// The account a customer token belongs to.
    pub async fn verify(&self, meta: &Arc<Meta>, token: &str) -> Result<AccountId, ApiError> {
        let rest = token.strip_prefix(CUSTOMER_PREFIX).ok_or_else(bad_token)?;
        let (id, secret) = rest.split_once('_').ok_or_else(bad_token)?;
        if secret.len() != 64 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad_token());
        }
        let account = AccountId(id.parse().map_err(|_| bad_token())?);
        let stored = match self.hashes.get_cloned(&account) {
            Some(hash) => hash,
            None => {
                let text = meta.get(meta_key(account)).await?.ok_or_else(bad_token)?;
                let hash = parse_hash(&text).ok_or_else(|| ApiError::internal("a stored token hash is corrupt"))?;
                self.hashes.insert(account, hash);
                hash
            }
        };
        if bool::from(sha256(token).ct_eq(&stored)) {
            Ok(account)
        } else {
            Err(bad_token())
        }
    }
}
