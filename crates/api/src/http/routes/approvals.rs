//! The four-eyes queue (`/v1/approvals`): proposals waiting for a second operator, and the
//! decisions. Approving runs the maker's call as the maker made it (the route's own handler,
//! past its gate) under an idempotency key of the approval's own, so approving again after a
//! crash mid-way applies it once; rejecting closes it. A reveal's approval runs nothing: its
//! maker then makes the reveal (`routes::reveal`). See `http::four_eyes` for which calls ask.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use crate::edge::approvals::{Person, Proposal, Status};
use crate::http::audited::{Entry, record};
use crate::http::auth::{Grants, Operator, OperatorId, Permission, Principal};
use crate::http::call::{Approved, Call, Target, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::http::four_eyes::{ApprovalView, person, same_person, view};
use crate::http::idempotency::{IdemKey, request_hash};
use crate::http::once::{Answer, once};
use crate::http::routes::{cases, collections, exemptions, operator, payouts, plans, repayments, rule_deploys, theft};
use crate::state::AppState;

/// The route a proposal of `reveal` is made on (approving it runs nothing).
pub const REVEAL_ROUTE: &str = "/v1/reveals";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only proposals in this status (`pending` for the queue).
    pub status: Option<String>,
    /// At most this many, newest first (1 to 500; 100 by default).
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalList {
    pub approvals: Vec<ApprovalView>,
}

/// Proposals, newest first (operator).
#[utoipa::path(operation_id = "list_approvals", get, path = "/v1/approvals", tag = "operator", params(ListQuery),
    security(("bearer" = [])), responses((status = 200, description = "success", body = ApprovalList), Refusals))]
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
    call: Call,
) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let Ok(Query(query)) = query else {
        return Err(ApiError::new(
            ErrorCode::InvalidField,
            "status is a status name and limit a whole number",
        )
        .with_field("limit"));
    };
    let status = match query.status.as_deref() {
        None => None,
        Some(name) => Some(Status::parse(name).ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidField,
                "status is one of pending, approved, applied, failed, rejected, expired, used",
            )
            .with_field("status")
        })?),
    };
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::new(ErrorCode::InvalidField, "limit is 1 to 500").with_field("limit"));
    }
    let approvals = state.approvals().list(status, limit, state.clock().now());
    let list = ApprovalList {
        approvals: approvals.iter().map(view).collect(),
    };
    Ok(respond(StatusCode::OK, &list, false))
}

