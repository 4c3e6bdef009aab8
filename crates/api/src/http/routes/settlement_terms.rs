//! Merchant pricing and settlement terms (operators with `settlement.manage`): pricing rules
//! by scope (the default, a merchant category, one merchant) from an effective day, never
//! edited (a later day supersedes; the same scope and day again is `409 price_rule_exists`),
//! and a merchant's terms (delayed settlement, rolling reserve, receivable limit: its risk
//! tier). ACCOUNTING.md has the rules; `settlement::pricing` applies them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use credit::MerchantId;
use serde::{Deserialize, Serialize};
use store::settlement::{MerchantRow, PriceRow};
use utoipa::ToSchema;

use crate::edge::merchants::Category;
use crate::edge::settlement::Books;
use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::http::input::parse_id;
use crate::state::AppState;

pub(crate) fn parse_date(text: &str, field: &str) -> Result<credit::Day, ApiError> {
    let date: jiff::civil::Date = text.parse().map_err(|_| {
        ApiError::new(ErrorCode::InvalidField, format!("{field} must be a date, YYYY-MM-DD")).with_field(field)
    })?;
    Ok(credit::Day::from_date(date))
}

/// Settlement's handles, or 503 when the store has no settlement tables.
pub(crate) fn books(state: &AppState) -> Result<&std::sync::Mutex<Books>, ApiError> {
    state
        .settlement()
        .ok_or_else(|| ApiError::unavailable("this store has no settlement tables"))
}

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidField, message).with_field(field)
}

/// A pricing rule. Exactly one of `merchant_id` and `category`, or neither for the default.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceBody {
    pub merchant_id: Option<String>,
    #[schema(example = "electronics")]
    pub category: Option<String>,
    /// The first business day it applies to (`YYYY-MM-DD`): today or later.
    #[schema(example = "2026-03-02")]
    pub effective_from: String,
    /// Merchant discount rate, ppm of each capture (below 1,000,000).
    #[schema(example = 6000)]
    pub discount_ppm: u32,
    /// Fixed fee per capture, fen (0 to 10,000).
    #[schema(example = 30)]
    pub fixed_fee_fen: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PriceList {
    pub prices: Vec<PriceBody>,
}

fn scope_of(state: &AppState, body: &PriceBody) -> Result<String, ApiError> {
    match (&body.merchant_id, &body.category) {
        (None, None) => Ok("default".to_owned()),
        (Some(id), None) => {
            let id = parse_id(id, "merchant_id")?;
            if state.merchants().get(MerchantId(id)).is_none() {
                return Err(
                    ApiError::new(ErrorCode::MerchantNotFound, "no merchant has this id").with_field("merchant_id")
                );
            }
            Ok(format!("merchant:{id}"))
        }
        (None, Some(c)) => Ok(format!("category:{}", Category::parse(c, "category")?.as_str())),
        (Some(_), Some(_)) => Err(invalid("merchant_id", "send at most one of merchant_id and category")),
    }
}

fn view(row: &PriceRow) -> PriceBody {
    let (merchant_id, category) = match row.scope.split_once(':') {
        Some(("merchant", id)) => (Some(id.to_owned()), None),
        Some(("category", c)) => (None, Some(c.to_owned())),
        _ => (None, None),
    };
    PriceBody {
        merchant_id,
        category,
        effective_from: credit::Day::from_days(row.effective_from).to_string(),
        discount_ppm: row.discount_ppm,
        fixed_fee_fen: row.fixed_fee_fen,
    }
}

async fn with_books<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&mut Books) -> Result<T, store::StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    books(state)?;
    let owner = state.clone();
    tokio::task::spawn_blocking(move || {
        let mut books = books(&owner)?.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        work(&mut books).map_err(|e| {
            tracing::error!(error = %e, "settlement store failed");
            ApiError::unavailable("the store is unavailable")
        })
    })
    .await
    .map_err(|e| ApiError::internal(format!("settlement task: {e}")))?
}

