//! The passage of days: what happens at the end of each business day, in order.
//!
//! Accounts are brought up to date lazily (before any command touches them) or by the
//! scheduler's `Advance`; both run the same per-day steps, so the result does not depend on
//! when an account is looked at. At the end of day `d`:
//! 1. open holds whose last capture day is `d` expire;
//! 2. if `d` is the billing day, the statement closes (its revolving interest covers the days
//!    from the previous statement date up to, not including, `d`); on a charged-off account
//!    this is all that happens (statements keep closing while something is owed);
//! 3. the day's revolving-interest base (unpaid revolving principal at the end of the day) and
//!    penalty (on the day's unpaid minimum, penalties excluded) are recorded;
//! 4. if `d` is the latest statement's due date: its unmet minimum becomes past due, and if the
//!    statement is not paid in full, its unpaid principal starts to revolve, with interest
//!    from the statement date (the days already passed are added to the cycle's base);
//! 5. looking at day `d + 1`: pending grace penalties are charged once the DPD passes the grace
//!    days, the account is charged off at the charge-off DPD, and the bucket is updated.

use money::Amount;

use crate::account::{Account, Cycle};
use crate::calendar::Day;
use crate::config::Product;
use crate::delinquency::Bucket;
use crate::dues::{Due, DueKind, Origin};
use crate::event::Event;
use crate::hold::HoldState;
use crate::ledger::{EntryBuilder, EntryKind, LedgerAccount};
use crate::plan::PlanStatus;
use crate::statement::{Line, LineKind};

/// Closed holds are forgotten this many days after their last capture day.
const CLOSED_HOLD_RETENTION_DAYS: i32 = 30;

impl Account {
    /// Brings the account to `today`, running the end of every day in between.
    pub(crate) fn advance_to(&mut self, today: Day, product: &Product, out: &mut Vec<Event>) {
        while self.day < today {
            let day = self.day;
            self.end_of_day(day, product, out);
            self.day = day.next();
        }
    }

    fn end_of_day(&mut self, day: Day, product: &Product, out: &mut Vec<Event>) {
        self.expire_holds(day, out);
        if self.is_charged_off() && !product.statements_after_charge_off {
            return;
        }
        if day == self.next_statement {
            self.close_statement(day, product, out);
        }
        if self.is_charged_off() {
            return;
        }
        self.record_day(day, product);
        if self.latest_statement().is_some_and(|s| s.due_date == day) {
            self.on_due_date(day);
        }
        let tomorrow = day.next();
        self.commit_grace_penalty(tomorrow, product);
        if self.delinquency.dpd(tomorrow) >= u32::from(product.charge_off_dpd) {
            self.charge_off(tomorrow, product, out);
        }
        self.refresh_bucket(tomorrow, product, out);
    }

    fn expire_holds(&mut self, day: Day, out: &mut Vec<Event>) {
        for hold in self.holds.iter_mut().filter(|h| h.is_open() && h.expires_on <= day) {
            hold.state = HoldState::Expired;
            self.held -= hold.amount;
            out.push(Event::HoldExpired {
                account: self.id,
                txn: hold.txn,
                released: hold.amount,
            });
        }
        self.holds
            .retain(|h| h.is_open() || day.since(h.expires_on) <= CLOSED_HOLD_RETENTION_DAYS);
    }

    /// Step 3: the day's interest base and penalty.
    fn record_day(&mut self, day: Day, product: &Product) {
        let base = self.dues.sum(|d| d.kind == DueKind::Principal && d.revolving);
        debug_assert_eq!(self.cycle.interest_base.len(), day.since(self.cycle.start) as usize);
        self.cycle.interest_base.push(base);

        let dpd = self.delinquency.dpd(day);
        if dpd == 0 {
            return;
        }
        let due_passed = self.due_passed_seq;
        let past_due_penalties = self.dues.sum(|d| d.kind == DueKind::Penalty && d.stmt <= due_passed);
        let base = self
            .delinquency
            .past_due_total()
            .saturating_sub_to_zero(past_due_penalties);
        let penalty = base.mul_rate(product.penalty_daily_rate);
        if dpd <= u32::from(product.grace_days) && !self.delinquency.past_grace {
            self.delinquency.penalty_pending += penalty;
        } else {
            self.delinquency.penalty_accrued += penalty;
        }
    }

    /// Step 4, at the end of the latest statement's due date.
    fn on_due_date(&mut self, day: Day) {
        self.delinquency.on_due_date(day);
        self.due_passed_seq = self.last_seq;
        if self.dues.is_empty() {
            return; // Paid in full: the interest-free period holds.
        }
        let last_index = day.since(self.cycle.start) as usize;
        let last_seq = self.last_seq;
        for due in self
            .dues
            .iter_mut()
            .filter(|d| d.kind == DueKind::Principal && !d.revolving)
        {
            // Only the latest statement's principal can be new to revolving: earlier statements'
            // unpaid principal started at their own due dates. Its statement date is the
            // cycle's first day.
            debug_assert_eq!(due.stmt, last_seq, "non-revolving principal from an older statement");
            due.revolving = true;
            for base in &mut self.cycle.interest_base[..=last_index] {
                *base += due.unpaid;
            }
        }
    }

