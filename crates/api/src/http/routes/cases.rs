//! Cases: the operator's queue (`GET /v1/cases`, `GET /v1/cases/{case_id}`,
//! `POST /v1/cases/{case_id}/resolve`) and the views of a case the customer's routes share.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use engine::{Case, CaseId, CaseStatus, ask};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorBody, ErrorCode, Refusals, Unavailable};
use crate::http::routes::figures::ExemptionView;
use crate::http::submit::{Audience, ask, submit_error};
use crate::state::AppState;
use crate::webhooks::scan::{evidence_json, kind_name};

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    pub case_id: String,
    pub customer_id: String,
    /// `interception` or `theft`.
    pub kind: &'static str,
    /// `open`, `confirmed` or `rejected`.
    pub status: &'static str,
    pub txn_ids: Vec<String>,
    pub opened_at: String,
    pub resolved_at: Option<String>,
    /// What the engine knew when it decided on each transaction (operators only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub evidence: Option<Vec<serde_json::Value>>,
    /// What confirming a theft moved (fraud loss, fees, interest and penalties waived, payments
    /// credited back): in the answer of the resolve call that confirmed it (and its retries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exemption: Option<ExemptionView>,
}

pub fn status_name(status: CaseStatus) -> &'static str {
    match status {
        CaseStatus::Open => "open",
        CaseStatus::Confirmed => "confirmed",
        CaseStatus::Rejected => "rejected",
    }
}

/// A case as the API shows it; `evidence` for operators.
pub fn case_view(case: &Case, evidence: bool) -> CaseView {
    CaseView {
        case_id: case.id.to_string(),
        customer_id: case.account.to_string(),
        kind: kind_name(case.kind),
        status: status_name(case.status),
        txn_ids: case.txns.iter().map(ToString::to_string).collect(),
        opened_at: case.opened_at.to_string(),
        resolved_at: case.resolved_at.map(|t| t.to_string()),
        evidence: evidence.then(|| case.evidence.iter().map(evidence_json).collect()),
        exemption: None,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CasesResponse {
    pub cases: Vec<CaseView>,
}

/// The cases of one account, or of every partition.
pub async fn all_cases(state: &AppState, account: Option<credit::AccountId>) -> Result<Vec<Case>, ApiError> {
    let mut cases = Vec::new();
    for receiver in state.engine().cases(account).map_err(submit_error)? {
        let part = receiver
            .await
            .map_err(|_| ApiError::unavailable("the engine stopped before answering"))?;
        cases.extend(part);
    }
    cases.sort_by(|a, b| b.opened_at.cmp(&a.opened_at).then(b.id.cmp(&a.id)));
    Ok(cases)
}

/// Every case, newest first, with evidence (operator).
#[utoipa::path(operation_id = "list_cases", get, path = "/v1/cases", tag = "risk", security(("bearer" = [])),
    responses((status = 200, description = "success", body = CasesResponse), Refusals))]
pub async fn cases(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let cases = all_cases(&state, None).await?;
    let response = CasesResponse {
        cases: cases.iter().map(|c| case_view(c, true)).collect(),
    };
    Ok(respond(StatusCode::OK, &response, false))
}

async fn find_case(state: &AppState, id: CaseId) -> Result<Case, ApiError> {
    all_cases(state, None)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| ApiError::new(ErrorCode::CaseNotFound, "no case has this id").with_field("case_id"))
}

/// One case with its evidence (operator).
#[utoipa::path(operation_id = "get_case", get, path = "/v1/cases/{case_id}", tag = "risk",
    params(("case_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = CaseView), Refusals))]
pub async fn case(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let case = find_case(&state, CaseId(call.id("case_id")?)).await?;
    Ok(respond(StatusCode::OK, &case_view(&case, true), false))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    /// `true` confirms the fraud: a theft's transactions are exempted (the customer owes
    /// nothing for them, the loss is booked as fraud loss), an interception stays stopped.
    /// `false` rejects it: a held order may ship.
    pub confirm: bool,
}

/// Resolve an open case (operator). Confirming a theft and exempting its transactions are one
/// outcome: a refused exemption answers `409 exemption_failed` and leaves the case open.
#[utoipa::path(operation_id = "resolve_case", post, path = "/v1/cases/{case_id}/resolve", tag = "risk", request_body = ResolveBody,
    params(("case_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "success: a confirmed theft's transactions are exempt", body = CaseView),
        (status = 202, description = "confirming a theft: kept for a second operator's approval (four eyes)", body = crate::http::four_eyes::ApprovalView),
        (status = 409, description = "case_closed (already resolved), or exemption_failed: the theft's exemption was refused, nothing changed and the case stays open", body = ErrorBody),
        Refusals, Unavailable))]
pub async fn resolve(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let id = CaseId(call.id("case_id")?);
    let body: ResolveBody = call.json()?;
    if body.confirm && find_case(&state, id).await?.kind == engine::CaseKind::Theft {
        // Confirming a theft exempts its transactions: the fraud team's permission, and a
        // second operator's approval.
        use crate::http::auth::Permission;
        call.principal.require(Permission::FraudExempt)?;
        let why = format!("confirming theft case {id} exempts its transactions");
        let needs = [Permission::CasesResolve, Permission::FraudExempt];
        if let Some(proposed) = crate::http::four_eyes::gate(&state, &call, &needs, why).await? {
            return Ok(proposed);
        }
    }
    let resolve = ask::ResolveCase {
        case: id,
        confirm: body.confirm,
    };
    let answered = ask(&state, resolve, call.idem()?, Audience::Account, None)
        .await
        .map_err(|e| {
            if e.code == ErrorCode::CaseNotFound {
                e.with_field("case_id")
            } else {
                e
            }
        })?;
    let case = find_case(&state, answered.reply.case).await?;
    let mut view = case_view(&case, true);
    view.exemption = answered.reply.exemption.as_ref().map(ExemptionView::of);
    Ok(respond(StatusCode::OK, &view, answered.replayed))
}
