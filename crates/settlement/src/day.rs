//! One merchant's settlement of one business day: [`settle_day`].
//!
//! The merchant's balance (what the lender owes it, not yet paid out) moves by the day's net,
//! `captured − refunded − fees − subsidies`. What may be paid is the balance less what is held
//! back: the nets of the last `delay_days` days (delayed settlement: with `delay_days = 0` a
//! day's net is paid by that day's run, i.e. T+1; with 2, by the run two days later) and the
//! rolling reserve, `reserve` ppm (rounded half up) of what was captured in the last
//! `reserve_days` days. Nothing is paid while the balance is not positive (a merchant with a
//! negative balance is not paid until it clears), and a refund after a payout simply lowers
//! the balance a later payout comes out of. When the balance after the payout is below
//! `−receivable_limit`, all of the negative balance is the merchant's receivable (an asset);
//! the day posts the receivable's change.

use credit::calendar::Day;
use money::{Amount, Rate};

use crate::ledger::{Entry, EntryKind, SettlementAccount};

/// A merchant's settlement terms (from its risk tier).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Terms {
    /// Days a day's net waits before it may be paid (0: paid by the day's own run).
    pub delay_days: u16,
    /// Rolling reserve, ppm of captures.
    pub reserve: Rate,
    /// How many days of captures the reserve covers (0: no reserve).
    pub reserve_days: u16,
    /// A negative balance beyond this is a receivable.
    pub receivable_limit: Amount,
}

impl Terms {
    /// Standard terms: paid T+1, no reserve, a receivable past 1,000 yuan.
    pub const STANDARD: Terms = Terms {
        delay_days: 0,
        reserve: Rate::ZERO,
        reserve_days: 0,
        receivable_limit: Amount::from_fen(100_000),
    };

    /// How many earlier days' results [`settle_day`] needs.
    pub fn window_days(&self) -> u16 {
        self.delay_days.max(self.reserve_days)
    }
}

/// A day's merchant-side facts, summed (fees per capture, rounded per capture).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Activity {
    pub captures: u64,
    pub captured: Amount,
    pub refunds: u64,
    pub refunded: Amount,
    pub fees: Amount,
    pub subsidies: Amount,
}

impl Activity {
    /// Adds one capture with its fee and subsidy.
    pub fn capture(&mut self, amount: Amount, fee: Amount, subsidy: Amount) {
        self.captures += 1;
        self.captured += amount;
        self.fees += fee;
        self.subsidies += subsidy;
    }

    /// Adds one refund (it returns no fee: see `pricing`).
    pub fn refund(&mut self, amount: Amount) {
        self.refunds += 1;
        self.refunded += amount;
    }

    /// captured − refunded − fees − subsidies.
    pub fn net(&self) -> Amount {
        self.captured - self.refunded - self.fees - self.subsidies
    }
}

/// An earlier day's result that the holds look at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecentDay {
    pub day: Day,
    pub net: Amount,
    pub captured: Amount,
}

/// What the merchant's books say before the day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Carried {
    /// Owed to the merchant and not paid out (negative: the merchant owes).
    pub balance: Amount,
    /// The part of a negative balance booked as receivable.
    pub receivable: Amount,
    /// Earlier days' results (any order; days outside the window are ignored).
    pub recent: Vec<RecentDay>,
}

/// The day's settlement of one merchant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DaySettlement {
    pub day: Day,
    pub activity: Activity,
    pub balance_before: Amount,
    /// Held back by the delay and the reserve.
    pub held: Amount,
    pub payout: Amount,
    pub balance_after: Amount,
    pub receivable: Amount,
    /// Fee, subsidy, payout and receivable entries (zero ones left out).
    pub entries: Vec<Entry>,
}

/// Settles `day` for one merchant (see the module's comment for the rules).
pub fn settle_day(day: Day, terms: &Terms, carried: &Carried, activity: Activity) -> DaySettlement {
    let balance = carried.balance + activity.net();
    let held = held_back(day, terms, &carried.recent, &activity);
    let payout = if balance.is_positive() {
        balance.saturating_sub_to_zero(held)
    } else {
        Amount::ZERO
    };
    let balance_after = balance - payout;
    let receivable = if balance_after < -terms.receivable_limit {
        -balance_after
    } else {
        Amount::ZERO
    };
    let entries = entries(&activity, payout, receivable - carried.receivable);
    DaySettlement {
        day,
        activity,
        balance_before: carried.balance,
        held,
        payout,
        balance_after,
        receivable,
        entries,
    }
}

fn held_back(day: Day, terms: &Terms, recent: &[RecentDay], today: &Activity) -> Amount {
    let within = |days: u16, d: Day| day.since(d) < i32::from(days) && d < day;
    let delayed: Amount = if terms.delay_days == 0 {
        Amount::ZERO
    } else {
        let earlier: Amount = recent
            .iter()
            .filter(|r| within(terms.delay_days, r.day))
            .map(|r| r.net.max(Amount::ZERO))
            .sum();
        earlier + today.net().max(Amount::ZERO)
    };
    let reserve = if terms.reserve_days == 0 {
        Amount::ZERO
    } else {
        let captured: Amount = recent
            .iter()
            .filter(|r| within(terms.reserve_days, r.day))
            .map(|r| r.captured)
            .sum();
        (captured + today.captured).mul_rate(terms.reserve)
    };
    delayed + reserve
}

fn entries(activity: &Activity, payout: Amount, receivable_change: Amount) -> Vec<Entry> {
    use SettlementAccount::*;
    [
        Entry::transfer(EntryKind::Fee, MerchantPayable, MerchantFeeIncome, activity.fees),
        Entry::transfer(
            EntryKind::Subsidy,
            MerchantPayable,
            CampaignSubsidyIncome,
            activity.subsidies,
        ),
        Entry::transfer(EntryKind::Payout, MerchantPayable, PayoutClearing, payout),
        Entry::transfer(
            EntryKind::Receivable,
            MerchantReceivable,
            MerchantPayable,
            receivable_change,
        ),
    ]
    .into_iter()
    .filter(|e| !e.postings[0].amount.is_zero())
    .collect()
}

#[cfg(test)]
mod tests;
