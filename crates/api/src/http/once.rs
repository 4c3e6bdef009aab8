//! One effect per key for the calls that never reach a partition (merchant registration, the
//! identity on file, webhook endpoints, step-up, payment codes, applications, token rotation
//! and refresh): [`once`] is the one mechanism they share.
//!
//! A call's key is first claimed in the engine's system-wide claims ([`engine::KeyClaims`]), the
//! same map partition routes claim in, so a key spent on one route cannot be spent again on any
//! other. Then its record in the meta table, `idem:<scope>:<key hash>`, is read and written:
//!
//! 1. `pending` with the request's hash, written before the call has any effect: from then on
//!    the key belongs to this request, even across a crash (the claim is rebuilt from it at
//!    start, see [`load`]).
//! 2. the call runs; a refusal stores nothing more (the same request may be retried, another
//!    request under the key is a conflict);
//! 3. `done` with the answer's status and body (what a retry is told; a secret or token in the
//!    answer is left out of it: the handler gives the body to store separately).
//!
//! Same key and request: the stored answer with `Idempotent-Replayed: true`; another request:
//! 409 `idempotency_key_reused`; the same request while the first is still running: 409
//! `idempotency_key_in_use`. A call that crashed between 1 and 3 runs again when retried: every
//! handler's effect is the same when run twice for one request (a value set, a record found by
//! its key), or refuses the second run (a step-up token is spent once).
//!
//! Records are kept 24 hours, like the engine's keys: older ones are deleted at start ([`load`])
//! and hourly ([`prune`]).

use std::future::Future;

use axum::http::StatusCode;
use axum::response::Response;
use engine::{Claim, Idempotency, KeyClaims};
use serde::{Deserialize, Serialize};

use crate::http::call::respond;
pub mod running;

use crate::edge::merchants::key_reused;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::idempotency::IdemKey;
use crate::meta::Meta;
use crate::state::AppState;

const PREFIX: &str = "idem:";

/// The answer of a call that has an effect, and what a retry is told.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: serde_json::Value,
    /// What a retry gets instead of `body` (the body without its secret); `None`: `body`.
    pub stored: Option<serde_json::Value>,
}

impl Answer {
    pub fn new<T: Serialize>(status: StatusCode, body: &T) -> Result<Answer, ApiError> {
        Ok(Answer {
            status,
            body: serde_json::to_value(body).map_err(|e| ApiError::internal(e.to_string()))?,
            stored: None,
        })
    }

    /// The body a retry gets, when the first answer holds a secret.
    pub fn storing<T: Serialize>(mut self, stored: &T) -> Result<Answer, ApiError> {
        self.stored = Some(serde_json::to_value(stored).map_err(|e| ApiError::internal(e.to_string()))?);
        Ok(self)
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    /// The request's hash (hex).
    request: String,
    at_us: i64,
    /// The answer, once the call succeeded.
    status: Option<u16>,
    body: Option<serde_json::Value>,
}

fn meta_key(idem: &IdemKey) -> String {
    format!("{PREFIX}{:016x}:{:032x}", idem.scope, idem.key)
}

fn in_use() -> ApiError {
    ApiError::new(
        ErrorCode::IdempotencyKeyInUse,
        "a request with this Idempotency-Key is still being processed: retry shortly",
    )
    .with_field("Idempotency-Key")
}

fn encode(record: &Record) -> Result<String, ApiError> {
    serde_json::to_string(record).map_err(|e| ApiError::internal(e.to_string()))
}

/// Runs `call` once per key and request (see the module doc).
pub async fn once<F>(state: &AppState, idem: IdemKey, call: F) -> Result<Response, ApiError>
where
    F: Future<Output = Result<Answer, ApiError>>,
{
    let now_us = state.clock().now().as_microsecond();
    if state.engine().keys().claim(&idem.engine(), now_us) == Claim::Conflict {
        return Err(key_reused());
    }
    let _guard = state.running().enter(&idem).ok_or_else(in_use)?;
    let key = meta_key(&idem);
    let request = format!("{:032x}", idem.request);
    match state.meta().get(key.clone()).await? {
        Some(text) => {
            let record: Record =
                serde_json::from_str(&text).map_err(|e| ApiError::internal(format!("idempotency record: {e}")))?;
            if record.request != request {
                return Err(key_reused());
            }
            if let (Some(status), Some(body)) = (record.status, record.body) {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                return Ok(respond(status, &body, true));
            }
        }
        None => {
            let pending = Record {
                request: request.clone(),
                at_us: now_us,
                status: None,
                body: None,
            };
            if let Err(error) = state.meta().set(key.clone(), encode(&pending)?).await {
                state.engine().keys().release(&idem.engine());
                return Err(error);
            }
        }
    }
    let answer = call.await?;
    let done = Record {
        request,
        at_us: now_us,
        status: Some(answer.status.as_u16()),
        body: Some(answer.stored.unwrap_or_else(|| answer.body.clone())),
    };
    state.meta().set(key, encode(&done)?).await?;
    Ok(respond(answer.status, &answer.body, false))
}

/// Restores the claims of every record kept in the meta table younger than the claims'
/// retention and deletes the older ones (blocking; at start, after the engine rebuilt the
/// partitions' claims).
pub fn load(meta: &Meta, claims: &KeyClaims, now_us: i64) -> Result<usize, String> {
    let mut restored = 0;
    for (key, idem, at_us) in records(meta)? {
        if now_us.saturating_sub(at_us) > KeyClaims::TTL_US {
            meta.delete_blocking(&key).map_err(|e| e.to_string())?;
            continue;
        }
        claims.restore(&idem, at_us);
        restored += 1;
    }
    Ok(restored)
}

/// Deletes the records older than the retention (blocking; the server's sweeper runs it
/// hourly). Their claims expire from the claims map on their own.
pub fn prune(meta: &Meta, now_us: i64) -> Result<usize, String> {
    let mut pruned = 0;
    for (key, _, at_us) in records(meta)? {
        if now_us.saturating_sub(at_us) > KeyClaims::TTL_US {
            meta.delete_blocking(&key).map_err(|e| e.to_string())?;
            pruned += 1;
        }
    }
    Ok(pruned)
}

/// Every record: its meta key, its key and request, and when it was claimed.
fn records(meta: &Meta) -> Result<Vec<(String, Idempotency, i64)>, String> {
    let mut found = Vec::new();
    for (key, text) in meta.with_prefix_blocking(PREFIX).map_err(|e| e.to_string())? {
        let parsed = key
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once(':'))
            .and_then(|(scope, k)| Some((u64::from_str_radix(scope, 16).ok()?, u128::from_str_radix(k, 16).ok()?)));
        let record: Option<Record> = serde_json::from_str(&text).ok();
        let request = record.as_ref().and_then(|r| u128::from_str_radix(&r.request, 16).ok());
        let (Some((principal, key_hash)), Some(record), Some(request)) = (parsed, record, request) else {
            // Never refuse to start over one record: its call answers 500 until it is fixed.
            tracing::error!(key, "an idempotency record is corrupt: left as it is");
            continue;
        };
        let idem = Idempotency {
            principal,
            key: key_hash,
            request,
        };
        found.push((key, idem, record.at_us));
    }
    Ok(found)
}
