//! [`Product`]: every number of DESIGN.md section 3, with its default.

use money::schedule::{Method, PeriodRate};
use money::{Amount, Rate};
use serde::{Deserialize, Serialize};

/// The product's rules as numbers. One `Product` applies to a whole book; changing it is a
/// deployment, not a command, so replaying a journal needs the same product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Product {
    /// A hold placed on day d can be captured until the end of day d + `hold_days`.
    pub hold_days: u16,
    /// Due date = statement date + `due_days`.
    pub due_days: u16,
    /// Share of the statement's non-plan, non-past-due principal in the minimum (10%).
    pub minimum_principal_rate: Rate,
    /// Revolving interest per day on unpaid principal of a statement not paid in full (0.05%).
    pub interest_daily_rate: Rate,
    /// Penalty per day on the unpaid minimum (0.05%).
    pub penalty_daily_rate: Rate,
    /// Days past due that are grace: a minimum paid by then is charged no penalty (3).
    pub grace_days: u16,
    /// Days past due at which the account is charged off (180).
    pub charge_off_dpd: u16,
    /// The plan terms offered at purchase and for bill installments.
    pub terms: Vec<u32>,
    /// Default period rate for each term (the same for every method): 0.50% per period.
    pub plan_rates: Vec<TermRate>,
    /// Whether an early payoff waives the plan's unbilled future fees and interest (true).
    pub waive_future_fees_on_payoff: bool,
    /// Most open holds an account may have at once.
    pub holds_max: u16,
    /// Most statements kept in memory per account (older ones live in the read models).
    pub statements_kept: u16,
    /// Settled purchases are forgotten this many days after capture (refunds are refused after).
    pub purchase_retention_days: u16,
    /// The largest limit, temporary limit or single transaction the core accepts.
    pub amount_max: Amount,
    /// Whether a charged-off account keeps getting a statement every cycle while it owes
    /// something (true). Not part of the product's configuration (never serialized): the engine
    /// sets it from the store, false for a store whose journal began before statements kept
    /// closing after charge-off, so replaying that journal gives the events it recorded.
    #[serde(skip)]
    pub statements_after_charge_off: bool,
}

/// The default period rate of one term.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermRate {
    pub periods: u32,
    pub rate: Rate,
}

impl Default for Product {
    fn default() -> Product {
        let half_percent = Rate::from_ppm(5_000);
        Product {
            hold_days: 7,
            due_days: 9,
            minimum_principal_rate: Rate::from_ppm(100_000),
            interest_daily_rate: Rate::from_ppm(500),
            penalty_daily_rate: Rate::from_ppm(500),
            grace_days: 3,
            charge_off_dpd: 180,
            terms: vec![3, 6, 12, 24],
            plan_rates: [3, 6, 12, 24]
                .into_iter()
                .map(|periods| TermRate {
                    periods,
                    rate: half_percent,
                })
                .collect(),
            waive_future_fees_on_payoff: true,
            holds_max: 64,
            statements_kept: 24,
            purchase_retention_days: 400,
            amount_max: Amount::from_fen(100_000_000_000),
            statements_after_charge_off: true,
        }
    }
}

impl Product {
    pub fn offers_term(&self, periods: u32) -> bool {
        self.terms.contains(&periods)
    }

    /// The default rate of a term under a method; `None` if the term is not offered.
    pub fn default_rate(&self, periods: u32, _method: Method) -> Option<PeriodRate> {
        if !self.offers_term(periods) {
            return None;
        }
        let rate = self
            .plan_rates
            .iter()
            .find(|t| t.periods == periods)
            .map_or(Rate::ZERO, |t| t.rate);
        Some(PeriodRate::per_period(rate))
    }
}
