//! Read-only views of an account: balances, a plan's schedule, the credit report status.

use money::Amount;
use money::schedule::{Terms, format_apr};
use serde::{Deserialize, Serialize};

use crate::account::Account;
use crate::calendar::Day;
use crate::command::FreezeReason;
use crate::config::Product;
use crate::delinquency::Bucket;
use crate::dues::DueKind;
use crate::ids::{PlanId, TxnId};
use crate::plan::{Plan, PlanSource, PlanStatus};

/// A customer's balances as of the account's current day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalancesView {
    pub limit: Amount,
    pub temporary_limit: Amount,
    pub available: Amount,
    pub held: Amount,
    pub principal_billed: Amount,
    pub principal_unbilled: Amount,
    pub fees: Amount,
    pub interest: Amount,
    pub penalties: Amount,
    /// Everything billed and unpaid.
    pub billed: Amount,
    pub credit_balance: Amount,
    /// Revolving interest and penalties accrued since the last statement, not yet billed: what
    /// the next statement will charge. The penalty of grace days is not in it while it may
    /// still be waived ([`Account::pending_penalty`]).
    pub accrued_interest: Amount,
    pub accrued_penalties: Amount,
    pub minimum_unpaid: Amount,
    pub past_due: Amount,
    pub dpd: u32,
    pub bucket: Bucket,
    pub next_due_date: Option<Day>,
    pub next_statement: Day,
    pub frozen: Option<FreezeReason>,
    pub charged_off_on: Option<Day>,
}

/// One period of a plan's schedule as it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanPeriodView {
    pub n: u32,
    pub principal: Amount,
    pub fee: Amount,
    pub interest: Amount,
    pub payment: Amount,
    pub billed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanView {
    pub id: PlanId,
    pub source: PlanSource,
    pub terms: Terms,
    pub status: PlanStatus,
    /// The IRR-method APR of the plan as created.
    pub apr: String,
    pub periods: Vec<PlanPeriodView>,
    pub remaining_principal: Amount,
    pub remaining_costs: Amount,
    /// What an early payoff would take now (None unless the plan is active).
    pub payoff: Option<Amount>,
}

/// What a credit bureau is told about the account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportingStatus {
    pub bucket: Bucket,
    pub dpd: u32,
    /// Transactions confirmed as unauthorized: reported as exempt, never delinquent.
    pub exempt: Vec<TxnId>,
}

impl Account {
    pub fn balances(&self, product: &Product) -> BalancesView {
        let day = self.day;
        let kind = |k| self.dues.sum_kind(k);
        BalancesView {
            limit: self.limit,
            temporary_limit: self.temporary_limit_on(day),
            available: self.available_on(day),
            held: self.held,
            principal_billed: kind(DueKind::Principal),
            principal_unbilled: self.unbilled_principal(),
            fees: kind(DueKind::Fee),
            interest: kind(DueKind::Interest),
            penalties: kind(DueKind::Penalty),
            billed: self.dues.total(),
            credit_balance: self.credit_balance,
            accrued_interest: if self.is_charged_off() {
                Amount::ZERO
            } else {
                self.cycle_interest(product)
            },
            accrued_penalties: self.delinquency.penalty_accrued,
            minimum_unpaid: self.delinquency.minimum_unpaid(),
            past_due: self.delinquency.past_due_total(),
            dpd: self.delinquency.dpd(day),
            bucket: self.delinquency.bucket,
            next_due_date: self
                .latest_statement()
                .map(|s| s.due_date)
                .filter(|due| *due >= day && self.delinquency.latest_unpaid.is_positive()),
            next_statement: self.next_statement,
            frozen: self.frozen,
            charged_off_on: self.charged_off_on,
        }
    }

    /// The penalty of the grace days (DPD 1 to `grace_days`): charged (moved to the accrued
    /// penalties) only if the past due is still unpaid when the grace days end, and dropped if
    /// it is paid by then. Not in [`BalancesView`] (whose layout the journal keeps).
    pub fn pending_penalty(&self) -> Amount {
        self.delinquency.penalty_pending
    }

    pub fn plan_view(&self, id: PlanId, product: &Product) -> Option<PlanView> {
        let plan = self.plan(id)?;
        Some(view(plan, self.payoff_amount(id, product.waive_future_fees_on_payoff)))
    }

    pub fn plan_views(&self, product: &Product) -> Vec<PlanView> {
        self.plans
            .iter()
            .map(|p| view(p, self.payoff_amount(p.id, product.waive_future_fees_on_payoff)))
            .collect()
    }

    pub fn reporting_status(&self) -> ReportingStatus {
        ReportingStatus {
            bucket: self.delinquency.bucket,
            dpd: self.delinquency.dpd(self.day),
            exempt: self.exempt.clone(),
        }
    }
}

fn view(plan: &Plan, payoff: Option<Amount>) -> PlanView {
    let original = money::schedule::Schedule::build(plan.terms)
        .map(|s| s.apr())
        .unwrap_or_default();
    let billed = plan.billed as usize;
    let periods = plan
        .periods
        .iter()
        .enumerate()
        .map(|(i, p)| PlanPeriodView {
            n: p.n,
            principal: p.principal,
            fee: p.fee,
            interest: p.interest,
            payment: p.payment(),
            billed: i < billed,
        })
        .collect();
    let unbilled = &plan.periods[billed.min(plan.periods.len())..];
    PlanView {
        id: plan.id,
        source: plan.source,
        terms: plan.terms,
        status: plan.status,
        apr: format_apr(original),
        periods,
        remaining_principal: unbilled.iter().map(|p| p.principal).sum(),
        remaining_costs: unbilled.iter().map(|p| p.cost()).sum(),
        payoff,
    }
}