/// One proposal (operator).
#[utoipa::path(operation_id = "get_approval", get, path = "/v1/approvals/{approval_id}", tag = "operator",
    params(("approval_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = ApprovalView), Refusals))]
pub async fn one(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let proposal = state.approvals().get(call.id("approval_id")?, state.clock().now())?;
    Ok(respond(StatusCode::OK, &view(&proposal), false))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// Why (kept with the proposal and in the audit log; a rejection should say).
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

/// A checker's decision as their call makes it: which proposal, who, what they may do, why.
struct Decision {
    id: u64,
    checker: Person,
    grants: Grants,
    note: Option<String>,
}

impl Decision {
    fn of(state: &AppState, call: &Call) -> Result<Decision, ApiError> {
        // Who first: a caller who is no operator learns nothing from the input's checks.
        let grants = call.principal.operator()?.grants;
        let checker = person(state, call)?;
        let body: DecisionBody = call.json()?;
        Ok(Decision {
            id: call.id("approval_id")?,
            checker,
            grants,
            note: body
                .note
                .map(|n| crate::http::input::parse_text(&n, "note", 500))
                .transpose()?,
        })
    }

    /// `proposal` moved to `status` by this checker at `now`, if they may decide it.
    fn mark(&self, mut proposal: Proposal, status: Status, now: jiff::Timestamp) -> Result<Proposal, ApiError> {
        check(&proposal, &self.checker, self.grants)?;
        proposal.status = status;
        proposal.checker = Some(self.checker.clone());
        if self.note.is_some() {
            proposal.note = self.note.clone();
        }
        proposal.decided_at_us = Some(now.as_microsecond());
        Ok(proposal)
    }
}

/// The checker: a person (a session), not the maker, holding what the proposal needs.
fn check(proposal: &Proposal, checker: &Person, grants: Grants) -> Result<(), ApiError> {
    if checker.operator.is_none() {
        return Err(ApiError::new(
            ErrorCode::FourEyesNeedsPerson,
            "proposals are approved by an operator signed in as a person",
        ));
    }
    if same_person(&proposal.maker, checker) {
        return Err(ApiError::new(
            ErrorCode::FourEyesSameOperator,
            "the operator who proposed this may not decide it",
        ));
    }
    for name in &proposal.permissions {
        let permission = Permission::parse(name)
            .ok_or_else(|| ApiError::internal(format!("a proposal needs an unknown permission {name}")))?;
        if !grants.contains(permission) {
            return Err(crate::http::auth::lacks(permission));
        }
    }
    Ok(())
}

fn decided(proposal: &Proposal) -> ApiError {
    ApiError::new(
        ErrorCode::ApprovalDecided,
        format!("this proposal is {} already", proposal.status.name()),
    )
}

/// Approve a proposal: the call runs as its maker made it; the answer is kept with it
/// (operator, not the maker, holding every permission it needs).
#[utoipa::path(operation_id = "approve", post, path = "/v1/approvals/{approval_id}/approve", tag = "operator",
    request_body = DecisionBody, params(("approval_id" = String, Path), ("Idempotency-Key" = String, Header)),
    security(("bearer" = [])),
    responses((status = 200, description = "approved: `status` says whether the call was applied or refused (`result`)", body = ApprovalView),
        Refusals, Unavailable))]
pub async fn approve(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let decision = Decision::of(&state, &call)?;
    let id = decision.id;
    once(&state, call.idem()?, async {
        let now = state.clock().now();
        let approved = state
            .approvals()
            .decide(state.meta(), id, now, |proposal| {
                let resuming = proposal.status == Status::Approved
                    && proposal
                        .checker
                        .as_ref()
                        .is_some_and(|c| c.name == decision.checker.name)
                    && proposal.route != REVEAL_ROUTE;
                if proposal.status != Status::Pending && !resuming {
                    return Err(decided(&proposal));
                }
                decision.mark(proposal, Status::Approved, now)
            })
            .await?;
        audit(&state, &approved, "approvals.approve").await;
        if approved.route == REVEAL_ROUTE {
            return Answer::new(StatusCode::OK, &view(&approved));
        }
        let (status, answer) = apply(&state, &approved).await?;
        let finished = state
            .approvals()
            .decide(state.meta(), id, now, |mut proposal| {
                proposal.status = if status.is_success() {
                    Status::Applied
                } else {
                    Status::Failed
                };
                proposal.result_status = Some(status.as_u16());
                proposal.result = Some(answer.clone());
                Ok(proposal)
            })
            .await?;
        applied(&state, &finished).await;
        Answer::new(StatusCode::OK, &view(&finished))
    })
    .await
}

/// Reject a proposal: nothing is applied (operator, not the maker, holding every permission
/// it needs).
#[utoipa::path(operation_id = "reject", post, path = "/v1/approvals/{approval_id}/reject", tag = "operator",
    request_body = DecisionBody, params(("approval_id" = String, Path), ("Idempotency-Key" = String, Header)),
    security(("bearer" = [])),
    responses((status = 200, description = "rejected", body = ApprovalView), Refusals, Unavailable))]
pub async fn reject(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let decision = Decision::of(&state, &call)?;
    once(&state, call.idem()?, async {
        let now = state.clock().now();
        let rejected = state
            .approvals()
            .decide(state.meta(), decision.id, now, |proposal| {
                if proposal.status != Status::Pending {
                    return Err(decided(&proposal));
                }
                decision.mark(proposal, Status::Rejected, now)
            })
            .await?;
        audit(&state, &rejected, "approvals.reject").await;
        Answer::new(StatusCode::OK, &view(&rejected))
    })
    .await
}

/// The checker's decision in the audit log (who decided, whose proposal, what it does).
async fn audit(state: &AppState, proposal: &Proposal, action: &str) {
    let checker = proposal.checker.as_ref().map_or("", |c| c.name.as_str());
    let target = format!("approval:{}", proposal.id);
    let entry = Entry {
        actor: Some(checker),
        action,
        target: &target,
        detail: vec![
            ("maker", proposal.maker.name.clone()),
            ("action", proposal.permissions.join(",")),
            ("path", proposal.path.clone()),
        ],
        outcome: audit::Outcome::Ok,
    };
    record(state, entry).await;
}

