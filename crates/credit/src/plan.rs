//! [`Plan`]: an installment plan's amended schedule and how much of it is billed.

use jiff::Timestamp;
use money::Amount;
use money::schedule::{Period, Terms};
use serde::{Deserialize, Serialize};

use crate::calendar::Day;
use crate::ids::{PlanId, TxnId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanSource {
    /// Chosen at purchase.
    Purchase { txn: TxnId },
    /// A statement converted by bill installment.
    Statement { seq: u32 },
    /// A delinquent balance re-aged by a hardship plan (`hardship.rs`). Appended last: the
    /// snapshot's encoding of the earlier variants is unchanged.
    Hardship,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// Periods remain to be billed.
    Active,
    /// Every period has been billed.
    FullyBilled,
    /// Paid off early.
    PaidOff,
    /// Refunded to nothing, or accelerated at charge-off.
    Closed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub id: PlanId,
    pub source: PlanSource,
    /// The terms it was created with (the schedule's first version).
    pub terms: Terms,
    pub created_on: Day,
    pub created_at: Timestamp,
    /// The schedule as amended by refunds: a refund lowers future principal, last period first.
    pub periods: Vec<Period>,
    /// How many periods have been billed.
    pub billed: u32,
    pub status: PlanStatus,
}

impl Plan {
    pub fn is_active(&self) -> bool {
        self.status == PlanStatus::Active
    }

    fn unbilled(&self) -> &[Period] {
        &self.periods[self.billed as usize..]
    }

    pub fn unbilled_principal(&self) -> Amount {
        self.unbilled().iter().map(|p| p.principal).sum()
    }

    /// Fees and interest of the periods not yet billed.
    pub fn unbilled_costs(&self) -> Amount {
        self.unbilled().iter().map(|p| p.cost()).sum()
    }

    /// Takes up to `amount` off the unbilled principal, last period first. A period whose
    /// principal reaches zero loses its fee and interest. Returns the principal taken.
    pub fn refund_unbilled(&mut self, amount: Amount) -> Amount {
        let mut left = amount;
        let billed = self.billed as usize;
        for period in self.periods[billed..].iter_mut().rev() {
            if left.is_zero() {
                break;
            }
            let take = left.min(period.principal);
            period.principal -= take;
            left -= take;
            if period.principal.is_zero() {
                period.fee = Amount::ZERO;
                period.interest = Amount::ZERO;
            }
        }
        amount - left
    }

    /// Drops every unbilled period (payoff, charge-off, full refund) and closes the plan.
    pub fn end(&mut self, status: PlanStatus) {
        self.periods.truncate(self.billed as usize);
        self.status = status;
    }

    /// True when nothing is left to bill.
    pub fn nothing_left(&self) -> bool {
        self.unbilled().iter().all(|p| p.payment().is_zero())
    }
}
