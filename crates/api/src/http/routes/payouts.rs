//! Money out: a cash-out pays part or all of the customer's credit balance (which only settled
//! money makes) to their verified bank card through the payout provider. The balance is
//! reserved when the payout starts; a payout the provider fails (or the bank returns) gives
//! the money back to the account.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use engine::{Funding, FundingKind, FundingStart, ask};
use serde::Serialize;
use utoipa::ToSchema;

use crate::edge::funding::{drive_payout, of_account, read};
use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorCode, Refusals, Unavailable};
use crate::http::routes::customers::customer_of;
use crate::http::routes::payments::AmountBody;
use crate::http::submit::{Audience, ask};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct CashOutResponse {
    pub cash_out_id: String,
    pub amount_fen: i64,
    /// `pending`, `paid`, `failed` (the money came back to the account) or `returned` (paid,
    /// then sent back by the bank; the money came back).
    pub status: &'static str,
    /// The provider's reason code of a failure or return.
    pub reason: Option<String>,
}

fn view(funding: &Funding) -> CashOutResponse {
    CashOutResponse {
        cash_out_id: funding.id.to_string(),
        amount_fen: funding.amount.fen(),
        status: funding.status.name(),
        reason: funding.reason.clone(),
    }
}

/// Pay part or all of the credit balance to the customer's verified bank card. `202` with the
/// payout's state; `409 bank_card_not_on_file` without a verified card, `422
/// amount_exceeds_credit_balance` beyond the balance.
#[utoipa::path(operation_id = "cash_out_credit", post, path = "/v1/customers/{customer_id}/cash-outs", tag = "repayments", request_body = AmountBody,
    params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 202, description = "the payout and where it stands; or, an operator's cash-out above the four-eyes amount, the proposal kept for a second operator's approval", body = crate::http::four_eyes::OrProposal<CashOutResponse>), Refusals, Unavailable))]
pub async fn cash_out(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let id = customer_of(&call)?;
    let idem = call.idem()?;
    let body: AmountBody = call.json()?;
    let amount = body.amount_fen.parse(state.product(), "amount_fen")?;
    let above = state.four_eyes().cash_out_above_fen;
    if amount.fen() > above && call.principal.operator().is_ok() {
        let why = format!(
            "an operator's cash-out of {amount} (above {})",
            money::Amount::from_fen(above)
        );
        let needs = [crate::http::auth::Permission::PayoutsCreate];
        if let Some(proposed) = crate::http::four_eyes::gate(&state, &call, &needs, why).await? {
            return Ok(proposed);
        }
    }
    let card = crate::http::routes::repayments::card_of(&state, id).await?;
    let start = FundingStart::payout(id, amount);
    let answered = ask(&state, ask::StartFunding(start), idem, Audience::Account, None).await?;
    let started = answered.reply.funding;
    let funding = match answered.replayed {
        true => read(&state, started.id).await?.unwrap_or(started),
        false => started,
    };
    let funding = match funding.status {
        engine::FundingStatus::Pending => drive_payout(&state, funding, card).await?.0,
        _ => funding,
    };
    Ok(respond(StatusCode::ACCEPTED, &view(&funding), answered.replayed))
}

/// One cash-out of the customer, where it stands.
#[utoipa::path(operation_id = "get_cash_out", get, path = "/v1/customers/{customer_id}/cash-outs/{cash_out_id}", tag = "repayments",
    params(("customer_id" = String, Path), ("cash_out_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = CashOutResponse), Refusals))]
pub async fn get_cash_out(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let id = customer_of(&call)?;
    let funding_id = call.id("cash_out_id")?;
    let funding = of_account(
        &state,
        id,
        funding_id,
        &[FundingKind::Payout],
        ErrorCode::CashOutNotFound,
    )
    .await?;
    Ok(respond(StatusCode::OK, &view(&funding), false))
}
