//! Features: exact sliding-window counts, sums and distinct counts per user, device, IP,
//! merchant and card, plus history features (device age on the account, distance from usual
//! places, speed since the last event, amount against the user's 30-day mean, hour of day).
//!
//! Beyond the windows (issue 16 item 2): order facts per merchant (a book in the
//! merchant's shared shard, fed by the shell with [`MerchantFact`]s), device binding per
//! account ([`BindingStore`], in the user's partition) and the link graph over accounts
//! ([`LinkGraph`], one value the shell keeps behind one lock).
//!
//! State is split by who owns it:
//! - [`UserFeatureStore`]: keyed by user, owned by the user's partition;
//! - [`SharedFeatureShard`]: keyed by device, IP, merchant or card ([`EntityKey`]); those keys are
//!   shared by users of every partition, so they live in shards of their own (see
//!   "Risk across partitions" in the root `ARCHITECTURE.md`);
//! - [`FeatureStore`]: both, for one process that owns everything (tests, the simulator, the
//!   embedded server with one shard).
//!
//! Each store can write its state as a snapshot value ([`UserFeaturesSnapshot`], ...) in canonical
//! form and be restored from one (each type beside its store; helpers in `snapshot.rs`); where snapshots are kept is the shell's.
//!
//! Every feature describes the history *including the event being evaluated* for window counts
//! and distinct counts (so a first payment has `payments_5m == 1`), and the history *before* it
//! for the history features (a new device is 0 hours old, the mean excludes this amount).

mod binding;
mod distinct;
mod geo;
mod history;
mod journaled;
mod links;
mod merchant;
mod shared;
mod sightings;
mod snapshot;
mod store;
mod tally;
mod tiers;
mod user;
mod vector;
mod window;

pub use binding::BindingSnapshot;
pub use binding::{BINDING_LIMITS, BindingFeatures, BindingStore};
pub use distinct::SetLimits;
pub use geo::{cell_center, cell_of, degrees, distance_km, speed_kmh, whole_km};
pub use history::{HistoryFeatures, isqrt, z_centi};
pub use journaled::JournaledFeatures;
pub use links::LinkGraphSnapshot;
pub use links::{LinkGraph, LinkKey, LinkLimits};
pub use merchant::{
    MERCHANT_BOOK_RETENTION_MS, MERCHANT_H24_HOURS, MerchantCounts, MerchantFact, MerchantFeatures, NEW_DEVICE_HOURS,
    YOUNG_ACCOUNT_DAYS, pct,
};
pub use shared::SharedShardSnapshot;
pub use shared::{EntityKey, EntityLimits, SharedFeatureShard, SharedKeys};
pub use sightings::{Sighting, Sightings, ip_of_key};
pub use store::{FeatureConfig, FeatureStore};
pub use tally::Tally;
pub use user::UserFeaturesSnapshot;
pub use user::{UserFeatureStore, UserLimits, ip_key};
pub use vector::{
    EntityFeatures, FeatureVector, FeatureVectorV1, FeatureVectorV2, GraphFeatures, UserFeatures, local_hour,
};
pub use window::{DAY_MS, HOUR_MS, MINUTE_MS, Window, Windowed};
