//! Provider callbacks: a payment or payout provider tells us where one of our operations
//! stands. Signed with the configured secret (`X-Provider-Timestamp`, `X-Provider-Signature`:
//! HMAC-SHA256 over `timestamp "." body`, see `funding::callback`), within 300 s of our clock,
//! compared in constant time. A duplicate changes nothing and answers the operation as it is;
//! an unknown id is 404; nothing a provider sends makes a 5xx but our own outage.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use engine::{FundingKind, FundingStatus, FundingUpdate};
use funding::callback::{SIGNATURE_HEADER, TIMESTAMP_HEADER, verify};
use funding::protocol::clean_text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::edge::funding::{read, record};
use crate::http::call::respond;
use crate::http::error::{ApiError, ErrorCode, Refusals};
use crate::state::AppState;

/// A provider's callback (the funding crate's `protocol::Callback`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Callback {
    /// Our id of the operation (the `repayment_id` or `cash_out_id`).
    pub funding_id: String,
    /// `settled` or `failed` (debits); `paid`, `failed` or `returned` (payouts).
    pub status: String,
    /// The provider's reason code of a failure or return.
    #[serde(default)]
    pub reason: Option<String>,
    /// The provider's own reference.
    #[serde(default)]
    pub provider_ref: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CallbackResponse {
    pub funding_id: String,
    /// Where the operation stands after the callback.
    pub status: &'static str,
}

fn check_signature(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<(), ApiError> {
    let Some(secret) = state.funding().callback_secret.as_deref() else {
        return Err(ApiError::new(
            ErrorCode::CallbacksNotConfigured,
            "provider callbacks need a configured secret (--funding-callback-secret)",
        ));
    };
    let timestamp = headers.get(TIMESTAMP_HEADER).and_then(|v| v.to_str().ok());
    let signature = headers.get(SIGNATURE_HEADER).map(|v| v.as_bytes());
    let now = state.clock().now().as_second();
    verify(secret, timestamp, signature, body, now).map_err(|e| {
        tracing::warn!(error = %e, "a provider callback with a bad signature");
        ApiError::new(ErrorCode::BadSignature, e.to_string()).with_field(SIGNATURE_HEADER)
    })
}

fn invalid(field: &'static str, message: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidField, message.to_owned()).with_field(field)
}

/// The update a callback asks for, for an operation of `kind`.
fn update_of(callback: Callback, kind: FundingKind, id: u64) -> Result<FundingUpdate, ApiError> {
    let status = match (kind, callback.status.as_str()) {
        (FundingKind::Debit, "settled") => FundingStatus::Settled,
        (FundingKind::Payout, "paid") => FundingStatus::Paid,
        (FundingKind::Payout, "returned") => FundingStatus::Returned,
        (FundingKind::Debit | FundingKind::Payout, "failed") => FundingStatus::Failed,
        _ => return Err(invalid("status", "not a final status of this kind of operation")),
    };
    let provider_ref = clean_text(callback.provider_ref).map_err(|_| invalid("provider_ref", "not a short code"))?;
    let reason = clean_text(callback.reason).map_err(|_| invalid("reason", "not a short code"))?;
    Ok(FundingUpdate {
        funding: id,
        status,
        provider_ref,
        reason,
    })
}

async fn handle(state: AppState, headers: HeaderMap, body: Bytes, kind: FundingKind) -> Result<Response, ApiError> {
    check_signature(&state, &headers, &body)?;
    let callback: Callback = crate::http::input::parse_json(&body)?;
    let id = crate::http::input::parse_id(&callback.funding_id, "funding_id")?;
    let not_found = || ApiError::new(ErrorCode::FundingNotFound, "no operation of this provider has this id");
    let funding = read(&state, id)
        .await?
        .filter(|f| f.kind == kind)
        .ok_or_else(not_found)?;
    let update = update_of(callback, kind, id)?;
    let funding = if funding.status == update.status {
        funding
    } else {
        record(&state, update).await?.0
    };
    let response = CallbackResponse {
        funding_id: funding.id.to_string(),
        status: funding.status.name(),
    };
    Ok(respond(StatusCode::OK, &response, false))
}

/// The payment provider's word on a debit (signed; see API.md).
#[utoipa::path(operation_id = "payment_callback", post, path = "/v1/providers/payments/callback", tag = "providers", request_body = Callback,
    params(("X-Provider-Timestamp" = String, Header), ("X-Provider-Signature" = String, Header)),
    responses((status = 200, description = "recorded (or already recorded)", body = CallbackResponse), Refusals))]
pub async fn payments(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    handle(state, headers, body, FundingKind::Debit).await
}

/// The payout provider's word on a payout (signed; see API.md).
#[utoipa::path(operation_id = "payout_callback", post, path = "/v1/providers/payouts/callback", tag = "providers", request_body = Callback,
    params(("X-Provider-Timestamp" = String, Header), ("X-Provider-Signature" = String, Header)),
    responses((status = 200, description = "recorded (or already recorded)", body = CallbackResponse), Refusals))]
pub async fn payouts(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    handle(state, headers, body, FundingKind::Payout).await
}
