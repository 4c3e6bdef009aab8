//! The one path to the engine: submit a request (with its risk context, if it passes a
//! checkpoint), await its durable reply, read an account, and turn the engine's refusals into
//! the error shape with a sensible HTTP status. Routes [`ask`] with one of the engine's typed
//! asks (`engine::ask`) and get its typed reply: they never read journal ops or events. Risk control's refusals carry their reason codes:
//!
//! | refusal | status | code |
//! | --- | --- | --- |
//! | deny, on a merchant's authorization | 402 | `risk_declined`, `reasons` |
//! | deny, on a customer's call (repayment) | 403 | `risk_declined`, `reasons` |
//! | challenge not satisfied | 403 | `challenge_required`, `challenge` (`otp`/`liveness`), `reasons` |
//!
//! A challenge is answered by a step-up (`POST /v1/customers/{id}/step-up`) and the call
//! repeated **under a new Idempotency-Key** with `risk.step_up_token` (the refusal is the
//! stored answer of the first key).

use axum::http::StatusCode;
use credit::{Account, AccountId, Event, Rejection};
use engine::ask::Ask;
use engine::{EngineRejection, Op, Outcome, Reply, Request, RiskBlock, RiskContext, RiskRecord, SubmitError};
use jiff::Timestamp;

use crate::edge::merchants::key_reused;
use crate::edge::step_up::kind_name;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::idempotency::IdemKey;
use crate::state::AppState;

/// Who sees a refusal, which decides its status and how much its message may say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// A merchant authorizing: refusals about the customer's line are declines (402), and
    /// their messages name no customer balance.
    Authorize,
    /// A merchant acting on its own transaction.
    Merchant,
    /// A customer or an operator.
    Account,
}

/// An applied request: the resolved op, its events, when, and the risk decision it passed.
#[derive(Debug)]
struct Applied {
    op: Op,
    events: Vec<Event>,
    at: Timestamp,
    replayed: bool,
    risk: Option<Box<RiskRecord>>,
}

/// An ask's answer: its typed reply, when it was recorded, whether this is the stored answer
/// of an earlier call with the same key, and the risk decision it passed (a checkpoint's).
#[derive(Debug)]
pub struct Answered<R> {
    pub reply: R,
    pub at: Timestamp,
    pub replayed: bool,
    pub risk: Option<Box<RiskRecord>>,
}

pub fn submit_error(error: SubmitError) -> ApiError {
    match error {
        SubmitError::Busy => ApiError::busy(),
        SubmitError::Unavailable => ApiError::unavailable("the engine is not running"),
        SubmitError::NotOwned { partition } => {
            let mut error = ApiError::new(
                ErrorCode::PartitionElsewhere,
                format!("partition {partition} is owned by another process of the cluster"),
            );
            error.partition = Some(partition);
            error.retry_after = Some(1);
            error
        }
    }
}

/// Submits a request, with the risk context of the checkpoint it passes (if any), and waits
/// until its reply is durable.
pub async fn submit(
    state: &AppState,
    request: Request,
    idem: Option<IdemKey>,
    context: Option<RiskContext>,
) -> Result<Reply, ApiError> {
    let receiver = state
        .engine()
        .submit_with(request, idem.map(IdemKey::engine), context)
        .map_err(submit_error)?;
    let reply = receiver
        .await
        .map_err(|_| ApiError::unavailable("the engine stopped before answering"))?;
    crate::simulation::record(&reply);
    if let (Some(decision), false) = (&reply.risk, reply.replayed) {
        state.telemetry().risk_decision(decision);
    }
    Ok(reply)
}

/// Asks the engine (with the risk context of the checkpoint it passes, if any) and requires it
/// applied: the answer is the ask's typed reply. A refusal is answered for `audience` (a risk
/// refusal with its reason codes), a key reused for another request with 409, and a reply that
/// does not fit its op (an engine bug) with 500.
pub async fn ask<A: Ask>(
    state: &AppState,
    ask: A,
    idem: IdemKey,
    audience: Audience,
    context: Option<RiskContext>,
) -> Result<Answered<A::Reply>, ApiError> {
    let applied = apply(state, ask.into_request(), idem, audience, context).await?;
    let reply = A::reply(&applied.op, &applied.events).map_err(|mismatch| {
        tracing::error!(%mismatch, "an engine reply that does not fit its request");
        ApiError::internal(mismatch.to_string())
    })?;
    Ok(Answered {
        reply,
        at: applied.at,
        replayed: applied.replayed,
        risk: applied.risk,
    })
}

