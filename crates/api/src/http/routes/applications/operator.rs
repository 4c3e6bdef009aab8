//! The analysts' and operators' side: approve or decline an application in review, run the
//! limit review; and the customer's request for a temporary limit.

use std::sync::Arc;

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use credit::AccountId;
use money::Amount;
use onboarding::{ApplicationId, ReviewError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Applications;
use super::dto::RecordResponse;
use super::limit_requests::{TemporaryPendingResponse, temporary_refusal};
use crate::edge::risk_input::Peer;
use crate::http::call::{Call, no_store};
use crate::http::error::{ApiError, ErrorBody, ErrorCode, Refusals};
use crate::http::input::FenInput;
use crate::http::once::{Answer, once};
use crate::http::submit::{Audience, refusal, submit_error};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    /// The limit to grant; the proposal when absent.
    #[serde(default)]
    pub limit_fen: Option<FenInput>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovedResponse {
    #[serde(flatten)]
    pub application: RecordResponse,
    /// The customer's bearer token, for the app to receive, shown this once: a retry of the
    /// approval (same key) gets `null` and `token_issued: false`.
    pub token: Option<String>,
    /// Whether this answer issued `token`.
    pub token_issued: bool,
}

fn review_error(e: ReviewError) -> ApiError {
    let message = e.to_string();
    match e {
        ReviewError::NotFound => ApiError::new(ErrorCode::ApplicationNotFound, message),
        ReviewError::NotInReview => ApiError::new(ErrorCode::ApplicationNotInReview, message),
        ReviewError::NoProposal => ApiError::new(ErrorCode::NoProposal, message).with_field("limit_fen"),
        ReviewError::Collision => ApiError::new(ErrorCode::AccountIdCollision, message),
        ReviewError::TierInvalid => ApiError::new(ErrorCode::TierInvalid, message),
        ReviewError::Engine(rejection) => refusal(rejection, Audience::Account),
        ReviewError::Submit(error) => submit_error(error),
        ReviewError::Store(_) => ApiError::internal(message),
    }
}

/// Approve an application in review (operator): the line opens at once, at the given limit or
/// the proposal, with the proposed price tier.
#[utoipa::path(operation_id = "approve_application", post, path = "/v1/applications/{application_id}/approve", tag = "applications",
    request_body = ApproveBody, params(("application_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = ApprovedResponse), Refusals))]
pub async fn approve(
    State(state): State<AppState>,
    Extension(apps): Extension<Arc<Applications>>,
    call: Call,
) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let service = apps.service()?;
    let id = ApplicationId(call.id("application_id")?);
    let body: ApproveBody = call.json()?;
    let limit = body
        .limit_fen
        .map(|l| l.parse(state.product(), "limit_fen"))
        .transpose()?;
    let now = state.clock().now();
    let answer = once(&state, call.idem()?, async {
        let record = service
            .approve_review(state.engine(), id, "operator", limit, now)
            .await
            .map_err(review_error)?;
        let issued = state.tokens().issue(state.meta(), record.account, now).await?;
        let mut response = ApprovedResponse {
            application: RecordResponse::of(&record),
            token: None,
            token_issued: false,
        };
        let stored = Answer::new(StatusCode::OK, &response)?;
        response.token = Some(issued.token);
        response.token_issued = true;
        Answer::new(StatusCode::OK, &response)?.storing(&stored.body)
    })
    .await?;
    Ok(no_store(answer))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineBody {
    /// The analyst's reason codes (`A-Z`, `0-9`, `_`; at most 8).
    #[serde(default)]
    pub reasons: Vec<String>,
}

/// Decline an application in review (operator); no line is opened.
#[utoipa::path(operation_id = "decline_application", post, path = "/v1/applications/{application_id}/decline", tag = "applications",
    request_body = DeclineBody, params(("application_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = RecordResponse), Refusals))]
pub async fn decline(
    State(state): State<AppState>,
    Extension(apps): Extension<Arc<Applications>>,
    call: Call,
) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let service = apps.service()?;
    let id = ApplicationId(call.id("application_id")?);
    let body: DeclineBody = call.json()?;
    let code_ok = |r: &String| {
        (1..=32).contains(&r.len())
            && r.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    };
    if body.reasons.len() > 8 || !body.reasons.iter().all(code_ok) {
        return Err(ApiError::new(ErrorCode::InvalidField, "up to 8 codes of A-Z, 0-9 and _").with_field("reasons"));
    }
    once(&state, call.idem()?, async {
        let record = service
            .decline_review(id, "operator", body.reasons, state.clock().now())
            .map_err(review_error)?;
        Answer::new(StatusCode::OK, &RecordResponse::of(&record))
    })
    .await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewedLine {
    pub customer_id: String,
    /// `raise`, `keep` or `lower`.
    #[schema(value_type = String, example = "raise")]
    pub action: onboarding::ReviewAction,
    pub limit_before_fen: i64,
    pub limit_after_fen: i64,
    /// Principal owed plus open holds: a line is never lowered below it.
    pub exposure_fen: i64,
    /// The review table's reason code.
    pub reason: Option<String>,
    /// Why the line was not reviewed (`ACCOUNT_NOT_FOUND`, `ENGINE_BUSY`, ...).
    pub skipped: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LimitReviewResponse {
    pub reviewed: usize,
    pub raised: usize,
    pub lowered: usize,
    pub lines: Vec<ReviewedLine>,
}

/// Run the periodic limit review over every line onboarding opened (operator): each line's
/// repayment behaviour goes through `rules/limits/limit_review.json`, which raises, keeps or
/// lowers the limit (never below what is owed plus what is held).
#[utoipa::path(operation_id = "review_limits", post, path = "/v1/limit-reviews", tag = "applications",
    request_body = crate::http::routes::payments::EmptyBody, params(("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = LimitReviewResponse), Refusals))]
pub async fn limit_review(
    State(state): State<AppState>,
    Extension(apps): Extension<Arc<Applications>>,
    call: Call,
) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let _: crate::http::routes::payments::EmptyBody = call.json()?;
    let service = apps.service()?;
    once(&state, call.idem()?, async {
        let accounts = service.line_accounts();
        let done = service
            .review_limits(state.engine(), &accounts, state.clock().now())
            .await;
        let count = |action| done.iter().filter(|r| r.action == action).count();
        let response = LimitReviewResponse {
            reviewed: done.len(),
            raised: count(onboarding::ReviewAction::Raise),
            lowered: count(onboarding::ReviewAction::Lower),
            lines: done
                .iter()
                .map(|r| ReviewedLine {
                    customer_id: r.account.to_string(),
                    action: r.action,
                    limit_before_fen: r.before.fen(),
                    limit_after_fen: r.after.fen(),
                    exposure_fen: r.exposure.fen(),
                    reason: r.reason.clone(),
                    skipped: r.skipped.clone(),
                })
                .collect(),
        };
        Answer::new(StatusCode::OK, &response)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemporaryRequestBody {
    pub amount_fen: FenInput,
    /// 1 to 90.
    #[schema(minimum = 1, maximum = 90, example = 30)]
    pub days: u16,
    /// Where and how the customer asked, for the `limit_request` risk checkpoint.
    pub risk: Option<crate::edge::risk_input::RiskBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemporaryResponse {
    pub customer_id: String,
    pub temporary_limit_fen: i64,
    /// The last day it can be used.
    pub expires_on: String,
}

/// A customer asks for a temporary limit on top of the permanent one (the customer themself).
/// Risk control decides first (the `limit_request` checkpoint): `deny` answers 403
/// `risk_declined` with `reasons`, `review` queues the request for a credit officer (202
/// `pending_review`), `allow` goes on. Then the policy decides: the line open, not frozen and
/// nothing past due; the amount up to the permanent limit and 50,000 yuan; 1 to 90 days from
/// today. It lapses after `expires_on`.
#[utoipa::path(operation_id = "request_temporary_limit", post, path = "/v1/customers/{customer_id}/temporary-limit-requests", tag = "applications",
    request_body = TemporaryRequestBody, params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "granted", body = TemporaryResponse),
        (status = 202, description = "risk control queued it for a credit officer", body = TemporaryPendingResponse),
        Refusals, (status = 503, description = "busy: retry later", body = ErrorBody)))]
pub async fn temporary_limit_request(
    State(state): State<AppState>,
    Extension(apps): Extension<Arc<Applications>>,
    Peer(peer): Peer,
    call: Call,
) -> Result<Response, ApiError> {
    let account = AccountId(call.id("customer_id")?);
    call.principal.customer_self(account)?;
    let service = apps.service()?;
    let body: TemporaryRequestBody = call.json()?;
    let amount: Amount = body.amount_fen.parse(state.product(), "amount_fen")?;
    let idem = call.idem()?;
    once(&state, idem, async {
        let (days, risk) = (body.days, body.risk.as_ref());
        if let Some(pending) =
            super::limit_requests::checkpoint(&state, account, amount, days, risk, peer, idem).await?
        {
            return Answer::new(StatusCode::ACCEPTED, &pending);
        }
        let granted = service
            .grant_temporary_limit(state.engine(), account, amount, body.days, state.clock().now())
            .await
            .map_err(temporary_refusal)?;
        let response = TemporaryResponse {
            customer_id: account.to_string(),
            temporary_limit_fen: granted.amount.fen(),
            expires_on: granted.expires_on.to_string(),
        };
        Answer::new(StatusCode::OK, &response)
    })
    .await
}

#[cfg(test)]
mod tests {
    use engine::{EngineRejection, SubmitError};
    use onboarding::{ReviewError, TemporaryRefusal};

    use super::review_error;
    use crate::http::error::ErrorCode;
    use crate::http::routes::applications::limit_requests::temporary_refusal;

    #[test]
    fn onboarding_refusals_keep_their_codes_and_engine_ones_map_like_the_engine() {
        let frozen = EngineRejection::Credit(credit::Rejection::AccountFrozen);
        for e in [
            TemporaryRefusal::Days,
            TemporaryRefusal::Amount,
            TemporaryRefusal::AccountNotFound,
            TemporaryRefusal::NoLine,
            TemporaryRefusal::Frozen,
            TemporaryRefusal::ChargedOff,
            TemporaryRefusal::NotCurrent,
            TemporaryRefusal::Engine(frozen),
        ] {
            assert_eq!(temporary_refusal(e).code.as_str(), e.code(), "{e:?}");
        }
        assert_eq!(
            temporary_refusal(TemporaryRefusal::TryLater(SubmitError::Busy)).code,
            ErrorCode::Busy
        );
        for e in [
            ReviewError::NotFound,
            ReviewError::NotInReview,
            ReviewError::NoProposal,
            ReviewError::Collision,
            ReviewError::TierInvalid,
            ReviewError::Engine(frozen),
        ] {
            let code = e.code();
            assert_eq!(review_error(e).code.as_str(), code);
        }
        let engine = review_error(ReviewError::Engine(frozen));
        assert_eq!((engine.status.as_u16(), engine.code), (409, ErrorCode::AccountFrozen));
        let busy = review_error(ReviewError::Submit(SubmitError::Unavailable));
        assert_eq!((busy.status.as_u16(), busy.code), (503, ErrorCode::Unavailable));
    }
}
