//! Money in and out of the customer's side: repayments, early payoff, credit balance use and
//! cash-out.
//!
//! A credit balance never sits beside unpaid dues: whenever money beyond what is billed arrives
//! it is kept as credit balance, and whenever a credit balance exists while something is billed
//! (at statement close, after a refund) it pays those dues at once through the waterfall.

use money::Amount;

use crate::account::{Account, Ctx};
use crate::calendar::Day;
use crate::event::{Allocation, Event};
use crate::ids::{OpId, PlanId};
use crate::ledger::{EntryBuilder, EntryKind, LedgerAccount};
use crate::plan::PlanStatus;
use crate::reject::Rejection;
use crate::statement::LineKind;

impl Account {
    /// Pays billed dues with up to `amount` through the waterfall and counts it toward the
    /// minimum. Returns the allocation; `amount - allocation.billed()` is left to the caller.
    pub(crate) fn pay_billed(&mut self, amount: Amount) -> Allocation {
        let past_due = self.delinquency.past_due_total();
        let allocation = self.dues.pay(amount, past_due, self.due_passed_seq);
        self.delinquency.count_payment(allocation.billed());
        allocation
    }

    /// Credits an allocation of billed dues in an entry: to the receivables, or to recoveries
    /// once the account is charged off (its receivables are already written off).
    pub(crate) fn credit_allocation(&self, entry: &mut EntryBuilder, allocation: &Allocation) {
        if self.is_charged_off() {
            entry.credit(LedgerAccount::Recoveries, allocation.billed());
            return;
        }
        entry
            .credit(LedgerAccount::PenaltyReceivable, allocation.penalty)
            .credit(LedgerAccount::InterestReceivable, allocation.interest)
            .credit(LedgerAccount::FeeReceivable, allocation.fee)
            .credit(LedgerAccount::PrincipalReceivable, allocation.principal);
    }

    /// Uses the credit balance to pay whatever is billed, with a `CreditApplied` line on the
    /// running cycle.
    pub(crate) fn apply_credit_balance(&mut self, on: Day, out: &mut Vec<Event>) -> Allocation {
        let allocation = self.settle_with_credit(out);
        self.add_line(on, LineKind::CreditApplied, -allocation.billed());
        allocation
    }

    /// Uses the credit balance to pay whatever is billed; the caller shows it on a line.
    pub(crate) fn settle_with_credit(&mut self, out: &mut Vec<Event>) -> Allocation {
        if self.credit_balance.is_zero() || self.dues.is_empty() {
            return Allocation::default();
        }
        let allocation = self.pay_billed(self.credit_balance);
        self.credit_balance -= allocation.billed();
        let mut entry = EntryBuilder::new(EntryKind::CreditApplied);
        entry.debit(LedgerAccount::CustomerCredit, allocation.billed());
        self.credit_allocation(&mut entry, &allocation);
        self.post(entry.build(), out);
        allocation
    }

    pub(crate) fn repay(&mut self, op: OpId, amount: Amount, cx: &mut Ctx<'_>) -> Result<(), Rejection> {
        let mut allocation = self.pay_billed(amount);
        allocation.credit_balance = amount - allocation.billed();
        self.credit_balance += allocation.credit_balance;
        let mut entry = EntryBuilder::new(EntryKind::Repayment);
        entry.debit(LedgerAccount::Cash, amount);
        self.credit_allocation(&mut entry, &allocation);
        entry.credit(LedgerAccount::CustomerCredit, allocation.credit_balance);
        self.post(entry.build(), cx.out);
        self.add_line(cx.today, LineKind::Payment { op }, -allocation.billed());
        self.add_line(cx.today, LineKind::PaymentToCredit { op }, -allocation.credit_balance);
        let recovery = self.is_charged_off();
        cx.out.push(Event::Repaid {
            account: self.id,
            op,
            amount,
            allocation,
            recovery,
        });
        self.refresh_bucket(cx.today, cx.product, cx.out);
        Ok(())
    }

