//! The scoring model and the limit tables of this repository, built into the binary, so a
//! server runs without locating `models/` and `rules/limits/` on disk
//! ([`Onboarding::shipped`]); [`Onboarding::load`] reads other files instead. The limit tables
//! are `engine::shipped_rules`' (the one list of the rules the binary carries).

use models::{Model, Scorecard};

use crate::identity_check::Providers;
use crate::limits::LimitReviewTable;
use crate::onboarding::{LoadError, Onboarding, OnboardingConfig};
use crate::store::ApplicationStore;
use crate::tier::LimitTierTable;

/// `models/credit_data_es/scorecard.json`.
pub const SCORECARD: &str = include_str!("../../../models/credit_data_es/scorecard.json");
pub use engine::shipped_rules::{LIMIT_REVIEW, LIMIT_TIER};

impl Onboarding {
    /// The service with the shipped scorecard and tables.
    pub fn shipped(
        config: OnboardingConfig,
        providers: Providers,
        store: ApplicationStore,
    ) -> Result<Onboarding, LoadError> {
        let model = Model::Scorecard(Scorecard::from_json(SCORECARD)?);
        let tiers = LimitTierTable::from_json(LIMIT_TIER)?;
        let review = LimitReviewTable::from_json(LIMIT_REVIEW)?;
        Ok(Onboarding::new(config, providers, model, tiers, review, store))
    }
}
