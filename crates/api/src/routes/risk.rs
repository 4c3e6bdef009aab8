//! Operator risk routes: the live rules (`GET /v1/risk/rules`), the known-fraud lists
//! (`POST /v1/risk/lists`), and cases (`GET /v1/cases`, `GET /v1/cases/{case_id}`,
//! `POST /v1/cases/{case_id}/resolve`). Also [`routes`], every risk route of the API.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use engine::{Case, CaseStatus, Request};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::call::{Call, respond};
use crate::error::{ApiError, ErrorBody, Refusals, Unavailable};
use crate::risk_input::{device_id, parse_ip};
use crate::routes::{monitoring, step_up};
use crate::state::AppState;
use crate::submit::{Audience, apply, submit_error};
use crate::webhooks::scan::{evidence_json, kind_name};

/// Every risk route (the customer's unfreeze is routed in `routes.rs`, beside the operator's).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/risk/rules", get(rules))
        .route("/v1/risk/lists", post(list_fraud))
        .route("/v1/cases", get(cases))
        .route("/v1/cases/{case_id}", get(case))
        .route("/v1/cases/{case_id}/resolve", post(resolve))
        .route("/v1/payments/{txn_id}/delivery", post(monitoring::delivery))
        .route("/v1/payments/{txn_id}/address-change", post(monitoring::address_change))
        .route(
            "/v1/merchants/{merchant_id}/webhook",
            post(monitoring::set_webhook).get(monitoring::get_webhook),
        )
        .route("/v1/customers/{customer_id}/step-up", post(step_up::start))
        .route(
            "/v1/customers/{customer_id}/step-up/{challenge_id}/verify",
            post(step_up::verify),
        )
        .route("/v1/customers/{customer_id}/identity", post(step_up::identity))
        .route("/v1/customers/{customer_id}/theft-reports", post(step_up::theft_report))
        .route("/v1/customers/{customer_id}/cases", get(step_up::own_cases))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GraphView {
    /// `<graph>@v<version>#<digest>`.
    #[schema(example = "payment_authorization@v3#9f2c7a1e4b8d6f3a")]
    pub version: String,
    /// `fast` (the compiled evaluator) or `reference` (zen-engine).
    pub evaluator: &'static str,
    /// Why the fast evaluator does not take the graph, when it does not.
    pub fast_unsupported: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RulesView {
    /// Whether the engine decides with rules at all.
    pub enabled: bool,
    /// The watched folder, if the server loaded one; null with the rules built into the binary
    /// (or without rules).
    pub dir: Option<String>,
    /// Edited sets of the folder swapped in since the server started.
    pub reloads: u64,
    /// Edited sets refused since the server started (the running set stayed).
    pub reload_failures: u64,
    /// Why the latest reload was refused; null when the latest succeeded (or none was tried).
    pub last_reload_error: Option<String>,
    pub graphs: Vec<GraphView>,
}

/// The live rule set: each graph's version and evaluator (operator).
#[utoipa::path(operation_id = "risk_rules", get, path = "/v1/risk/rules", tag = "risk", security(("bearer" = [])),
    responses((status = 200, description = "success", body = RulesView), Refusals))]
pub async fn rules(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let graphs = state.engine().risk().map(|shared| {
        shared
            .rule_set()
            .report()
            .into_iter()
            .map(|(version, evaluator, why)| GraphView {
                version,
                evaluator: match evaluator {
                    risk::Evaluator::Fast => "fast",
                    risk::Evaluator::Reference => "reference",
                },
                fast_unsupported: why,
            })
            .collect::<Vec<_>>()
    });
    let watched = state.risk_edge().rules.as_ref();
    let reloads = watched.map(|w| w.reloads());
    let view = RulesView {
        enabled: graphs.is_some(),
        dir: watched.and_then(|w| w.dir.as_ref()).map(|d| d.display().to_string()),
        reloads: reloads.as_ref().map_or(0, |r| r.reloads),
        reload_failures: reloads.as_ref().map_or(0, |r| r.refused),
        last_reload_error: reloads.and_then(|r| r.last_error),
        graphs: graphs.unwrap_or_default(),
    };
    Ok(respond(StatusCode::OK, &view, false))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListBody {
    /// The app's device identifier, as customers' apps send it.
    pub device_id: Option<String>,
    pub ip: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListResponse {
    pub device_listed: bool,
    pub ip_listed: bool,
    /// Partitions that recorded the entry (every one, or the call failed).
    pub partitions: u32,
}

/// Put a device or an IP on the known-fraud list (operator). Every open order that used it is
/// re-scored at once (and intercepted when the delivery rules say so).
#[utoipa::path(operation_id = "list_fraud", post, path = "/v1/risk/lists", tag = "risk", request_body = ListBody,
    params(("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = ListResponse), Refusals, Unavailable))]
pub async fn list_fraud(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let body: ListBody = call.json()?;
    let device = body
        .device_id
        .as_deref()
        .map(|d| device_id(d, "device_id"))
        .transpose()?;
    let ip = body.ip.as_deref().map(|i| parse_ip(i, "ip")).transpose()?;
    if device.is_none() && ip.is_none() {
        return Err(ApiError::bad_request("missing_field", "send device_id, ip or both").with_field("device_id"));
    }
    let replies = state
        .engine()
        .broadcast_once(Request::ListFraud { device, ip }, Some(call.idem()?.engine()))
        .map_err(submit_error)?;
    let mut partitions = 0;
    let mut replayed = false;
    for reply in replies {
        let reply = reply
            .await
            .map_err(|_| ApiError::unavailable("the engine stopped before answering"))?;
        match reply.outcome {
            engine::Outcome::Rejected { rejection } => {
                return Err(crate::submit::refusal(rejection, Audience::Account));
            }
            engine::Outcome::Conflict => return Err(crate::merchants::key_reused()),
            engine::Outcome::Applied { .. } => {}
        }
        replayed |= reply.replayed;
        partitions += 1;
    }
    let response = ListResponse {
        device_listed: device.is_some(),
        ip_listed: ip.is_some(),
        partitions,
    };
    Ok(respond(StatusCode::OK, &response, replayed))
}

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

async fn find_case(state: &AppState, id: u64) -> Result<Case, ApiError> {
    all_cases(state, None)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| ApiError::not_found("case_not_found", "no case has this id").with_field("case_id"))
}

/// One case with its evidence (operator).
#[utoipa::path(operation_id = "get_case", get, path = "/v1/cases/{case_id}", tag = "risk",
    params(("case_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = CaseView), Refusals))]
pub async fn case(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let case = find_case(&state, call.id("case_id")?).await?;
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
        (status = 409, description = "case_closed (already resolved), or exemption_failed: the theft's exemption was refused, nothing changed and the case stays open", body = ErrorBody),
        Refusals, Unavailable))]
pub async fn resolve(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let id = call.id("case_id")?;
    let body: ResolveBody = call.json()?;
    let request = Request::ResolveCase {
        case: id,
        confirm: body.confirm,
    };
    let applied = apply(&state, request, call.idem()?, Audience::Account)
        .await
        .map_err(|e| {
            if e.code == "case_not_found" {
                e.with_field("case_id")
            } else {
                e
            }
        })?;
    let case = find_case(&state, id).await?;
    Ok(respond(StatusCode::OK, &case_view(&case, true), applied.replayed))
}
