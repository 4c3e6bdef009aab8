//! Operator risk routes: the live rules (`GET /v1/risk/rules`) and the known-fraud lists
//! (`POST /v1/risk/lists`). Also [`routes`], every risk route of the API (cases, monitoring,
//! step-up, identity and theft reports included).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use engine::Request;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::edge::risk_input::{device_id, parse_ip};
use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::http::routes::{case_notes, cases, casework, identity, monitoring, step_up, theft};
use crate::http::submit::{Audience, submit_error};
use crate::state::AppState;

/// Every risk route (the customer's unfreeze is routed in `routes.rs`, beside the operator's).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/risk/rules",
            get(rules).post(crate::http::routes::rule_deploys::deploy),
        )
        .route("/v1/risk/backtests", post(crate::http::routes::backtests::backtest))
        .route("/v1/risk/lists", post(list_fraud))
        .route("/v1/cases", get(cases::cases).post(case_notes::open))
        .route("/v1/cases/{case_id}", get(cases::case))
        .route("/v1/cases/{case_id}/claim", post(casework::claim))
        .route("/v1/cases/{case_id}/assign", post(casework::assign))
        .route("/v1/cases/{case_id}/notes", post(case_notes::note))
        .route("/v1/cases/{case_id}/links", post(case_notes::link))
        .route("/v1/cases/{case_id}/attachments", post(case_notes::attach))
        .route("/v1/cases/{case_id}/attachments/{n}", get(case_notes::attachment))
        .route(
            "/v1/cases/{case_id}/evidence-bundle",
            get(crate::http::routes::evidence::export),
        )
        .route("/v1/case-queues", get(casework::queues))
        .route("/v1/case-queues/{queue}", post(casework::set_queue))
        .route("/v1/cases/{case_id}/resolve", post(cases::resolve))
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
        .route("/v1/customers/{customer_id}/identity", post(identity::identity))
        .route("/v1/customers/{customer_id}/theft-reports", post(theft::theft_report))
        .route("/v1/customers/{customer_id}/cases", get(theft::own_cases))
        .route(
            "/v1/customers/{customer_id}/devices",
            get(crate::http::routes::customer360::devices),
        )
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
        return Err(ApiError::new(ErrorCode::MissingField, "send device_id, ip or both").with_field("device_id"));
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
                return Err(crate::http::submit::refusal(rejection, Audience::Account));
            }
            engine::Outcome::Conflict => return Err(crate::edge::merchants::key_reused()),
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
