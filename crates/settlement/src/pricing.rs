//! Merchant pricing: what the lender keeps of each capture, and the merchant's share of a
//! subsidized campaign's fee.
//!
//! A [`PriceRule`] sets a discount rate (ppm of the captured amount) and a fixed fee per
//! capture (fen) for a [`Scope`] from an effective day on. The rule for a capture is the most
//! specific scope that has a rule in effect on the capture's business day (merchant, then its
//! category, then the default), and within a scope the rule with the latest effective day not
//! after it. Rules are never edited, only superseded by a later effective day, so recomputing
//! any past day gives the same fees.
//!
//! Rounding (tested below):
//! - fee of a capture = round half up (amount × discount ppm / 1,000,000) + fixed fee;
//! - a refund returns no fee: the merchant paid for the capture's processing and keeps paying
//!   it (the refund reduces what the merchant is owed by the refunded amount only);
//! - subsidy of a campaign capture = round half up (amount × merchant ppm per period × terms
//!   / 1,000,000).

use credit::MerchantId;
use credit::calendar::Day;
use money::{Amount, Rate};

/// Who a rule applies to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Every merchant without a more specific rule.
    Default,
    /// Merchants of one category (the API's category code, e.g. `electronics`).
    Category(String),
    Merchant(MerchantId),
}

/// The price of a capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pricing {
    /// Merchant discount rate, ppm of the captured amount.
    pub discount: Rate,
    /// Fixed fee per capture.
    pub fixed_fee: Amount,
}

impl Pricing {
    /// No fee at all (a merchant no rule covers).
    pub const FREE: Pricing = Pricing {
        discount: Rate::ZERO,
        fixed_fee: Amount::ZERO,
    };

    /// The fee of one capture of `amount`: the discount rounded half up to the fen, plus the
    /// fixed fee. A capture smaller than its fee leaves the merchant a negative net, which the
    /// day's settlement carries like any other.
    pub fn fee(&self, amount: Amount) -> Amount {
        amount.mul_rate(self.discount) + self.fixed_fee
    }
}

/// One versioned pricing rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceRule {
    pub scope: Scope,
    /// The first business day it applies to.
    pub effective_from: Day,
    pub pricing: Pricing,
}

/// Every rule, looked up by merchant, category and day.
#[derive(Clone, Debug, Default)]
pub struct PriceList {
    /// Sorted by scope, then effective day.
    rules: Vec<PriceRule>,
}

impl PriceList {
    pub fn new(mut rules: Vec<PriceRule>) -> PriceList {
        rules.sort_by(|a, b| (&a.scope, a.effective_from).cmp(&(&b.scope, b.effective_from)));
        PriceList { rules }
    }

    pub fn rules(&self) -> &[PriceRule] {
        &self.rules
    }

    /// The pricing of a capture by `merchant` (of `category`, if it has one) on `day`.
    pub fn pricing(&self, merchant: MerchantId, category: Option<&str>, day: Day) -> Pricing {
        let merchant_scope = Scope::Merchant(merchant);
        let category_scope = category.map(|c| Scope::Category(c.to_owned()));
        [Some(merchant_scope), category_scope, Some(Scope::Default)]
            .into_iter()
            .flatten()
            .find_map(|scope| self.in_effect(&scope, day))
            .unwrap_or(Pricing::FREE)
    }

    fn in_effect(&self, scope: &Scope, day: Day) -> Option<Pricing> {
        self.rules
            .iter()
            .filter(|r| &r.scope == scope && r.effective_from <= day)
            .max_by_key(|r| r.effective_from)
            .map(|r| r.pricing)
    }
}

