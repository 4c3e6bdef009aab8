//! [`block_of`]: whether a risk decision stops its request. The writer asks it when it decides
//! and replay asks it again from the journal, so it sits below both.

use crate::record::Op;
use crate::rejection::{EngineRejection, RiskBlock};
use crate::risk::RiskRecord;

/// Why a decision stops its request, if it does. A delivery ships only on `allow`: `deny`
/// refuses it (and intercepts the order), anything else holds it for review. A re-score
/// never refuses (its consequences are follow-ups).
pub(crate) fn block_of(op: &Op, record: &RiskRecord) -> Option<EngineRejection> {
    match (op, record.outcome) {
        (Op::Rescore { .. }, _) | (Op::Deliver { .. }, risk::Outcome::Allow) => None,
        (Op::Deliver { .. }, risk::Outcome::Deny) => Some(EngineRejection::Risk(RiskBlock::Denied)),
        (Op::Deliver { .. }, _) => Some(EngineRejection::HeldForReview),
        _ if record.proceeds() => None,
        (_, risk::Outcome::Challenge(kind)) => Some(EngineRejection::Risk(RiskBlock::ChallengeRequired(kind))),
        _ => Some(EngineRejection::Risk(RiskBlock::Denied)),
    }
}
