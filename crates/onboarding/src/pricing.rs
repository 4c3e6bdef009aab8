//! Per-customer pricing: a line's [`PriceTier`] is opened with the line into the engine's credit
//! profile (`engine::Pricing`), and the engine fills the tier's per-period fee rate into every
//! installment choice of the customer that names no rate (see `engine::pricing`). A merchant
//! campaign's rate, 0% included, wins; a line opened by an operator without a tier keeps the
//! product's default rate. This module answers what the application store recorded, and which
//! tiers a limit table defines ([`price_tiers`]).

use credit::AccountId;
use money::Rate;

use crate::onboarding::Onboarding;
use crate::table::TableError;
use crate::tier::{LIMIT_TIER, PriceTier};

impl Onboarding {
    /// The price tier of an account's line as the application store recorded it, if onboarding
    /// opened it (the engine's `credit_profile` holds the same price).
    pub fn tier_of(&self, account: AccountId) -> Option<PriceTier> {
        self.store().line(account).map(|l| l.tier)
    }
}

/// The price tiers a limit table defines: every row of its decision table that writes
/// `offer.tier` as a quoted name and `offer.rate_ppm` as a whole number (the `none` tier of a
/// row without an offer is left out), in table order, each name once. What an operator may
/// open a line at (`POST /v1/customers` with `price_tier`).
pub fn price_tiers(json: &str) -> Result<Vec<PriceTier>, TableError> {
    let bad = |error: String| TableError::Invalid {
        name: LIMIT_TIER.to_owned(),
        error,
    };
    let graph: serde_json::Value = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
    let mut tiers: Vec<PriceTier> = Vec::new();
    let nodes = graph["nodes"].as_array().map(Vec::as_slice).unwrap_or_default();
    for node in nodes {
        let outputs = node["content"]["outputs"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let column = |field: &str| {
            outputs
                .iter()
                .find(|o| o["field"] == field)
                .and_then(|o| o["id"].as_str())
        };
        let (Some(tier_id), Some(rate_id)) = (column("offer.tier"), column("offer.rate_ppm")) else {
            continue;
        };
        for row in node["content"]["rules"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let name = row[tier_id]
                .as_str()
                .and_then(|t| t.strip_prefix('"')?.strip_suffix('"'));
            let ppm = row[rate_id].as_str().and_then(|r| r.trim().parse::<u32>().ok());
            if let (Some(name), Some(ppm)) = (name, ppm)
                && name != "none"
                && ppm < 1_000_000
                && !tiers.iter().any(|t| t.name == name)
            {
                tiers.push(PriceTier {
                    name: name.to_owned(),
                    rate: Rate::from_ppm(ppm),
                });
            }
        }
    }
    Ok(tiers)
}

/// [`price_tiers`] of the shipped limit table.
pub fn shipped_price_tiers() -> Result<Vec<PriceTier>, TableError> {
    price_tiers(crate::shipped::LIMIT_TIER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_defines_tiers_a_b_c() {
        let tiers = shipped_price_tiers().unwrap();
        let named: Vec<(&str, u32)> = tiers.iter().map(|t| (t.name.as_str(), t.rate.ppm())).collect();
        assert_eq!(named, [("A", 3_000), ("B", 5_000), ("C", 7_000)]);
    }

    #[test]
    fn a_table_without_tier_columns_defines_none() {
        assert_eq!(price_tiers(r#"{"nodes": []}"#).unwrap(), []);
        assert!(price_tiers("not json").is_err());
    }
}