/// The merchant's share of a campaign plan's fee, charged at the capture: the principal ×
/// the merchant's ppm per period × the plan's terms, rounded half up to the fen (one rounding
/// over the whole plan, not one per period).
pub fn subsidy(amount: Amount, merchant_ppm_per_period: Rate, terms: u32) -> Amount {
    let ppm_total = i64::from(merchant_ppm_per_period.ppm()) * i64::from(terms);
    amount.mul_ratio(ppm_total, Rate::PPM_ONE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(ppm: u32, fixed: i64) -> Pricing {
        Pricing {
            discount: Rate::from_ppm(ppm),
            fixed_fee: Amount::from_fen(fixed),
        }
    }

    /// Fee = round half up (amount × ppm / 1e6) + fixed, checked against an integer oracle.
    #[test]
    fn fee_rounds_half_up_then_adds_the_fixed_fee() {
        let cases = [
            // (amount, ppm, fixed, fee)
            (10_000, 6_000, 0, 60),
            (150, 30_000, 0, 5),  // 4.5 -> 5
            (149, 30_000, 0, 4),  // 4.47 -> 4
            (50, 10_000, 0, 1),   // 0.5 -> 1
            (49, 10_000, 0, 0),   // 0.49 -> 0
            (1, 499_999, 30, 30), // 0.499999 -> 0
            (1, 500_000, 30, 31), // 0.5 -> 1
            (0, 25_000, 30, 30),
        ];
        for (amount, ppm, fixed, fee) in cases {
            let got = price(ppm, fixed).fee(Amount::from_fen(amount)).fen();
            let oracle = (i128::from(amount) * i128::from(ppm) * 2 + 1_000_000) / 2_000_000;
            assert_eq!(got, fee, "{amount} fen at {ppm} ppm + {fixed}");
            assert_eq!(i128::from(got - fixed), oracle, "oracle: {amount} at {ppm}");
        }
    }

    #[test]
    fn subsidy_is_one_rounding_over_the_plan() {
        // 1,000.00 yuan, 6,000 ppm per period (0.6%), 12 terms: 7.2% = 7,200.00.
        assert_eq!(
            subsidy(Amount::from_fen(100_000), Rate::from_ppm(6_000), 12).fen(),
            7_200
        );
        // 0.6% × 3 of 0.25 yuan = 0.045 fen... 25 × 18,000 / 1e6 = 0.45 -> 0.
        assert_eq!(subsidy(Amount::from_fen(25), Rate::from_ppm(6_000), 3).fen(), 0);
        // 1.5 fen -> 2 (half up).
        assert_eq!(subsidy(Amount::from_fen(50), Rate::from_ppm(10_000), 3).fen(), 2);
        assert_eq!(subsidy(Amount::from_fen(50), Rate::ZERO, 12).fen(), 0);
    }

    /// The most specific scope in effect wins; within it the latest effective day not after the
    /// capture's; before any rule the capture is free.
    #[test]
    fn rules_resolve_by_scope_then_effective_day() {
        let d = Day::ymd(2026, 3, 1);
        let m = MerchantId(7);
        let list = PriceList::new(vec![
            PriceRule {
                scope: Scope::Default,
                effective_from: d,
                pricing: price(20_000, 0),
            },
            PriceRule {
                scope: Scope::Category("travel".into()),
                effective_from: d.add(10),
                pricing: price(15_000, 0),
            },
            PriceRule {
                scope: Scope::Merchant(m),
                effective_from: d.add(20),
                pricing: price(10_000, 30),
            },
            PriceRule {
                scope: Scope::Merchant(m),
                effective_from: d.add(30),
                pricing: price(8_000, 30),
            },
        ]);
        assert_eq!(list.pricing(m, Some("travel"), d.add(-1)), Pricing::FREE);
        assert_eq!(list.pricing(m, Some("travel"), d), price(20_000, 0));
        assert_eq!(list.pricing(m, Some("travel"), d.add(10)), price(15_000, 0));
        assert_eq!(list.pricing(m, None, d.add(10)), price(20_000, 0));
        assert_eq!(list.pricing(m, Some("travel"), d.add(29)), price(10_000, 30));
        assert_eq!(list.pricing(m, Some("travel"), d.add(30)), price(8_000, 30));
        assert_eq!(list.pricing(MerchantId(8), Some("travel"), d.add(30)), price(15_000, 0));
    }
}
