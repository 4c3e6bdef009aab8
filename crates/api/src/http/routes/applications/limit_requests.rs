//! Temporary-limit requests through risk control: the `limit_request` checkpoint run before a
//! customer's request is granted, and the credit officers' queue of the requests it sent to
//! review (`GET /v1/temporary-limit-requests`, `POST .../{request_id}/decide`, permission
//! `limits.temporary`, each decision in the audit log by the audit layer).

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use credit::AccountId;
use engine::ask;
use money::Amount;
use onboarding::TemporaryRefusal;
use risk::{Channel, CheckpointDetail};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Applications;
use crate::edge::limit_requests::{self, LimitRequest};
use crate::edge::review_evidence::decision_json;
use crate::edge::risk_input::{RiskBody, context_for};
use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::http::idempotency::IdemKey;
use crate::http::once::{Answer, once};
use crate::http::submit::{Audience, ask, refusal, submit_error};
use crate::state::AppState;

/// A request risk control sent to a credit officer (202).
#[derive(Debug, Serialize, ToSchema)]
pub struct TemporaryPendingResponse {
    pub customer_id: String,
    pub request_id: String,
    /// Always `pending_review`: a credit officer approves or declines it
    /// (`POST /v1/temporary-limit-requests/{request_id}/decide`).
    pub status: &'static str,
    pub reasons: Vec<String>,
}

/// The answer to a temporary-limit refusal of the policy.
pub(crate) fn temporary_refusal(e: TemporaryRefusal) -> ApiError {
    let message = e.to_string();
    match e {
        TemporaryRefusal::Days => ApiError::new(ErrorCode::DaysOutOfRange, message).with_field("days"),
        TemporaryRefusal::Amount => ApiError::new(ErrorCode::AmountOutOfRange, message).with_field("amount_fen"),
        TemporaryRefusal::AccountNotFound => ApiError::new(ErrorCode::AccountNotFound, message),
        TemporaryRefusal::NoLine => ApiError::new(ErrorCode::NoLine, message),
        TemporaryRefusal::Frozen => ApiError::new(ErrorCode::AccountFrozen, message),
        TemporaryRefusal::ChargedOff => ApiError::new(ErrorCode::AccountChargedOff, message),
        TemporaryRefusal::NotCurrent => ApiError::new(ErrorCode::AccountNotCurrent, message),
        TemporaryRefusal::Engine(rejection) => refusal(rejection, Audience::Account),
        TemporaryRefusal::TryLater(error) => submit_error(error),
    }
}

/// Runs the `limit_request` checkpoint. A deny or a step-up is an error (403 with reasons);
/// a review queues the request and answers what to tell the customer; an allow (or an engine
/// without risk) answers `None`: the grant goes on.
pub async fn checkpoint(
    state: &AppState,
    account: AccountId,
    amount: Amount,
    days: u16,
    risk: Option<&RiskBody>,
    peer: Option<IpAddr>,
    idem: IdemKey,
) -> Result<Option<TemporaryPendingResponse>, ApiError> {
    let context = context_for(state, risk, peer, Channel::Online, account, idem)?;
    // Held from the pending check to the record's save: two requests of one customer at once
    // would otherwise both find none pending.
    let _one_at_a_time = limit_requests::DECIDING.lock().await;
    refuse_second_pending(state, account).await?;
    let detail = CheckpointDetail::LimitRequest { amount, days };
    // The grant that follows is keyed by the caller's key; the checkpoint by one derived from it.
    let key = IdemKey {
        key: u128::from(idem.derive("limit_request")),
        ..idem
    };
    let answered = ask(
        state,
        ask::Checkpoint { account, detail },
        key,
        Audience::Account,
        Some(context),
    )
    .await?;
    let Some(record) = answered.risk.as_deref().filter(|r| r.outcome == risk::Outcome::Review) else {
        return Ok(None);
    };
    let request = LimitRequest {
        id: idem.derive("limit_request_id") >> 11,
        account: account.0,
        amount_fen: amount.fen(),
        days,
        requested_at_us: answered.at.as_microsecond(),
        status: "pending".to_owned(),
        decision: decision_json(record),
        decided_by: None,
        decided_at_us: None,
        expires_on: None,
        assignee: None,
        assignee_name: None,
        assigned_at_us: None,
    };
    limit_requests::save(state.meta(), &request).await?;
    Ok(Some(TemporaryPendingResponse {
        customer_id: account.to_string(),
        request_id: request.id.to_string(),
        status: "pending_review",
        reasons: record.reasons.iter().map(|r| r.as_str().to_owned()).collect(),
    }))
}

