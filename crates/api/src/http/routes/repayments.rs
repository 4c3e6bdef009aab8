//! Money in: a repayment is a debit of the customer's verified bank card through the payment
//! provider (pending until the provider settles it; only settled money pays through the
//! waterfall), or an operator's record of money received outside the system under a unique
//! external reference (settled at once). See `edge::funding` for the steps they share.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use credit::{AccountId, Allocation};
use engine::ask::{self, FundingEffect, FundingReply};
use engine::{Funding, FundingKind, FundingStart};
use risk::Channel;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::edge::funding::{drive_debit, of_account};
use crate::edge::risk_input::{Peer, RiskBody, context_for};
use crate::edge::subjects::verified_card;
use crate::http::auth::Permission;
use crate::http::call::{Call, respond};
use crate::http::error::{ApiError, ErrorBody, ErrorCode, Refusals, Unavailable};
use crate::http::four_eyes::gate;
use crate::http::idempotency::IdemKey;
use crate::http::input::FenInput;
use crate::http::routes::customers::customer_of;
use crate::http::submit::{Answered, Audience, ask};
use crate::state::AppState;

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
    /// `pending` (the provider has not confirmed the money), `settled` (it paid through the
    /// waterfall) or `failed` (it never arrived; nothing changed).
    pub status: &'static str,
    pub amount_fen: i64,
    /// How the money was spread, once it settled.
    pub allocation: Option<AllocationView>,
    /// The provider's reason code of a failure.
    pub reason: Option<String>,
    /// An offline repayment's reference.
    pub external_reference: Option<String>,
}

/// A repayment where it stands; `effect` is what the call that answers it moved (the
/// allocation of a debit settled by this call).
pub fn repayment_view(funding: &Funding, effect: &FundingEffect) -> RepaymentResponse {
    RepaymentResponse {
        repayment_id: funding.id.to_string(),
        status: funding.status.name(),
        amount_fen: funding.amount.fen(),
        allocation: funding.allocation.or(effect.allocation).as_ref().map(allocation),
        reason: funding.reason.clone(),
        external_reference: funding.external_reference.clone(),
    }
}

/// The customer's verified card; `404 account_not_found` for no customer, `409
/// bank_card_not_on_file` for one without a card.
pub async fn card_of(state: &AppState, id: AccountId) -> Result<identity::BankCard, ApiError> {
    match verified_card(state, id).await {
        Err(e) if e.code == ErrorCode::BankCardNotOnFile => {
            crate::http::submit::account(state, id).await?;
            Err(e)
        }
        result => result,
    }
}

/// Repay from the customer's verified bank card (the customer, or an operator on their behalf):
/// the debit is recorded as pending before the provider is asked, then settled or failed as the
/// provider answers. `202` with the state; a retry under the same key is the same debit.
#[utoipa::path(operation_id = "repay", post, path = "/v1/customers/{customer_id}/repayments", tag = "repayments", request_body = RepayBody,
    params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 202, description = "the debit and where it stands", body = RepaymentResponse), (status = "4XX", description = "refused: see the error code (`bank_card_not_on_file`)", body = ErrorBody), Unavailable))]
pub async fn repay(State(state): State<AppState>, Peer(peer): Peer, call: Call) -> Result<Response, ApiError> {
    let id = customer_of(&call)?;
    let idem = call.idem()?;
    let body: RepayBody = call.json()?;
    let amount = body.amount_fen.parse(state.product(), "amount_fen")?;
    let card = card_of(&state, id).await?;
    // A customer's own repayment passes the repayment checkpoint when the app says where it
    // comes from; an operator's does not.
    let context = match (&body.risk, call.principal.operator()) {
        (Some(risk), Err(_)) => Some(context_for(&state, Some(risk), peer, Channel::Online, id, idem)?),
        _ => None,
    };
    let (funding, effect, replayed) = debit(&state, id, idem, amount, None, context, card).await?;
    Ok(respond(
        StatusCode::ACCEPTED,
        &repayment_view(&funding, &effect),
        replayed,
    ))
}

/// Starts a debit (of `plan`'s payoff, if given), asks the provider, and answers where it
/// stands: the operation, the money the call that settled it moved, and whether this was a
/// retry.
pub async fn debit(
    state: &AppState,
    id: AccountId,
    idem: IdemKey,
    amount: money::Amount,
    plan: Option<credit::PlanId>,
    context: Option<engine::RiskContext>,
    card: identity::BankCard,
) -> Result<(Funding, FundingEffect, bool), ApiError> {
    let start = FundingStart::debit(id, amount, plan);
    let answered = ask(state, ask::StartFunding(start), idem, Audience::Account, context).await?;
    let funding = answered.reply.funding;
    // A retry finds the debit where it now stands; a pending one is asked again (the provider
    // keys it by our id, so this never debits twice).
    let funding = match answered.replayed {
        true => crate::edge::funding::read(state, funding.id).await?.unwrap_or(funding),
        false => funding,
    };
    let (funding, effect) = match funding.status {
        engine::FundingStatus::Pending => drive_debit(state, funding, card).await?,
        _ => (funding, FundingEffect::default()),
    };
    Ok((funding, effect, answered.replayed))
}