    /// What an early payoff of `plan` costs now: everything billed and unpaid, the plan's
    /// unbilled principal, and its future fees and interest unless the product waives them.
    pub fn payoff_amount(&self, plan: PlanId, waive_future_costs: bool) -> Option<Amount> {
        let plan = self.plan(plan).filter(|p| p.is_active())?;
        let costs = if waive_future_costs {
            Amount::ZERO
        } else {
            plan.unbilled_costs()
        };
        Some(self.dues.total() + plan.unbilled_principal() + costs)
    }

    pub(crate) fn early_payoff(
        &mut self,
        op: OpId,
        plan_id: PlanId,
        amount: Amount,
        cx: &mut Ctx<'_>,
    ) -> Result<(), Rejection> {
        let Some(index) = self.plans.iter().position(|p| p.id == plan_id) else {
            return Err(Rejection::PlanNotFound);
        };
        if self.is_charged_off() {
            return Err(Rejection::AccountChargedOff);
        }
        if !self.plans[index].is_active() {
            return Err(Rejection::PlanNotActive);
        }
        let waive = cx.product.waive_future_fees_on_payoff;
        let payoff = self.payoff_amount(plan_id, waive).expect("the plan is active");
        if amount < payoff {
            return Err(Rejection::PaymentBelowPayoff { payoff });
        }

        let mut allocation = self.pay_billed(self.dues.total());
        let plan = &mut self.plans[index];
        allocation.unbilled_principal = plan.unbilled_principal();
        let (future_fees, future_interest) = plan.periods[plan.billed as usize..]
            .iter()
            .fold((Amount::ZERO, Amount::ZERO), |(f, i), p| (f + p.fee, i + p.interest));
        let (fees_charged, interest_charged) = if waive {
            (Amount::ZERO, Amount::ZERO)
        } else {
            (future_fees, future_interest)
        };
        let fees_waived = if waive {
            future_fees + future_interest
        } else {
            Amount::ZERO
        };
        allocation.fee += fees_charged;
        allocation.interest += interest_charged;
        plan.end(PlanStatus::PaidOff);
        allocation.credit_balance = amount - payoff;
        self.credit_balance += allocation.credit_balance;

        let mut entry = EntryBuilder::new(EntryKind::EarlyPayoff);
        entry.debit(LedgerAccount::Cash, amount);
        let billed = Allocation {
            fee: allocation.fee - fees_charged,
            interest: allocation.interest - interest_charged,
            ..allocation
        };
        self.credit_allocation(&mut entry, &billed);
        entry
            .credit(LedgerAccount::PrincipalReceivable, allocation.unbilled_principal)
            .credit(LedgerAccount::FeeIncome, fees_charged)
            .credit(LedgerAccount::InterestIncome, interest_charged)
            .credit(LedgerAccount::CustomerCredit, allocation.credit_balance);
        self.post(entry.build(), cx.out);
        let unbilled = allocation.unbilled_principal + fees_charged + interest_charged;
        self.add_line(cx.today, LineKind::Payment { op }, -billed.billed());
        self.add_line(cx.today, LineKind::PaymentUnbilled { op }, -unbilled);
        self.add_line(cx.today, LineKind::PaymentToCredit { op }, -allocation.credit_balance);
        cx.out.push(Event::PlanPaidOff {
            account: self.id,
            op,
            plan: plan_id,
            amount,
            allocation,
            fees_waived,
        });
        self.refresh_bucket(cx.today, cx.product, cx.out);
        Ok(())
    }

    pub(crate) fn cash_out_credit(&mut self, op: OpId, amount: Amount, cx: &mut Ctx<'_>) -> Result<(), Rejection> {
        if amount > self.credit_balance {
            return Err(Rejection::AmountExceedsCreditBalance {
                credit_balance: self.credit_balance,
            });
        }
        self.credit_balance -= amount;
        let mut entry = EntryBuilder::new(EntryKind::CreditCashOut);
        entry
            .debit(LedgerAccount::CustomerCredit, amount)
            .credit(LedgerAccount::Cash, amount);
        self.post(entry.build(), cx.out);
        self.add_line(cx.today, LineKind::CreditCashOut { op }, amount);
        cx.out.push(Event::CreditCashedOut {
            account: self.id,
            op,
            amount,
        });
        Ok(())
    }
}
