//! Statement close at the end of the billing day.
//!
//! In order: unbilled pay-later purchases are billed; every active plan bills its next period
//! (principal, fee, interest); the cycle's revolving interest and accrued penalties are
//! charged; a credit balance pays what was just billed; then the balance and the minimum are
//! fixed and the next cycle starts. A cycle with nothing to show (no balance, no activity)
//! produces no statement. The totals are the sums of the lines ([`statement::Face`]).
//!
//! A charged-off account keeps getting a statement every cycle while it owes something (or
//! had activity): a periodic statement of what is owed, as a regulator expects. Nothing is
//! billed at its close (accrual stopped at charge-off; the first such statement shows what the
//! charge-off billed: accrued interest and penalties, accelerated principal), the whole
//! balance is its minimum, and its delinquency is left as the charge-off left it.

use jiff::Timestamp;
use money::Amount;

use crate::account::{Account, Cycle};
use crate::calendar::Day;
use crate::config::Product;
use crate::dues::{Due, DueKind, Origin};
use crate::event::Event;
use crate::ledger::{EntryBuilder, EntryKind, LedgerAccount};
use crate::plan::PlanStatus;
use crate::statement::{self, Face, Line, LineKind, Statement};

/// What the close billed, for the statement's totals.
#[derive(Debug, Default)]
struct Billed {
    new_purchases: Amount,
    plan_principal: Amount,
    plan_fees: Amount,
    plan_interest: Amount,
    interest: Amount,
    penalties: Amount,
}

impl Billed {
    fn total(&self) -> Amount {
        self.new_purchases + self.plan_principal + self.plan_fees + self.plan_interest + self.interest + self.penalties
    }
}

impl Account {
    pub(crate) fn close_statement(&mut self, date: Day, product: &Product, out: &mut Vec<Event>) {
        let seq = self.last_seq + 1;
        let carried = self.dues.total();
        let mut lines = std::mem::take(&mut self.cycle.lines);
        let mut billed = Billed::default();
        if !self.is_charged_off() {
            self.bill_purchases(seq, date, &mut billed, &mut lines);
            self.bill_plan_periods(seq, date, &mut billed, &mut lines, out);
            self.bill_interest_and_penalties(seq, date, product, &mut billed, &mut lines, out);
        }
        let credit_applied = self.settle_with_credit(out).billed();
        if credit_applied.is_positive() {
            lines.push(Line {
                on: date,
                kind: LineKind::CreditApplied,
                amount: -credit_applied,
            });
        }

        let nothing_to_show = carried.is_zero() && billed.total().is_zero() && lines.is_empty();
        if !nothing_to_show {
            let balance = self.dues.total();
            let minimum = if self.is_charged_off() {
                balance
            } else {
                let past_due = self.delinquency.past_due_total();
                let minimum = statement::minimum(&self.dues, seq, past_due, product.minimum_principal_rate);
                self.delinquency.latest_unpaid = minimum.saturating_sub_to_zero(past_due);
                minimum
            };
            let face = Face::of(&lines);
            let statement = Statement {
                seq,
                date,
                due_date: date.add(i32::from(product.due_days)),
                previous_balance: self.statements.back().map_or(Amount::ZERO, |s| s.balance),
                carried,
                new_purchases: face.new_purchases,
                plan_principal: face.plan_principal,
                plan_fees: face.plan_fees,
                plan_interest: face.plan_interest,
                interest: face.interest,
                penalties: face.penalties,
                payments: face.payments,
                credits: face.credits,
                credit_applied: face.credit_applied,
                balance,
                minimum,
                installed: None,
                lines,
            };
            out.push(Event::StatementClosed {
                account: self.id,
                seq,
                date,
                due_date: statement.due_date,
                balance,
                minimum,
            });
            self.last_seq = seq;
            self.statements.push_back(statement);
            while self.statements.len() > usize::from(product.statements_kept) {
                if let Some(dropped) = self.statements.pop_front() {
                    self.totals.drop_statement(&dropped);
                }
            }
        }
        self.cycle = Cycle {
            start: date,
            interest_base: Vec::new(),
            lines: Vec::new(),
        };
        self.next_statement = date.next().next_billing_day(self.billing_day);
        self.forget_settled(date, product);
    }

    fn bill_purchases(&mut self, seq: u32, date: Day, billed: &mut Billed, lines: &mut Vec<Line>) {
        for purchase in self.purchases.iter_mut().filter(|p| p.unbilled.is_positive()) {
            let amount = purchase.unbilled;
            purchase.unbilled = Amount::ZERO;
            self.dues.push(Due {
                stmt: seq,
                kind: DueKind::Principal,
                origin: Origin::Purchase { txn: purchase.txn },
                order_at: purchase.captured_at,
                unpaid: amount,
                revolving: false,
            });
            let kind = LineKind::Purchase {
                txn: purchase.txn,
                merchant: purchase.merchant,
            };
            lines.push(Line {
                on: purchase.captured_on.min(date),
                kind,
                amount,
            });
            billed.new_purchases += amount;
        }
    }

