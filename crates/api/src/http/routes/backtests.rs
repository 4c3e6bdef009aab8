//! Backtesting a candidate rule set from the API (`POST /v1/risk/backtests`), as `iou backtest`
//! does from the command line: the graphs sent take the place of their names in the set in
//! force, and every journaled decision is decided again with the result ([`engine::backtest`]):
//! what changes, and on the transactions analysts labelled, fraud stopped and genuine payments
//! with friction, per rule. Nothing is deployed.
//!
//! It reads the whole journal, so it is bounded: one at a time per server (a second answers
//! `429 backtest_running`), on the blocking pool, and stopped after [`TIME_MAX`] with the
//! report so far (`truncated: true`).

use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::http::auth::Permission;
use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::http::routes::rule_deploys::{Graph, rules_history, sources};
use crate::state::AppState;

/// The longest a backtest runs before it answers with what it has.
pub const TIME_MAX: Duration = Duration::from_secs(20);
/// The most changed decisions a report lists.
pub const SAMPLES_MAX: usize = 50;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BacktestBody {
    /// 1 to 16 graphs of the candidate; the set in force supplies the others.
    pub graphs: Vec<Graph>,
    /// How many changed decisions to list (0 to 50; 10 when absent).
    pub samples: Option<usize>,
}

/// Backtest a candidate rule set on the journaled decisions and the analysts' labels (rules
/// admin, fraud, analyst). Deploys nothing.
#[utoipa::path(operation_id = "backtest_rules", post, path = "/v1/risk/backtests", tag = "risk", request_body = BacktestBody,
    security(("bearer" = [])),
    responses((status = 200, description = "the report: decisions replayed and changed per checkpoint (live x candidate matrix), reason codes gained and lost, sample changes, labelled outcomes (fraud stopped, genuine friction, per rule), truncated", body = Object),
        (status = 422, description = "rules_invalid: the candidate does not build", body = crate::http::error::ErrorBody),
        (status = 429, description = "backtest_running: one at a time", body = crate::http::error::ErrorBody),
        Refusals, Unavailable))]
pub async fn backtest(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.require(Permission::RulesBacktest)?;
    let body: BacktestBody = call.json()?;
    let graphs = sources(&body.graphs)?;
    let samples = body.samples.unwrap_or(10);
    if samples > SAMPLES_MAX {
        return Err(
            ApiError::new(ErrorCode::InvalidField, format!("samples is 0 to {SAMPLES_MAX}")).with_field("samples"),
        );
    }
    let history = rules_history(&state)?;
    let _permit = state.backtests().try_acquire().map_err(|_| {
        ApiError::new(
            ErrorCode::BacktestRunning,
            "a backtest is running; try again when it ends",
        )
    })?;
    let backend = state.backend().clone();
    let ran = tokio::task::spawn_blocking(move || -> Result<serde_json::Value, ApiError> {
        let candidate = history
            .candidate(graphs)
            .map_err(|e| ApiError::new(ErrorCode::RulesInvalid, e).with_field("graphs"))?;
        let mut journal = backend.journal().map_err(|e| ApiError::unavailable(e.to_string()))?;
        let deadline = Instant::now() + TIME_MAX;
        let report =
            engine::backtest::replay_within(journal.as_mut(), &candidate, samples, &mut || Instant::now() < deadline)
                .map_err(|e| {
                tracing::error!(error = %e, "backtest failed");
                ApiError::unavailable("the journal could not be read")
            })?;
        serde_json::to_value(&report).map_err(|e| ApiError::internal(e.to_string()))
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))??;
    Ok(respond(StatusCode::OK, &ran, false))
}
