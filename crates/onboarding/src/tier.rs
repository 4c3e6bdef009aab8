//! The limit and price tier of a new line, from `rules/limits/limit_tier.json`: what goes in
//! ([`OfferInput`]), what comes out ([`Offer`]), and the [`PriceTier`] an approved line keeps.
//!
//! The table has two steps (both first-hit decision tables): `offer` maps the score band to a
//! limit (a multiple of the declared monthly income, capped per band and by the requested
//! limit, rounded down to 100 yuan) and a price tier; `verdict` decides approve, review or
//! decline from age, band, income, the offer and the risk checkpoint's outcome.

use std::str::FromStr;

use money::{Amount, Rate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use crate::table::{JdmTable, TableError};

/// The table's file name (without `.json`) in the limits folder.
pub const LIMIT_TIER: &str = "limit_tier";

/// A price tier: the installment fee rate per period this customer's plans are priced at.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PriceTier {
    /// The tier's name as the table writes it (`A`, `B`, `C`).
    pub name: String,
    /// Fee per period, in parts per million of the plan's principal.
    pub rate: Rate,
}

impl PriceTier {
    /// The tier of a line an analyst opens without a proposed tier: the product's default fee
    /// of 0.50% per period.
    pub fn standard() -> PriceTier {
        PriceTier {
            name: "standard".to_owned(),
            rate: Rate::from_ppm(5_000),
        }
    }

    /// The price the engine keeps with the line, or `None` when the name is not a tier name
    /// the engine takes (1 to 15 visible ASCII characters).
    pub fn pricing(&self) -> Option<engine::Pricing> {
        let tier = engine::TierName::parse(&self.name).ok()?;
        Some(engine::Pricing {
            tier,
            fee_rate: self.rate,
        })
    }
}

/// What the table decides about.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OfferInput {
    pub band: String,
    /// Probability of default, rounded to 4 decimals.
    pub pd: f64,
    pub score: i32,
    pub age: u16,
    pub income_fen: i64,
    pub requested_limit_fen: i64,
    /// The risk checkpoint's outcome: `allow`, `review` (a satisfied challenge counts as allow).
    pub risk_outcome: &'static str,
    pub risk_reasons: Vec<String>,
}

/// The table's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableOutcome {
    Approve,
    Review,
    Decline,
}

/// What the table offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    pub outcome: TableOutcome,
    /// The limit (zero when there is no offer).
    pub limit: Amount,
    /// `None` when there is no offer.
    pub tier: Option<PriceTier>,
    /// The verdict row's reason code, if it gave one.
    pub reason: Option<String>,
}

#[derive(Deserialize)]
struct RawOffer {
    limit_fen: serde_json::Number,
    tier: String,
    rate_ppm: serde_json::Number,
}

#[derive(Deserialize)]
struct Raw {
    offer: RawOffer,
    outcome: TableOutcome,
    #[serde(default)]
    reason: Option<String>,
}

/// An integer out of a table's number (`1230000`, `1230000.0`).
pub(crate) fn integer(n: &serde_json::Number) -> Option<i64> {
    let d = Decimal::from_str(&n.to_string())
        .or_else(|_| Decimal::from_scientific(&n.to_string()))
        .ok()?;
    d.fract().is_zero().then(|| d.to_i64()).flatten()
}

/// The compiled `limit_tier` table.
#[derive(Debug)]
pub struct LimitTierTable(JdmTable);

impl LimitTierTable {
    pub fn from_json(json: &str) -> Result<LimitTierTable, TableError> {
        JdmTable::from_json(LIMIT_TIER, json).map(LimitTierTable)
    }

    /// Reads `limit_tier.json` from the limits folder.
    pub fn load(dir: &std::path::Path) -> Result<LimitTierTable, TableError> {
        JdmTable::load(dir, LIMIT_TIER).map(LimitTierTable)
    }

    pub fn version(&self) -> String {
        self.0.version()
    }

    pub fn decide(&self, input: &OfferInput) -> Result<Offer, TableError> {
        let value = serde_json::to_value(input).map_err(|e| self.bad(e.to_string()))?;
        let raw: Raw = self.0.evaluate(value)?;
        let limit = integer(&raw.offer.limit_fen).filter(|fen| *fen >= 0).ok_or_else(|| {
            self.bad(format!(
                "limit_fen {} is not a whole number of fen",
                raw.offer.limit_fen
            ))
        })?;
        let rate = integer(&raw.offer.rate_ppm)
            .and_then(|ppm| u32::try_from(ppm).ok())
            .filter(|ppm| *ppm < 1_000_000)
            .ok_or_else(|| self.bad(format!("rate_ppm {} is not a rate", raw.offer.rate_ppm)))?;
        let tier = (limit > 0 && raw.offer.tier != "none").then(|| PriceTier {
            name: raw.offer.tier,
            rate: Rate::from_ppm(rate),
        });
        Ok(Offer {
            outcome: raw.outcome,
            limit: Amount::from_fen(limit),
            tier,
            reason: raw.reason.filter(|r| !r.is_empty()),
        })
    }

    fn bad(&self, error: String) -> TableError {
        TableError::Output {
            name: LIMIT_TIER.to_owned(),
            error,
        }
    }
}
