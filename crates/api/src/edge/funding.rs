//! Funding at the edge: the providers money moves through ([`FundingOptions`]: the payment and
//! payout providers, the bank card verifier that makes a card usable, the callback secret),
//! and the steps every funding route shares: start an operation in the engine (journaled
//! before any provider hears of it), ask the provider, and record what it answered. A provider
//! that does not answer leaves the operation pending; the [`reconcile`] task asks again about
//! every pending operation at start and every `reconcile_every`, so none stays stuck.

use std::time::Duration;

use credit::AccountId;
use engine::ask::{Ask, FundingEffect, UpdateFunding};
use engine::{EngineRejection, Funding, FundingKind, FundingQuery, FundingStatus, FundingUpdate, Outcome, Request};
use funding::{
    DebitAnswer, DebitRequest, DebitStatus, FundingError, FundingId, PayoutAnswer, PayoutRequest, PayoutStatus,
};
use identity::BankCard;

pub mod providers;

use crate::http::error::{ApiError, ErrorCode};
use crate::http::submit::{submit, submit_error};
use crate::state::AppState;

/// A funding operation by id, as of now (a busy engine is asked again for a while: a read in
/// the middle of moving money should not fail the call).
pub async fn read(state: &AppState, id: u64) -> Result<Option<Funding>, ApiError> {
    let mut tries = 0;
    let receivers = loop {
        match state.engine().fundings(FundingQuery::One(id)) {
            Err(engine::SubmitError::Busy) if tries < BUSY_RETRIES => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            result => break result.map_err(submit_error)?,
        }
    };
    for receiver in receivers {
        let found = receiver
            .await
            .map_err(|_| ApiError::unavailable("the engine stopped before answering"))?;
        if let Some(funding) = found.into_iter().next() {
            return Ok(Some(funding));
        }
    }
    Ok(None)
}

/// The account's funding operation `id` of `kind`; 404 `not_found` otherwise.
pub async fn of_account(
    state: &AppState,
    account: AccountId,
    id: u64,
    kinds: &[FundingKind],
    not_found: ErrorCode,
) -> Result<Funding, ApiError> {
    match read(state, id).await? {
        Some(f) if f.account == account && kinds.contains(&f.kind) => Ok(f),
        _ => Err(ApiError::new(not_found, "no such operation on this account")),
    }
}

/// Records what the provider said: the operation as it now stands, and the money the update
/// moved. A duplicate (the operation is already where the update would take it, or final)
/// changes nothing and answers the operation as it is.
pub async fn record(state: &AppState, update: FundingUpdate) -> Result<(Funding, FundingEffect), ApiError> {
    let id = update.funding;
    let reply = submit_patiently(state, UpdateFunding(update).into_request()).await?;
    let effect = match reply.outcome {
        Outcome::Applied { op, events } => {
            UpdateFunding::reply(&op, &events)
                .map_err(|mismatch| ApiError::internal(mismatch.to_string()))?
                .effect
        }
        Outcome::Rejected {
            rejection: EngineRejection::FundingFinal,
        } => FundingEffect::default(),
        Outcome::Rejected {
            rejection: EngineRejection::FundingNotFound,
        } => {
            return Err(ApiError::new(
                ErrorCode::FundingNotFound,
                "no funding operation has this id",
            ));
        }
        Outcome::Rejected { rejection } => {
            return Err(ApiError::internal(format!("a funding update was refused: {rejection}")));
        }
        Outcome::Conflict => return Err(ApiError::internal("a funding update without a key conflicted")),
    };
    let funding = read(state, id)
        .await?
        .ok_or_else(|| ApiError::internal("a recorded funding operation is gone"))?;
    Ok((funding, effect))
}

/// How often a provider's answer is offered again to a busy engine before it is left to the
/// reconciler (the money already moved: the answer should not be dropped lightly).
const BUSY_RETRIES: u32 = 100;

/// Submits, retrying a busy queue for about two seconds.
async fn submit_patiently(state: &AppState, request: Request) -> Result<engine::Reply, ApiError> {
    let mut tries = 0;
    loop {
        match submit(state, request.clone(), None, None).await {
            Err(e) if e.code == ErrorCode::Busy && tries < BUSY_RETRIES => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            result => return result,
        }
    }
}

fn update(
    funding: &Funding,
    status: FundingStatus,
    provider_ref: Option<String>,
    reason: Option<String>,
) -> FundingUpdate {
    FundingUpdate {
        funding: funding.id,
        status,
        provider_ref,
        reason,
    }
}

/// The update a debit answer asks for, if it is final.
fn debit_update(funding: &Funding, answer: DebitAnswer) -> Option<FundingUpdate> {
    match answer.status {
        DebitStatus::Pending => None,
        DebitStatus::Settled => Some(update(funding, FundingStatus::Settled, answer.provider_ref, None)),
        DebitStatus::Failed(reason) => Some(update(
            funding,
            FundingStatus::Failed,
            answer.provider_ref,
            Some(reason),
        )),
    }
}

