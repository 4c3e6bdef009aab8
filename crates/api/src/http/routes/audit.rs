//! `GET /v1/audit`: the audit log's records for the auditor role, in seq order from `after`,
//! exactly as stored (an auditor checks the chain with API.md's "Audit log" or
//! `iou audit verify`).

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