/// Submits a request and requires it applied (see [`ask`]).
async fn apply(
    state: &AppState,
    request: Request,
    idem: IdemKey,
    audience: Audience,
    context: Option<RiskContext>,
) -> Result<Applied, ApiError> {
    let reply = submit(state, request, Some(idem), context).await?;
    match reply.outcome {
        Outcome::Applied { op, events } => Ok(Applied {
            op,
            events,
            at: reply.at,
            replayed: reply.replayed,
            risk: reply.risk,
        }),
        Outcome::Rejected {
            rejection: EngineRejection::Risk(block),
        } => Err(risk_refusal(block, reply.risk.as_deref(), audience)),
        Outcome::Rejected { rejection } => Err(refusal(rejection, audience)),
        Outcome::Conflict => Err(key_reused()),
    }
}

/// The account as of now; 404 if there is none.
pub async fn account(state: &AppState, account: AccountId) -> Result<Box<Account>, ApiError> {
    let receiver = state.engine().account(account).map_err(submit_error)?;
    let found = receiver
        .await
        .map_err(|_| ApiError::unavailable("the engine stopped before answering"))?;
    found.ok_or_else(account_not_found)
}

/// An account's credit profile (scores and price tier), if it has one.
pub async fn credit_profile(state: &AppState, account: AccountId) -> Result<Option<engine::CreditProfile>, ApiError> {
    let receiver = state.engine().credit_profile(account).map_err(submit_error)?;
    receiver
        .await
        .map_err(|_| ApiError::unavailable("the engine stopped before answering"))
}

pub fn account_not_found() -> ApiError {
    ApiError::new(ErrorCode::AccountNotFound, "no customer has this id").with_field("customer_id")
}

/// The status a refusal is answered with: the code's own, except that a merchant's
/// authorization answers the refusals about the customer's line as declines, 402. This is the
/// one status in the API that depends on who is told.
pub fn status(code: ErrorCode, audience: Audience) -> StatusCode {
    use ErrorCode as C;
    match (audience, code) {
        (
            Audience::Authorize,
            C::InsufficientAvailableCredit
            | C::AccountFrozen
            | C::AccountChargedOff
            | C::TooManyHolds
            | C::RiskDeclined,
        ) => StatusCode::PAYMENT_REQUIRED,
        _ => code.status(),
    }
}

/// The code of an engine refusal.
pub fn engine_code(rejection: EngineRejection) -> ErrorCode {
    use ErrorCode as C;
    match rejection {
        EngineRejection::Credit(r) => credit_code(r),
        EngineRejection::Risk(RiskBlock::Denied) => C::RiskDeclined,
        EngineRejection::Risk(RiskBlock::ChallengeRequired(_)) => C::ChallengeRequired,
        EngineRejection::TxnNotFound => C::TxnNotFound,
        EngineRejection::LinkNotFound => C::LinkNotFound,
        EngineRejection::HeldForReview => C::HeldForReview,
        EngineRejection::CaseNotFound => C::CaseNotFound,
        EngineRejection::CaseClosed => C::CaseClosed,
        EngineRejection::VerificationRequired => C::VerificationRequired,
        EngineRejection::CaseOpen => C::CaseOpen,
        // Only the stored answer of a call an older engine refused can hold it: the retry is
        // refused the same way, final.
        EngineRejection::RetiredWrongRequest => C::WrongRequest,
        EngineRejection::StorageFailed => C::StorageFailed,
        EngineRejection::ReplyUnavailable => C::ReplyUnavailable,
        EngineRejection::ExemptionFailed(_) => C::ExemptionFailed,
        EngineRejection::FundingNotFound => C::FundingNotFound,
        EngineRejection::FundingFinal => C::FundingFinal,
    }
}

