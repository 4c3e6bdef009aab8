//! Authorization holds and their ends: capture (which makes a purchase, and a plan when
//! installments were chosen), void, and expiry (in `days.rs`).

use money::Amount;
use money::schedule::{Schedule, Terms};

use crate::account::{Account, Ctx};
use crate::command::PlanChoice;
use crate::config::Product;
use crate::event::Event;
use crate::hold::{Hold, HoldState};
use crate::ids::{MerchantId, PlanId, TxnId};
use crate::ledger::{Entry, EntryKind, LedgerAccount};
use crate::plan::{Plan, PlanSource, PlanStatus};
use crate::purchase::Purchase;
use crate::reject::Rejection;

/// The schedule terms of a plan choice for `principal`: the explicit (campaign) rate, or the
/// product's default for the term.
pub(crate) fn plan_terms(choice: &PlanChoice, principal: Amount, product: &Product) -> Result<Terms, Rejection> {
    let rate = match choice.rate {
        Some(rate) => rate,
        None => product
            .default_rate(choice.periods, choice.method)
            .ok_or(Rejection::TermNotOffered)?,
    };
    Ok(Terms {
        method: choice.method,
        principal,
        periods: choice.periods,
        rate,
    })
}

impl Account {
    fn knows_txn(&self, txn: TxnId) -> bool {
        self.hold(txn).is_some() || self.purchase(txn).is_some() || self.exempt.contains(&txn)
    }

    pub(crate) fn authorize(
        &mut self,
        txn: TxnId,
        merchant: MerchantId,
        amount: Amount,
        plan: Option<PlanChoice>,
        cx: &mut Ctx<'_>,
    ) -> Result<(), Rejection> {
        if self.knows_txn(txn) {
            return Err(Rejection::TxnExists);
        }
        if self.is_charged_off() {
            return Err(Rejection::AccountChargedOff);
        }
        if self.frozen.is_some() {
            return Err(Rejection::AccountFrozen);
        }
        if self.holds.iter().filter(|h| h.is_open()).count() >= usize::from(cx.product.holds_max) {
            return Err(Rejection::TooManyHolds);
        }
        let available = self.available_on(cx.today);
        if amount > available {
            return Err(Rejection::InsufficientAvailableCredit { available });
        }
        let expires_on = cx.today.add(i32::from(cx.product.hold_days));
        self.holds.push(Hold {
            txn,
            merchant,
            amount,
            placed_at: cx.at,
            expires_on,
            plan,
            state: HoldState::Open,
        });
        self.held += amount;
        cx.out.push(Event::Authorized {
            account: self.id,
            txn,
            merchant,
            amount,
            expires_on,
            available: available - amount,
        });
        Ok(())
    }

    /// The open hold `txn`, or why it cannot be captured or voided.
    fn open_hold(&self, txn: TxnId) -> Result<usize, Rejection> {
        if self.exempt.contains(&txn) {
            return Err(Rejection::TxnExempt);
        }
        let Some(index) = self.holds.iter().position(|h| h.txn == txn) else {
            return Err(if self.purchase(txn).is_some() {
                Rejection::HoldAlreadyCaptured
            } else {
                Rejection::TxnNotFound
            });
        };
        match self.holds[index].state {
            HoldState::Open => Ok(index),
            HoldState::Captured => Err(Rejection::HoldAlreadyCaptured),
            HoldState::Voided => Err(Rejection::HoldAlreadyVoided),
            HoldState::Expired => Err(Rejection::HoldExpired),
        }
    }

    pub(crate) fn capture(&mut self, txn: TxnId, amount: Amount, cx: &mut Ctx<'_>) -> Result<(), Rejection> {
        let index = self.open_hold(txn)?;
        let hold = &self.holds[index];
        if amount > hold.amount {
            return Err(Rejection::AmountExceedsHold { held: hold.amount });
        }
        let plan = match &hold.plan {
            Some(choice) => {
                let terms = plan_terms(choice, amount, cx.product)?;
                let schedule = Schedule::build(terms).map_err(|_| Rejection::TermNotOffered)?;
                Some(Plan {
                    id: PlanId::from(txn),
                    source: PlanSource::Purchase { txn },
                    terms,
                    created_on: cx.today,
                    created_at: cx.at,
                    periods: schedule.periods,
                    billed: 0,
                    status: PlanStatus::Active,
                })
            }
            None => None,
        };
        let hold = &mut self.holds[index];
        hold.state = HoldState::Captured;
        let released = hold.amount - amount;
        self.held -= hold.amount;
        self.purchases.push(Purchase {
            txn,
            merchant: hold.merchant,
            captured_at: cx.at,
            captured_on: cx.today,
            amount,
            refunded: Amount::ZERO,
            unbilled: if plan.is_some() { Amount::ZERO } else { amount },
            plan: plan.as_ref().map(|p| p.id),
            fees_billed: Amount::ZERO,
            interest_billed: Amount::ZERO,
        });
        let plan_id = plan.as_ref().map(|p| p.id);
        self.plans.extend(plan);
        let entry = Entry::transfer(
            EntryKind::Capture,
            LedgerAccount::PrincipalReceivable,
            LedgerAccount::MerchantPayable,
            amount,
        );
        self.post(Some(entry), cx.out);
        cx.out.push(Event::Captured {
            account: self.id,
            txn,
            amount,
            released,
            plan: plan_id,
        });
        Ok(())
    }

    pub(crate) fn void(&mut self, txn: TxnId, cx: &mut Ctx<'_>) -> Result<(), Rejection> {
        let index = self.open_hold(txn)?;
        let hold = &mut self.holds[index];
        hold.state = HoldState::Voided;
        let released = hold.amount;
        self.held -= released;
        cx.out.push(Event::Voided {
            account: self.id,
            txn,
            released,
        });
        Ok(())
    }
}
