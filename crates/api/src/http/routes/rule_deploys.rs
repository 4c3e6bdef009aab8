//! Deploying a rule set through the API (`POST /v1/risk/rules`): the graphs sent replace the
//! graph files of their names in the set in force (or are added); the whole set must build.
//! Always proposed first and applied only when a second operator approves (four eyes); the
//! deployed set is pinned in the store (a restart runs it) and the one it replaced becomes the
//! emergency rollback's target (`edge::rules_history`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::edge::rules_history::DeployError;
use crate::http::auth::Permission;
use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::http::four_eyes::gate;
use crate::state::AppState;

/// The most graphs one deploy carries.
pub const GRAPHS_MAX: usize = 16;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Graph {
    /// The graph file's name (`payment_authorization.json`).
    #[schema(example = "payment_authorization.json")]
    pub name: String,
    /// The GoRules JDM graph (the file's JSON).
    #[schema(value_type = Object)]
    pub jdm: serde_json::Value,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeployBody {
    /// 1 to 16 graphs; the others in force stay.
    pub graphs: Vec<Graph>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeployedView {
    /// Each graph's version now in force.
    pub versions: Vec<String>,
}

fn graph_name(name: &str) -> Result<String, ApiError> {
    let ok = name.len() <= 64
        && name.ends_with(".json")
        && name.len() > ".json".len()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        && !name.starts_with('.');
    if !ok {
        return Err(ApiError::new(
            ErrorCode::InvalidField,
            "a graph's name is a file name like payment_authorization.json (letters, digits, _ - .)",
        )
        .with_field("graphs.name"));
    }
    Ok(name.to_owned())
}

/// The graphs of a deploy or a backtest as the rules history takes them: 1 to 16, each named
/// like a graph file.
pub fn sources(graphs: &[Graph]) -> Result<Vec<(String, String)>, ApiError> {
    if graphs.is_empty() || graphs.len() > GRAPHS_MAX {
        return Err(
            ApiError::new(ErrorCode::InvalidField, format!("send 1 to {GRAPHS_MAX} graphs")).with_field("graphs"),
        );
    }
    graphs
        .iter()
        .map(|g| Ok((graph_name(&g.name)?, g.jdm.to_string())))
        .collect()
}

/// The rules history of a server with a rules folder (one without cannot deploy or backtest).
pub fn rules_history(state: &AppState) -> Result<std::sync::Arc<crate::edge::rules_history::RuleHistory>, ApiError> {
    state
        .risk_edge()
        .rules
        .as_ref()
        .and_then(|r| r.history.clone())
        .ok_or_else(|| ApiError::new(ErrorCode::RulesNotDeployable, "this server runs without a rules folder"))
}

/// Deploy graphs of the rule set: proposed for a second operator's approval, applied when
/// approved (rules admin).
#[utoipa::path(operation_id = "deploy_rules", post, path = "/v1/risk/rules", tag = "risk", request_body = DeployBody,
    params(("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "deployed (the approved call)", body = DeployedView),
        (status = 202, description = "kept for a second operator's approval", body = crate::http::four_eyes::ApprovalView),
        Refusals, Unavailable))]
pub async fn deploy(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.require(Permission::RulesDeploy)?;
    let body: DeployBody = call.json()?;
    let graphs = sources(&body.graphs)?;
    let history = rules_history(&state)?;
    // Checked before it is proposed: a set that does not build is refused to its maker.
    let trial = history.clone();
    let names: Vec<String> = graphs.iter().map(|(n, _)| n.clone()).collect();
    let checked = graphs.clone();
    let builds = tokio::task::spawn_blocking(move || trial.check(checked))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    builds.map_err(|e| ApiError::new(ErrorCode::RulesInvalid, e).with_field("graphs"))?;
    let why = format!("deploying rule graphs {}", names.join(", "));
    if let Some(proposed) = gate(&state, &call, &[Permission::RulesDeploy], why).await? {
        return Ok(proposed);
    }
    let deployed = tokio::task::spawn_blocking(move || history.deploy(graphs))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let versions = deployed.map_err(|e| match e {
        DeployError::Build(why) => ApiError::new(ErrorCode::RulesInvalid, why).with_field("graphs"),
        DeployError::Store(why) => ApiError::unavailable(why),
    })?;
    Ok(respond(StatusCode::OK, &DeployedView { versions }, false))
}
