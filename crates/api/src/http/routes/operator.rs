//! Operator calls: registering merchants and managing a credit line (limit, temporary limit,
//! freeze, unfreeze). Which operator may call each is `http::auth::policy`'s table.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use credit::{Day, FreezeReason};
use engine::ask;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::edge::merchant_tiers::{RiskTier, TierRecord};
use crate::edge::merchants::Category;
use crate::http::auth::Permission;
use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::http::four_eyes::gate;
use crate::http::input::{FenInput, parse_text};
use crate::http::routes::payments::EmptyBody;
use crate::http::submit::{Audience, ask};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MerchantBody {
    #[schema(max_length = 100, example = "Corner Shop")]
    pub name: String,
    /// What the merchant sells (campaigns may run for a category): `electronics`, `fashion`,
    /// `grocery`, `home`, `travel`, `education`, `health` or `other`.
    #[schema(example = "electronics")]
    pub category: Option<String>,
    /// The merchant's risk tier from the start: `standard` (the default), `elevated` or `high`
    /// (API.md, "Merchant risk tiers"). A young or unknown merchant may start elevated.
    #[schema(example = "elevated")]
    pub risk_tier: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MerchantResponse {
    pub merchant_id: String,
    pub name: String,
    pub category: Option<String>,
    /// The API secret requests are signed with, shown this once: a retry of the same
    /// registration (same key, same body) gets `secret: null` and `secret_issued: false`.
    pub secret: Option<String>,
    /// Whether this answer shows the secret.
    pub secret_issued: bool,
    /// `standard`, `elevated` or `high` (`GET /v1/merchants/{merchant_id}/risk-tier`).
    pub risk_tier: &'static str,
}

/// Register a merchant (operator).
#[utoipa::path(operation_id = "register_merchant", post, path = "/v1/merchants", tag = "operator", request_body = MerchantBody,
    params(("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, description = "success", body = MerchantResponse), Refusals, Unavailable))]
pub async fn register_merchant(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let idem = call.idem()?;
    let body: MerchantBody = call.json()?;
    let name = parse_text(&body.name, "name", 100)?;
    let category = body
        .category
        .as_deref()
        .map(|c| Category::parse(c, "category"))
        .transpose()?;
    let tier = body
        .risk_tier
        .as_deref()
        .map(|t| RiskTier::parse(t, "risk_tier"))
        .transpose()?;
    let response = crate::http::once::once(&state, idem, async {
        let registered = state
            .merchants()
            .register(state.meta(), state.vault(), name, category, idem)
            .await?;
        let merchant = &registered.merchant;
        let tiers = &state.merchants().tiers;
        if let Some(tier) = tier.filter(|t| *t != RiskTier::DEFAULT && tiers.record(merchant.id).is_none()) {
            let record = TierRecord {
                tier,
                set_by: "registration".to_owned(),
                set_at_us: state.clock().now().as_microsecond(),
                reason: "set at registration".to_owned(),
            };
            tiers.set(state.meta(), merchant.id, record).await?;
        }
        let mut response = MerchantResponse {
            merchant_id: merchant.id.to_string(),
            name: merchant.name.clone(),
            category: merchant.category.map(|c| c.as_str().to_owned()),
            secret: None,
            secret_issued: false,
            risk_tier: tiers.tier(merchant.id).as_str(),
        };
        let stored = crate::http::once::Answer::new(StatusCode::CREATED, &response)?;
        let Some(secret) = &registered.secret else {
            // A registration from before this store kept its records here (or a retry after
            // a crash): the secret was shown when it was made.
            return Ok(stored);
        };
        response.secret = Some(secret.to_string());
        response.secret_issued = true;
        crate::http::once::Answer::new(StatusCode::CREATED, &response)?.storing(&stored.body)
    })
    .await?;
    Ok(crate::http::call::no_store(response))
}

/// A credit line's settings after an operator's change.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineResponse {
    pub customer_id: String,
    /// What changed: `limit`, `temporary_limit`, `freeze` or `unfreeze`.
    pub change: &'static str,
    pub limit_fen: Option<i64>,
    pub temporary_limit_fen: Option<i64>,
    pub temporary_limit_expires_on: Option<String>,
    pub frozen: Option<String>,
}

fn line(customer: credit::AccountId, change: &'static str) -> LineResponse {
    LineResponse {
        customer_id: customer.to_string(),
        change,
        limit_fen: None,
        temporary_limit_fen: None,
        temporary_limit_expires_on: None,
        frozen: None,
    }
}

fn operator_customer(call: &Call) -> Result<credit::AccountId, ApiError> {
    call.principal.operator()?;
    Ok(credit::AccountId(call.id("customer_id")?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitBody {
    pub limit_fen: FenInput,
}

/// Set the permanent limit (operator).
#[utoipa::path(operation_id = "change_limit", post, path = "/v1/customers/{customer_id}/limit", tag = "operator", request_body = LimitBody,
    params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = LineResponse),
        (status = 202, description = "a raise above the four-eyes amount: kept for a second operator's approval", body = crate::http::four_eyes::ApprovalView), Refusals, Unavailable))]
pub async fn limit(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let account = operator_customer(&call)?;
    let body: LimitBody = call.json()?;
    let limit = body.limit_fen.parse(state.product(), "limit_fen")?;
    let above = state.four_eyes().limit_above_fen;
    if limit.fen() > above && call.approval().is_none() {
        let current = crate::http::submit::account(&state, account).await?.limit;
        if limit > current {
            let why = format!(
                "raising the limit to {limit} (above {})",
                money::Amount::from_fen(above)
            );
            if let Some(proposed) = gate(&state, &call, &[Permission::LimitsChange], why).await? {
                return Ok(proposed);
            }
        }
    }
    let change = ask::ChangeLimit { account, limit };
    let answered = ask(&state, change, call.idem()?, Audience::Account, None).await?;
    let response = LineResponse {
        limit_fen: Some(limit.fen()),
        ..line(account, "limit")
    };
    Ok(respond(StatusCode::OK, &response, answered.replayed))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemporaryLimitBody {
    pub amount_fen: FenInput,
    /// The last day it can be used.
    #[schema(example = "2026-06-30")]
    pub expires_on: String,
}

/// Grant (or replace) a temporary limit on top of the permanent one (operator).
#[utoipa::path(operation_id = "set_temporary_limit", post, path = "/v1/customers/{customer_id}/temporary-limit", tag = "operator",
    request_body = TemporaryLimitBody,
    params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = LineResponse),
        (status = 202, description = "above the four-eyes amount: kept for a second operator's approval", body = crate::http::four_eyes::ApprovalView), Refusals, Unavailable))]