/// The applied call in the audit log: the action itself, by the checker who let it through,
/// naming its maker.
async fn applied(state: &AppState, proposal: &Proposal) {
    let checker = proposal.checker.as_ref().map_or("", |c| c.name.as_str());
    let status = proposal.result_status.unwrap_or_default();
    let entry = Entry {
        actor: Some(checker),
        action: proposal.permissions.first().map_or("approvals.apply", String::as_str),
        target: &proposal.path,
        detail: vec![
            ("approval", proposal.id.to_string()),
            ("maker", proposal.maker.name.clone()),
            ("route", proposal.route.clone()),
            ("status", status.to_string()),
        ],
        outcome: if proposal.status == Status::Applied {
            audit::Outcome::Ok
        } else {
            audit::Outcome::Failed
        },
    };
    record(state, entry).await;
}

/// The maker's call, rebuilt: their identity with the permissions the approval covers, the
/// body and parameters they sent, and a key of the approval's own.
fn rebuild(proposal: &Proposal) -> Result<Call, ApiError> {
    let id = match (&proposal.maker.operator, &proposal.maker.api_key) {
        (Some(operator), _) => OperatorId::Account(*operator),
        (None, Some(key)) => OperatorId::ApiKey(*key),
        (None, None) => return Err(ApiError::internal("a proposal without a maker")),
    };
    let permissions = proposal.permissions.iter().filter_map(|name| Permission::parse(name));
    let principal = Principal::Operator(Operator {
        id,
        grants: Grants::of(permissions),
    });
    let body = Bytes::from(proposal.body.clone().into_bytes());
    let body_sha256: [u8; 32] = Sha256::digest(&body).into();
    let key = Sha256::digest(format!("approval:{}", proposal.id).as_bytes());
    let idem = IdemKey {
        scope: principal.scope(),
        key: u128::from_be_bytes(key[..16].try_into().map_err(|_| ApiError::internal("digest"))?),
        request: request_hash(&proposal.method, &proposal.path, &body_sha256),
    };
    let method = proposal
        .method
        .parse()
        .map_err(|_| ApiError::internal("a proposal's method does not parse"))?;
    let uri = proposal
        .path
        .parse()
        .map_err(|_| ApiError::internal("a proposal's path does not parse"))?;
    Ok(Call::approved(Approved {
        approval: proposal.id,
        principal,
        operator_name: Some(proposal.maker.name.clone()),
        body,
        idem,
        params: proposal.params.clone(),
        target: Target {
            method,
            uri,
            route: None,
        },
    }))
}

/// Runs the approved call through its route's handler; its status and JSON answer.
async fn apply(state: &AppState, proposal: &Proposal) -> Result<(StatusCode, serde_json::Value), ApiError> {
    let call = rebuild(proposal)?;
    let state = State(state.clone());
    let response = match (proposal.method.as_str(), proposal.route.as_str()) {
        ("POST", "/v1/customers/{customer_id}/fraud-exemptions") => exemptions::exempt(state, call).await,
        ("POST", "/v1/cases/{case_id}/resolve") => cases::resolve(state, call).await,
        ("POST", "/v1/customers/{customer_id}/limit") => operator::limit(state, call).await,
        ("POST", "/v1/customers/{customer_id}/temporary-limit") => operator::temporary_limit(state, call).await,
        ("POST", "/v1/customers/{customer_id}/unfreeze") => theft::unfreeze(state, call).await,
        ("POST", "/v1/customers/{customer_id}/offline-repayments") => repayments::offline_repay(state, call).await,
        ("POST", "/v1/customers/{customer_id}/plans/{plan_id}/payoff") => plans::payoff(state, call).await,
        ("POST", "/v1/customers/{customer_id}/cash-outs") => payouts::cash_out(state, call).await,
        ("POST", "/v1/customers/{customer_id}/hardship-plans") => collections::hardship(state, call).await,
        ("POST", "/v1/risk/rules") => rule_deploys::deploy(state, call).await,
        ("POST", "/v1/merchants/{merchant_id}/risk-tier") => {
            crate::http::routes::merchant_tiers::set(state, call).await
        }
        (method, route) => Err(ApiError::internal(format!("no four-eyes route {method} {route}"))),
    };
    let response = response.into_response();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .map_err(|e| ApiError::internal(format!("an applied call's answer: {e}")))?;
    let answer = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    Ok((status, answer))
}
