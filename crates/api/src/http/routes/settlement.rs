//! Merchant settlement over HTTP: operators (`settlement.run`) run it for closed business days,
//! `POST /v1/settlement/runs`; a merchant reads its own settled day, `GET
//! /v1/merchant/settlements?date=` (JSON, or CSV with `Accept: text/csv` or `format=csv`). The
//! work is `engine::settle`'s (consumer, run) on the store's settlement tables, off the
//! authorization path: a run reads the committed journal and writes only settlement.db.
//! The run is `edge::settlement::runs::run_blocking`, the path the server's settlement task
//! also takes after the day rolls. Payouts are sent by that task through the configured
//! merchant payout provider (`edge::settlement::payouts`); without one they stay pending.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use engine::settle;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::http::routes::settlement_terms::{books, parse_date};
use crate::state::AppState;

/// The settlement routes, to merge into the API's router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/settlement/runs", post(run))
        .route(
            "/v1/settlement/prices",
            get(crate::http::routes::settlement_terms::list_prices)
                .post(crate::http::routes::settlement_terms::add_price),
        )
        .route(
            "/v1/merchants/{merchant_id}/settlement-terms",
            post(crate::http::routes::settlement_terms::set_terms),
        )
        .route("/v1/merchant/settlements", get(read))
        .route(
            "/v1/merchants/{merchant_id}/risk-tier",
            get(crate::http::routes::merchant_tiers::get).post(crate::http::routes::merchant_tiers::set),
        )
}

/// A run through a closed business day.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunBody {
    /// The last business day to settle (`YYYY-MM-DD`); it must be over.
    #[schema(example = "2026-03-01")]
    pub date: String,
}

/// What a run did.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunView {
    /// Captures and refunds read from the journal by this run.
    pub facts_read: u64,
    /// The days this run finished, in order.
    pub days: Vec<String>,
    /// Merchant days written, and found already written (a run resumed).
    pub merchant_days: u64,
    pub already_settled: u64,
    /// Payouts created (pending), in fen.
    pub payouts_fen: i64,
    /// Transactions whose facts name no merchant (a reconciliation break), by id.
    pub unattributed_txn_ids: Vec<String>,
}

/// Settle every merchant's days after the last run through `date` (operator,
/// `settlement.run`). Each merchant's day is written once, so a run repeated or resumed after a
/// crash changes nothing that was written; today and later days are refused.
#[utoipa::path(operation_id = "run_settlement", post, path = "/v1/settlement/runs", tag = "operator", request_body = RunBody,
    params(("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "the run", body = RunView), Refusals, Unavailable))]
pub async fn run(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    call.idem()?;
    let body: RunBody = call.json()?;
    let through = parse_date(&body.date, "date")?;
    if through >= state.business_day() {
        return Err(
            ApiError::new(ErrorCode::InvalidField, "date must be a business day that is over").with_field("date"),
        );
    }
    books(&state)?;
    let runner = state.clone();
    let view = tokio::task::spawn_blocking(move || {
        let (facts, report) = crate::edge::settlement::runs::run_blocking(&runner, through)?;
        Ok::<_, ApiError>(RunView {
            facts_read: facts as u64,
            days: report.days.iter().map(|d| d.to_string()).collect(),
            merchant_days: report.settled as u64,
            already_settled: report.already as u64,
            payouts_fen: report.payouts.fen(),
            unattributed_txn_ids: report.unattributed.iter().map(u64::to_string).collect(),
        })
    })
    .await
    .map_err(|e| ApiError::internal(format!("settlement task: {e}")))??;
    Ok(respond(StatusCode::OK, &view, false))
}

/// Which day, and how.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SettlementQuery {
    /// The business day (`YYYY-MM-DD`).
    pub date: String,
    /// `csv` for CSV (as `Accept: text/csv`); JSON otherwise.
    pub format: Option<String>,
}

/// A merchant's settled day.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettlementView {
    pub merchant_id: String,
    pub date: String,
    pub captures: u64,
    pub captured_fen: i64,
    pub refunds: u64,
    pub refunded_fen: i64,
    /// Discount and fixed fees (a refund returns none).
    pub fees_fen: i64,
    /// The merchant's shares of subsidized campaign plans' fees.
    pub subsidies_fen: i64,
    /// Owed to the merchant before the day (negative: the merchant owes).
    pub balance_before_fen: i64,
    /// Held back by delayed settlement and the rolling reserve.
    pub held_fen: i64,
    pub payout_fen: i64,
    pub balance_after_fen: i64,
    /// The part of a negative balance past the limit, booked as owed by the merchant.
    pub receivable_fen: i64,
    /// The day's payout id and its status (`pending`, `paid`, `failed`, `returned`).
    pub payout_id: Option<String>,
    pub payout_status: Option<String>,
}

