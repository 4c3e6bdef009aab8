//! Per-customer pricing: a line's [`PriceTier`] is opened with the line into the engine's credit
//! profile (`engine::Pricing`), and the engine fills the tier's per-period fee rate into every
//! installment choice of the customer that names no rate (see `engine::pricing`). A merchant
//! campaign's rate, 0% included, wins; a line opened by an operator, not through onboarding,
//! keeps the product's default rate. This module only answers what the application store
//! recorded.

use credit::AccountId;

use crate::onboarding::Onboarding;
use crate::tier::PriceTier;

impl Onboarding {
    /// The price tier of an account's line as the application store recorded it, if onboarding
    /// opened it (the engine's `credit_profile` holds the same price).
    pub fn tier_of(&self, account: AccountId) -> Option<PriceTier> {
        self.store().line(account).map(|l| l.tier)
    }
}