/// The update a payout answer asks for, if it is final.
fn payout_update(funding: &Funding, answer: PayoutAnswer) -> Option<FundingUpdate> {
    let (status, reason) = match answer.status {
        PayoutStatus::Pending => return None,
        PayoutStatus::Paid if funding.status == FundingStatus::Paid => return None,
        PayoutStatus::Paid => (FundingStatus::Paid, None),
        PayoutStatus::Failed(r) => (FundingStatus::Failed, Some(r)),
        PayoutStatus::Returned(r) => (FundingStatus::Returned, Some(r)),
    };
    Some(update(funding, status, answer.provider_ref, reason))
}

/// Asks the provider to debit a pending debit (idempotent by its id) and records a final
/// answer. An outage leaves it pending for the reconciler.
pub async fn drive_debit(
    state: &AppState,
    funding: Funding,
    card: BankCard,
) -> Result<(Funding, FundingEffect), ApiError> {
    let request = DebitRequest {
        funding: FundingId(funding.id),
        card,
        amount: funding.amount,
    };
    match state.funding().payments.debit(&request).await {
        Ok(answer) => match debit_update(&funding, answer) {
            Some(update) => record(state, update).await,
            None => Ok((funding, FundingEffect::default())),
        },
        Err(error) => {
            tracing::warn!(funding = funding.id, code = error.code(), %error, "debit not answered: left pending");
            Ok((funding, FundingEffect::default()))
        }
    }
}

/// Asks the provider to pay a pending payout and records a final answer.
pub async fn drive_payout(
    state: &AppState,
    funding: Funding,
    card: BankCard,
) -> Result<(Funding, FundingEffect), ApiError> {
    let request = PayoutRequest {
        funding: FundingId(funding.id),
        card,
        amount: funding.amount,
    };
    match state.funding().payouts.payout(&request).await {
        Ok(answer) => match payout_update(&funding, answer) {
            Some(update) => record(state, update).await,
            None => Ok((funding, FundingEffect::default())),
        },
        Err(error) => {
            tracing::warn!(funding = funding.id, code = error.code(), %error, "payout not answered: left pending");
            Ok((funding, FundingEffect::default()))
        }
    }
}

/// Asks the provider about one pending operation and records a final answer.
async fn reconcile_one(state: &AppState, funding: Funding) -> Result<(), ApiError> {
    let edge = state.funding();
    let id = FundingId(funding.id);
    let answer = match funding.kind {
        FundingKind::Debit => edge.payments.debit_status(id).await.map(|a| debit_update(&funding, a)),
        FundingKind::Payout => edge.payouts.payout_status(id).await.map(|a| payout_update(&funding, a)),
        FundingKind::Offline => return Ok(()),
    };
    let next = match answer {
        Ok(next) => next,
        // Only a debit the provider never saw is failed: nothing was taken. A payout it does
        // not know stays pending for an operator: returning the money on a guess would pay
        // twice if our call still reaches the provider late.
        Err(FundingError::Unknown) if matches!(funding.kind, FundingKind::Payout) && stale(state, &funding) => {
            tracing::error!(
                funding = funding.id,
                "a payout the provider does not know: left pending for an operator"
            );
            None
        }
        Err(FundingError::Unknown) if stale(state, &funding) => Some(update(
            &funding,
            FundingStatus::Failed,
            None,
            Some("not_at_provider".to_owned()),
        )),
        Err(error) => {
            tracing::debug!(funding = funding.id, %error, "pending funding not answered");
            None
        }
    };
    if let Some(next) = next {
        record(state, next).await?;
    }
    Ok(())
}

/// Whether an operation the provider does not know is old enough that our call surely never
/// reached it.
fn stale(state: &AppState, funding: &Funding) -> bool {
    let now_us = state.clock().now().as_microsecond();
    let after = i64::try_from(state.funding().unknown_after.as_micros()).unwrap_or(i64::MAX);
    now_us.saturating_sub(funding.started_us) >= after
}

/// One pass over every pending operation.
pub async fn reconcile_once(state: &AppState) -> Result<usize, ApiError> {
    let receivers = state.engine().fundings(FundingQuery::Pending).map_err(submit_error)?;
    let mut pending = Vec::new();
    for receiver in receivers {
        pending.extend(receiver.await.unwrap_or_default());
    }
    let count = pending.len();
    for funding in pending {
        if let Err(error) = reconcile_one(state, funding).await {
            tracing::warn!(error = %error.message, "reconciling a funding operation failed");
        }
    }
    Ok(count)
}

/// The reconciler task: a pass at start (pending operations of before a restart), then one
/// every `reconcile_every`.
pub async fn reconcile(state: AppState) {
    let mut every = tokio::time::interval(state.funding().reconcile_every);
    loop {
        every.tick().await;
        if !state.engine().leading().load(std::sync::atomic::Ordering::Acquire) {
            continue;
        }
        if let Err(error) = reconcile_once(&state).await {
            tracing::warn!(error = %error.message, "funding reconciliation skipped");
        }
    }
}
