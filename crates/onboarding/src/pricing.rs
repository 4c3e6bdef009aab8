//! Per-customer pricing: a line's [`PriceTier`] becomes the rate of the plans the customer
//! chooses.
//!
//! The credit core has one `Product` per book (default 0.50% per period for every term) and
//! takes an explicit per-purchase rate in `PlanChoice.rate`. So the tier is applied where a
//! plan is chosen: the API, when a customer picks installments at checkout or for a bill,
//! calls [`Onboarding::priced_plan`], which fills `rate` with the tier's per-period fee rate
//! unless the choice already carries one (a merchant campaign's rate, 0% included, wins). A
//! customer without a tier record (opened by an operator, not through onboarding) keeps the
//! product's default rate.

use credit::{AccountId, PlanChoice};
use money::schedule::PeriodRate;

use crate::onboarding::Onboarding;
use crate::tier::PriceTier;

/// `choice` with the tier's rate when it names none.
pub fn with_tier(choice: PlanChoice, tier: Option<&PriceTier>) -> PlanChoice {
    match (choice.rate, tier) {
        (None, Some(tier)) => PlanChoice {
            rate: Some(PeriodRate::per_period(tier.rate)),
            ..choice
        },
        _ => choice,
    }
}

impl Onboarding {
    /// The price tier of an account's line, if onboarding opened it.
    pub fn tier_of(&self, account: AccountId) -> Option<PriceTier> {
        self.store().line(account).map(|l| l.tier)
    }

    /// The plan to send to the engine for this customer's choice (see the module docs).
    pub fn priced_plan(&self, account: AccountId, choice: PlanChoice) -> PlanChoice {
        with_tier(choice, self.tier_of(account).as_ref())
    }
}
