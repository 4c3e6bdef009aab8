//! Days past due, delinquency buckets and the unpaid minimums they are measured from.
//!
//! DPD is the number of days since the due date of the oldest statement whose minimum is not
//! fully paid (DPD 1 is the day after that due date). Each statement whose minimum was not met
//! by its due date leaves a [`PastDue`] entry holding the part of its minimum that was new on
//! that statement (the earlier past due it included is already in older entries); payments
//! and credits reduce the entries oldest first.

use std::collections::VecDeque;

use money::Amount;
use serde::{Deserialize, Serialize};

use crate::calendar::Day;

/// Delinquency buckets of DESIGN.md section 3.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Bucket {
    /// Nothing past due.
    #[default]
    Current,
    /// DPD 1 to the grace days (3): no penalty if paid by then.
    Grace,
    /// DPD 4-30.
    M1,
    /// DPD 31-60.
    M2,
    /// DPD 61-90.
    M3,
    /// DPD 91-179.
    #[serde(rename = "M3+")]
    M3Plus,
    /// DPD 180 and beyond: written off.
    ChargedOff,
}

impl Bucket {
    pub fn of(dpd: u32, grace_days: u16, charged_off: bool) -> Bucket {
        match dpd {
            _ if charged_off => Bucket::ChargedOff,
            0 => Bucket::Current,
            d if d <= u32::from(grace_days) => Bucket::Grace,
            4..=30 => Bucket::M1,
            31..=60 => Bucket::M2,
            61..=90 => Bucket::M3,
            _ => Bucket::M3Plus,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Current => "current",
            Bucket::Grace => "grace",
            Bucket::M1 => "M1",
            Bucket::M2 => "M2",
            Bucket::M3 => "M3",
            Bucket::M3Plus => "M3+",
            Bucket::ChargedOff => "charged_off",
        }
    }
}

/// The unmet part of one statement's own minimum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastDue {
    pub due_date: Day,
    pub amount: Amount,
}

/// Unpaid minimums and the penalty state that follows them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delinquency {
    /// Unmet minimums of statements whose due date has passed, oldest first.
    pub past_due: VecDeque<PastDue>,
    /// The unmet part of the latest statement's own minimum, before its due date.
    pub latest_unpaid: Amount,
    /// Penalties of grace days, charged only if the minimum is still unpaid after grace.
    pub penalty_pending: Amount,
    /// Set once the current delinquency has outlived its grace days.
    pub past_grace: bool,
    /// Penalties accrued and not yet on a statement.
    pub penalty_accrued: Amount,
    /// The bucket last reported.
    pub bucket: Bucket,
}

impl Delinquency {
    pub fn past_due_total(&self) -> Amount {
        self.past_due.iter().map(|p| p.amount).sum()
    }

    /// The unpaid minimum: past due plus what is left of the latest statement's own minimum.
    pub fn minimum_unpaid(&self) -> Amount {
        self.past_due_total() + self.latest_unpaid
    }

    /// Days past due on `day` (0 if nothing is past due).
    pub fn dpd(&self, day: Day) -> u32 {
        self.past_due
            .front()
            .map_or(0, |p| u32::try_from(day.since(p.due_date)).unwrap_or(0))
    }

    /// Counts a payment or credit toward the minimum: past due oldest first, then the latest
    /// statement's minimum. Clearing the past due ends the delinquency and its pending penalty.
    pub fn count_payment(&mut self, amount: Amount) {
        let mut left = amount;
        while let Some(front) = self.past_due.front_mut() {
            if left.is_zero() {
                break;
            }
            let take = left.min(front.amount);
            front.amount -= take;
            left -= take;
            if front.amount.is_zero() {
                self.past_due.pop_front();
            }
        }
        let take = left.min(self.latest_unpaid);
        self.latest_unpaid -= take;
        if self.past_due.is_empty() {
            self.penalty_pending = Amount::ZERO;
            self.past_grace = false;
        }
    }

    /// At the end of the latest statement's due date: its unmet minimum becomes past due.
    pub fn on_due_date(&mut self, due_date: Day) {
        if self.latest_unpaid.is_positive() {
            self.past_due.push_back(PastDue {
                due_date,
                amount: self.latest_unpaid,
            });
            self.latest_unpaid = Amount::ZERO;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_follow_dpd() {
        let table = [
            (0, Bucket::Current),
            (1, Bucket::Grace),
            (3, Bucket::Grace),
            (4, Bucket::M1),
            (30, Bucket::M1),
            (31, Bucket::M2),
            (60, Bucket::M2),
            (61, Bucket::M3),
            (90, Bucket::M3),
            (91, Bucket::M3Plus),
            (179, Bucket::M3Plus),
        ];
        for (dpd, bucket) in table {
            assert_eq!(Bucket::of(dpd, 3, false), bucket, "dpd {dpd}");
        }
        assert_eq!(Bucket::of(200, 3, true), Bucket::ChargedOff);
    }

    #[test]
    fn payments_clear_the_oldest_minimum_first() {
        let d1 = Day::ymd(2026, 1, 14);
        let d2 = Day::ymd(2026, 2, 14);
        let mut dq = Delinquency {
            latest_unpaid: Amount::from_fen(100),
            ..Default::default()
        };
        dq.on_due_date(d1);
        dq.latest_unpaid = Amount::from_fen(50);
        dq.on_due_date(d2);
        assert_eq!(dq.dpd(Day::ymd(2026, 2, 20)), 37);
        dq.count_payment(Amount::from_fen(100));
        assert_eq!(dq.dpd(Day::ymd(2026, 2, 20)), 6);
        dq.count_payment(Amount::from_fen(60));
        assert_eq!(dq.dpd(Day::ymd(2026, 2, 20)), 0);
        assert_eq!(dq.minimum_unpaid(), Amount::ZERO);
    }
}