/// One request at a time waits for a credit officer: a customer's second request while one is
/// pending answers 409 `limit_request_pending` (before the checkpoint: asking again changes
/// nothing the officer sees). Checked inside `once`, so a retry of the first gets its answer.
async fn refuse_second_pending(state: &AppState, account: AccountId) -> Result<(), ApiError> {
    let pending = limit_requests::all(state.meta())
        .await?
        .iter()
        .any(|r| r.account == account.0 && r.status == "pending");
    if pending {
        return Err(ApiError::new(
            ErrorCode::LimitRequestPending,
            "a temporary-limit request of this customer waits for a credit officer",
        ));
    }
    Ok(())
}

/// A queued request as a credit officer sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LimitRequestView {
    pub request_id: String,
    pub customer_id: String,
    pub amount_fen: i64,
    pub days: u16,
    pub requested_at: String,
    /// `pending`, `approved` or `declined`.
    pub status: String,
    /// The `limit_request` decision: `outcome`, `reasons` (the rules that fired), `rules`,
    /// `models` and `features`.
    #[schema(value_type = Object)]
    pub decision: serde_json::Value,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub expires_on: Option<String>,
    /// The credit officer who claimed it (`POST .../{request_id}/claim`), if any.
    pub assignee_id: Option<String>,
    pub assignee_name: Option<String>,
    /// When it is due (asked + the queue's SLA, 8 hours) and whether it is late (pending only).
    pub sla_due_at: String,
    pub sla_breached: bool,
}

fn time_of(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us).map_or_else(|_| us.to_string(), |t| t.to_string())
}

