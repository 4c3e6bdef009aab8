//! [`Onboarding`]: the service object the API (and the simulator) hold: the blind-index key, the
//! identity providers, the scoring model, the two limit tables and the application store.

use std::path::Path;

use models::Model;

use crate::blind_index::BlindIndexKey;
use crate::identity_check::Providers;
use crate::in_flight::InFlight;
use crate::limits::LimitReviewTable;
use crate::store::ApplicationStore;
use crate::table::TableError;
use crate::tier::LimitTierTable;

/// Numbers of the flow that are configuration.
#[derive(Clone, Debug)]
pub struct OnboardingConfig {
    /// The blind-index key (HMAC-SHA256): the key provider's, never stored with the data.
    pub blind_index_key: BlindIndexKey,
    /// Most scorecard reason codes given with a decline or a review.
    pub score_reasons_max: usize,
}

impl OnboardingConfig {
    pub fn new(blind_index_key: BlindIndexKey) -> OnboardingConfig {
        OnboardingConfig {
            blind_index_key,
            score_reasons_max: 3,
        }
    }
}

/// Why the onboarding service could not be built from files.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("scoring model: {0}")]
    Model(#[from] models::LoadError),
    #[error(transparent)]
    Table(#[from] TableError),
}

/// Everything an application needs, shared by every request (`&self` methods only).
#[derive(Debug)]
pub struct Onboarding {
    config: OnboardingConfig,
    providers: Providers,
    model: Model,
    tiers: LimitTierTable,
    review: LimitReviewTable,
    store: ApplicationStore,
    in_flight: InFlight,
}

impl Onboarding {
    pub fn new(
        config: OnboardingConfig,
        providers: Providers,
        model: Model,
        tiers: LimitTierTable,
        review: LimitReviewTable,
        store: ApplicationStore,
    ) -> Onboarding {
        Onboarding {
            config,
            providers,
            model,
            tiers,
            review,
            store,
            in_flight: InFlight::default(),
        }
    }

    /// Loads the primary model of `model_dir` (its scorecard) and the tables of `limits_dir`
    /// (`limit_tier.json`, `limit_review.json`).
    pub fn load(
        config: OnboardingConfig,
        providers: Providers,
        model_dir: &Path,
        limits_dir: &Path,
        store: ApplicationStore,
    ) -> Result<Onboarding, LoadError> {
        let model = models::dir::load_dir(model_dir)?;
        let tiers = LimitTierTable::load(limits_dir)?;
        let review = LimitReviewTable::load(limits_dir)?;
        Ok(Onboarding::new(config, providers, model, tiers, review, store))
    }

    pub fn config(&self) -> &OnboardingConfig {
        &self.config
    }

    pub fn store(&self) -> &ApplicationStore {
        &self.store
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn tiers(&self) -> &LimitTierTable {
        &self.tiers
    }

    pub fn review_table(&self) -> &LimitReviewTable {
        &self.review
    }

    pub(crate) fn key(&self) -> &BlindIndexKey {
        &self.config.blind_index_key
    }

    pub(crate) fn providers(&self) -> &Providers {
        &self.providers
    }

    pub(crate) fn in_flight(&self) -> &InFlight {
        &self.in_flight
    }
}
