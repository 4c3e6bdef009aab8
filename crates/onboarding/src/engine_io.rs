//! Awaiting the engine: submit a request, wait for its durable reply; read an account.

use credit::{Account, AccountId, Event, Rejection};
use engine::ask::Ask;
use engine::{Engine, EngineRejection, LineOpening, Outcome, Reply, Request, RiskContext, SubmitError};
use risk::ReasonCode;

/// Submits `request` (with `context` for risk) and waits for its reply.
pub(crate) async fn call(
    engine: &Engine,
    request: Request,
    context: Option<RiskContext>,
) -> Result<Reply, SubmitError> {
    let receiver = engine.submit_with(request, None, context)?;
    receiver.await.map_err(|_| SubmitError::Unavailable)
}

/// A limit change for one account (onboarding sends `ChangeLimit` and `SetTemporaryLimit`, the
/// engine's typed asks): its events, or why the engine refused it.
pub(crate) async fn credit(
    engine: &Engine,
    change: impl Ask,
) -> Result<Result<Vec<Event>, EngineRejection>, SubmitError> {
    let reply = call(engine, change.into_request(), None).await?;
    Ok(applied(reply))
}

/// Opens an approved line (account, limit, priced profile) in one engine request.
pub(crate) async fn open_line(
    engine: &Engine,
    opening: LineOpening,
) -> Result<Result<(), EngineRejection>, SubmitError> {
    let reply = call(engine, Request::OpenLine(opening), None).await?;
    Ok(applied(reply).map(|_| ()))
}

/// The decision's reasons as the engine journals them (codes that are not `A-Z0-9_` are left
/// out; every code this crate and the rules give is one).
pub(crate) fn reason_codes(reasons: &[String]) -> Vec<ReasonCode> {
    reasons.iter().filter_map(|r| ReasonCode::parse(r).ok()).collect()
}

pub(crate) fn applied(reply: Reply) -> Result<Vec<Event>, EngineRejection> {
    match reply.outcome {
        Outcome::Applied { events, .. } => Ok(events),
        Outcome::Rejected { rejection } => Err(rejection),
        // No idempotency key is ever sent from here.
        Outcome::Conflict => Err(EngineRejection::ReplyUnavailable),
    }
}

/// The account as of now.
pub(crate) async fn account(engine: &Engine, account: AccountId) -> Result<Option<Box<Account>>, SubmitError> {
    engine.account(account)?.await.map_err(|_| SubmitError::Unavailable)
}

/// Whether a refusal is the core's "this account already exists".
pub(crate) fn is_account_exists(rejection: &EngineRejection) -> bool {
    matches!(rejection, EngineRejection::Credit(Rejection::AccountExists))
}

/// The stable code of an engine that could not take or answer a request.
pub(crate) fn submit_code(error: SubmitError) -> &'static str {
    match error {
        SubmitError::Busy => "ENGINE_BUSY",
        SubmitError::Unavailable => "ENGINE_UNAVAILABLE",
        SubmitError::NotOwned { .. } => "ENGINE_NOT_OWNER",
    }
}
