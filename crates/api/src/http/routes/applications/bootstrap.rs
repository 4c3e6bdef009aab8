//! Building the onboarding service at start: its store in the meta table, its blind-index key
//! (the key provider's, through the vault: never in the store), the shipped model and tables,
//! the simulated identity providers.

use std::sync::Arc;

use identity::LivenessScore;
use onboarding::{ApplicationStore, BlindIndexKey, EntryLog, Onboarding, OnboardingConfig, Providers, StoreError};

use crate::meta::Meta;
use crate::state::AppState;

/// The liveness score (per mille) a face must reach.
const LIVENESS_PASS_PERMILLE: u16 = 800;

fn entry_key(seq: u64) -> String {
    format!("onboarding:entry:{seq}")
}

/// The application store's entries as meta rows `onboarding:entry:1`, `:2`, ...
struct MetaLog(Arc<Meta>);

impl EntryLog for MetaLog {
    fn replay(&self) -> Result<Vec<String>, StoreError> {
        let mut entries = Vec::new();
        while let Some(entry) = self
            .0
            .get_blocking(&entry_key(entries.len() as u64 + 1))
            .map_err(|e| StoreError::Backend(e.to_string()))?
        {
            entries.push(entry);
        }
        Ok(entries)
    }

    fn append(&self, seq: u64, entry: &str) -> Result<(), StoreError> {
        self.0
            .set_blocking(&entry_key(seq), entry)
            .map_err(|e| StoreError::Backend(e.to_string()))
    }
}

/// The service, or why it could not start (the routes then answer 503).
pub fn service(state: &AppState) -> Result<Onboarding, String> {
    let meta = state.meta().clone();
    let config = OnboardingConfig::new(BlindIndexKey::new(state.vault().blind().clone()));
    let store = ApplicationStore::with_log(Box::new(MetaLog(meta))).map_err(|e| e.to_string())?;
    let threshold = LivenessScore::from_permille(LIVENESS_PASS_PERMILLE).unwrap_or(LivenessScore::MAX);
    let providers = Providers::simulated(0, threshold);
    Onboarding::shipped(config, providers, store).map_err(|e| e.to_string())
}
