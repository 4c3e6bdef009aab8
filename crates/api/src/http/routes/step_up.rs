//! Step-up: `POST /v1/customers/{id}/step-up` starts a challenge (OTP or liveness), then
//! `.../step-up/{challenge_id}/verify` answers it for a single-use token.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use credit::AccountId;
use identity::{ChallengeId, FaceImage, Liveness, OtpCheck, OtpCode};
use risk::ChallengeKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::edge::step_up::kind_name;
use crate::edge::subjects::subject;
use crate::http::call::Call;
use crate::http::error::{ApiError, ErrorBody, ErrorCode, Refusals};
use crate::http::once::{Answer, once};
use crate::state::AppState;

pub fn provider_error(error: identity::ProviderError) -> ApiError {
    if error.is_try_later() {
        ApiError::unavailable(format!("the identity provider is unavailable: {error}"))
    } else {
        ApiError::new(
            ErrorCode::StepUpRefused,
            format!("the identity provider refused: {error}"),
        )
    }
}

#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KindDto {
    Otp,
    Liveness,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepUpBody {
    /// `otp` (a code by SMS to the mobile on file) or `liveness` (a face capture compared with
    /// the photo of the ID number on file).
    pub kind: KindDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengeResponse {
    pub challenge_id: String,
    pub kind: &'static str,
    pub expires_at: String,
}

/// Start a step-up challenge (the customer).
#[utoipa::path(operation_id = "start_step_up", post, path = "/v1/customers/{customer_id}/step-up", tag = "risk", request_body = StepUpBody,
    params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, description = "challenge started", body = ChallengeResponse), Refusals, (status = 503, description = "provider unavailable: retry later", body = ErrorBody)))]
pub async fn start(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let id = AccountId(call.id("customer_id")?);
    call.principal.customer_self(id)?;
    let body: StepUpBody = call.json()?;
    let idem = call.idem()?;
    once(&state, idem, async {
        let who = subject(&state, id).await?;
        let edge = state.risk_edge();
        let now = state.clock().now();
        let (challenge, kind, provider) = match body.kind {
            KindDto::Otp => {
                let sent = edge.providers.otp.send_otp(&who.mobile).await.map_err(provider_error)?;
                (sent.as_str().to_owned(), ChallengeKind::Otp, Some(sent))
            }
            KindDto::Liveness => (
                format!("lv_{}", &crate::random::hex_secret()?[..40]),
                ChallengeKind::Liveness,
                None,
            ),
        };
        let expires_at = edge.step_ups.open(challenge.clone(), id, kind, provider, now)?;
        let response = ChallengeResponse {
            challenge_id: challenge,
            kind: kind_name(kind),
            expires_at: expires_at.to_string(),
        };
        Answer::new(StatusCode::CREATED, &response)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    /// The SMS code (`otp`).
    pub code: Option<String>,
    /// The provider's reference to the face capture its SDK made (`liveness`).
    pub face: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// Present it as `risk.step_up_token` (payments), `step_up_token` (unfreeze, token
    /// rotation). Single use. Shown this once: a retry of the same verification gets `null`
    /// (start a new challenge if the answer was lost).
    pub step_up_token: Option<String>,
    pub kind: &'static str,
    pub expires_at: String,
}

fn failed(left: u32) -> ApiError {
    ApiError::new(
        ErrorCode::StepUpFailed,
        format!("the check did not pass: {left} attempts left"),
    )
}

/// Answer a challenge; a pass returns the step-up token (the customer).
#[utoipa::path(operation_id = "verify_step_up", post, path = "/v1/customers/{customer_id}/step-up/{challenge_id}/verify", tag = "risk",
    request_body = VerifyBody,
    params(("customer_id" = String, Path), ("challenge_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "passed", body = TokenResponse), (status = 422, description = "step_up_failed", body = ErrorBody),
        Refusals, (status = 503, description = "provider unavailable: retry later", body = ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    challenge_id: ChallengePath,
    call: Call,
) -> Result<Response, ApiError> {
    let id = AccountId(call.id("customer_id")?);
    call.principal.customer_self(id)?;
    let body: VerifyBody = call.json()?;
    let idem = call.idem()?;
    let challenge_id = challenge_id.0;
    once(&state, idem, async {
        let edge = state.risk_edge();
        let now = state.clock().now();
        let challenge = edge.step_ups.challenge(&challenge_id, id, now)?;
        let passed = match challenge.kind {
            ChallengeKind::Otp => {
                let text = body.code.as_deref().ok_or_else(|| {
                    ApiError::new(ErrorCode::MissingField, "an otp challenge is answered with code").with_field("code")
                })?;
                let code = OtpCode::parse(text)
                    .map_err(|e| ApiError::new(ErrorCode::InvalidField, e.to_string()).with_field("code"))?;
                let provider = challenge
                    .provider
                    .clone()
                    .ok_or_else(|| ApiError::internal("an otp challenge without its provider id"))?;
                match edge
                    .providers
                    .otp
                    .verify_otp(&provider, &code)
                    .await
                    .map_err(provider_error)?
                {
                    OtpCheck::Ok => true,
                    OtpCheck::Wrong => false,
                    OtpCheck::Expired | OtpCheck::TooManyAttempts => {
                        return Err(ApiError::new(
                            ErrorCode::ChallengeNotFound,
                            "the code expired: start a new challenge",
                        )
                        .with_field("challenge_id"));
                    }
                }
            }
            ChallengeKind::Liveness => {
                let text = body.face.as_deref().ok_or_else(|| {
                    ApiError::new(ErrorCode::MissingField, "a liveness challenge is answered with face")
                        .with_field("face")
                })?;
                let face = FaceImage::reference(text)
                    .map_err(|e| ApiError::new(ErrorCode::InvalidField, e.to_string()).with_field("face"))?;
                let who = subject(&state, id).await?;
                let Liveness { passed, .. } = edge
                    .providers
                    .liveness
                    .check_liveness(&face, &who.id_number)
                    .await
                    .map_err(provider_error)?;
                passed
            }
        };
        if !passed {
            return Err(failed(edge.step_ups.wrong(&challenge_id)));
        }
        let (token, expires_at) = edge.step_ups.pass(&challenge_id, &challenge, now)?;
        let mut response = TokenResponse {
            step_up_token: None,
            kind: kind_name(challenge.kind),
            expires_at: expires_at.to_string(),
        };
        let stored = Answer::new(StatusCode::OK, &response)?;
        response.step_up_token = Some(token);
        Answer::new(StatusCode::OK, &response)?.storing(&stored.body)
    })
    .await
    .map(crate::http::call::no_store)
}

/// The `{challenge_id}` path parameter (any text; unknown ids are simply not found).
#[derive(Debug)]
pub struct ChallengePath(pub String);

impl axum::extract::FromRequestParts<AppState> for ChallengePath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &AppState) -> Result<Self, ApiError> {
        let params = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::new(ErrorCode::InvalidId, "a path parameter is not valid UTF-8"))?;
        let found = params
            .iter()
            .find(|(k, _)| *k == "challenge_id")
            .map(|(_, v)| v.to_owned())
            .filter(|v| ChallengeId::parse(v).is_ok())
            .ok_or_else(|| {
                ApiError::new(ErrorCode::InvalidId, "challenge_id is 1 to 64 letters, digits, _ or -")
                    .with_field("challenge_id")
            })?;
        Ok(ChallengePath(found))
    }
}
