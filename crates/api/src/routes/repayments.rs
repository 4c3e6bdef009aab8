//! Money from and to the customer: repayments through the waterfall, and paying a credit
//! balance back out.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use credit::{Allocation, Command, Event, OpId};
use engine::Request;
use risk::Channel;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::call::{Call, respond};
use crate::error::{ApiError, ErrorBody};
use crate::input::FenInput;
use crate::risk_call::apply_with;
use crate::risk_input::{Peer, RiskBody, context_for};
use crate::routes::customers::customer_of;
use crate::routes::payments::AmountBody;
use crate::state::AppState;
use crate::submit::{Audience, apply};

/// How a payment was spread over what the customer owes.
#[derive(Debug, Serialize, ToSchema)]
pub struct AllocationView {
    pub penalty_fen: i64,
    pub interest_fen: i64,
    pub fee_fen: i64,
    pub principal_fen: i64,
    /// Unbilled principal paid by an early payoff.
    pub unbilled_principal_fen: i64,
    /// What was left over and became credit balance.
    pub credit_balance_fen: i64,
}

pub fn allocation(a: &Allocation) -> AllocationView {
    AllocationView {
        penalty_fen: a.penalty.fen(),
        interest_fen: a.interest.fen(),
        fee_fen: a.fee.fen(),
        principal_fen: a.principal.fen(),
        unbilled_principal_fen: a.unbilled_principal.fen(),
        credit_balance_fen: a.credit_balance.fen(),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepayBody {
    pub amount_fen: FenInput,
    /// Where the customer repays from, for risk control (customers only; see API.md).
    pub risk: Option<RiskBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RepaymentResponse {
    pub repayment_id: String,
    pub amount_fen: i64,
    pub allocation: AllocationView,
}

/// Repay (the customer or an operator recording a payment received).
#[utoipa::path(operation_id = "repay", post, path = "/v1/customers/{customer_id}/repayments", tag = "repayments", request_body = RepayBody,
    params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, description = "success", body = RepaymentResponse), (status = "4XX", description = "refused: see the error code", body = ErrorBody), (status = 503, description = "busy or unavailable: retry later", body = ErrorBody)))]
pub async fn repay(State(state): State<AppState>, Peer(peer): Peer, call: Call) -> Result<Response, ApiError> {
    let id = customer_of(&call)?;
    let idem = call.idem()?;
    let body: RepayBody = call.json()?;
    let amount = body.amount_fen.parse(state.product(), "amount_fen")?;
    // A customer's own repayment passes the repayment checkpoint when the app says where it
    // comes from; an operator recording money received does not.
    let context = match (&body.risk, call.principal.operator()) {
        (Some(risk), Err(_)) => Some(context_for(&state, Some(risk), peer, Channel::Online, id, idem)?),
        _ => None,
    };
    let op = OpId(idem.derive("repayment"));
    let applied = apply_with(
        &state,
        Request::Credit(Command::Repay {
            account: id,
            op,
            amount,
        }),
        idem,
        Audience::Account,
        context,
    )
    .await?;
    let response = applied.events.iter().find_map(|e| match e {
        Event::Repaid {
            op,
            amount,
            allocation: a,
            ..
        } => Some(RepaymentResponse {
            repayment_id: op.0.to_string(),
            amount_fen: amount.fen(),
            allocation: allocation(a),
        }),
        _ => None,
    });
    let response = response.ok_or_else(|| ApiError::internal("a repayment without its event"))?;
    Ok(respond(StatusCode::CREATED, &response, applied.replayed))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CashOutResponse {
    pub cash_out_id: String,
    pub amount_fen: i64,
}

/// Pay part or all of the credit balance back to the customer.
#[utoipa::path(operation_id = "cash_out_credit", post, path = "/v1/customers/{customer_id}/cash-outs", tag = "repayments", request_body = AmountBody,
    params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, description = "success", body = CashOutResponse), (status = "4XX", description = "refused: see the error code", body = ErrorBody), (status = 503, description = "busy or unavailable: retry later", body = ErrorBody)))]
pub async fn cash_out(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let id = customer_of(&call)?;
    let idem = call.idem()?;
    let body: AmountBody = call.json()?;
    let amount = body.amount_fen.parse(state.product(), "amount_fen")?;
    let op = OpId(idem.derive("cash-out"));
    let command = Command::CashOutCredit {
        account: id,
        op,
        amount,
    };
    let applied = apply(&state, Request::Credit(command), idem, Audience::Account).await?;
    let response = CashOutResponse {
        cash_out_id: op.0.to_string(),
        amount_fen: amount.fen(),
    };
    Ok(respond(StatusCode::CREATED, &response, applied.replayed))
}
