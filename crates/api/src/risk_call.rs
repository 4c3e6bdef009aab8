//! Submitting a request with its [`RiskContext`] and answering risk control's refusals with
//! their reason codes:
//!
//! | refusal | status | code |
//! | --- | --- | --- |
//! | deny, on a merchant's authorization | 402 | `risk_declined`, `reasons` |
//! | deny, on a customer's call (repayment) | 403 | `risk_declined`, `reasons` |
//! | challenge not satisfied | 403 | `challenge_required`, `challenge` (`otp`/`liveness`), `reasons` |
//!
//! A challenge is answered by a step-up (`POST /v1/customers/{id}/step-up`) and the call
//! repeated **under a new Idempotency-Key** with `risk.step_up_token` (the refusal is the
//! stored answer of the first key).

use axum::http::StatusCode;
use engine::{EngineRejection, Outcome, Request, RiskBlock, RiskContext, RiskRecord};

use crate::error::ApiError;
use crate::idempotency::IdemKey;
use crate::merchants::key_reused;
use crate::state::AppState;
use crate::step_up::kind_name;
use crate::submit::{Applied, Audience, refusal, submit_error};

/// Submits `request` with `context` and requires it applied.
pub async fn apply_with(
    state: &AppState,
    request: Request,
    idem: IdemKey,
    audience: Audience,
    context: Option<RiskContext>,
) -> Result<Applied, ApiError> {
    let receiver = state
        .engine()
        .submit_with(request, Some(idem.engine()), context)
        .map_err(submit_error)?;
    let reply = receiver
        .await
        .map_err(|_| ApiError::unavailable("the engine stopped before answering"))?;
    crate::simulation::record(&reply);
    match reply.outcome {
        Outcome::Applied { op, events } => Ok(Applied {
            op,
            events,
            at: reply.at,
            replayed: reply.replayed,
        }),
        Outcome::Rejected {
            rejection: EngineRejection::Risk(block),
        } => Err(risk_refusal(block, reply.risk.as_deref(), audience)),
        Outcome::Rejected { rejection } => Err(refusal(rejection, audience)),
        Outcome::Conflict => Err(key_reused()),
    }
}

/// The reason codes of a decision.
pub fn reasons(risk: Option<&RiskRecord>) -> Vec<String> {
    risk.map(|r| r.reasons.iter().map(|c| c.as_str().to_owned()).collect())
        .unwrap_or_default()
}

/// The error of a risk refusal, with its reason codes.
pub fn risk_refusal(block: RiskBlock, risk: Option<&RiskRecord>, audience: Audience) -> ApiError {
    let reasons = reasons(risk);
    match block {
        RiskBlock::Denied => {
            let status = if audience == Audience::Authorize {
                StatusCode::PAYMENT_REQUIRED
            } else {
                StatusCode::FORBIDDEN
            };
            ApiError::new(status, "risk_declined", "declined by risk control").with_risk(reasons, None)
        }
        RiskBlock::ChallengeRequired(kind) => {
            let name = kind_name(kind);
            let message = format!(
                "the customer must pass a step-up ({name}); repeat the call under a new Idempotency-Key with risk.step_up_token"
            );
            ApiError::new(StatusCode::FORBIDDEN, "challenge_required", message).with_risk(reasons, Some(name))
        }
    }
}