    fn bill_plan_periods(
        &mut self,
        seq: u32,
        date: Day,
        billed: &mut Billed,
        lines: &mut Vec<Line>,
        out: &mut Vec<Event>,
    ) {
        for plan in self.plans.iter_mut().filter(|p| p.is_active() && p.created_on <= date) {
            let period = plan.periods[plan.billed as usize];
            plan.billed += 1;
            if plan.billed as usize == plan.periods.len() {
                plan.status = PlanStatus::FullyBilled;
            }
            let origin = Origin::PlanPeriod {
                plan: plan.id,
                n: period.n,
            };
            let due = |kind, unpaid| Due {
                stmt: seq,
                kind,
                origin,
                order_at: plan.created_at,
                unpaid,
                revolving: false,
            };
            self.dues.push(due(DueKind::Principal, period.principal));
            self.dues.push(due(DueKind::Fee, period.fee));
            self.dues.push(due(DueKind::Interest, period.interest));
            let of = plan.terms.periods;
            let mut line = |kind, amount: Amount| {
                if amount.is_positive() {
                    lines.push(Line { on: date, kind, amount });
                }
            };
            line(
                LineKind::PlanPrincipal {
                    plan: plan.id,
                    n: period.n,
                    of,
                },
                period.principal,
            );
            line(
                LineKind::PlanFee {
                    plan: plan.id,
                    n: period.n,
                },
                period.fee,
            );
            line(
                LineKind::PlanInterest {
                    plan: plan.id,
                    n: period.n,
                },
                period.interest,
            );
            billed.plan_principal += period.principal;
            billed.plan_fees += period.fee;
            billed.plan_interest += period.interest;
            if let crate::plan::PlanSource::Purchase { txn } = plan.source
                && let Some(purchase) = self.purchases.iter_mut().find(|p| p.txn == txn)
            {
                purchase.fees_billed += period.fee;
                purchase.interest_billed += period.interest;
            }
        }
        let mut fees = EntryBuilder::new(EntryKind::PlanFee);
        fees.debit(LedgerAccount::FeeReceivable, billed.plan_fees)
            .credit(LedgerAccount::FeeIncome, billed.plan_fees);
        self.post(fees.build(), out);
        let mut interest = EntryBuilder::new(EntryKind::PlanInterest);
        interest
            .debit(LedgerAccount::InterestReceivable, billed.plan_interest)
            .credit(LedgerAccount::InterestIncome, billed.plan_interest);
        self.post(interest.build(), out);
    }

    fn bill_interest_and_penalties(
        &mut self,
        seq: u32,
        date: Day,
        product: &Product,
        billed: &mut Billed,
        lines: &mut Vec<Line>,
        out: &mut Vec<Event>,
    ) {
        let interest = self.cycle_interest(product);
        let penalties = std::mem::take(&mut self.delinquency.penalty_accrued);
        for (kind, amount, line) in [
            (DueKind::Interest, interest, LineKind::RevolvingInterest),
            (DueKind::Penalty, penalties, LineKind::Penalty),
        ] {
            if amount.is_zero() {
                continue;
            }
            self.dues.push(Due {
                stmt: seq,
                kind,
                origin: Origin::Account,
                order_at: Timestamp::MIN,
                unpaid: amount,
                revolving: false,
            });
            lines.push(Line {
                on: date,
                kind: line,
                amount,
            });
            let entry_kind = if kind == DueKind::Interest {
                EntryKind::RevolvingInterest
            } else {
                EntryKind::Penalty
            };
            let mut entry = EntryBuilder::new(entry_kind);
            entry
                .debit(Account::receivable(kind), amount)
                .credit(Account::income(kind), amount);
            self.post(entry.build(), out);
        }
        billed.interest = interest;
        billed.penalties = penalties;
    }

    /// Forgets purchases and plans that are settled and older than the retention period.
    fn forget_settled(&mut self, date: Day, product: &Product) {
        let retention = i32::from(product.purchase_retention_days);
        let dues = &self.dues;
        let plans = &self.plans;
        let owes = |txn: crate::ids::TxnId, plan: Option<crate::ids::PlanId>| {
            dues.iter().any(|d| match d.origin {
                Origin::Purchase { txn: t } => t == txn,
                Origin::PlanPeriod { plan: p, .. } => Some(p) == plan,
                Origin::Account => false,
            }) || plan.is_some_and(|id| plans.iter().any(|p| p.id == id && p.is_active()))
        };
        let forget: Vec<_> = self
            .purchases
            .iter()
            .filter(|p| p.unbilled.is_zero() && date.since(p.captured_on) > retention && !owes(p.txn, p.plan))
            .map(|p| (p.txn, p.plan))
            .collect();
        self.purchases.retain(|p| !forget.iter().any(|(txn, _)| *txn == p.txn));
        let dues = &self.dues;
        self.plans.retain(|plan| {
            let settled = !plan.is_active()
                && !dues
                    .iter()
                    .any(|d| matches!(d.origin, Origin::PlanPeriod { plan: p, .. } if p == plan.id));
            !(settled && date.since(plan.created_on) > retention)
        });
    }
}
