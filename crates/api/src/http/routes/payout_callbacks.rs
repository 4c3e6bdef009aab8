//! The merchant payout provider's callback, `POST /v1/providers/merchant-payouts/callback`:
//! where one of settlement's payouts stands (`paid`, `failed`, `returned`). Signed with the
//! configured callback secret over everything that changes its meaning
//! (`funding::callback::sign_request`: timestamp, method, path, body), within 300 s of our
//! clock, compared in constant time; a signature already received is refused
//! (`callback_replayed`), so a captured callback cannot be sent again. Applied by
//! compare-and-set with the payout state machine: the same word twice is one effect, an unknown
//! payout 404, a change the state does not allow 409. A failed or returned payout puts the
//! money back in the merchant's balance (paid again by a later run); a paid one sends the
//! merchant's `payout.paid` webhook once. Nothing a provider sends makes a 5xx but our own
//! outage.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use funding::callback::{SIGNATURE_HEADER, SignedRequest, TIMESTAMP_HEADER, verify_request};
use funding::merchant::is_payout_id;
use funding::protocol::clean_text;
use serde::{Deserialize, Serialize};
use settlement::PayoutStatus;
use utoipa::ToSchema;

use crate::edge::settlement::payouts::{Word, apply_callback};
use crate::http::call::respond;
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::state::AppState;

/// A merchant payout provider's callback (the funding crate's `merchant::MerchantPayoutCallback`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutCallback {
    /// Our payout id (`m<merchant>-<yyyy-mm-dd>`).
    pub payout_id: String,
    /// `paid`, `failed` or `returned`.
    pub status: String,
    /// The provider's reason code of a failure or return.
    #[serde(default)]
    pub reason: Option<String>,
    /// The provider's own reference.
    #[serde(default)]
    pub provider_ref: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PayoutCallbackResponse {
    pub payout_id: String,
    /// Where the payout stands after the callback.
    pub status: &'static str,
}

fn invalid(field: &'static str, message: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidField, message.to_owned()).with_field(field)
}

/// The signature checked: returns its hex text and the timestamp's seconds.
fn check(state: &AppState, request: SignedRequest<'_>) -> Result<(String, i64), ApiError> {
    let Some(secret) = state.funding().callback_secret.as_deref() else {
        return Err(ApiError::new(
            ErrorCode::CallbacksNotConfigured,
            "provider callbacks need a configured secret (--funding-callback-secret)",
        ));
    };
    let now = state.clock().now().as_second();
    verify_request(secret, request, now).map_err(|e| {
        tracing::warn!(error = %e, "a merchant payout callback with a bad signature");
        ApiError::new(ErrorCode::BadSignature, e.to_string()).with_field(SIGNATURE_HEADER)
    })?;
    let signature = request
        .signature
        .map(|s| String::from_utf8_lossy(s).to_ascii_lowercase());
    let timestamp = request.timestamp.and_then(|t| t.parse().ok());
    signature
        .zip(timestamp)
        .ok_or_else(|| invalid(SIGNATURE_HEADER, "missing"))
}

fn word_of(callback: PayoutCallback) -> Result<(String, PayoutStatus), ApiError> {
    if !is_payout_id(&callback.payout_id) {
        return Err(invalid("payout_id", "not a payout id"));
    }
    let to = match callback.status.as_str() {
        "paid" => PayoutStatus::Paid,
        "failed" => PayoutStatus::Failed,
        "returned" => PayoutStatus::Returned,
        _ => return Err(invalid("status", "paid, failed or returned")),
    };
    clean_text(callback.provider_ref).map_err(|_| invalid("provider_ref", "not a short code"))?;
    clean_text(callback.reason).map_err(|_| invalid("reason", "not a short code"))?;
    Ok((callback.payout_id, to))
}

/// The merchant payout provider's word on a payout (signed over method, path, timestamp and
/// body; see API.md).
#[utoipa::path(operation_id = "merchant_payout_callback", post, path = "/v1/providers/merchant-payouts/callback", tag = "providers",
    request_body = PayoutCallback,
    params(("X-Provider-Timestamp" = String, Header), ("X-Provider-Signature" = String, Header)),
    responses((status = 200, description = "recorded (or already recorded)", body = PayoutCallbackResponse), Refusals, Unavailable))]
pub async fn merchant_payouts(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request = SignedRequest {
        method: method.as_str(),
        path: uri.path(),
        timestamp: headers.get(TIMESTAMP_HEADER).and_then(|v| v.to_str().ok()),
        signature: headers.get(SIGNATURE_HEADER).map(|v| v.as_bytes()),
        body: &body,
    };
    let (signature, timestamp_s) = check(&state, request)?;
    let callback: PayoutCallback = crate::http::input::parse_json(&body)?;
    let (payout_id, to) = word_of(callback)?;
    crate::http::routes::settlement_terms::books(&state)?;
    let word = Word {
        payout_id,
        to,
        signature,
        timestamp_s,
    };
    let applier = state.clone();
    let (word, now) = tokio::task::spawn_blocking(move || {
        let now = apply_callback(&applier, &word);
        (word, now)
    })
    .await
    .map_err(|e| ApiError::internal(format!("payout callback task: {e}")))?;
    let response = PayoutCallbackResponse {
        payout_id: word.payout_id,
        status: now?.as_str(),
    };
    Ok(respond(StatusCode::OK, &response, false))
}
