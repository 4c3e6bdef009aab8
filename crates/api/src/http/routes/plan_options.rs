//! Installment options for an amount: every offered term under every method at the product's
//! rate, with the schedule, the total cost and the APR. Pure: no engine, no caller data, so no
//! authentication.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use money::schedule::{Method, Schedule, Terms, format_apr};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::call::respond;
use crate::http::error::{ApiError, ErrorCode, Refusals};
use crate::http::input::MethodDto;
use crate::http::routes::plans::PlanPeriodResponse;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlanOptionsQuery {
    /// The purchase amount in fen.
    #[param(value_type = i64, minimum = 1)]
    pub amount_fen: String,
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

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanOptions {
    pub amount_fen: i64,
    pub options: Vec<PlanOption>,
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
    let principal = money::Amount::from_fen(fen);
    if fen < 1 || fen > max {
        return Err(invalid_amount(max));
    }
    let mut options = Vec::new();
    for &periods in &product.terms {
        for method in Method::ALL {
            let Some(rate) = product.default_rate(periods, method) else {
                continue;
            };
            let Ok(schedule) = Schedule::build(Terms {
                method,
                principal,
                periods,
                rate,
            }) else {
                continue;
            };
            options.push(PlanOption {
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
            });
        }
    }
    Ok(respond(
        StatusCode::OK,
        &PlanOptions {
            amount_fen: fen,
            options,
        },
        false,
    ))
}