/// The code of a credit core refusal.
pub fn credit_code(rejection: Rejection) -> ErrorCode {
    use ErrorCode as C;
    use Rejection as R;
    match rejection {
        R::ClockWentBackwards => C::ClockWentBackwards,
        R::AmountNotPositive => C::AmountNotPositive,
        R::AmountTooLarge => C::AmountTooLarge,
        R::BillingDayOutOfRange => C::BillingDayOutOfRange,
        R::TermNotOffered => C::TermNotOffered,
        R::ExpiryInPast => C::ExpiryInPast,
        R::NoTransactions => C::NoTransactions,
        R::AccountNotFound => C::AccountNotFound,
        R::AccountExists => C::AccountExists,
        R::TxnExists => C::TxnExists,
        R::TxnNotFound => C::TxnNotFound,
        R::PlanNotFound => C::PlanNotFound,
        R::StatementNotLatest => C::StatementNotLatest,
        R::AccountChargedOff => C::AccountChargedOff,
        R::AccountFrozen => C::AccountFrozen,
        R::AccountNotFrozen => C::AccountNotFrozen,
        R::TxnExempt => C::TxnExempt,
        R::HoldAlreadyCaptured => C::HoldAlreadyCaptured,
        R::HoldAlreadyVoided => C::HoldAlreadyVoided,
        R::HoldExpired => C::HoldExpired,
        R::NotCaptured => C::NotCaptured,
        R::TooManyHolds => C::TooManyHolds,
        R::PlanNotActive => C::PlanNotActive,
        R::StatementDue => C::StatementDue,
        R::PastDueOutstanding => C::PastDueOutstanding,
        R::StatementAlreadyInstalled => C::StatementAlreadyInstalled,
        R::NothingToInstall => C::NothingToInstall,
        R::HistoryMismatch => C::HistoryMismatch,
        R::AmountExceedsHold { .. } => C::AmountExceedsHold,
        R::RefundExceedsPurchase { .. } => C::RefundExceedsPurchase,
        R::LimitBelowExposure { .. } => C::LimitBelowExposure,
        R::InsufficientAvailableCredit { .. } => C::InsufficientAvailableCredit,
        R::PaymentBelowPayoff { .. } => C::PaymentBelowPayoff,
        R::AmountExceedsCreditBalance { .. } => C::AmountExceedsCreditBalance,
        R::NotDelinquent => C::NotDelinquent,
        R::HardshipTooRecent => C::HardshipTooRecent,
    }
}

/// The error for a refused request.
pub fn refusal(rejection: EngineRejection, audience: Audience) -> ApiError {
    let code = engine_code(rejection);
    let error = match rejection {
        EngineRejection::Credit(r) => return credit_refusal(r, audience),
        EngineRejection::Risk(block) => return risk_refusal(block, None, audience),
        EngineRejection::TxnNotFound => ApiError::new(code, "no such transaction").with_field("txn_id"),
        EngineRejection::LinkNotFound => ApiError::new(code, "no such link to this merchant").with_field("link_id"),
        // A theft confirmation the credit core could not restate: nothing changed, the case is
        // still open; the message names the core's reason.
        EngineRejection::ExemptionFailed(reason) => ApiError::new(
            code,
            format!(
                "the exemption was refused ({}: {reason}); the case stays open",
                credit_code(reason)
            ),
        ),
        EngineRejection::CaseNotFound
        | EngineRejection::FundingNotFound
        | EngineRejection::FundingFinal
        | EngineRejection::HeldForReview
        | EngineRejection::CaseClosed
        | EngineRejection::VerificationRequired
        | EngineRejection::CaseOpen
        | EngineRejection::StorageFailed
        | EngineRejection::ReplyUnavailable
        | EngineRejection::RetiredWrongRequest => ApiError::new(code, rejection.to_string()),
    };
    error.with_status(status(code, audience))
}

fn credit_refusal(r: Rejection, audience: Audience) -> ApiError {
    let code = credit_code(r);
    let message = match r {
        Rejection::InsufficientAvailableCredit { .. } if audience != Audience::Account => {
            "declined: the customer's available credit is insufficient".to_owned()
        }
        other => other.to_string(),
    };
    let error = ApiError::new(code, message).with_status(status(code, audience));
    match field_of(r) {
        Some(field) => error.with_field(field),
        None => error,
    }
}

fn field_of(r: Rejection) -> Option<&'static str> {
    use Rejection as R;
    Some(match r {
        R::AmountNotPositive
        | R::AmountTooLarge
        | R::AmountExceedsHold { .. }
        | R::RefundExceedsPurchase { .. }
        | R::InsufficientAvailableCredit { .. }
        | R::PaymentBelowPayoff { .. }
        | R::AmountExceedsCreditBalance { .. } => "amount_fen",
        R::LimitBelowExposure { .. } => "limit_fen",
        R::BillingDayOutOfRange => "billing_day",
        R::TermNotOffered => "periods",
        R::ExpiryInPast => "expires_on",
        R::AccountNotFound | R::AccountExists => "customer_id",
        R::TxnNotFound | R::TxnExists => "txn_id",
        R::PlanNotFound => "plan_id",
        R::StatementNotLatest => "seq",
        _ => return None,
    })
}

/// The reason codes of a decision.
pub fn reasons(risk: Option<&RiskRecord>) -> Vec<String> {
    risk.map(|r| r.reasons.iter().map(|c| c.as_str().to_owned()).collect())
        .unwrap_or_default()
}

