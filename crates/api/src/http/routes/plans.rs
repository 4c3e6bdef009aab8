//! Installment plans: the list, one with its schedule, a payoff quote and early payoff.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use credit::{Account, PlanId, PlanSource, PlanStatus, PlanView};
use engine::ask::FundingEffect;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::edge::campaigns::{CampaignUse, use_of};
use crate::http::auth::Permission;
use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::http::input::FenInput;
use crate::http::input::MethodDto;
use crate::http::routes::campaigns::CampaignUseView;
use crate::http::routes::customers::customer_of;
use crate::http::routes::figures::SchedulePeriodView;
use crate::http::routes::repayments::{AllocationView, allocation, card_of, debit, external_reference, record_offline};
use crate::http::submit::account;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanPeriodResponse {
    pub n: u32,
    pub principal_fen: i64,
    pub fee_fen: i64,
    pub interest_fen: i64,
    pub payment_fen: i64,
    pub billed: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanResponse {
    pub plan_id: String,
    /// `purchase` (with `txn_id`), `statement` (with `statement_seq`) or `hardship` (a
    /// delinquent balance re-aged, COLLECTIONS.md).
    pub source: &'static str,
    pub txn_id: Option<String>,
    pub statement_seq: Option<u32>,
    pub method: MethodDto,
    pub periods_count: u32,
    pub principal_fen: i64,
    /// `active`, `fully_billed`, `paid_off` or `closed`.
    pub status: &'static str,
    /// The annualized rate by the IRR method, as a fraction with six decimals.
    #[schema(example = "0.108000")]
    pub apr: String,
    /// The fee per period the plan was made at, parts per million of its principal.
    pub fee_rate_ppm: Option<u32>,
    /// The campaign a purchase's plan was made under, with who pays its fee; `null` without
    /// one.
    pub campaign: Option<CampaignUseView>,
    /// The schedule as it stands (amended by refunds); periods a payoff, a refund to nothing or
    /// a charge-off dropped are not here: see `schedule`.
    pub periods: Vec<PlanPeriodResponse>,
    /// The whole schedule as created, one entry per period, each with its status now
    /// (`scheduled`, `billed`, `paid`, `paid_off`, `cancelled`, `accelerated`), its original and
    /// current amounts, and what is unpaid of it.
    pub schedule: Vec<SchedulePeriodView>,
    pub remaining_principal_fen: i64,
    pub remaining_costs_fen: i64,
    /// What an early payoff takes now (active plans only).
    pub payoff_fen: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanList {
    pub plans: Vec<PlanResponse>,
}

fn status_name(status: PlanStatus) -> &'static str {
    match status {
        PlanStatus::Active => "active",
        PlanStatus::FullyBilled => "fully_billed",
        PlanStatus::PaidOff => "paid_off",
        PlanStatus::Closed => "closed",
    }
}

/// The campaign a plan was made under (a purchase's, kept by its transaction).
async fn campaign_of(state: &AppState, view: &PlanView) -> Result<Option<CampaignUse>, ApiError> {
    match view.source {
        PlanSource::Purchase { txn } => use_of(state.meta(), txn).await,
        PlanSource::Statement { .. } | PlanSource::Hardship => Ok(None),
    }
}

fn plan(account: &Account, view: &PlanView, campaign: Option<&CampaignUse>) -> PlanResponse {
    let (source, txn_id, statement_seq) = match view.source {
        PlanSource::Purchase { txn } => ("purchase", Some(txn.to_string()), None),
        PlanSource::Statement { seq } => ("statement", None, Some(seq)),
        PlanSource::Hardship => ("hardship", None, None),
    };
    PlanResponse {
        plan_id: view.id.0.to_string(),
        source,
        txn_id,
        statement_seq,
        method: view.terms.method.into(),
        periods_count: view.terms.periods,
        principal_fen: view.terms.principal.fen(),
        status: status_name(view.status),
        apr: view.apr.clone(),
        fee_rate_ppm: view.terms.rate.per_period_rate().map(|r| r.ppm()),
        campaign: campaign.map(CampaignUseView::of),
        periods: view
            .periods
            .iter()
            .map(|p| PlanPeriodResponse {
                n: p.n,
                principal_fen: p.principal.fen(),
                fee_fen: p.fee.fen(),
                interest_fen: p.interest.fen(),
                payment_fen: p.payment.fen(),
                billed: p.billed,
            })
            .collect(),
        schedule: account
            .plan_schedule(view.id)
            .unwrap_or_default()
            .iter()
            .map(SchedulePeriodView::of)
            .collect(),
        remaining_principal_fen: view.remaining_principal.fen(),
        remaining_costs_fen: view.remaining_costs.fen(),
        payoff_fen: view.payoff.map(|a| a.fen()),
    }
}

/// List a customer's installment plans.
#[utoipa::path(operation_id = "list_plans", get, path = "/v1/customers/{customer_id}/plans", tag = "plans",
    params(("customer_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = PlanList), Refusals))]
pub async fn list(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let id = customer_of(&call)?;
    let account = account(&state, id).await?;
    let mut plans = Vec::new();
    for view in account.plan_views(state.product()) {
        let campaign = campaign_of(&state, &view).await?;
        plans.push(plan(&account, &view, campaign.as_ref()));
    }
    Ok(respond(StatusCode::OK, &PlanList { plans }, false))
}

fn plan_not_found() -> ApiError {
    ApiError::new(ErrorCode::PlanNotFound, "no such plan").with_field("plan_id")
}

/// One plan with its schedule.
#[utoipa::path(operation_id = "get_plan", get, path = "/v1/customers/{customer_id}/plans/{plan_id}", tag = "plans",
    params(("customer_id" = String, Path), ("plan_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = PlanResponse), Refusals))]
pub async fn one(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let id = customer_of(&call)?;
    let plan_id = PlanId(call.id("plan_id")?);
    let account = account(&state, id).await?;
    let view = account.plan_view(plan_id, state.product()).ok_or_else(plan_not_found)?;
    let campaign = campaign_of(&state, &view).await?;
    Ok(respond(
        StatusCode::OK,
        &plan(&account, &view, campaign.as_ref()),
        false,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PayoffQuote {
    pub plan_id: String,
    /// Everything billed and unpaid on the account plus the plan's unbilled principal.
    pub payoff_fen: i64,
    /// The business day the quote is for.
    pub as_of: String,
}

/// What paying a plan off early takes today.
#[utoipa::path(operation_id = "quote_payoff", get, path = "/v1/customers/{customer_id}/plans/{plan_id}/payoff-quote", tag = "plans",
    params(("customer_id" = String, Path), ("plan_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = PayoffQuote), Refusals))]
pub async fn quote(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let id = customer_of(&call)?;
    let plan_id = PlanId(call.id("plan_id")?);
    let account = account(&state, id).await?;
    let view = account.plan_view(plan_id, state.product()).ok_or_else(plan_not_found)?;
    let payoff = view.payoff.ok_or_else(|| {
        ApiError::new(ErrorCode::PlanNotActive, "only an active plan can be paid off").with_field("plan_id")
    })?;
    let quote = PayoffQuote {
        plan_id: plan_id.0.to_string(),
        payoff_fen: payoff.fen(),
        as_of: account.day.to_string(),
    };
    Ok(respond(StatusCode::OK, &quote, false))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoffBody {
    pub amount_fen: FenInput,
    /// An operator recording a payoff the customer paid outside the system: the transfer's
    /// unique reference (as for an offline repayment). Without it, the customer's verified
    /// bank card is debited.
    #[serde(default)]
    pub external_reference: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PayoffResponse {
    /// The payoff's funding operation (also readable as a repayment).
    pub payoff_id: String,
    pub plan_id: String,
    pub amount_fen: i64,
    /// `pending` (a debit the provider has not confirmed: nothing is paid off yet), `settled`
    /// or `failed`. Settled money that no longer covers the payoff (a statement closed while
    /// the debit was pending) is kept as a repayment.
    pub status: &'static str,
    /// How the money was spread, once settled.
    pub allocation: Option<AllocationView>,
    /// Future fees and interest waived, in the answer of the call that paid the plan off.
    pub fees_waived_fen: Option<i64>,
    /// The provider's reason code of a failure.
    pub reason: Option<String>,
}

fn payoff_view(plan: PlanId, funding: &engine::Funding, effect: &FundingEffect) -> PayoffResponse {
    PayoffResponse {
        payoff_id: funding.id.to_string(),
        plan_id: plan.0.to_string(),
        amount_fen: funding.amount.fen(),
        status: funding.status.name(),
        allocation: funding.allocation.as_ref().map(allocation),
        fees_waived_fen: effect.fees_waived.map(|f| f.fen()),
        reason: funding.reason.clone(),
    }
}

/// Pay a plan off early; the amount must cover the payoff quote. The money is a debit of the
/// customer's verified bank card (`202`; the plan is paid off when the debit settles), or, for
/// an operator with `external_reference`, money received outside the system (`201`, settled).
#[utoipa::path(operation_id = "pay_off_plan", post, path = "/v1/customers/{customer_id}/plans/{plan_id}/payoff", tag = "plans",
    request_body = PayoffBody,
    params(("customer_id" = String, Path), ("plan_id" = String, Path), ("Idempotency-Key" = String, Header)),
    security(("bearer" = [])),
    responses((status = 202, description = "the debit and where it stands; or, recorded offline, the proposal kept for a second operator's approval", body = crate::http::four_eyes::OrProposal<PayoffResponse>), (status = 201, description = "recorded as received offline (the approved call)", body = PayoffResponse),
        Refusals, Unavailable))]
pub async fn payoff(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let id = customer_of(&call)?;
    let plan_id = PlanId(call.id("plan_id")?);
    let idem = call.idem()?;
    let body: PayoffBody = call.json()?;
    let amount = body.amount_fen.parse(state.product(), "amount_fen")?;
    if let Some(reference) = &body.external_reference {
        call.principal.require(Permission::RecordOfflineRepayment)?;
        let reference = external_reference(reference)?;
        let why = format!("recording a payoff of {amount} received offline for customer {id}");
        let needs = [Permission::RecordOfflineRepayment];
        if let Some(proposed) = crate::http::four_eyes::gate(&state, &call, &needs, why).await? {
            return Ok(proposed);
        }
        let answered = record_offline(&state, id, idem, amount, reference, Some(plan_id)).await?;
        let view = payoff_view(plan_id, &answered.reply.funding, &answered.reply.effect);
        return Ok(respond(StatusCode::CREATED, &view, answered.replayed));
    }
    let card = card_of(&state, id).await?;
    let (funding, effect, replayed) = debit(&state, id, idem, amount, Some(plan_id), None, card).await?;
    Ok(respond(
        StatusCode::ACCEPTED,
        &payoff_view(plan_id, &funding, &effect),
        replayed,
    ))
}
