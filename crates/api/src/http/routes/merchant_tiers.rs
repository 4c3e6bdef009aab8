//! A merchant's risk tier (`edge::merchant_tiers`): an operator sets it (`merchants.risk_tier`,
//! in the audit log like every operator call; lowering it needs a second operator), the merchant
//! and operators read it. What each tier requires is enforced by the payment routes.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use credit::MerchantId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::edge::merchant_tiers::{RiskTier, TierRecord};
use crate::http::auth::{Permission, Principal};
use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::http::four_eyes::gate;
use crate::http::input::parse_text;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierBody {
    /// `standard`, `elevated` or `high`.
    #[schema(example = "elevated")]
    pub tier: String,
    /// Why (1 to 500 characters): kept with the tier and shown to the approver.
    #[schema(max_length = 500, example = "chargebacks above 1% this month")]
    pub reason: String,
}

/// A merchant's risk tier and what it requires.
#[derive(Debug, Serialize, ToSchema)]
pub struct TierView {
    pub merchant_id: String,
    /// `standard`, `elevated` or `high`.
    #[schema(example = "elevated")]
    pub tier: &'static str,
    /// A capture is refused (409 `delivery_check_required`) until `POST
    /// /v1/payments/{txn_id}/delivery` answered `ship` for the payment.
    pub requires_delivery_check: bool,
    /// A link payment is answered 403 `challenge_required` unless it carries the customer's
    /// step-up token.
    pub requires_link_step_up: bool,
    /// Who set it (`operator:<name>` or `registration`); null for a merchant on the default.
    pub set_by: Option<String>,
    pub set_at: Option<String>,
    pub reason: Option<String>,
}

pub fn view(merchant: MerchantId, record: Option<&TierRecord>) -> TierView {
    let tier = record.map_or(RiskTier::DEFAULT, |r| r.tier);
    TierView {
        merchant_id: merchant.to_string(),
        tier: tier.as_str(),
        requires_delivery_check: tier.requires_delivery(),
        requires_link_step_up: tier.requires_link_step_up(),
        set_by: record.map(|r| r.set_by.clone()),
        set_at: record
            .and_then(|r| jiff::Timestamp::from_microsecond(r.set_at_us).ok())
            .map(|t| t.to_string()),
        reason: record.map(|r| r.reason.clone()),
    }
}

fn known_merchant(state: &AppState, call: &Call) -> Result<MerchantId, ApiError> {
    let id = MerchantId(call.id("merchant_id")?);
    if state.merchants().get(id).is_none() {
        return Err(ApiError::new(ErrorCode::MerchantNotFound, "no merchant has this id").with_field("merchant_id"));
    }
    Ok(id)
}

/// Set a merchant's risk tier (operator, `merchants.risk_tier`). Raising it applies at once;
/// lowering it (less protection) is kept for a second operator's approval (202).
#[utoipa::path(operation_id = "set_merchant_risk_tier", post, path = "/v1/merchants/{merchant_id}/risk-tier", tag = "operator",
    request_body = TierBody, params(("merchant_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 200, description = "set", body = TierView),
        (status = 202, description = "lowering the tier: kept for a second operator's approval (four eyes)", body = crate::http::four_eyes::ApprovalView),
        Refusals, Unavailable))]
pub async fn set(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let merchant = known_merchant(&state, &call)?;
    let body: TierBody = call.json()?;
    let tier = RiskTier::parse(&body.tier, "tier")?;
    let reason = parse_text(&body.reason, "reason", 500)?;
    let current = state.merchants().tiers.tier(merchant);
    if tier < current {
        let why = format!(
            "lowering merchant {merchant}'s risk tier from {} to {} weakens its checks: {reason}",
            current.as_str(),
            tier.as_str()
        );
        if let Some(proposed) = gate(&state, &call, &[Permission::MerchantsRiskTier], why).await? {
            return Ok(proposed);
        }
    }
    let record = TierRecord {
        tier,
        set_by: format!("operator:{}", call.operator_name.clone().unwrap_or_default()),
        set_at_us: state.clock().now().as_microsecond(),
        reason,
    };
    // Setting a tier is idempotent by its nature (the same body leaves the same tier).
    call.idem()?;
    state
        .merchants()
        .tiers
        .set(state.meta(), merchant, record.clone())
        .await?;
    Ok(respond(StatusCode::OK, &view(merchant, Some(&record)), false))
}

/// A merchant's risk tier (the merchant itself, or an operator with `merchants.risk_tier`).
#[utoipa::path(operation_id = "get_merchant_risk_tier", get, path = "/v1/merchants/{merchant_id}/risk-tier", tag = "operator",
    params(("merchant_id" = String, Path)), security(("merchant_signature" = []), ("bearer" = [])),
    responses((status = 200, description = "success", body = TierView), Refusals))]
pub async fn get(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let asked = MerchantId(call.id("merchant_id")?);
    match call.principal {
        Principal::Operator(_) => {}
        Principal::Merchant(own) if own == asked => {}
        _ => return Err(ApiError::forbidden()),
    }
    let merchant = known_merchant(&state, &call)?;
    let record = state.merchants().tiers.record(merchant);
    Ok(respond(StatusCode::OK, &view(merchant, record.as_ref()), false))
}