    /// Step 5: penalties of grace days are charged once the minimum is still unpaid after them.
    fn commit_grace_penalty(&mut self, tomorrow: Day, product: &Product) {
        let dq = &mut self.delinquency;
        if !dq.past_grace && dq.dpd(tomorrow) > u32::from(product.grace_days) {
            dq.penalty_accrued += dq.penalty_pending;
            dq.penalty_pending = Amount::ZERO;
            dq.past_grace = true;
        }
    }

    /// Reports a bucket change as of `day`.
    pub(crate) fn refresh_bucket(&mut self, day: Day, product: &Product, out: &mut Vec<Event>) {
        let dpd = self.delinquency.dpd(day);
        let bucket = Bucket::of(dpd, product.grace_days, self.is_charged_off());
        if bucket != self.delinquency.bucket {
            out.push(Event::BucketChanged {
                account: self.id,
                on: day,
                dpd,
                from: self.delinquency.bucket,
                to: bucket,
            });
            self.delinquency.bucket = bucket;
        }
    }

    /// The revolving interest accrued in the running cycle (rounded per day).
    pub(crate) fn cycle_interest(&self, product: &Product) -> Amount {
        self.cycle
            .interest_base
            .iter()
            .map(|b| b.mul_rate(product.interest_daily_rate))
            .sum()
    }

    /// Charge-off at the charge-off DPD: accrued interest and penalties are billed, unbilled
    /// principal is accelerated (future plan fees are not charged), open holds are voided, and
    /// every receivable moves to charge-off loss. Collections continue on the dues; repayments
    /// from now on are recoveries. What it billed is on the next statement's lines (interest,
    /// penalty, each accelerated purchase and plan), which closes on the billing day as usual.
    fn charge_off(&mut self, on: Day, product: &Product, out: &mut Vec<Event>) {
        let seq = self.last_seq + 1;
        let interest = self.cycle_interest(product);
        let penalty = self.delinquency.penalty_accrued + self.delinquency.penalty_pending;
        self.delinquency.penalty_accrued = Amount::ZERO;
        self.delinquency.penalty_pending = Amount::ZERO;
        let charge = |kind, unpaid| Due {
            stmt: seq,
            kind,
            origin: Origin::Account,
            order_at: jiff::Timestamp::MIN,
            unpaid,
            revolving: false,
        };
        self.dues.push(charge(DueKind::Interest, interest));
        self.dues.push(charge(DueKind::Penalty, penalty));
        self.add_line(on, LineKind::RevolvingInterest, interest);
        self.add_line(on, LineKind::Penalty, penalty);
        let mut accrual = EntryBuilder::new(EntryKind::ChargeOff);
        accrual
            .debit(LedgerAccount::InterestReceivable, interest)
            .credit(LedgerAccount::InterestIncome, interest)
            .debit(LedgerAccount::PenaltyReceivable, penalty)
            .credit(LedgerAccount::PenaltyIncome, penalty);
        self.post(accrual.build(), out);

        for purchase in self.purchases.iter_mut().filter(|p| p.unbilled.is_positive()) {
            let origin = Origin::Purchase { txn: purchase.txn };
            self.dues.push(Due {
                origin,
                order_at: purchase.captured_at,
                ..charge(DueKind::Principal, purchase.unbilled)
            });
            let kind = LineKind::Purchase {
                txn: purchase.txn,
                merchant: purchase.merchant,
            };
            self.cycle.lines.push(Line {
                on,
                kind,
                amount: purchase.unbilled,
            });
            purchase.unbilled = Amount::ZERO;
        }
        for plan in self.plans.iter_mut().filter(|p| p.is_active()) {
            let origin = Origin::PlanPeriod {
                plan: plan.id,
                n: plan.billed + 1,
            };
            let principal = plan.unbilled_principal();
            self.dues.push(Due {
                origin,
                order_at: plan.created_at,
                ..charge(DueKind::Principal, principal)
            });
            if principal.is_positive() {
                self.cycle.lines.push(Line {
                    on,
                    kind: LineKind::PlanAccelerated { plan: plan.id },
                    amount: principal,
                });
            }
            plan.end(PlanStatus::Closed);
        }
        for hold in self.holds.iter_mut().filter(|h| h.is_open()) {
            hold.state = HoldState::Voided;
            self.held -= hold.amount;
            out.push(Event::Voided {
                account: self.id,
                txn: hold.txn,
                released: hold.amount,
            });
        }

        let mut write_off = EntryBuilder::new(EntryKind::ChargeOff);
        let mut total = Amount::ZERO;
        for kind in DueKind::WATERFALL {
            let owed = self.dues.sum_kind(kind);
            debug_assert_eq!(owed, self.ledger.get(Account::receivable(kind)), "{kind:?} receivable");
            write_off.credit(Account::receivable(kind), owed);
            total += owed;
        }
        write_off.debit(LedgerAccount::ChargeOffLoss, total);
        self.post(write_off.build(), out);

        self.charged_off_on = Some(on);
        self.due_passed_seq = seq;
        self.cycle = Cycle {
            start: on,
            interest_base: Vec::new(),
            lines: std::mem::take(&mut self.cycle.lines),
        };
        out.push(Event::ChargedOff {
            account: self.id,
            on,
            amount: total,
        });
    }
}