/// The error of a risk refusal, with its reason codes.
pub fn risk_refusal(block: RiskBlock, risk: Option<&RiskRecord>, audience: Audience) -> ApiError {
    let reasons = reasons(risk);
    match block {
        RiskBlock::Denied => ApiError::new(ErrorCode::RiskDeclined, "declined by risk control")
            .with_status(status(ErrorCode::RiskDeclined, audience))
            .with_risk(reasons, None),
        RiskBlock::ChallengeRequired(kind) => {
            let name = kind_name(kind);
            let message = format!(
                "the customer must pass a step-up ({name}); repeat the call under a new Idempotency-Key with risk.step_up_token"
            );
            ApiError::new(ErrorCode::ChallengeRequired, message).with_risk(reasons, Some(name))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every credit refusal, one of each variant.
    fn credit_rejections() -> Vec<Rejection> {
        use Rejection as R;
        let a = money::Amount::ZERO;
        vec![
            R::ClockWentBackwards,
            R::AmountNotPositive,
            R::AmountTooLarge,
            R::BillingDayOutOfRange,
            R::TermNotOffered,
            R::ExpiryInPast,
            R::NoTransactions,
            R::AccountNotFound,
            R::AccountExists,
            R::TxnExists,
            R::TxnNotFound,
            R::PlanNotFound,
            R::StatementNotLatest,
            R::AccountChargedOff,
            R::AccountFrozen,
            R::AccountNotFrozen,
            R::TxnExempt,
            R::HoldAlreadyCaptured,
            R::HoldAlreadyVoided,
            R::HoldExpired,
            R::NotCaptured,
            R::TooManyHolds,
            R::PlanNotActive,
            R::StatementDue,
            R::PastDueOutstanding,
            R::StatementAlreadyInstalled,
            R::NothingToInstall,
            R::HistoryMismatch,
            R::AmountExceedsHold { held: a },
            R::RefundExceedsPurchase { refundable: a },
            R::LimitBelowExposure { exposure: a },
            R::InsufficientAvailableCredit { available: a },
            R::PaymentBelowPayoff { payoff: a },
            R::AmountExceedsCreditBalance { credit_balance: a },
        ]
    }

    #[test]
    fn refusals_keep_the_codes_the_lower_crates_name_them_by() {
        use EngineRejection as E;
        let mut engine: Vec<EngineRejection> = credit_rejections().into_iter().map(E::Credit).collect();
        engine.extend([
            E::Risk(RiskBlock::Denied),
            E::Risk(RiskBlock::ChallengeRequired(risk::ChallengeKind::Otp)),
            E::TxnNotFound,
            E::LinkNotFound,
            E::HeldForReview,
            E::CaseNotFound,
            E::CaseClosed,
            E::VerificationRequired,
            E::CaseOpen,
            E::StorageFailed,
            E::ReplyUnavailable,
            E::ExemptionFailed(Rejection::HistoryMismatch),
            E::FundingNotFound,
            E::FundingFinal,
            E::RetiredWrongRequest,
        ]);
        for rejection in engine {
            let code = engine_code(rejection);
            assert_eq!(code.as_str(), rejection.code(), "{rejection:?}");
            for audience in [Audience::Authorize, Audience::Merchant, Audience::Account] {
                let error = refusal(rejection, audience);
                assert_eq!(error.code, code, "{rejection:?}");
                assert_eq!(error.status, status(code, audience), "{rejection:?} for {audience:?}");
            }
        }
    }

    #[test]
    fn only_a_merchant_authorization_answers_line_refusals_as_declines() {
        use ErrorCode as C;
        let declines = [
            C::InsufficientAvailableCredit,
            C::AccountFrozen,
            C::AccountChargedOff,
            C::TooManyHolds,
            C::RiskDeclined,
        ];
        for &code in ErrorCode::ALL {
            let expected = if declines.contains(&code) {
                402
            } else {
                code.status().as_u16()
            };
            assert_eq!(status(code, Audience::Authorize).as_u16(), expected, "{code}");
            assert_eq!(status(code, Audience::Merchant), code.status(), "{code}");
            assert_eq!(status(code, Audience::Account), code.status(), "{code}");
        }
        let frozen = EngineRejection::Credit(Rejection::AccountFrozen);
        assert_eq!(refusal(frozen, Audience::Authorize).status.as_u16(), 402);
        assert_eq!(refusal(frozen, Audience::Merchant).status.as_u16(), 409);
        let denied = risk_refusal(RiskBlock::Denied, None, Audience::Authorize);
        assert_eq!((denied.status.as_u16(), denied.code), (402, C::RiskDeclined));
        let denied = risk_refusal(RiskBlock::Denied, None, Audience::Account);
        assert_eq!((denied.status.as_u16(), denied.code), (403, C::RiskDeclined));
    }
}
