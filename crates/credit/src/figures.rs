//! Figures of an account computed when they are asked for, from what the account already keeps
//! (its dues, unpaid minimums, kept statements and their lines, plans, ledger balances and its
//! [`Totals`](crate::totals::Totals)): where each statement stands now (a statement no longer
//! kept too, from its close's balance and due date), what the customer paid for credit to date
//! and per calendar year, what was written off, and each plan's whole schedule with the status
//! of every period.
//!
//! Each is exact to the fen; none rounds. What cannot be computed from the latest statements
//! alone (the cost lines of dropped statements, plans a dropped statement accelerated) is
//! folded into the account's totals when a statement is dropped.

use std::collections::BTreeMap;

use money::Amount;
use money::schedule::{Period, Schedule};

use crate::account::Account;
use crate::calendar::Day;
use crate::costs::add_cost;
pub use crate::costs::{Costs, YearCosts};
use crate::dues::{DueKind, Origin};
use crate::ids::PlanId;
use crate::ledger::LedgerAccount;
use crate::plan::{Plan, PlanStatus};
use crate::statement::LineKind;

/// Where one statement stands now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatementFigures {
    /// Of the statement's balance, what is still owed: the dues first billed on this statement
    /// or an earlier one, unpaid now (dues billed later, a charge-off's included, are not in it).
    pub remaining: Amount,
    /// `balance - remaining`: what payments, refunds and other credits (a bill installment's
    /// principal moved into its plan, a credit balance applied) took off the balance since the
    /// statement closed.
    pub paid_since_close: Amount,
    /// What is still unpaid of the statement's minimum (which included the past due of the
    /// statements before it): unmet minimums are paid oldest first, so this is the unmet part
    /// of the minimums of this statement and the earlier ones.
    pub minimum_remaining: Amount,
    /// The part of `minimum_remaining` whose due date has passed: all of it once this
    /// statement's due date has passed, before that the earlier statements' unmet minimums.
    pub past_due: Amount,
    /// Principal billed on an earlier statement, carried onto this one and still unpaid now.
    pub carried_principal: Amount,
}

/// Costs per calendar year and whether they cover the account's whole life.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CostsByYear {
    /// Oldest year first; a year with no cost line is absent.
    pub years: Vec<YearCosts>,
    /// The first statement the years cover: 1, unless the account was restored from a snapshot
    /// older than format 4 that had already dropped statements (then its oldest kept one).
    pub from_statement: u32,
}

/// What was lost on the account: written off at charge-off, recovered since, lost to fraud.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Losses {
    /// Receivables written off at charge-off (less fees a later full refund waived).
    pub charge_off: Amount,
    /// Money collected after the charge-off.
    pub recoveries: Amount,
    /// Principal of confirmed unauthorized transactions, and anything the restatement could not
    /// give back to the customer.
    pub fraud_loss: Amount,
}

/// Where one period of a plan stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeriodStatus {
    /// Not billed yet.
    Scheduled,
    /// Billed, and something of it is unpaid.
    Billed,
    /// Billed and paid (or credited) in full.
    Paid,
    /// Never billed: the plan was paid off early (its principal paid with the payoff, its
    /// future fees waived unless the product charges them).
    PaidOff,
    /// Never billed: a refund took all of its principal (it lost its fee and interest).
    Cancelled,
    /// Never billed as a period: a charge-off billed its principal at once.
    Accelerated,
}

impl PeriodStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodStatus::Scheduled => "scheduled",
            PeriodStatus::Billed => "billed",
            PeriodStatus::Paid => "paid",
            PeriodStatus::PaidOff => "paid_off",
            PeriodStatus::Cancelled => "cancelled",
            PeriodStatus::Accelerated => "accelerated",
        }
    }
}

/// One period of a plan's whole schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchedulePeriod {
    /// As the plan was created.
    pub original: Period,
    /// As it stands: lowered by refunds, zero for a period that was never billed.
    pub current: Period,
    /// What is unpaid of it now (billed periods only).
    pub unpaid: Amount,
    pub status: PeriodStatus,
}

impl Account {
    /// Where statement `seq` stands now, if it is kept.
    pub fn statement_figures(&self, seq: u32) -> Option<StatementFigures> {
        let statement = self.statement(seq)?;
        Some(self.closed_statement_figures(seq, statement.balance, statement.due_date))
    }

