//! Why the engine refused a request ([`EngineRejection`]), and why risk stopped one
//! ([`RiskBlock`]).

use credit::Rejection;
use serde::{Deserialize, Serialize};

/// Why risk stopped a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RiskBlock {
    Denied,
    /// The customer must pass this step-up and try again.
    ChallengeRequired(risk::ChallengeKind),
}

/// Why the engine refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum EngineRejection {
    #[error("declined by risk control")]
    Risk(RiskBlock),
    #[error(transparent)]
    Credit(#[from] Rejection),
    /// No such transaction, or it belongs to another merchant (which is not told apart).
    #[error("transaction not found")]
    TxnNotFound,
    #[error("link not found")]
    LinkNotFound,
    /// The order is held for review by an open case.
    #[error("the order is held for review")]
    HeldForReview,
    #[error("case not found")]
    CaseNotFound,
    #[error("the case is already resolved")]
    CaseClosed,
    /// A freeze after a theft report is lifted only after re-verification.
    #[error("re-verification is required to unfreeze")]
    VerificationRequired,
    #[error("a theft case of the account is still open")]
    CaseOpen,
    /// A credit command sent as `Request::Credit` that has a dedicated request.
    #[error("use the dedicated request for this command")]
    WrongRequest,
    /// The journal could not be written: nothing was recorded, the engine stopped.
    #[error("storage failed: not recorded")]
    StorageFailed,
    /// An idempotent retry whose stored reply could not be read back.
    #[error("the stored reply is unavailable")]
    ReplyUnavailable,
    /// A theft confirmation whose exemption the credit core refused: nothing changed, the case
    /// is still open.
    #[error("the exemption was refused ({0}): the case stays open")]
    ExemptionFailed(Rejection),
    /// No funding operation has this id (or it is another account's).
    #[error("funding operation not found")]
    FundingNotFound,
    /// The funding operation is already in a final state that this update cannot follow (a
    /// duplicate callback): nothing changed.
    #[error("the funding operation is already final")]
    FundingFinal,
}

impl EngineRejection {
    pub fn code(&self) -> &'static str {
        match self {
            EngineRejection::Credit(r) => r.code(),
            EngineRejection::Risk(RiskBlock::Denied) => "risk_declined",
            EngineRejection::Risk(RiskBlock::ChallengeRequired(_)) => "challenge_required",
            EngineRejection::TxnNotFound => "txn_not_found",
            EngineRejection::LinkNotFound => "link_not_found",
            EngineRejection::HeldForReview => "held_for_review",
            EngineRejection::CaseNotFound => "case_not_found",
            EngineRejection::CaseClosed => "case_closed",
            EngineRejection::VerificationRequired => "verification_required",
            EngineRejection::CaseOpen => "case_open",
            EngineRejection::WrongRequest => "wrong_request",
            EngineRejection::StorageFailed => "storage_failed",
            EngineRejection::ReplyUnavailable => "reply_unavailable",
            EngineRejection::ExemptionFailed(_) => "exemption_failed",
            EngineRejection::FundingNotFound => "funding_not_found",
            EngineRejection::FundingFinal => "funding_final",
        }
    }
}
