//! Fraud exemptions an operator applies directly (`POST /v1/customers/{id}/fraud-exemptions`):
//! the fraud team confirmed, outside a theft case, that the customer did not make these
//! transactions. The account is restated as if they never happened and the difference goes to
//! fraud loss, exactly as when a theft case is confirmed.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use credit::AccountId;
use engine::ask;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::auth::Permission;
use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, Refusals, Unavailable};
use crate::http::four_eyes::gate;
use crate::http::routes::figures::ExemptionView;
use crate::http::routes::monitoring::parse_txns;
use crate::http::submit::{Audience, ask};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExemptionBody {
    /// The customer's transactions that were fraud (1 to 100).
    pub txn_ids: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExemptionResponse {
    pub customer_id: String,
    pub txn_ids: Vec<String>,
    /// What the restatement moved to fraud loss.
    pub fraud_loss_fen: i64,
    /// The fraud loss with the fees, interest and penalties waived and payments credited back.
    pub exemption: ExemptionView,
}

/// Exempt a customer's transactions as fraud (operator).
#[utoipa::path(operation_id = "exempt_fraud", post, path = "/v1/customers/{customer_id}/fraud-exemptions", tag = "risk",
    request_body = ExemptionBody,
    params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, description = "success", body = ExemptionResponse),
        (status = 202, description = "kept for a second operator's approval (four eyes)", body = crate::http::four_eyes::ApprovalView), Refusals, Unavailable))]
pub async fn exempt(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.operator()?;
    let account = AccountId(call.id("customer_id")?);
    let idem = call.idem()?;
    let body: ExemptionBody = call.json()?;
    let txns = parse_txns(&body.txn_ids)?;
    let why = format!("exempting {} transaction(s) of customer {account} as fraud", txns.len());
    if let Some(proposed) = gate(&state, &call, &[Permission::FraudExempt], why).await? {
        return Ok(proposed);
    }
    let exempt = ask::ExemptFraud {
        account,
        txns: txns.clone(),
    };
    let answered = ask(&state, exempt, idem, Audience::Account, None).await?;
    let response = ExemptionResponse {
        customer_id: account.to_string(),
        txn_ids: txns.iter().map(ToString::to_string).collect(),
        fraud_loss_fen: answered.reply.fraud_loss.fen(),
        exemption: ExemptionView::of(&answered.reply.exemption),
    };
    Ok(respond(StatusCode::CREATED, &response, answered.replayed))
}
