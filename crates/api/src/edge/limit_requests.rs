//! Temporary-limit requests that risk control sent to a credit officer (the `limit_request`
//! checkpoint decided `review`): the queue of `temporary-limit requests`, one JSON record per
//! request in the meta table (`limit_request:<id>`, written before the customer's answer),
//! with the decision's evidence (reasons, rules, model scores, features) and, once decided,
//! who decided, when and what was granted, and the credit officer who claimed it. Each request
//! has a service level of [`SLA_MINUTES`] (the view shows when it is due and whether it is
//! late); a customer has at most one request pending (`limit_request_pending`). The decision itself goes through the normal grant
//! (`onboarding`'s temporary-limit policy, checked again when the officer approves).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::http::error::ApiError;
use crate::meta::Meta;

pub const PREFIX: &str = "limit_request:";

/// A request waiting for (or decided by) a credit officer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitRequest {
    pub id: u64,
    pub account: u64,
    pub amount_fen: i64,
    pub days: u16,
    pub requested_at_us: i64,
    /// `pending`, `approved` or `declined`.
    pub status: String,
    /// The checkpoint's decision as the case routes show one (`review_evidence::decision_json`).
    pub decision: serde_json::Value,
    pub decided_by: Option<String>,
    pub decided_at_us: Option<i64>,
    /// The last day of the granted limit (approved only).
    pub expires_on: Option<String>,
    /// The credit officer working it (an operator id) and their name, once claimed. Appended
    /// with defaults: records written before read as unassigned.
    #[serde(default)]
    pub assignee: Option<u64>,
    #[serde(default)]
    pub assignee_name: Option<String>,
    #[serde(default)]
    pub assigned_at_us: Option<i64>,
}

/// How long a request may wait for its decision: the customer is waiting in the app.
pub const SLA_MINUTES: u32 = 8 * 60;

/// When a request asked at `requested_at_us` is due, and whether it is late at `now_us`.
pub fn sla(requested_at_us: i64, now_us: i64) -> (i64, bool) {
    let due = requested_at_us.saturating_add(i64::from(SLA_MINUTES) * 60_000_000);
    (due, now_us > due)
}

/// Held by a decision from reading the request to saving it: two officers deciding one request
/// at once (approve and decline, or approve twice) would otherwise both see it pending, and the
/// grant could be made while the record says declined. Decisions are rare; one at a time.
pub static DECIDING: std::sync::LazyLock<tokio::sync::Mutex<()>> =
    std::sync::LazyLock::new(|| tokio::sync::Mutex::new(()));

fn key(id: u64) -> String {
    format!("{PREFIX}{id}")
}

pub async fn save(meta: &Arc<Meta>, request: &LimitRequest) -> Result<(), ApiError> {
    let text = serde_json::to_string(request).map_err(|e| ApiError::internal(e.to_string()))?;
    meta.set(key(request.id), text).await
}

pub async fn get(meta: &Arc<Meta>, id: u64) -> Result<Option<LimitRequest>, ApiError> {
    match meta.get(key(id)).await? {
        None => Ok(None),
        Some(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| ApiError::internal(format!("limit request {id}: {e}"))),
    }
}

/// Every request, oldest first (unreadable records are logged and left out).
pub async fn all(meta: &Arc<Meta>) -> Result<Vec<LimitRequest>, ApiError> {
    let store = meta.clone();
    let rows = tokio::task::spawn_blocking(move || store.with_prefix_blocking(PREFIX))
        .await
        .map_err(|e| ApiError::internal(format!("meta task failed: {e}")))?
        .map_err(|error| {
            tracing::error!(%error, "meta store failed");
            ApiError::unavailable("the store is unavailable")
        })?;
    let mut requests: Vec<LimitRequest> = rows
        .into_iter()
        .filter_map(|(key, text)| match serde_json::from_str(&text) {
            Ok(request) => Some(request),
            Err(error) => {
                tracing::error!(%error, key, "a limit request is not readable");
                None
            }
        })
        .collect();
    requests.sort_by_key(|r| (r.requested_at_us, r.id));
    Ok(requests)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_late_eight_hours_after_it_was_asked() {
        let hour = 3_600_000_000_i64;
        assert_eq!(sla(0, 8 * hour), (8 * hour, false));
        assert_eq!(sla(0, 8 * hour + 1), (8 * hour, true));
    }

    #[test]
    fn a_record_written_before_assignment_reads_unassigned() {
        let old = r#"{"id":1,"account":2,"amount_fen":3,"days":30,"requested_at_us":4,"status":"pending","decision":{},"decided_by":null,"decided_at_us":null,"expires_on":null}"#;
        let read: LimitRequest = serde_json::from_str(old).unwrap();
        assert_eq!(
            (read.assignee, read.assignee_name, read.assigned_at_us),
            (None, None, None)
        );
    }
}