pub async fn temporary_limit(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let account = operator_customer(&call)?;
    let body: TemporaryLimitBody = call.json()?;
    let amount = body.amount_fen.parse(state.product(), "amount_fen")?;
    let expires_on: Day = body.expires_on.parse().map_err(|_| {
        ApiError::new(ErrorCode::InvalidField, "expires_on must be a date like 2026-06-30").with_field("expires_on")
    })?;
    let above = state.four_eyes().limit_above_fen;
    if amount.fen() > above {
        let why = format!(
            "a temporary limit of {amount} (above {})",
            money::Amount::from_fen(above)
        );
        if let Some(proposed) = gate(&state, &call, &[Permission::LimitsTemporary], why).await? {
            return Ok(proposed);
        }
    }
    let grant = ask::SetTemporaryLimit {
        account,
        amount,
        expires_on,
    };
    let answered = ask(&state, grant, call.idem()?, Audience::Account, None).await?;
    let response = LineResponse {
        temporary_limit_fen: Some(amount.fen()),
        temporary_limit_expires_on: Some(expires_on.to_string()),
        ..line(account, "temporary_limit")
    };
    Ok(respond(StatusCode::OK, &response, answered.replayed))
}

/// Why an operator freezes an account.
#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FreezeReasonDto {
    #[default]
    Operator,
    Risk,
    /// The customer reported a theft to the operator (by phone, at a branch): authorizations
    /// stop until the operator lifts it (a theft reported in the app opens a case instead).
    TheftReport,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FreezeBody {
    /// `operator` (the default), `risk` or `theft_report`.
    #[serde(default)]
    pub reason: FreezeReasonDto,
}

pub fn reason_name(reason: FreezeReason) -> &'static str {
    match reason {
        FreezeReason::TheftReport => "theft_report",
        FreezeReason::Risk => "risk",
        FreezeReason::Operator => "operator",
        FreezeReason::Customer => "customer",
    }
}

/// Freeze an account: new authorizations are declined, repayments still work (operator).
#[utoipa::path(operation_id = "freeze_account", post, path = "/v1/customers/{customer_id}/freeze", tag = "operator", request_body = FreezeBody,
    params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = LineResponse), Refusals, Unavailable))]
pub async fn freeze(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let account = operator_customer(&call)?;
    let body: FreezeBody = call.json()?;
    let reason = match body.reason {
        FreezeReasonDto::Operator => FreezeReason::Operator,
        FreezeReasonDto::Risk => FreezeReason::Risk,
        FreezeReasonDto::TheftReport => FreezeReason::TheftReport,
    };
    let freeze = ask::Freeze { account, reason };
    let answered = ask(&state, freeze, call.idem()?, Audience::Account, None).await?;
    let response = LineResponse {
        frozen: Some(reason_name(reason).to_owned()),
        ..line(account, "freeze")
    };
    Ok(respond(StatusCode::OK, &response, answered.replayed))
}

/// Unfreeze an account (operator).
#[utoipa::path(operation_id = "unfreeze_account", post, path = "/v1/customers/{customer_id}/unfreeze", tag = "operator", request_body = EmptyBody,
    params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = LineResponse),
        (status = 202, description = "a theft-report freeze: kept for a second operator's approval", body = crate::http::four_eyes::ApprovalView), Refusals, Unavailable))]
pub async fn unfreeze(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let account = operator_customer(&call)?;
    let _: EmptyBody = call.json()?;
    let theft = crate::http::submit::account(&state, account).await?.frozen == Some(FreezeReason::TheftReport);
    let answered = if theft {
        // The engine lifts a theft report's freeze only as verified (the customer's liveness,
        // or here two operators who verified the customer outside the app), once its case is
        // resolved.
        let why = format!("lifting customer {account}'s theft-report freeze without the customer");
        if let Some(proposed) = gate(&state, &call, &[Permission::AccountsUnfreeze], why).await? {
            return Ok(proposed);
        }
        ask(
            &state,
            ask::VerifiedUnfreeze { account },
            call.idem()?,
            Audience::Account,
            None,
        )
        .await?
    } else {
        ask(&state, ask::Unfreeze { account }, call.idem()?, Audience::Account, None).await?
    };
    Ok(respond(StatusCode::OK, &line(account, "unfreeze"), answered.replayed))
}
