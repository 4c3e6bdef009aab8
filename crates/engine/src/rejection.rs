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
    /// Nothing refuses a request with this any more: older engines refused a credit command
    /// sent as the wrong request with it, which the request types now rule out
    /// (`AccountCommand`, `FundingStart`). The variant keeps its place so that the variants
    /// after it keep their journal encoding (postcard writes a variant's index), and an old
    /// record holding it still decodes.
    #[error("refused by an older engine: the command was sent as the wrong request")]
    RetiredWrongRequest,
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
            EngineRejection::RetiredWrongRequest => "wrong_request",
            EngineRejection::StorageFailed => "storage_failed",
            EngineRejection::ReplyUnavailable => "reply_unavailable",
            EngineRejection::ExemptionFailed(_) => "exemption_failed",
            EngineRejection::FundingNotFound => "funding_not_found",
            EngineRejection::FundingFinal => "funding_final",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Refusals are journaled by variant index: pinned, so a variant removed or moved (which
    /// would make old journals read other refusals) fails here.
    #[test]
    fn refusals_keep_their_journal_index() {
        let pinned = [
            (EngineRejection::CaseOpen, 8u8),
            (EngineRejection::RetiredWrongRequest, 9),
            (EngineRejection::StorageFailed, 10),
            (EngineRejection::FundingNotFound, 13),
            (EngineRejection::FundingFinal, 14),
        ];
        for (rejection, index) in pinned {
            assert_eq!(postcard::to_stdvec(&rejection).unwrap(), vec![index], "{rejection:?}");
        }
        let exemption = EngineRejection::ExemptionFailed(Rejection::TxnNotFound);
        assert_eq!(postcard::to_stdvec(&exemption).unwrap()[0], 12);
    }
}
