//! [`FeatureVector`]: the fixed struct of named features one evaluation sees. Cheap to build and
//! copy (no maps, no strings), serializable so a decision can journal what it saw and
//! `iou backtest` can replay it against another rule set.

use serde::{Deserialize, Serialize};

use super::binding::BindingFeatures;
use super::merchant::MerchantFeatures;
use super::tally::Tally;
use super::window::{HOUR_MS, Windowed};
use crate::ids::Timestamp;

/// Features of the user, from the user's partition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserFeatures {
    pub tally: Windowed<Tally>,
    pub distinct_devices: Windowed<u32>,
    pub distinct_ips: Windowed<u32>,
    /// Distinct merchants paid (payment authorizations only).
    pub distinct_merchants: Windowed<u32>,
    pub distinct_cards: Windowed<u32>,
    /// Days since the user's first event (0 for a new user).
    pub account_age_days: u32,
    /// Hours since this device was first seen on this account (0 for a new device).
    pub device_age_hours: u32,
    /// Number of coarse places (0.1 degree cells) the user was seen in over 30 days.
    pub usual_places: u32,
    /// Distance from this event to the nearest usual place; none without a location or places.
    pub km_from_usual: Option<u32>,
    /// Distance from the user's last located event of the past 30 days.
    pub km_from_last: Option<u32>,
    /// The speed that distance implies.
    pub kmh_from_last: Option<u32>,
    /// Mean payment-authorization amount over the 30 days before this event.
    pub payment_mean_30d_fen: Option<i64>,
    /// This payment's amount as a percentage of that mean, rounded down.
    pub amount_vs_mean_pct: Option<u32>,
    /// Some user feature is a lower bound (a cap was hit); see `FeatureConfig`.
    pub saturated: bool,
}

/// Features of a device, IP, merchant or card, from its shared shard.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityFeatures {
    pub tally: Windowed<Tally>,
    /// Distinct users seen with this key (counting the current user).
    pub distinct_users: Windowed<u32>,
    /// Days since the key was first seen by anyone (0 when new).
    pub age_days: u32,
    pub saturated: bool,
}

/// Everything one evaluation knows beyond its input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureVector {
    /// Local hour (0..=23) of the input's `at`, with the configured UTC offset.
    pub hour_of_day: u8,
    pub user: UserFeatures,
    pub device: EntityFeatures,
    pub ip: EntityFeatures,
    pub merchant: Option<EntityFeatures>,
    pub card: Option<EntityFeatures>,
    // --- own-history features (issue 16, `history.rs`). The journal keeps them in a decision's
    // `JournaledFeatures` (record version 3); records of version 2 hold a `FeatureVectorV2`
    // without them, and JSON without them reads them as their defaults.
    #[serde(default)]
    pub history: super::history::HistoryFeatures,
    // ---- Merchant order facts, device binding and the link graph (issue 16 item 2). ----
    // Appended last. Journals before them hold a `FeatureVectorV1` (the engine decodes the
    // version it finds); JSON readers of older files get the defaults.
    /// Order facts of the checkpoint's merchant (payments and deliveries).
    #[serde(default)]
    pub merchant_book: Option<MerchantFeatures>,
    /// The device against the account's bound and logged-in devices.
    #[serde(default)]
    pub binding: BindingFeatures,
    /// The account's component in the link graph.
    #[serde(default)]
    pub graph: GraphFeatures,
}

/// A [`FeatureVector`] as journals wrote it before the merchant, binding and graph features:
/// postcard has no field names, so an old record decodes only into the old shape.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureVectorV1 {
    pub hour_of_day: u8,
    pub user: UserFeatures,
    pub device: EntityFeatures,
    pub ip: EntityFeatures,
    pub merchant: Option<EntityFeatures>,
    pub card: Option<EntityFeatures>,
}

/// A [`FeatureVector`] as journal records of version 2 wrote it: every field but the
/// own-history features, which were not journaled then.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureVectorV2 {
    pub hour_of_day: u8,
    pub user: UserFeatures,
    pub device: EntityFeatures,
    pub ip: EntityFeatures,
    pub merchant: Option<EntityFeatures>,
    pub card: Option<EntityFeatures>,
    pub merchant_book: Option<MerchantFeatures>,
    pub binding: BindingFeatures,
    pub graph: GraphFeatures,
}

impl From<FeatureVectorV2> for FeatureVector {
    /// A version-2 decision's own-history features are their defaults.
    fn from(v2: FeatureVectorV2) -> FeatureVector {
        FeatureVector {
            hour_of_day: v2.hour_of_day,
            user: v2.user,
            device: v2.device,
            ip: v2.ip,
            merchant: v2.merchant,
            card: v2.card,
            history: Default::default(),
            merchant_book: v2.merchant_book,
            binding: v2.binding,
            graph: v2.graph,
        }
    }
}

impl From<FeatureVectorV1> for FeatureVector {
    /// The new features of an old decision are their defaults (unknown, not zero risk).
    fn from(v1: FeatureVectorV1) -> FeatureVector {
        FeatureVector {
            hour_of_day: v1.hour_of_day,
            user: v1.user,
            device: v1.device,
            ip: v1.ip,
            merchant: v1.merchant,
            card: v1.card,
            ..FeatureVector::default()
        }
    }
}

impl FeatureVector {
    /// Whether any feature is a lower bound because a memory cap was hit.
    pub fn saturated(&self) -> bool {
        self.user.saturated
            || self.device.saturated
            || self.ip.saturated
            || self.merchant.is_some_and(|m| m.saturated)
            || self.card.is_some_and(|c| c.saturated)
    }
}

/// The local hour of `at` for a fixed UTC offset in minutes (480 for Asia/Shanghai).
pub fn local_hour(at: Timestamp, utc_offset_minutes: i32) -> u8 {
    let local_ms = at.millis().saturating_add(i64::from(utc_offset_minutes) * 60_000);
    local_ms.div_euclid(HOUR_MS).rem_euclid(24) as u8
}

/// The link features of one evaluation's account (counting what the event itself would link).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphFeatures {
    /// Accounts in the account's component, itself included (1 when it shares nothing).
    pub component_size: u32,
    /// Accounts of the component with a confirmed fraud case.
    pub component_fraud: u32,
    /// Days since the component's oldest account entered the graph.
    pub component_age_days: u32,
    /// A cap was hit: the component may be larger than said.
    pub saturated: bool,
}
