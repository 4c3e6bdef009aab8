//! Operator sessions: what a login hands out. A session token reads `os_<64 hex digits>`;
//! only its SHA-256 is stored (meta `operator_session:<hash hex>`, with the operator's id and
//! when it expires) and kept in memory once read. A session lasts the configured hours
//! (`--operator-session-hours`, 8 by default) from login and is not extended; past it the
//! answer is 401 `session_expired`. Logging out deletes it. A disabled operator's sessions are
//! refused where they are used (the operator is checked on every call). Sessions a day past
//! their end are deleted by the server's hourly sweep ([`Sessions::prune`]).

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::http::error::{ApiError, ErrorCode};
use crate::meta::Meta;
use crate::sharded::Sharded;

const PREFIX: &str = "os_";
const META_PREFIX: &str = "operator_session:";
/// How long an expired session is kept (so its token answers `session_expired`, not `bad_token`).
pub const KEEP_EXPIRED: SignedDuration = SignedDuration::from_hours(24);

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

    /// Deletes sessions that expired more than [`KEEP_EXPIRED`] before `now` from the meta table
    /// and the cache (blocking; the server's hourly sweep). Until then an expired token still
    /// answers `session_expired`, after it `bad_token`. Returns how many it deleted.
    pub fn prune(&self, meta: &Meta, now: Timestamp) -> Result<usize, String> {
        let cutoff = now.as_microsecond().saturating_sub(KEEP_EXPIRED.as_micros() as i64);
        let mut deleted = 0;
        for (key, text) in meta.with_prefix_blocking(META_PREFIX).map_err(|e| e.to_string())? {
            let ended = serde_json::from_str::<Session>(&text).map_or(true, |s| s.expires_at_us < cutoff);
            if ended {
                meta.delete_blocking(&key).map_err(|e| e.to_string())?;
                deleted += 1;
            }
        }
        self.cache.retain(|_, session| session.expires_at_us >= cutoff);
        Ok(deleted)
    }

    /// Ends a session (logout).
    pub async fn close(&self, meta: &Arc<Meta>, token: &str) -> Result<(), ApiError> {
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        meta.delete(meta_key(&hash)).await?;
        self.cache.remove(&hash);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sweep_deletes_sessions_a_day_past_their_end_only() {
        let backend = store::memory::MemoryBackend::new();
        let meta = Arc::new(Meta::new(store::Backend::journal(&backend).unwrap()));
        let sessions = Sessions::new(1);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let opened_at: Timestamp = "2026-03-01T02:00:00.000000700Z".parse().unwrap();
        let (old, fresh) = runtime.block_on(async {
            let old = sessions.open(&meta, 1, opened_at).await.unwrap();
            let later = opened_at + SignedDuration::from_hours(20);
            let fresh = sessions.open(&meta, 2, later).await.unwrap();
            (old, fresh)
        });
        // One hour of life, then a day of grace: 25 hours after opening, still kept.
        let edge = opened_at + SignedDuration::from_hours(25);
        assert_eq!(sessions.prune(&meta, edge).unwrap(), 0);
        let past = edge + SignedDuration::from_micros(1);
        assert_eq!(sessions.prune(&meta, past).unwrap(), 1);
        runtime.block_on(async {
            let gone = sessions.verify(&meta, &old.token, past).await.unwrap_err();
            assert_eq!(gone.code, ErrorCode::BadToken);
            let expired = sessions.verify(&meta, &fresh.token, past).await.unwrap_err();
            assert_eq!(expired.code, ErrorCode::SessionExpired);
        });
    }
}
