//! [`ApiError`]: the one error shape every failure is answered with,
//! `{"error": {"code": "...", "message": "...", "field": "..." | null}}`, and its HTTP status.
//!
//! Codes are stable machine words (`invalid_amount`, `insufficient_available_credit`), each an
//! [`ErrorCode`] whose one table ([`code`]) gives its text and status; messages are for people
//! and may change; `field` names the request field at fault (`amount_fen`,
//! `plan.periods`) or is null. A refusal by risk control adds `reasons` (its reason codes) and,
//! for a step-up challenge, `challenge` (`otp` or `liveness`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

pub mod code;

pub use code::ErrorCode;

/// A failed call: what the client gets back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The code's status, except for a merchant's declined authorization (402).
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
    /// What risk control said, for its refusals.
    pub risk: Option<Box<RiskDetail>>,
    /// Seconds for a `Retry-After` header (429s of the edge).
    pub retry_after: Option<u64>,
    /// The permission an operator lacked (403 `forbidden`).
    pub permission: Option<&'static str>,
    /// The partition another process owns (421 `partition_elsewhere`): the forwarding layer
    /// (`http::forward`) sends the call there.
    pub partition: Option<u32>,
}

/// Set on the response of an [`ApiError`] that names a partition this process does not own
/// (the forwarding layer, `http::forward`, reads it).
#[derive(Clone, Copy, Debug)]
pub struct Elsewhere(pub u32);

/// The reason codes of a risk refusal and the step-up it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskDetail {
    pub reasons: Vec<String>,
    pub challenge: Option<&'static str>,
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// The OpenAPI response every route lists for its refusals: any 4XX, with an [`ErrorBody`]
/// whose `code` says why (`responses(..., Refusals)` in a `#[utoipa::path]`). A route that
/// names particular codes writes its own tuple instead.
#[derive(utoipa::IntoResponses)]
#[response(status = "4XX", description = "refused: see the error code")]
pub struct Refusals(#[allow(dead_code, reason = "only its schema is used")] ErrorBody);

/// The OpenAPI response of a route the engine or a provider may not answer in time: 503 with
/// an [`ErrorBody`] (`busy`, `unavailable`), to retry later.
#[derive(utoipa::IntoResponses)]
#[response(status = 503, description = "busy or unavailable: retry later")]
pub struct Unavailable(#[allow(dead_code, reason = "only its schema is used")] ErrorBody);

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable machine code, e.g. `invalid_amount` (API.md, "Error codes").
    pub code: ErrorCode,
    /// A human-readable explanation.
    pub message: String,
    /// The request field at fault (a JSON path like `plan.periods`, a path or query parameter,
    /// or a header name), or null.
    pub field: Option<String>,
    /// Risk control's reason codes (`risk_declined`, `challenge_required` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasons: Option<Vec<String>>,
    /// The step-up to pass, `otp` or `liveness` (`challenge_required` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge: Option<String>,
    /// The permission the operator lacks (`forbidden` to an operator only), e.g.
    /// `limits.change`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
}

impl ApiError {
    /// An error answered with `code`'s status.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status: code.status(),
            code,
            message: message.into(),
            field: None,
            risk: None,
            retry_after: None,
            permission: None,
            partition: None,
        }
    }

    /// Names the permission an operator lacked.
    pub fn with_permission(mut self, permission: &'static str) -> ApiError {
        self.permission = Some(permission);
        self
    }

    /// Adds `Retry-After: seconds`.
    pub fn with_retry_after(mut self, seconds: u64) -> ApiError {
        self.retry_after = Some(seconds);
        self
    }

    /// Adds risk control's reason codes and the challenge kind.
    pub fn with_risk(mut self, reasons: Vec<String>, challenge: Option<&'static str>) -> ApiError {
        self.risk = Some(Box::new(RiskDetail { reasons, challenge }));
        self
    }

    pub fn with_field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    /// Answers with `status` instead of the code's own: only for the one status that depends
    /// on who is told (a merchant's authorization declined, `http::submit::status`).
    pub(crate) fn with_status(mut self, status: StatusCode) -> ApiError {
        self.status = status;
        self
    }

    pub fn forbidden() -> ApiError {
        ApiError::new(ErrorCode::Forbidden, "this caller may not use this route or resource")
    }

    /// The engine's queue is full: retry after a second.
    pub fn busy() -> ApiError {
        ApiError::new(ErrorCode::Busy, "the server is busy: retry later")
    }

    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::Unavailable, message)
    }

    /// A failure of the server itself (it must never happen; it is logged).
    pub fn internal(message: impl Into<String>) -> ApiError {
        let message = message.into();
        tracing::error!(%message, "internal error");
        ApiError::new(ErrorCode::Internal, "internal error")
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message.clone(),
                field: self.field.clone(),
                reasons: self.risk.as_ref().map(|r| r.reasons.clone()),
                challenge: self.risk.as_ref().and_then(|r| r.challenge).map(str::to_owned),
                permission: self.permission.map(str::to_owned),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let bytes = serde_json::to_vec(&self.body()).unwrap_or_default();
        let mut response = (self.status, bytes).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if self.code == ErrorCode::Busy {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(partition) = self.partition {
            response.extensions_mut().insert(Elsewhere(partition));
        }
        response
    }
}
