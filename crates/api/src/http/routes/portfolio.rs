//! `GET /v1/portfolio` (operators with `customers.read`): the dashboards' credit figures from
//! the read models: accounts by delinquency bucket now, the month-end roll-rate matrix with
//! its cures, vintage curves, fraud lost and stopped ([`engine::portfolio`], with the
//! simulator's report's functions). It reads every account and bucket change, so it is
//! bounded like a backtest: one at a time per server (a second answers
//! `429 portfolio_running`), on the blocking pool, and at most [`engine::portfolio::ROWS_MAX`]
//! rows of each (`truncated: true` beyond).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use credit::portfolio::{RollCell, Vintage};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct BucketView {
    /// `current`, `grace`, `M1`, `M2`, `M3`, `M3+` or `charged_off`.
    pub bucket: String,
    pub accounts: u64,
    /// Principal owed, billed and unbilled.
    pub principal_fen: i64,
    pub past_due_fen: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RollView {
    pub from: String,
    pub to: String,
    pub accounts: u64,
    /// Share of the accounts in `from` at the first of two month ends, in parts per million.
    pub ppm: i64,
    /// A move to a better bucket.
    pub cure: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VintageView {
    /// `YYYY-MM` of opening.
    pub cohort: String,
    pub accounts: u64,
    /// The cumulative share ever late (M1 or worse) at each month end from the opening month's.
    pub ever_late_ppm: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FraudView {
    /// Purchases confirmed as unauthorized use, and their amount net of refunds.
    pub lost_purchases: u64,
    pub lost_fen: i64,
    /// Orders intercepted after their authorization (voided or refunded before delivery).
    pub intercepted_orders: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PortfolioResponse {
    /// The business day the figures are of.
    pub as_of: String,
    pub buckets: Vec<BucketView>,
    /// The month ends the roll rates and vintages cover, oldest first (at most 24).
    pub month_ends: Vec<String>,
    pub roll_matrix: Vec<RollView>,
    pub vintages: Vec<VintageView>,
    pub fraud: FraudView,
    /// A row cap was reached: the figures cover part of the portfolio.
    pub truncated: bool,
}

fn roll(c: RollCell) -> RollView {
    RollView {
        from: c.from,
        to: c.to,
        accounts: c.accounts,
        ppm: c.ppm,
        cure: c.cure,
    }
}

fn vintage(v: Vintage) -> VintageView {
    VintageView {
        cohort: v.cohort,
        accounts: v.accounts,
        ever_late_ppm: v.ever_late_ppm,
    }
}

fn response(p: engine::portfolio::Portfolio) -> PortfolioResponse {
    PortfolioResponse {
        as_of: p.as_of.map(|d| d.to_string()).unwrap_or_default(),
        buckets: p
            .buckets
            .into_iter()
            .map(|b| BucketView {
                bucket: b.bucket,
                accounts: b.accounts,
                principal_fen: b.principal_fen,
                past_due_fen: b.past_due_fen,
            })
            .collect(),
        month_ends: p.month_ends.iter().map(ToString::to_string).collect(),
        roll_matrix: p.roll_matrix.into_iter().map(roll).collect(),
        vintages: p.vintages.into_iter().map(vintage).collect(),
        fraud: FraudView {
            lost_purchases: p.fraud.lost_purchases,
            lost_fen: p.fraud.lost_fen,
            intercepted_orders: p.fraud.intercepted_orders,
        },
        truncated: p.truncated,
    }
}

/// The portfolio's credit figures: delinquency by bucket, roll rates, vintages, fraud lost and
/// stopped (operator). Read from the read models (about a second behind the journal).
#[utoipa::path(operation_id = "portfolio", get, path = "/v1/portfolio", tag = "customers", security(("bearer" = [])),
    responses((status = 200, description = "success", body = PortfolioResponse),
        (status = 429, description = "portfolio_running: one at a time", body = crate::http::error::ErrorBody),
        Refusals, Unavailable))]
pub async fn portfolio(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let _permit = state.portfolio_reads().try_acquire().map_err(|_| {
        ApiError::new(
            ErrorCode::PortfolioRunning,
            "a portfolio report is being computed; try again when it ends",
        )
    })?;
    let backend = state.backend().clone();
    let clock = credit::calendar::Clock::new(state.engine().config().zone.clone());
    let now = state.clock().now();
    let report = tokio::task::spawn_blocking(move || -> Result<engine::portfolio::Portfolio, String> {
        let mut read = backend.read_models().map_err(|e| e.to_string())?;
        engine::portfolio::report(read.as_mut(), &clock, now).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
    .map_err(|e| {
        tracing::error!(error = %e, "the portfolio report failed");
        ApiError::unavailable("the read models could not be read")
    })?;
    Ok(respond(StatusCode::OK, &response(report), false))
}
