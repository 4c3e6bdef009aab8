//! Hardship plan: a delinquent account's billed principal re-aged into 3 to 12 equal monthly
//! installments at 0% (COLLECTIONS.md).
//!
//! What it does, in one command:
//! - every billed, unpaid principal due (past due or not) moves into a new plan
//!   ([`PlanSource::Hardship`]) of `periods` periods, flat-fee method at a rate of zero: principal
//!   / n rounded down per period, the remainder on the last (`money::schedule`); no fee, no
//!   interest;
//! - the plan's first period is billed at once (a plan-principal line on the running cycle), so
//!   the customer has a first installment to pay now; later periods bill at each statement close
//!   like any plan;
//! - billed penalties, interest and fees stay as they are (nothing is waived or capitalized);
//! - the delinquency is re-aged **once the first installment is paid**, not at once: the past due
//!   becomes one amount, everything still billed (the first installment plus the billed
//!   penalties, interest and fees), dated from the oldest unmet due date. DPD keeps counting
//!   from that date until it is paid; paying it clears the past due, DPD falls to 0 and the
//!   bucket to current (the usual `count_payment` path). This is the "demonstrated willingness
//!   and ability to repay" that re-aging policies ask for before the days past due are reset.
//!
//! Principal stays principal (a billed due becomes unbilled plan principal, both on the
//! principal receivable), so the command posts no ledger entry.
//!
//! Refused (in this order): a term outside 3..=12 (`term_not_offered`), an existing plan id
//! (`txn_exists`), a charged-off account (`account_charged_off`; collections after charge-off are
//! recoveries), nothing past due (`not_delinquent`), a hardship plan made in the last 365 days
//! (`hardship_too_recent`: at most one re-age a year), no billed principal (`nothing_to_install`).

use money::Amount;
use money::schedule::{Method, PeriodRate, Schedule, Terms};

use crate::account::{Account, Ctx};
use crate::delinquency::PastDue;
use crate::dues::{Due, DueKind, Origin};
use crate::event::Event;
use crate::ids::{PlanId, TxnId};
use crate::plan::{Plan, PlanSource, PlanStatus};
use crate::reject::Rejection;
use crate::statement::{Line, LineKind};

/// The terms a hardship plan may have, in months.
pub const HARDSHIP_PERIODS: std::ops::RangeInclusive<u32> = 3..=12;

/// Days after a hardship plan before another may be made.
pub const HARDSHIP_COOLDOWN_DAYS: i32 = 365;

impl Account {
    /// The hardship plan still being paid (active, or with a billed period unpaid), if any.
    pub fn hardship_plan(&self) -> Option<&Plan> {
        self.plans.iter().rev().find(|p| {
            p.source == PlanSource::Hardship
                && (p.is_active()
                    || self
                        .dues
                        .iter()
                        .any(|d| matches!(d.origin, Origin::PlanPeriod { plan, .. } if plan == p.id)))
        })
    }

    /// Whether a hardship plan may be made on `today` (the account brought to that day): the
    /// state refusals of the command, in its order. Collections' strategy asks it for its
    /// `hardship_eligible` input, so the offer and the command never disagree.
    pub fn hardship_check(&self, today: crate::calendar::Day) -> Result<(), Rejection> {
        if self.is_charged_off() {
            return Err(Rejection::AccountChargedOff);
        }
        if self.delinquency.past_due.is_empty() {
            return Err(Rejection::NotDelinquent);
        }
        let recent = |p: &Plan| p.source == PlanSource::Hardship && today.since(p.created_on) < HARDSHIP_COOLDOWN_DAYS;
        if self.plans.iter().any(recent) {
            return Err(Rejection::HardshipTooRecent);
        }
        if self.dues.sum_kind(DueKind::Principal).is_zero() {
            return Err(Rejection::NothingToInstall);
        }
        Ok(())
    }

    pub(crate) fn hardship(&mut self, plan_id: PlanId, periods: u32, cx: &mut Ctx<'_>) -> Result<(), Rejection> {
        if self.plan(plan_id).is_some() || self.purchase(TxnId(plan_id.0)).is_some() {
            return Err(Rejection::TxnExists);
        }
        self.hardship_check(cx.today)?;
        let Some(oldest) = self.delinquency.past_due.front().map(|p| p.due_date) else {
            return Err(Rejection::NotDelinquent);
        };
        let principal = self.dues.sum_kind(DueKind::Principal);
        let terms = Terms {
            method: Method::FlatFee,
            principal,
            periods,
            rate: PeriodRate::ZERO,
        };
        let schedule = Schedule::build(terms).map_err(|_| Rejection::TermNotOffered)?;
        self.dues.remove(|d| d.kind == DueKind::Principal);
        let first = schedule.periods[0];
        // Billed now: on the statement the running cycle closes into, or on the latest one when
        // its due date is still ahead (so its due date's step sees only its own principal).
        let stmt = if self.due_passed_seq == self.last_seq {
            self.last_seq + 1
        } else {
            self.last_seq
        };
        self.dues.push(Due {
            stmt,
            kind: DueKind::Principal,
            origin: Origin::PlanPeriod { plan: plan_id, n: 1 },
            order_at: cx.at,
            unpaid: first.principal,
            revolving: false,
        });
        self.plans.push(Plan {
            id: plan_id,
            source: PlanSource::Hardship,
            terms,
            created_on: cx.today,
            created_at: cx.at,
            periods: schedule.periods,
            billed: 1,
            status: PlanStatus::Active,
        });
        let cure = self.re_age(oldest);
        self.cycle.lines.push(Line {
            on: cx.today,
            kind: LineKind::BillInstallment { plan: plan_id },
            amount: -principal,
        });
        self.cycle.lines.push(Line {
            on: cx.today,
            kind: LineKind::PlanPrincipal {
                plan: plan_id,
                n: 1,
                of: periods,
            },
            amount: first.principal,
        });
        cx.out.push(Event::HardshipPlanned {
            account: self.id,
            plan: plan_id,
            periods,
            principal,
            first_installment: first.principal,
            cure,
        });
        Ok(())
    }

    /// The past due becomes everything billed, dated from `oldest`; returns that amount.
    fn re_age(&mut self, oldest: crate::calendar::Day) -> Amount {
        let cure = self.dues.total();
        self.delinquency.past_due.clear();
        self.delinquency.past_due.push_back(PastDue {
            due_date: oldest,
            amount: cure,
        });
        self.delinquency.latest_unpaid = Amount::ZERO;
        cure
    }
}

#[cfg(test)]
mod tests;