const CSV_HEADER: &str = "merchant_id,date,captures,captured_fen,refunds,refunded_fen,fees_fen,subsidies_fen,\
balance_before_fen,held_fen,payout_fen,balance_after_fen,receivable_fen,payout_id,payout_status";

impl SettlementView {
    fn csv(&self) -> String {
        let v = self;
        format!(
            "{CSV_HEADER}\n{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            v.merchant_id,
            v.date,
            v.captures,
            v.captured_fen,
            v.refunds,
            v.refunded_fen,
            v.fees_fen,
            v.subsidies_fen,
            v.balance_before_fen,
            v.held_fen,
            v.payout_fen,
            v.balance_after_fen,
            v.receivable_fen,
            v.payout_id.as_deref().unwrap_or(""),
            v.payout_status.as_deref().unwrap_or("")
        )
    }
}

fn wants_csv(headers: &axum::http::HeaderMap, query: &SettlementQuery) -> Result<bool, ApiError> {
    match query.format.as_deref() {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(_) => Err(ApiError::new(ErrorCode::InvalidField, "format is csv or json").with_field("format")),
        None => Ok(headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|t| t.trim().starts_with("text/csv")))),
    }
}

/// The calling merchant's settlement of one business day (merchant): what was captured,
/// refunded, kept as fees, held back and paid out. 404 `settlement_not_found` before the day
/// is settled (and for a day the merchant had nothing).
#[utoipa::path(operation_id = "merchant_settlement", get, path = "/v1/merchant/settlements", tag = "payments",
    params(SettlementQuery), security(("merchant_signature" = [])),
    responses((status = 200, description = "the day (JSON, or text/csv)", body = SettlementView), Refusals, Unavailable))]
pub async fn read(
    State(state): State<AppState>,
    query: Result<Query<SettlementQuery>, axum::extract::rejection::QueryRejection>,
    headers: axum::http::HeaderMap,
    call: Call,
) -> Result<Response, ApiError> {
    let merchant = call.principal.merchant()?;
    let Query(query) = query.map_err(|e| ApiError::new(ErrorCode::InvalidQuery, e.body_text()))?;
    let day = parse_date(&query.date, "date")?;
    let csv = wants_csv(&headers, &query)?;
    books(&state)?;
    let reader = state.clone();
    let found = tokio::task::spawn_blocking(move || {
        let mut books = books(&reader)?
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let unavailable = |e: store::StoreError| {
            tracing::error!(error = %e, "reading a settlement failed");
            ApiError::unavailable("the store is unavailable")
        };
        let rows = books.store.settlements(day.days(), day.days()).map_err(unavailable)?;
        let Some(row) = rows.into_iter().find(|r| r.merchant == merchant.0) else {
            return Ok(None);
        };
        let payout_id = (row.payout_fen > 0).then(|| settle::run::payout_id(merchant.0, day));
        let status = match &payout_id {
            Some(id) => books.store.payout(id).map_err(unavailable)?.map(|p| p.status),
            None => None,
        };
        Ok::<_, ApiError>(Some(SettlementView {
            merchant_id: merchant.to_string(),
            date: day.to_string(),
            captures: row.captures,
            captured_fen: row.captured_fen,
            refunds: row.refunds,
            refunded_fen: row.refunded_fen,
            fees_fen: row.fees_fen,
            subsidies_fen: row.subsidies_fen,
            balance_before_fen: row.balance_before_fen,
            held_fen: row.held_fen,
            payout_fen: row.payout_fen,
            balance_after_fen: row.balance_after_fen,
            receivable_fen: row.receivable_fen,
            payout_id,
            payout_status: status,
        }))
    })
    .await
    .map_err(|e| ApiError::internal(format!("settlement task: {e}")))??;
    let view = found.ok_or_else(|| {
        ApiError::new(
            ErrorCode::SettlementNotFound,
            "that day is not settled for this merchant",
        )
        .with_field("date")
    })?;
    if csv {
        let mut response = (StatusCode::OK, view.csv()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        return Ok(response);
    }
    Ok(respond(StatusCode::OK, &view, false))
}