/// Add a pricing rule (operator, `settlement.manage`).
#[utoipa::path(operation_id = "add_price_rule", post, path = "/v1/settlement/prices", tag = "operator", request_body = PriceBody,
    params(("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, description = "added", body = PriceBody), Refusals, Unavailable))]
pub async fn add_price(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    call.idem()?;
    let body: PriceBody = call.json()?;
    let scope = scope_of(&state, &body)?;
    let day = parse_date(&body.effective_from, "effective_from")?;
    if day < state.business_day() {
        return Err(invalid("effective_from", "effective_from must be today or later"));
    }
    if body.discount_ppm >= 1_000_000 {
        return Err(invalid("discount_ppm", "discount_ppm must be below 1000000"));
    }
    if !(0..=10_000).contains(&body.fixed_fee_fen) {
        return Err(invalid("fixed_fee_fen", "fixed_fee_fen must be 0 to 10000"));
    }
    let row = PriceRow {
        scope,
        effective_from: day.days(),
        discount_ppm: body.discount_ppm,
        fixed_fee_fen: body.fixed_fee_fen,
    };
    let stored = row.clone();
    let added = with_books(&state, move |b| b.store.put_price(&stored)).await?;
    if !added {
        return Err(
            ApiError::new(ErrorCode::PriceRuleExists, "a rule of this scope takes effect that day")
                .with_field("effective_from"),
        );
    }
    Ok(respond(StatusCode::CREATED, &view(&row), false))
}

/// Every pricing rule (operator, `settlement.manage`).
#[utoipa::path(operation_id = "list_price_rules", get, path = "/v1/settlement/prices", tag = "operator",
    security(("bearer" = [])), responses((status = 200, description = "success", body = PriceList), Refusals, Unavailable))]
pub async fn list_prices(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let rows = with_books(&state, |b| b.store.prices()).await?;
    let prices = rows.iter().map(view).collect();
    Ok(respond(StatusCode::OK, &PriceList { prices }, false))
}

/// A merchant's settlement terms (its risk tier's).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TermsBody {
    /// Days a day's net waits before it is paid (0 to 30; 0: paid by the day's own run).
    pub delay_days: u16,
    /// Rolling reserve, ppm of captures (below 1,000,000).
    pub reserve_ppm: u32,
    /// Days of captures the reserve covers (0 to 180).
    pub reserve_days: u16,
    /// A negative balance beyond this is booked as a receivable, fen (0 to 1e12).
    pub receivable_limit_fen: i64,
}

/// Set a merchant's settlement terms (operator, `settlement.manage`); they apply from the next
/// run on.
#[utoipa::path(operation_id = "set_settlement_terms", post, path = "/v1/merchants/{merchant_id}/settlement-terms", tag = "operator",
    request_body = TermsBody, params(("merchant_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "set", body = TermsBody), Refusals, Unavailable))]
pub async fn set_terms(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    call.idem()?;
    let id = MerchantId(call.id("merchant_id")?);
    let Some(merchant) = state.merchants().get(id) else {
        return Err(ApiError::new(ErrorCode::MerchantNotFound, "no merchant has this id").with_field("merchant_id"));
    };
    let body: TermsBody = call.json()?;
    if body.delay_days > 30 {
        return Err(invalid("delay_days", "delay_days must be 0 to 30"));
    }
    if body.reserve_ppm >= 1_000_000 {
        return Err(invalid("reserve_ppm", "reserve_ppm must be below 1000000"));
    }
    if body.reserve_days > 180 {
        return Err(invalid("reserve_days", "reserve_days must be 0 to 180"));
    }
    if !(0..=1_000_000_000_000).contains(&body.receivable_limit_fen) {
        return Err(invalid(
            "receivable_limit_fen",
            "receivable_limit_fen must be 0 to 1000000000000",
        ));
    }
    let row = MerchantRow {
        merchant: id.0,
        category: merchant.category.map(|c| c.as_str().to_owned()),
        delay_days: body.delay_days,
        reserve_ppm: body.reserve_ppm,
        reserve_days: body.reserve_days,
        receivable_limit_fen: body.receivable_limit_fen,
    };
    with_books(&state, move |b| b.store.put_merchant(&row)).await?;
    Ok(respond(StatusCode::OK, &body, false))
}

/// Every registered merchant's category in settlement's merchant rows (standard terms for one
/// without a row), so category pricing applies: called by a run before it settles.
pub fn sync_categories(state: &AppState, books: &mut Books) -> Result<(), store::StoreError> {
    let rows = books.store.merchants()?;
    let mut id = 1;
    while let Some(merchant) = state.merchants().get(MerchantId(id)) {
        let category = merchant.category.map(|c| c.as_str().to_owned());
        let row = match rows.iter().find(|r| r.merchant == id) {
            Some(row) if row.category == category => None,
            Some(row) => Some(MerchantRow {
                category,
                ..row.clone()
            }),
            None if category.is_some() => {
                let terms = settlement::Terms::STANDARD;
                Some(MerchantRow {
                    merchant: id,
                    category,
                    delay_days: terms.delay_days,
                    reserve_ppm: terms.reserve.ppm(),
                    reserve_days: terms.reserve_days,
                    receivable_limit_fen: terms.receivable_limit.fen(),
                })
            }
            None => None,
        };
        if let Some(row) = row {
            books.store.put_merchant(&row)?;
        }
        id += 1;
    }
    Ok(())
}
