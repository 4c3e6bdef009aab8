//! Operator sessions: what a login hands out. A session token reads `os_<64 hex digits>`;
//! only its SHA-256 is stored (meta `operator_session:<hash hex>`, with the operator's id and
//! when it expires) and kept in memory once read. A session lasts the configured hours
//! (`--operator-session-hours`, 8 by default) from login and is not extended; past it the
//! answer is 401 `session_expired`. Logging out deletes it. A disabled operator's sessions are
//! refused where they are used (the operator is checked on every call).

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::http::error::{ApiError, ErrorCode};
use crate::meta::Meta;
use crate::sharded::Sharded;

const PREFIX: &str = "os_";
const META_PREFIX: &str = "operator_session:";

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Session {
    operator: u64,
    expires_at_us: i64,
}

/// The sessions, cached from the meta table.
#[derive(Debug)]
pub struct Sessions {
    cache: Sharded<[u8; 32], Session>,
    lifetime: SignedDuration,
}

/// A session just opened: its token is shown once.
#[derive(Debug)]
pub struct Opened {
    pub token: String,
    pub expires_at: Timestamp,
}

/// Whether a bearer token is shaped like a session's.
pub fn is_session_token(token: &str) -> bool {
    token.starts_with(PREFIX)
}

fn meta_key(hash: &[u8; 32]) -> String {
    format!("{META_PREFIX}{}", hex::encode(hash))
}

fn bad_token() -> ApiError {
    ApiError::new(ErrorCode::BadToken, "the bearer token is not valid")
}

impl Sessions {
    /// Sessions that last `hours` (at least one).
    pub fn new(hours: u32) -> Sessions {
        Sessions {
            cache: Sharded::default(),
            lifetime: SignedDuration::from_hours(i64::from(hours.max(1))),
        }
    }

    /// Opens a session for `operator`.
    pub async fn open(&self, meta: &Arc<Meta>, operator: u64, now: Timestamp) -> Result<Opened, ApiError> {
        let token = format!("{PREFIX}{}", crate::random::hex_secret()?);
        let expires_at = now
            .checked_add(self.lifetime)
            .map(engine::journal_time)
            .map_err(|_| ApiError::internal("session expiry out of range"))?;
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let session = Session {
            operator,
            expires_at_us: expires_at.as_microsecond(),
        };
        let text = serde_json::to_string(&session).map_err(|e| ApiError::internal(e.to_string()))?;
        meta.set(meta_key(&hash), text).await?;
        self.cache.insert(hash, session);
        Ok(Opened { token, expires_at })
    }

    /// The operator of a live session token: 401 `bad_token` for an unknown one,
    /// `session_expired` past its end.
    pub async fn verify(&self, meta: &Arc<Meta>, token: &str, now: Timestamp) -> Result<u64, ApiError> {
        let secret = token.strip_prefix(PREFIX).ok_or_else(bad_token)?;
        if secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad_token());
        }
        // Looked up by hash: the lookup itself compares no secret bytes.
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let session = match self.cache.get_cloned(&hash) {
            Some(session) => session,
            None => {
                let text = meta.get(meta_key(&hash)).await?.ok_or_else(bad_token)?;
                let session: Session = serde_json::from_str(&text)
                    .map_err(|_| ApiError::internal("a stored operator session is corrupt"))?;
                self.cache.insert(hash, session);
                session
            }
        };
        if now.as_microsecond() >= session.expires_at_us {
            return Err(ApiError::new(
                ErrorCode::SessionExpired,
                "the operator session expired: log in again",
            ));
        }
        Ok(session.operator)
    }

    /// Ends a session (logout).
    pub async fn close(&self, meta: &Arc<Meta>, token: &str) -> Result<(), ApiError> {
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        meta.delete(meta_key(&hash)).await?;
        self.cache.remove(&hash);
        Ok(())
    }
}
