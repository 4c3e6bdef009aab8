//! Refunds against a captured purchase (DESIGN.md section 3): first the purchase's unbilled
//! principal (a plan's future periods, last first; a period refunded to zero loses its fee
//! and interest), then its billed unpaid principal (newest period first), then the rest is a
//! credit to the account that pays its billed dues through the waterfall and is otherwise kept
//! as credit balance. Credits against billed amounts count toward the minimum like payments.
//! Once the whole purchase is refunded every fee and plan interest it was billed is waived:
//! unpaid ones are cancelled, paid ones come back as credit.
//!
//! On the statement (see `statement`): the refund of billed principal and the unpaid fees
//! cancelled are credits; the unbilled part, what was kept as credit balance and the paid fees
//! given back are memo lines; credit balance then used on billed dues is `CreditApplied`.

use money::Amount;

use crate::account::{Account, Ctx};
use crate::dues::{DueKind, Origin};
use crate::event::{Event, RefundSplit};
use crate::ids::{OpId, TxnId};
use crate::ledger::{EntryBuilder, EntryKind, LedgerAccount};
use crate::plan::PlanStatus;
use crate::reject::Rejection;
use crate::statement::LineKind;

impl Account {
    pub(crate) fn refund(&mut self, txn: TxnId, op: OpId, amount: Amount, cx: &mut Ctx<'_>) -> Result<(), Rejection> {
        if self.exempt.contains(&txn) {
            return Err(Rejection::TxnExempt);
        }
        let Some(index) = self.purchases.iter().position(|p| p.txn == txn) else {
            return Err(if self.hold(txn).is_some() {
                Rejection::NotCaptured
            } else {
                Rejection::TxnNotFound
            });
        };
        let refundable = self.purchases[index].refundable();
        if amount > refundable {
            return Err(Rejection::RefundExceedsPurchase { refundable });
        }

        let mut split = RefundSplit::default();
        let plan_id = self.purchases[index].plan;
        split.unbilled = self.refund_unbilled(index, amount);
        let belongs = |origin: &Origin| match *origin {
            Origin::Purchase { txn: t } => t == txn,
            Origin::PlanPeriod { plan, .. } => Some(plan) == plan_id,
            Origin::Account => false,
        };
        let billed = self.dues.credit_newest_first(amount - split.unbilled, |d| {
            d.kind == DueKind::Principal && belongs(&d.origin)
        });
        split.billed = billed.principal;
        self.delinquency.count_payment(split.billed);
        let to_account = amount - split.unbilled - split.billed;
        self.credit_balance += to_account;
        self.purchases[index].refunded += amount;

        let mut entry = EntryBuilder::new(EntryKind::Refund);
        entry.debit(LedgerAccount::MerchantPayable, amount);
        if self.is_charged_off() {
            entry.credit(LedgerAccount::Recoveries, split.unbilled + split.billed);
        } else {
            entry.credit(LedgerAccount::PrincipalReceivable, split.unbilled + split.billed);
        }
        entry.credit(LedgerAccount::CustomerCredit, to_account);
        self.post(entry.build(), cx.out);
        self.add_line(cx.today, LineKind::Refund { txn, op }, -split.billed);
        self.add_line(cx.today, LineKind::RefundUnbilled { txn, op }, -split.unbilled);
        self.add_line(cx.today, LineKind::RefundToCredit { txn, op }, -to_account);

        if self.purchases[index].fully_refunded() {
            split.fees_waived = self.waive_purchase_costs(index, cx);
        }
        split.account = self.apply_credit_balance(cx.today, cx.out);
        split.account.credit_balance = self.credit_balance;
        cx.out.push(Event::Refunded {
            account: self.id,
            txn,
            op,
            amount,
            split,
        });
        self.refresh_bucket(cx.today, cx.product, cx.out);
        Ok(())
    }

    /// Step 1: the purchase's unbilled principal. Returns what it took.
    fn refund_unbilled(&mut self, index: usize, amount: Amount) -> Amount {
        let purchase = &mut self.purchases[index];
        let Some(plan_id) = purchase.plan else {
            let take = amount.min(purchase.unbilled);
            purchase.unbilled -= take;
            return take;
        };
        let Some(plan) = self.plans.iter_mut().find(|p| p.id == plan_id && p.is_active()) else {
            return Amount::ZERO;
        };
        let taken = plan.refund_unbilled(amount);
        if plan.nothing_left() {
            plan.end(PlanStatus::Closed);
        }
        taken
    }

    /// Waives every fee and plan interest billed on a fully refunded purchase. Returns the
    /// total waived.
    fn waive_purchase_costs(&mut self, index: usize, cx: &mut Ctx<'_>) -> Amount {
        let purchase = &self.purchases[index];
        let (txn, plan_id) = (purchase.txn, purchase.plan);
        let (fees_billed, interest_billed) = (purchase.fees_billed, purchase.interest_billed);
        if (fees_billed + interest_billed).is_zero() {
            return Amount::ZERO;
        }
        let unpaid = self.dues.remove(|d| {
            matches!(d.origin, Origin::PlanPeriod { plan, .. } if Some(plan) == plan_id)
                && matches!(d.kind, DueKind::Fee | DueKind::Interest)
        });
        let unpaid_costs = unpaid.fee + unpaid.interest;
        self.delinquency.count_payment(unpaid_costs);
        let paid_back = fees_billed + interest_billed - unpaid_costs;
        self.credit_balance += paid_back;
        let purchase = &mut self.purchases[index];
        purchase.fees_billed = Amount::ZERO;
        purchase.interest_billed = Amount::ZERO;

        let mut entry = EntryBuilder::new(EntryKind::FeeWaiver);
        entry
            .debit(LedgerAccount::FeeIncome, fees_billed)
            .debit(LedgerAccount::InterestIncome, interest_billed);
        if self.is_charged_off() {
            // The unpaid ones were written off with the rest: the waiver reverses that loss.
            entry.credit(LedgerAccount::ChargeOffLoss, unpaid_costs);
        } else {
            entry
                .credit(LedgerAccount::FeeReceivable, unpaid.fee)
                .credit(LedgerAccount::InterestReceivable, unpaid.interest);
        }
        entry.credit(LedgerAccount::CustomerCredit, paid_back);
        self.post(entry.build(), cx.out);
        self.add_line(cx.today, LineKind::FeeWaiver { txn }, -unpaid_costs);
        self.add_line(cx.today, LineKind::FeeWaiverToCredit { txn }, -paid_back);
        fees_billed + interest_billed
    }
}
