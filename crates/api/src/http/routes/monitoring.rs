//! Merchant monitoring routes: asking to ship an order (`POST /v1/payments/{txn_id}/delivery`),
//! reporting a changed delivery address (`POST /v1/payments/{txn_id}/address-change`), and the
//! merchant's webhook endpoint (`POST`/`GET /v1/merchants/{merchant_id}/webhook`).
//!
//! Orders are watched only when the engine runs with rules: without them there is nothing to
//! decide and both order routes answer 404 `txn_not_found`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use credit::{MerchantId, TxnId};
use engine::{EngineRejection, Outcome, Request, RiskBlock};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorBody, ErrorCode, Refusals, Unavailable};
use crate::http::input::parse_id;
use crate::http::submit::reasons;
use crate::http::submit::{Audience, refusal, submit};
use crate::state::AppState;
use crate::webhooks::Webhook;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryBody {
    /// The shipping address is not the one given at checkout.
    #[serde(default)]
    pub address_changed: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryResponse {
    pub txn_id: String,
    /// Always `ship` here: a held order answers 409 `held_for_review`, an intercepted one 402
    /// `order_intercepted`.
    #[schema(example = "ship")]
    pub decision: &'static str,
}

/// Ask to ship an authorized order: the last-mile risk decision (merchant).
///
/// 200 `ship`; 409 `held_for_review` (an operator decides; `reasons` say why); 402
/// `order_intercepted` (the hold was voided or the capture refunded; `reasons` say why, and a
/// signed `order.intercepted` webhook follows).
#[utoipa::path(operation_id = "deliver_order", post, path = "/v1/payments/{txn_id}/delivery", tag = "payments", request_body = DeliveryBody,
    params(("txn_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("merchant_signature" = [])),
    responses((status = 200, description = "ship it", body = DeliveryResponse), (status = 402, description = "intercepted", body = ErrorBody),
        (status = 409, description = "held for review", body = ErrorBody), Refusals,
        Unavailable))]
pub async fn delivery(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let merchant = call.principal.merchant()?;
    let txn = TxnId(call.id("txn_id")?);
    let body: DeliveryBody = call.json()?;
    let request = Request::Deliver {
        merchant,
        txn,
        address_changed: body.address_changed,
    };
    let reply = submit(&state, request, Some(call.idem()?), None).await?;
    let why = reasons(reply.risk.as_deref());
    match reply.outcome {
        Outcome::Applied { .. } => {
            // Kept before the answer (and again by a replay): the capture of a merchant whose
            // risk tier requires the delivery checkpoint reads it.
            crate::edge::merchant_tiers::record_delivered(state.meta(), txn).await?;
            let response = DeliveryResponse {
                txn_id: txn.to_string(),
                decision: "ship",
            };
            Ok(respond(StatusCode::OK, &response, reply.replayed))
        }
        Outcome::Rejected {
            rejection: EngineRejection::Risk(RiskBlock::Denied),
        } => Err(ApiError::new(
            ErrorCode::OrderIntercepted,
            "risk control intercepted the order: do not ship it",
        )
        .with_risk(why, None)),
        Outcome::Rejected {
            rejection: EngineRejection::HeldForReview,
        } => Err(ApiError::new(
            ErrorCode::HeldForReview,
            "the order is held for review: do not ship it yet",
        )
        .with_risk(why, None)),
        Outcome::Rejected { rejection } => Err(refusal(rejection, Audience::Merchant)),
        Outcome::Conflict => Err(crate::edge::merchants::key_reused()),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AddressChangeResponse {
    pub txn_id: String,
    /// The re-score: `allow`, `review` or `deny` (a challenge counts as review here).
    pub decision: &'static str,
    /// What happened to the order: `none`, `held_for_review` or `intercepted`.
    pub action: &'static str,
    pub reasons: Vec<String>,
}

/// Report a changed delivery address: the order is re-scored now (merchant).
#[utoipa::path(operation_id = "change_address", post, path = "/v1/payments/{txn_id}/address-change", tag = "payments",
    request_body = crate::http::routes::payments::EmptyBody,
    params(("txn_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("merchant_signature" = [])),
    responses((status = 200, description = "re-scored", body = AddressChangeResponse), Refusals,
        Unavailable))]
pub async fn address_change(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let merchant = call.principal.merchant()?;
    let txn = TxnId(call.id("txn_id")?);
    let _: crate::http::routes::payments::EmptyBody = call.json()?;
    let reply = submit(
        &state,
        Request::AddressChanged { merchant, txn },
        Some(call.idem()?),
        None,
    )
    .await?;
    match reply.outcome {
        Outcome::Applied { .. } => {}
        Outcome::Rejected { rejection } => return Err(refusal(rejection, Audience::Merchant)),
        Outcome::Conflict => return Err(crate::edge::merchants::key_reused()),
    }
    let outcome = reply.risk.as_ref().map_or(risk::Outcome::Allow, |r| r.outcome);
    let (decision, action) = match outcome {
        risk::Outcome::Allow => ("allow", "none"),
        risk::Outcome::Deny => ("deny", "intercepted"),
        _ => ("review", "held_for_review"),
    };
    let response = AddressChangeResponse {
        txn_id: txn.to_string(),
        decision,
        action,
        reasons: reasons(reply.risk.as_deref()),
    };
    Ok(respond(StatusCode::OK, &response, reply.replayed))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    /// Where notices are posted: https, to a host that resolves to public addresses only
    /// (API.md, "Limits").
    #[schema(example = "https://shop.example/iou/webhooks")]
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookResponse {
    pub merchant_id: String,
    pub url: Option<String>,
}

/// The merchant of a `/v1/merchants/{merchant_id}/...` route: the merchant itself or an operator.
fn merchant_of(state: &AppState, call: &Call) -> Result<MerchantId, ApiError> {
    let id = MerchantId(call.id("merchant_id")?);
    match call.principal {
        crate::http::auth::Principal::Operator(_) => {}
        crate::http::auth::Principal::Merchant(own) if own == id => {}
        _ => return Err(ApiError::forbidden()),
    }
    if state.merchants().get(id).is_none() {
        return Err(ApiError::new(ErrorCode::MerchantNotFound, "no merchant has this id").with_field("merchant_id"));
    }
    Ok(id)
}

/// Register or replace the merchant's webhook endpoint (the merchant, or an operator).
/// Deliveries are signed with the merchant's API secret: see API.md.
#[utoipa::path(operation_id = "set_webhook", post, path = "/v1/merchants/{merchant_id}/webhook", tag = "payments", request_body = WebhookBody,
    params(("merchant_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("merchant_signature" = []), ("bearer" = [])),
    responses((status = 200, description = "success", body = WebhookResponse), Refusals))]
pub async fn set_webhook(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let merchant = merchant_of(&state, &call)?;
    let body: WebhookBody = call.json()?;
    let url = state.network().webhook_targets.check_url(&body.url).await?;
    let idem = call.idem()?;
    crate::http::once::once(&state, idem, async {
        let hook = Webhook { url: url.clone() };
        state.risk_edge().webhooks.set(state.meta(), merchant, hook).await?;
        let response = WebhookResponse {
            merchant_id: merchant.to_string(),
            url: Some(url),
        };
        crate::http::once::Answer::new(StatusCode::OK, &response)
    })
    .await
}

/// The merchant's webhook endpoint, if any (the merchant, or an operator).
#[utoipa::path(operation_id = "get_webhook", get, path = "/v1/merchants/{merchant_id}/webhook", tag = "payments",
    params(("merchant_id" = String, Path)), security(("merchant_signature" = []), ("bearer" = [])),
    responses((status = 200, description = "success", body = WebhookResponse), Refusals))]
pub async fn get_webhook(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let merchant = merchant_of(&state, &call)?;
    let response = WebhookResponse {
        merchant_id: merchant.to_string(),
        url: state.risk_edge().webhooks.get(merchant).map(|h| h.url.clone()),
    };
    Ok(respond(StatusCode::OK, &response, false))
}

/// Parses a list of transaction ids (`txn_ids[i]`).
pub fn parse_txns(ids: &[String]) -> Result<Vec<TxnId>, ApiError> {
    if ids.is_empty() || ids.len() > 100 {
        return Err(
            ApiError::new(ErrorCode::InvalidField, "txn_ids lists 1 to 100 transactions").with_field("txn_ids"),
        );
    }
    ids.iter()
        .enumerate()
        .map(|(i, id)| parse_id(id, &format!("txn_ids[{i}]")).map(TxnId))
        .collect()
}
