//! `GET /v1/audit`: the audit log's records for the auditor role, in seq order from `after`,
//! exactly as stored (an auditor checks the chain with API.md's "Audit log" or
//! `iou audit verify`); `GET /v1/audit/verify`: the same walk of the chain as
//! `iou audit verify`, on the running server (the console's verify button).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals};
use crate::state::AppState;

/// The most records one page holds.
const LIMIT_MAX: usize = 1_000;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Records after this seq (default 0: from the first).
    pub after: Option<u64>,
    /// At most this many (1 to 1000, default 100).
    pub limit: Option<usize>,
}

/// One record as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRecordView {
    pub seq: u64,
    pub at: String,
    pub at_us: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    /// A JSON object of strings, as the text the hash covers.
    pub detail: String,
    pub outcome: String,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub records: Vec<AuditRecordView>,
    /// The `after` of the next page; null when this page is the end.
    pub next_after: Option<u64>,
}

/// Read the audit log (auditor).
#[utoipa::path(operation_id = "read_audit_log", get, path = "/v1/audit", tag = "operators", params(AuditQuery), security(("bearer" = [])),
    responses((status = 200, description = "success", body = AuditPage), Refusals))]
pub async fn read(
    State(state): State<AppState>,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
    call: Call,
) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let Ok(Query(query)) = query else {
        return Err(ApiError::new(ErrorCode::InvalidField, "after and limit are whole numbers").with_field("after"));
    };
    let limit = query.limit.unwrap_or(100);
    if !(1..=LIMIT_MAX).contains(&limit) {
        return Err(ApiError::new(ErrorCode::InvalidField, format!("limit is 1 to {LIMIT_MAX}")).with_field("limit"));
    }
    let after = query.after.unwrap_or(0);
    let reader = state.clone();
    let rows = tokio::task::spawn_blocking(move || {
        let mut log = reader
            .audit_rows()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        log.scan(after, limit)
    })
    .await
    .map_err(|e| ApiError::internal(format!("audit read task: {e}")))?
    .map_err(|e| {
        tracing::error!(error = %e, "reading the audit log failed");
        ApiError::unavailable("the store is unavailable")
    })?;
    let next_after = (rows.len() == limit).then(|| rows.last().map(|r| r.seq)).flatten();
    let records = rows
        .into_iter()
        .map(|r| AuditRecordView {
            seq: r.seq,
            at: jiff::Timestamp::from_microsecond(r.at_us)
                .map(|t| t.to_string())
                .unwrap_or_default(),
            at_us: r.at_us,
            actor: r.actor,
            action: r.action,
            target: r.target,
            detail: r.detail,
            outcome: r.outcome,
            prev_hash: hex::encode(&r.prev_hash),
            hash: hex::encode(&r.hash),
        })
        .collect();
    Ok(respond(StatusCode::OK, &AuditPage { records, next_after }, false))
}

/// The answer of a walk of the whole chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditVerified {
    /// Every record chains onto the one before and every checkpoint matches its record.
    pub intact: bool,
    /// Records checked (all of them when intact; up to the first bad one otherwise).
    pub records: u64,
    pub checkpoints: u64,
    /// Whether the checkpoints' signatures were checked (the server signs checkpoints).
    pub signatures_checked: bool,
    /// The newest checkpoint's seq: records after it are chained but not yet signed.
    pub last_checkpoint: Option<u64>,
    /// The last record's hash, for an auditor to keep.
    pub last_hash: Option<String>,
    /// The first bad record's seq and why, when not intact.
    pub broken_at: Option<u64>,
    pub why: Option<String>,
}

/// Verify the audit log (auditor): walks the whole chain as `iou audit verify` does, with the
/// server's own verifying key when it signs checkpoints. A broken chain is an answer (200,
/// `intact: false`, the first bad record), not an error.
#[utoipa::path(operation_id = "verify_audit_log", get, path = "/v1/audit/verify", tag = "operators", security(("bearer" = [])),
    responses((status = 200, description = "the verdict", body = AuditVerified), Refusals))]
pub async fn verify(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let key = state.auditor().verifying_key();
    let reader = state.clone();
    let verdict = tokio::task::spawn_blocking(move || {
        let mut log = reader
            .audit_rows()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        audit::verify(log.as_mut(), key.as_ref())
    })
    .await
    .map_err(|e| ApiError::internal(format!("audit verify task: {e}")))?;
    let answer = match verdict {
        Ok(v) => AuditVerified {
            intact: true,
            records: v.records,
            checkpoints: v.checkpoints,
            signatures_checked: v.signatures_checked,
            last_checkpoint: v.last_checkpoint,
            last_hash: v.last_hash.map(|h| h.to_string()),
            broken_at: None,
            why: None,
        },
        Err(audit::VerifyError::Broken(broken)) => AuditVerified {
            intact: false,
            records: broken.seq.saturating_sub(1),
            checkpoints: 0,
            signatures_checked: key.is_some(),
            last_checkpoint: None,
            last_hash: None,
            broken_at: Some(broken.seq),
            why: Some(broken.why.to_string()),
        },
        Err(audit::VerifyError::Audit(e)) => {
            tracing::error!(error = %e, "verifying the audit log failed");
            return Err(ApiError::unavailable("the store is unavailable"));
        }
    };
    Ok(respond(StatusCode::OK, &answer, false))
}
