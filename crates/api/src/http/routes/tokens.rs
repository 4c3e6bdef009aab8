//! Customer tokens after the line is open: rotation (a new token, the old one stops working at
//! once) and refresh (the current token's expiry moves a lifetime ahead). Both answers say
//! `Cache-Control: no-store`; both run under [`crate::http::once::once`], and a retry of a rotation
//! is told `token: null, token_issued: false` (the token is shown once, only its hash is kept).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use credit::AccountId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::auth::Principal;
use crate::http::call::{Call, no_store};
use crate::http::error::{ApiError, ErrorBody, ErrorCode, Refusals};
use crate::http::once::{Answer, once};
use crate::http::submit::account;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateBody {
    /// A step-up token of this customer (OTP or liveness), from
    /// `POST /v1/customers/{id}/step-up/{challenge_id}/verify`. Required when the customer
    /// rotates; an operator sends `{}`.
    pub step_up_token: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedResponse {
    pub customer_id: String,
    /// The new bearer token, shown this once; `null` in a retry's stored answer.
    pub token: Option<String>,
    /// Whether this answer issued `token`.
    pub token_issued: bool,
    /// When the new token expires (RFC 3339).
    pub token_expires_at: String,
}

/// Rotate a customer's token: a new token is issued and the one before stops working at once.
/// The customer proves it is them with a fresh step-up token; an operator may rotate any
/// customer's (a lost or expired token).
#[utoipa::path(operation_id = "rotate_token", post, path = "/v1/customers/{customer_id}/token/rotate", tag = "customers",
    request_body = RotateBody, params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, description = "a new token", body = RotatedResponse), Refusals, (status = 503, description = "unavailable: retry later", body = ErrorBody)))]
pub async fn rotate(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let id = AccountId(call.id("customer_id")?);
    let idem = call.idem()?;
    let body: RotateBody = call.json()?;
    match call.principal {
        Principal::Operator(_) => {}
        Principal::Customer(own) if own == id => {
            if body.step_up_token.is_none() {
                return Err(ApiError::new(
                    ErrorCode::StepUpRequired,
                    "a customer rotates their token with a step-up token",
                )
                .with_field("step_up_token"));
            }
        }
        _ => return Err(ApiError::forbidden()),
    }
    account(&state, id).await?;
    let response = once(&state, idem, async {
        let now = state.clock().now();
        if let Some(step_up) = &body.step_up_token {
            state
                .risk_edge()
                .step_ups
                .spend(step_up, id, idem, now)
                .map_err(|e| e.with_field("step_up_token"))?;
        }
        let issued = state.tokens().issue(state.meta(), id, now).await?;
        let mut response = RotatedResponse {
            customer_id: id.to_string(),
            token: None,
            token_issued: false,
            token_expires_at: issued.expires_at.to_string(),
        };
        let stored = Answer::new(StatusCode::CREATED, &response)?;
        response.token = Some(issued.token);
        response.token_issued = true;
        Answer::new(StatusCode::CREATED, &response)?.storing(&stored.body)
    })
    .await?;
    Ok(no_store(response))
}

/// An empty object: a refresh takes nothing but the caller's token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {}

#[derive(Debug, Serialize, ToSchema)]
pub struct RefreshedResponse {
    pub customer_id: String,
    /// When the token used for this call now expires (RFC 3339).
    pub token_expires_at: String,
}

/// Refresh the calling customer's token: the same token stays valid for another lifetime from
/// now (default 30 days). The app calls it while its token is still valid (e.g. at each
/// launch); an expired token is refused with `token_expired` and replaced by an operator's
/// rotation.
#[utoipa::path(operation_id = "refresh_token", post, path = "/v1/customers/{customer_id}/token/refresh", tag = "customers",
    request_body = RefreshBody, params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "the new expiry", body = RefreshedResponse), Refusals, (status = 503, description = "unavailable: retry later", body = ErrorBody)))]
pub async fn refresh(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let id = AccountId(call.id("customer_id")?);
    call.principal.customer_self(id)?;
    let idem = call.idem()?;
    let _: RefreshBody = call.json()?;
    let response = once(&state, idem, async {
        let expires_at = state.tokens().refresh(state.meta(), id, state.clock().now()).await?;
        let response = RefreshedResponse {
            customer_id: id.to_string(),
            token_expires_at: expires_at.to_string(),
        };
        Answer::new(StatusCode::OK, &response)
    })
    .await?;
    Ok(no_store(response))
}