/// One repayment (debit or offline) of the customer, where it stands.
#[utoipa::path(operation_id = "get_repayment", get, path = "/v1/customers/{customer_id}/repayments/{repayment_id}", tag = "repayments",
    params(("customer_id" = String, Path), ("repayment_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "success", body = RepaymentResponse), Refusals))]
pub async fn get_repayment(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    let id = customer_of(&call)?;
    let funding_id = call.id("repayment_id")?;
    let kinds = [FundingKind::Debit, FundingKind::Offline];
    let funding = of_account(&state, id, funding_id, &kinds, ErrorCode::RepaymentNotFound).await?;
    Ok(respond(
        StatusCode::OK,
        &repayment_view(&funding, &FundingEffect::default()),
        false,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfflineRepaymentBody {
    pub amount_fen: FenInput,
    /// The transfer's reference at the bank (1 to 64 of letters, digits, `.`, `_`, `-`); a
    /// reference is used once across the whole system.
    pub external_reference: String,
}

pub fn external_reference(text: &str) -> Result<String, ApiError> {
    let ok = (1..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(text.to_owned())
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidField,
            "an external_reference is 1 to 64 letters, digits, '.', '_' or '-'",
        )
        .with_field("external_reference"))
    }
}

fn reference_key(reference: &str) -> String {
    format!("offline_reference:{reference}")
}

/// Claims an external reference for this call (account, caller and key): the same call
/// retried may claim it again, any other use is refused with `409 external_reference_used`.
async fn claim_reference(state: &AppState, reference: &str, account: AccountId, idem: IdemKey) -> Result<(), ApiError> {
    let claim = format!("{account}:{:x}:{:x}:{:x}", idem.scope, idem.key, idem.request);
    match state.meta().get(reference_key(reference)).await? {
        Some(held) if held == claim => Ok(()),
        Some(_) => Err(ApiError::new(
            ErrorCode::ExternalReferenceUsed,
            "this external reference was already recorded",
        )
        .with_field("external_reference")),
        None => state.meta().set(reference_key(reference), claim).await,
    }
}

/// Record money the customer paid outside the system (operator with the permission to record
/// offline repayments): settled at once, through the waterfall.
#[utoipa::path(operation_id = "record_offline_repayment", post, path = "/v1/customers/{customer_id}/offline-repayments", tag = "repayments", request_body = OfflineRepaymentBody,
    params(("customer_id" = String, Path), ("Idempotency-Key" = String, Header)), security(("bearer" = [])),
    responses((status = 201, description = "recorded and settled", body = RepaymentResponse),
        (status = 202, description = "kept for a second operator's approval (four eyes)", body = crate::http::four_eyes::ApprovalView),
        (status = "4XX", description = "refused: see the error code (`external_reference_used`)", body = ErrorBody), Unavailable))]
pub async fn offline_repay(State(state): State<AppState>, call: Call) -> Result<Response, ApiError> {
    call.principal.require(Permission::RecordOfflineRepayment)?;
    let id = AccountId(call.id("customer_id")?);
    let idem = call.idem()?;
    let body: OfflineRepaymentBody = call.json()?;
    let amount = body.amount_fen.parse(state.product(), "amount_fen")?;
    let reference = external_reference(&body.external_reference)?;
    let why = format!("recording {amount} received offline for customer {id}");
    if let Some(proposed) = gate(&state, &call, &[Permission::RecordOfflineRepayment], why).await? {
        return Ok(proposed);
    }
    let answered = record_offline(&state, id, idem, amount, reference, None).await?;
    let view = repayment_view(&answered.reply.funding, &answered.reply.effect);
    Ok(respond(StatusCode::CREATED, &view, answered.replayed))
}

/// Records an offline repayment (of `plan`'s payoff, if given) under its claimed reference:
/// the operation as it started (settled) and the money it moved.
pub async fn record_offline(
    state: &AppState,
    id: AccountId,
    idem: IdemKey,
    amount: money::Amount,
    reference: String,
    plan: Option<credit::PlanId>,
) -> Result<Answered<FundingReply>, ApiError> {
    let _one_at_a_time = state.funding().offline.lock().await;
    crate::http::submit::account(state, id).await?;
    claim_reference(state, &reference, id, idem).await?;
    let start = FundingStart::offline(id, amount, reference, plan);
    ask(state, ask::StartFunding(start), idem, Audience::Account, None).await
}