impl LimitRequestView {
    fn of(r: &LimitRequest, now_us: i64) -> LimitRequestView {
        let (due, late) = limit_requests::sla(r.requested_at_us, now_us);
        LimitRequestView {
            assignee_id: r.assignee.map(|a| a.to_string()),
            assignee_name: r.assignee_name.clone(),
            sla_due_at: time_of(due),
            sla_breached: late && r.status == "pending",
            request_id: r.id.to_string(),
            customer_id: r.account.to_string(),
            amount_fen: r.amount_fen,
            days: r.days,
            requested_at: time_of(r.requested_at_us),
            status: r.status.clone(),
            decision: r.decision.clone(),
            decided_by: r.decided_by.clone(),
            decided_at: r.decided_at_us.map(time_of),
            expires_on: r.expires_on.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LimitRequestsResponse {
    pub requests: Vec<LimitRequestView>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LimitRequestFilter {
    /// `pending`, `approved` or `declined`.
    pub status: Option<String>,
}

/// The temporary-limit requests risk control sent to review, oldest first (credit officer).
#[utoipa::path(operation_id = "list_temporary_limit_requests", get, path = "/v1/temporary-limit-requests", tag = "applications",
    params(LimitRequestFilter), security(("bearer" = [])),
    responses((status = 200, description = "success", body = LimitRequestsResponse), Refusals))]
pub async fn list(
    State(state): State<AppState>,
    axum::extract::Query(filter): axum::extract::Query<LimitRequestFilter>,
    call: Call,
) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let status = filter.status.as_deref();
    if status.is_some_and(|s| !["pending", "approved", "declined"].contains(&s)) {
        return Err(
            ApiError::new(ErrorCode::InvalidField, "status is pending, approved or declined").with_field("status"),
        );
    }
    let now_us = state.clock().now().as_microsecond();
    let requests = limit_requests::all(state.meta())
        .await?
        .iter()
        .filter(|r| status.is_none_or(|s| r.status == s))
        .map(|r| LimitRequestView::of(r, now_us))
        .collect();
    Ok(respond(StatusCode::OK, &LimitRequestsResponse { requests }, false))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideBody {
    /// `true` grants the request (the temporary-limit policy is checked again now); `false`
    /// declines it.
    pub approve: bool,
}

/// Approve or decline a queued temporary-limit request (credit officer). A request already
/// decided answers 409 `limit_request_decided`; an approval the policy now refuses answers the
/// policy's code and leaves the request pending.
#[utoipa::path(operation_id = "decide_temporary_limit_request", post, path = "/v1/temporary-limit-requests/{request_id}/decide", tag = "applications",
    request_body = DecideBody, params(("request_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "decided", body = LimitRequestView), Refusals, Unavailable))]
pub async fn decide(
    State(state): State<AppState>,
    Extension(apps): Extension<Arc<Applications>>,
    call: Call,
) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let id = call.id("request_id")?;
    let body: DecideBody = call.json()?;
    let service = apps.service()?;
    let by = call.operator_name.clone().unwrap_or_else(|| "operator".to_owned());
    once(&state, call.idem()?, async {
        let not_found =
            || ApiError::new(ErrorCode::LimitRequestNotFound, "no limit request has this id").with_field("request_id");
        let _deciding = limit_requests::DECIDING.lock().await;
        let mut request = limit_requests::get(state.meta(), id).await?.ok_or_else(not_found)?;
        if request.status != "pending" {
            return Err(ApiError::new(
                ErrorCode::LimitRequestDecided,
                "the request is already decided",
            ));
        }
        let now = state.clock().now();
        if body.approve {
            let account = AccountId(request.account);
            let amount = Amount::from_fen(request.amount_fen);
            let granted = service
                .grant_temporary_limit(state.engine(), account, amount, request.days, now)
                .await
                .map_err(temporary_refusal)?;
            request.expires_on = Some(granted.expires_on.to_string());
        }
        request.status = if body.approve { "approved" } else { "declined" }.to_owned();
        request.decided_by = Some(by);
        request.decided_at_us = Some(now.as_microsecond());
        limit_requests::save(state.meta(), &request).await?;
        Answer::new(StatusCode::OK, &LimitRequestView::of(&request, now.as_microsecond()))
    })
    .await
}

/// Claim a pending temporary-limit request (credit officer, signed in as a person): it is
/// theirs to decide ("my" requests in the console). Claiming one's own again answers it
/// unchanged; one another officer holds answers 409 `case_assigned`; a decided one 409
/// `limit_request_decided`. Audited by the audit layer.
#[utoipa::path(operation_id = "claim_temporary_limit_request", post, path = "/v1/temporary-limit-requests/{request_id}/claim", tag = "applications",
    request_body = crate::http::routes::payments::EmptyBody, params(("request_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "claimed", body = LimitRequestView), Refusals, Unavailable))]
pub async fn claim(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let (me, name) = crate::http::routes::casework::person(&call)?;
    let id = call.id("request_id")?;
    let _: crate::http::routes::payments::EmptyBody = call.json()?;
    once(&state, call.idem()?, async {
        let _deciding = limit_requests::DECIDING.lock().await;
        let mut request = limit_requests::get(state.meta(), id).await?.ok_or_else(|| {
            ApiError::new(ErrorCode::LimitRequestNotFound, "no limit request has this id").with_field("request_id")
        })?;
        if request.status != "pending" {
            return Err(ApiError::new(
                ErrorCode::LimitRequestDecided,
                "the request is already decided",
            ));
        }
        let now = state.clock().now();
        match request.assignee {
            Some(holder) if holder != me => {
                return Err(ApiError::new(
                    ErrorCode::CaseAssigned,
                    "another officer holds this request",
                ));
            }
            Some(_) => {}
            None => {
                request.assignee = Some(me);
                request.assignee_name = Some(name);
                request.assigned_at_us = Some(now.as_microsecond());
                limit_requests::save(state.meta(), &request).await?;
            }
        }
        Answer::new(StatusCode::OK, &LimitRequestView::of(&request, now.as_microsecond()))
    })
    .await
}
