//! [`Tiers`]: each merchant's **risk tier**, what it makes the merchant do, and the record of
//! which orders passed the delivery checkpoint.
//!
//! | tier | delivery checkpoint before capture | customer's step-up on link payments |
//! | --- | --- | --- |
//! | `standard` | optional | as the rules decide |
//! | `elevated` | required (`409 delivery_check_required`) | as the rules decide |
//! | `high` | required | always (`403 challenge_required`, at least OTP) |
//!
//! A merchant without a record is `standard` (every merchant registered before tiers, and a new
//! one whose registration names none: see API.md, "Merchant risk tiers", for why the default is
//! not `elevated`). An operator sets a tier (`merchants.risk_tier`); lowering it weakens the
//! protection and needs a second operator (four eyes). A merchant reads its own tier but never
//! sets it. The tier is meta `merchant_tier:<id>` (JSON: tier, who set it, when, why), loaded at
//! start; it is not the settlement terms' "risk tier" (delay and reserve) nor the emergency
//! controls' raised tier.
//!
//! An order passed the delivery checkpoint when `POST /v1/payments/{txn}/delivery` answered
//! `ship`: the route writes meta `delivered:<txn>` before answering (and again on a replay, so a
//! crash between the engine's commit and this write is healed by the merchant's retry). The
//! capture of an `elevated` or `high` merchant's order reads it. The record names the
//! transaction, which the merchant's own signed call named: another order's delivery (or its
//! replay) unlocks nothing.

use std::sync::Arc;

use credit::{MerchantId, TxnId};
use serde::{Deserialize, Serialize};

use crate::http::error::{ApiError, ErrorCode};
use crate::meta::Meta;
use crate::sharded::Sharded;

pub const TIER_PREFIX: &str = "merchant_tier:";
pub const DELIVERED_PREFIX: &str = "delivered:";

/// How much a merchant's word is trusted, in increasing strictness.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskTier {
    #[default]
    Standard,
    Elevated,
    High,
}

impl RiskTier {
    pub const ALL: [RiskTier; 3] = [RiskTier::Standard, RiskTier::Elevated, RiskTier::High];
    /// The tier of a merchant nobody set one for.
    pub const DEFAULT: RiskTier = RiskTier::Standard;

    pub fn as_str(self) -> &'static str {
        match self {
            RiskTier::Standard => "standard",
            RiskTier::Elevated => "elevated",
            RiskTier::High => "high",
        }
    }

    /// A tier by its name; the error names the field and the list.
    pub fn parse(text: &str, field: &str) -> Result<RiskTier, ApiError> {
        RiskTier::ALL.into_iter().find(|t| t.as_str() == text).ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidField,
                format!("{field} must be one of standard, elevated, high"),
            )
            .with_field(field)
        })
    }

    /// A capture waits for the delivery checkpoint's `ship`.
    pub fn requires_delivery(self) -> bool {
        self >= RiskTier::Elevated
    }

    /// A link payment needs the customer's step-up, whatever the merchant sends.
    pub fn requires_link_step_up(self) -> bool {
        self == RiskTier::High
    }
}

/// A merchant's tier as it was set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierRecord {
    pub tier: RiskTier,
    /// Who set it (`operator:<name>`, or `registration`).
    pub set_by: String,
    pub set_at_us: i64,
    pub reason: String,
}

/// Every merchant's tier record (absent: [`RiskTier::DEFAULT`]).
#[derive(Debug, Default)]
pub struct Tiers {
    by_merchant: Sharded<MerchantId, TierRecord>,
    /// One change at a time (a rare operator call), so a record and the map agree.
    writing: tokio::sync::Mutex<()>,
}

fn tier_key(merchant: MerchantId) -> String {
    format!("{TIER_PREFIX}{}", merchant.0)
}

fn delivered_key(txn: TxnId) -> String {
    format!("{DELIVERED_PREFIX}{}", txn.0)
}

impl Tiers {
    /// Loads every tier record (blocking; at start only).
    pub fn load(meta: &Meta) -> Result<Tiers, String> {
        let tiers = Tiers::default();
        for (key, text) in meta.with_prefix_blocking(TIER_PREFIX).map_err(|e| e.to_string())? {
            let id = key[TIER_PREFIX.len()..]
                .parse::<u64>()
                .map_err(|e| format!("{key}: {e}"))?;
            let record: TierRecord = serde_json::from_str(&text).map_err(|e| format!("{key}: {e}"))?;
            tiers.by_merchant.insert(MerchantId(id), record);
        }
        Ok(tiers)
    }

    pub fn tier(&self, merchant: MerchantId) -> RiskTier {
        self.record(merchant).map_or(RiskTier::DEFAULT, |r| r.tier)
    }

    pub fn record(&self, merchant: MerchantId) -> Option<TierRecord> {
        self.by_merchant.get_cloned(&merchant)
    }

    /// Keeps a merchant's new tier (the meta record first, then the map).
    pub async fn set(&self, meta: &Arc<Meta>, merchant: MerchantId, record: TierRecord) -> Result<(), ApiError> {
        let _one = self.writing.lock().await;
        let text = serde_json::to_string(&record).map_err(|e| ApiError::internal(e.to_string()))?;
        meta.set(tier_key(merchant), text).await?;
        self.by_merchant.insert(merchant, record);
        Ok(())
    }

    /// Refuses a capture of an order that still needs its delivery checkpoint.
    pub async fn check_capture(&self, meta: &Arc<Meta>, merchant: MerchantId, txn: TxnId) -> Result<(), ApiError> {
        let tier = self.tier(merchant);
        if !tier.requires_delivery() || meta.get(delivered_key(txn)).await?.is_some() {
            return Ok(());
        }
        Err(ApiError::new(
            ErrorCode::DeliveryCheckRequired,
            format!(
                "this merchant's risk tier ({}) requires the delivery checkpoint: call POST /v1/payments/{}/delivery and ship only on `ship`, then capture",
                tier.as_str(),
                txn.0
            ),
        )
        .with_field("txn_id"))
    }
}

/// Records that an order passed the delivery checkpoint (its `ship` answer).
pub async fn record_delivered(meta: &Arc<Meta>, txn: TxnId) -> Result<(), ApiError> {
    meta.set(delivered_key(txn), "ship".to_owned()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_order_and_what_each_requires() {
        let table = [
            (RiskTier::Standard, false, false),
            (RiskTier::Elevated, true, false),
            (RiskTier::High, true, true),
        ];
        for (tier, delivery, step_up) in table {
            assert_eq!(tier.requires_delivery(), delivery, "{tier:?}");
            assert_eq!(tier.requires_link_step_up(), step_up, "{tier:?}");
            assert_eq!(RiskTier::parse(tier.as_str(), "tier").ok(), Some(tier));
            let json = serde_json::to_string(&tier).unwrap();
            assert_eq!(json, format!("\"{}\"", tier.as_str()));
        }
        assert!(RiskTier::Standard < RiskTier::Elevated && RiskTier::Elevated < RiskTier::High);
        assert_eq!(RiskTier::DEFAULT, RiskTier::default());
        for bad in ["", "HIGH", "low", "standard "] {
            let error = RiskTier::parse(bad, "tier").unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidField);
        }
    }
}
