//! Installment options for an amount: every offered term under every method at the product's
//! rate, with the schedule, the total cost and the APR; with `merchant_id`, also every offer of
//! the campaigns that merchant runs today (its own and its category's) at the campaign's rate.
//! Pure: no engine, no caller data (campaigns are public offers), so no authentication.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use credit::MerchantId;
use money::Amount;
use money::schedule::{Method, PeriodRate, Schedule, Terms, format_apr};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::call::respond;
use crate::http::error::{ApiError, ErrorCode, Refusals};
use crate::http::input::{MethodDto, parse_id};
use crate::http::routes::campaigns::FeePaidByBody;
use crate::http::routes::plans::PlanPeriodResponse;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlanOptionsQuery {
    /// The purchase amount in fen.
    #[param(value_type = i64, minimum = 1)]
    pub amount_fen: String,
    /// A merchant: its campaigns running today are listed in `campaign_options`.
    pub merchant_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanOption {
    pub periods: u32,
    pub method: MethodDto,
    pub total_cost_fen: i64,
    /// The annualized rate by the IRR method, as a fraction with six decimals.
    #[schema(example = "0.108000")]
    pub apr: String,
    pub schedule: Vec<PlanPeriodResponse>,
}

/// One offer of a campaign: a plan at the campaign's fee rate.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignOption {
    pub campaign_id: String,
    pub name: String,
    /// The campaign's fee per period, parts per million.
    pub fee_rate_ppm: u32,
    pub fee_paid_by: FeePaidByBody,
    #[serde(flatten)]
    pub option: PlanOption,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanOptions {
    pub amount_fen: i64,
    pub options: Vec<PlanOption>,
    /// With `merchant_id`: the offers of the campaigns it runs today (empty without).
    pub campaign_options: Vec<CampaignOption>,
}

/// One plan option: the schedule of `principal` over `periods` by `method` at `rate`.
fn option(principal: Amount, periods: u32, method: Method, rate: PeriodRate) -> Option<PlanOption> {
    let schedule = Schedule::build(Terms {
        method,
        principal,
        periods,
        rate,
    })
    .ok()?;
    Some(PlanOption {
        periods,
        method: method.into(),
        total_cost_fen: schedule.total_cost().fen(),
        apr: format_apr(schedule.apr()),
        schedule: schedule
            .periods
            .iter()
            .map(|p| PlanPeriodResponse {
                n: p.n,
                principal_fen: p.principal.fen(),
                fee_fen: p.fee.fen(),
                interest_fen: p.interest.fen(),
                payment_fen: p.payment().fen(),
                billed: false,
            })
            .collect(),
    })
}

/// The offers of the campaigns `merchant` runs today.
fn campaign_options(state: &AppState, merchant: &str, principal: Amount) -> Result<Vec<CampaignOption>, ApiError> {
    let id = MerchantId(parse_id(merchant, "merchant_id")?);
    let merchant = state.merchants().get(id).ok_or_else(|| {
        ApiError::new(ErrorCode::MerchantNotFound, "no merchant has this id").with_field("merchant_id")
    })?;
    let mut offers = Vec::new();
    for campaign in state.campaigns().running_for(&merchant, state.business_day()) {
        for &periods in &campaign.terms {
            for &method in &campaign.methods {
                let Some(option) = option(principal, periods, method, campaign.period_rate()) else {
                    continue;
                };
                offers.push(CampaignOption {
                    campaign_id: campaign.id.to_string(),
                    name: campaign.name.clone(),
                    fee_rate_ppm: campaign.rate.ppm(),
                    fee_paid_by: FeePaidByBody::of(campaign.fee_paid_by),
                    option,
                });
            }
        }
    }
    Ok(offers)
}

fn invalid_amount(max: i64) -> ApiError {
    ApiError::new(ErrorCode::InvalidAmount, format!("amount_fen must be 1 to {max} fen")).with_field("amount_fen")
}

/// Installment options for an amount.
#[utoipa::path(operation_id = "plan_options", get, path = "/v1/plan-options", tag = "plans", params(PlanOptionsQuery),
    responses((status = 200, description = "success", body = PlanOptions), Refusals))]
pub async fn plan_options(
    State(state): State<AppState>,
    query: Result<Query<PlanOptionsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::new(ErrorCode::InvalidQuery, e.body_text()))?;
    let product = state.product();
    let max = product.amount_max.fen();
    let digits = !query.amount_fen.is_empty()
        && query.amount_fen.len() <= 19
        && query.amount_fen.bytes().all(|b| b.is_ascii_digit());
    let fen: i64 = if digits {
        query.amount_fen.parse().map_err(|_| invalid_amount(max))?
    } else {
        return Err(invalid_amount(max));
    };
    let principal = Amount::from_fen(fen);
    if fen < 1 || fen > max {
        return Err(invalid_amount(max));
    }
    let mut options = Vec::new();
    for &periods in &product.terms {
        for method in Method::ALL {
            let rate = product.default_rate(periods, method);
            if let Some(option) = rate.and_then(|rate| option(principal, periods, method, rate)) {
                options.push(option);
            }
        }
    }
    let campaign_options = match &query.merchant_id {
        Some(merchant) => campaign_options(&state, merchant, principal)?,
        None => Vec::new(),
    };
    Ok(respond(
        StatusCode::OK,
        &PlanOptions {
            amount_fen: fen,
            options,
            campaign_options,
        },
        false,
    ))
}