    /// Where statement `seq` stands now, from its close's `balance` and `due_date`: for a
    /// statement kept ([`Account::statement_figures`]) and for one no longer kept, whose close
    /// the read models keep. What it needs of now (the dues by the statement that billed them,
    /// the unmet minimums by due date) the account keeps whatever the statement's age.
    pub fn closed_statement_figures(&self, seq: u32, balance: Amount, due_date: Day) -> StatementFigures {
        let remaining = self.dues.sum(|d| d.stmt <= seq);
        let carried_principal = self.dues.sum(|d| d.stmt < seq && d.kind == DueKind::Principal);
        let delinquency = &self.delinquency;
        let due_passed = seq <= self.due_passed_seq;
        let own_or_older = delinquency
            .past_due
            .iter()
            .filter(|p| p.due_date <= due_date)
            .map(|p| p.amount)
            .sum::<Amount>();
        let older = delinquency
            .past_due
            .iter()
            .filter(|p| p.due_date < due_date)
            .map(|p| p.amount)
            .sum::<Amount>();
        let (minimum_remaining, past_due) = if due_passed {
            (own_or_older, own_or_older)
        } else if seq == self.last_seq {
            (older + delinquency.latest_unpaid, older)
        } else {
            (own_or_older, older)
        };
        // A hardship plan's re-age dates the whole billed balance (its first installment, billed
        // later) from the oldest unmet due date: a statement never shows more unpaid minimum than
        // what remains of it (without a re-age the caps change nothing).
        let remaining = remaining.min(balance);
        let minimum_remaining = minimum_remaining.min(remaining);
        StatementFigures {
            remaining,
            paid_since_close: balance.saturating_sub_to_zero(remaining),
            minimum_remaining,
            past_due: past_due.min(minimum_remaining),
            carried_principal,
        }
    }

    /// Costs to date, from the ledger: the fee, interest and penalty income booked on this
    /// customer (billed, less waivers and fraud restatements).
    pub fn costs_to_date(&self) -> Costs {
        let income = |a| -self.ledger.get(a);
        Costs {
            fees: income(LedgerAccount::FeeIncome),
            interest: income(LedgerAccount::InterestIncome),
            penalties: income(LedgerAccount::PenaltyIncome),
        }
    }

    /// Costs per calendar year of each line's day, from the dropped statements' lines (kept in
    /// the account's totals), the kept statements' lines and the running cycle's (a
    /// charge-off's interest and penalties, waivers not yet on a statement). When
    /// `from_statement` is 1 the net of every year sums to [`Account::costs_to_date`]'s total,
    /// except for future fees an early payoff charged (a product with
    /// `waive_future_fees_on_payoff` off): they are on the payoff's memo line with its
    /// principal, so they count to date only.
    pub fn costs_by_year(&self) -> CostsByYear {
        let mut years: BTreeMap<i32, YearCosts> = self.totals.dropped_years.iter().map(|y| (y.year, *y)).collect();
        let lines = self
            .statements
            .iter()
            .flat_map(|s| s.lines.iter())
            .chain(self.cycle.lines.iter());
        for line in lines {
            add_cost(&mut years, line);
        }
        CostsByYear {
            years: years.into_values().collect(),
            from_statement: self.totals.costs_from.max(1),
        }
    }

    /// Charge-off, recoveries and fraud loss, from the ledger.
    pub fn losses(&self) -> Losses {
        Losses {
            charge_off: self.ledger.get(LedgerAccount::ChargeOffLoss),
            recoveries: -self.ledger.get(LedgerAccount::Recoveries),
            fraud_loss: self.ledger.get(LedgerAccount::FraudLoss),
        }
    }

    /// Every period of plan `id` as created, with what each is now: billed ones paid or not,
    /// future ones scheduled, and the ones its ending dropped (paid off, cancelled by a refund,
    /// accelerated by a charge-off).
    pub fn plan_schedule(&self, id: PlanId) -> Option<Vec<SchedulePeriod>> {
        let plan = self.plan(id)?;
        let original = Schedule::build(plan.terms).map(|s| s.periods).unwrap_or_default();
        Some(
            original
                .into_iter()
                .map(|original| self.schedule_period(plan, original))
                .collect(),
        )
    }

    fn schedule_period(&self, plan: &Plan, original: Period) -> SchedulePeriod {
        let n = original.n;
        let kept = plan.periods.iter().find(|p| p.n == n).copied();
        let zero = Period {
            n,
            principal: Amount::ZERO,
            fee: Amount::ZERO,
            interest: Amount::ZERO,
        };
        let unpaid = self
            .dues
            .sum(|d| matches!(d.origin, Origin::PlanPeriod { plan: p, n: m } if p == plan.id && m == n));
        let status = match kept {
            Some(p) if p.payment().is_zero() && original.payment().is_positive() => PeriodStatus::Cancelled,
            Some(_) if n <= plan.billed && unpaid.is_positive() => PeriodStatus::Billed,
            Some(_) if n <= plan.billed => PeriodStatus::Paid,
            Some(_) => PeriodStatus::Scheduled,
            None if plan.status == PlanStatus::PaidOff => PeriodStatus::PaidOff,
            None if self.accelerated(plan.id) => PeriodStatus::Accelerated,
            None => PeriodStatus::Cancelled,
        };
        SchedulePeriod {
            original,
            current: kept.unwrap_or(zero),
            unpaid: if n <= plan.billed { unpaid } else { Amount::ZERO },
            status,
        }
    }
}

impl Account {
    /// Whether a charge-off billed plan `id`'s unbilled principal at once (its line is on a
    /// dropped statement, a kept one or the running cycle).
    fn accelerated(&self, id: PlanId) -> bool {
        self.totals.dropped_accelerated.contains(&id)
            || self
                .statements
                .iter()
                .flat_map(|s| s.lines.iter())
                .chain(self.cycle.lines.iter())
                .any(|l| l.kind == LineKind::PlanAccelerated { plan: id })
    }
}

#[cfg(test)]
mod tests;
