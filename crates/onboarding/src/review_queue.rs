//! The review queue: an analyst approves (at the proposed limit or another) or declines an
//! application the flow sent to review. An application in review holds no account: approving
//! opens the line (limit, scores and price tier) in one engine request; declining opens
//! nothing.

use engine::{Approval, Engine, EngineRejection, LineOpening, SubmitError};
use jiff::Timestamp;
use money::Amount;

use crate::decision::Outcome;
use crate::engine_io;
use crate::onboarding::Onboarding;
use crate::store::{ApplicationId, ApplicationRecord, LineRecord, Resolution, StoreError};
use crate::tier::PriceTier;

/// Why an analyst's answer was not taken.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("no such application")]
    NotFound,
    #[error("the application is not in review")]
    NotInReview,
    #[error("the application has no score or proposed limit: give a limit")]
    NoProposal,
    #[error("two ID numbers share this account id: the line cannot be opened here")]
    Collision,
    #[error("the application's price tier is not a tier name the engine takes")]
    TierInvalid,
    #[error("the engine refused it: {0}")]
    Engine(EngineRejection),
    #[error("the engine did not take it: {0}")]
    Submit(SubmitError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ReviewError {
    pub fn code(&self) -> &'static str {
        match self {
            ReviewError::NotFound => "application_not_found",
            ReviewError::NotInReview => "application_not_in_review",
            ReviewError::NoProposal => "no_proposal",
            ReviewError::Collision => "account_id_collision",
            ReviewError::TierInvalid => "tier_invalid",
            ReviewError::Engine(rejection) => rejection.code(),
            ReviewError::Submit(error) => engine_io::submit_code(*error),
            ReviewError::Store(_) => "store_failed",
        }
    }
}

impl Onboarding {
    /// Approves an application in review at `limit` (or the proposed limit) and its proposed
    /// price tier: the line opens, usable at once.
    pub async fn approve_review(
        &self,
        engine: &Engine,
        id: ApplicationId,
        by: &str,
        limit: Option<Amount>,
        now: Timestamp,
    ) -> Result<ApplicationRecord, ReviewError> {
        let record = self.reviewable(id)?;
        if record.decision.reasons.iter().any(|r| r == "ACCOUNT_ID_COLLISION") {
            return Err(ReviewError::Collision);
        }
        let (Some(limit), Some(score)) = (
            limit.or(record.decision.limit).filter(|l| l.is_positive()),
            record.decision.score.clone(),
        ) else {
            return Err(ReviewError::NoProposal);
        };
        let tier = record.decision.tier.clone().unwrap_or_else(PriceTier::standard);
        let pricing = tier.pricing().ok_or(ReviewError::TierInvalid)?;
        let today = now.to_zoned(engine.config().zone.clone()).date();
        let opening = LineOpening {
            account: record.account,
            limit,
            billing_day: record
                .decision
                .billing_day
                .unwrap_or_else(|| crate::flow::default_billing_day(today)),
            pd: score.pd,
            score: score.score.round() as i32,
            pricing,
            approval: Approval::Analyst,
            reasons: engine_io::reason_codes(&record.decision.reasons),
        };
        match engine_io::open_line(engine, opening).await {
            Ok(Ok(())) => {}
            Ok(Err(rejection)) => return Err(ReviewError::Engine(rejection)),
            Err(e) => return Err(ReviewError::Submit(e)),
        }
        let line = LineRecord {
            account: record.account,
            application: id,
            tier,
            pd: score.pd,
            score: score.score,
            band: score.band,
            limit,
            opened_at: now,
        };
        let resolution = Resolution {
            outcome: Outcome::Approved,
            by: by.to_owned(),
            at: now,
            limit: Some(limit),
            reasons: Vec::new(),
        };
        Ok(self.store().resolve(id, resolution, Some(line))?)
    }

    /// Declines an application in review with the analyst's reason codes.
    pub fn decline_review(
        &self,
        id: ApplicationId,
        by: &str,
        reasons: Vec<String>,
        now: Timestamp,
    ) -> Result<ApplicationRecord, ReviewError> {
        self.reviewable(id)?;
        let resolution = Resolution {
            outcome: Outcome::Declined,
            by: by.to_owned(),
            at: now,
            limit: None,
            reasons,
        };
        Ok(self.store().resolve(id, resolution, None)?)
    }

    fn reviewable(&self, id: ApplicationId) -> Result<ApplicationRecord, ReviewError> {
        let record = self.store().get(id).ok_or(ReviewError::NotFound)?;
        if !record.in_review() {
            return Err(ReviewError::NotInReview);
        }
        Ok(record)
    }
}
