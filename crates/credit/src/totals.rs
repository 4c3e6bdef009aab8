//! [`Totals`]: what an account keeps of its whole life beyond the statements it keeps, so that
//! its figures stay complete once the oldest statements are dropped
//! (`Product::statements_kept`): the cost lines of every dropped statement per calendar year,
//! the plans a dropped statement's charge-off accelerated, and what confirmed thefts'
//! exemptions waived and credited.
//!
//! It is the last field of the account (`Account::totals`) (partition snapshot format 4). An account restored from
//! an older snapshot (`credit::legacy`) counts from what it still held then, and says so:
//! [`Totals::costs_from`] is its oldest statement kept then, and [`Waived::incomplete`] is set
//! if an exemption was made before.

use std::collections::BTreeMap;

use money::Amount;
use serde::{Deserialize, Serialize};

use crate::costs::{YearCosts, add_cost};
use crate::ids::PlanId;
use crate::ledger::{Entry, LedgerAccount};
use crate::statement::{LineKind, Statement};

/// An account's running totals (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// The first statement whose cost lines are counted: 1 for an account opened since
    /// snapshot format 4 (and for one restored from an older snapshot before any statement was
    /// dropped); otherwise the oldest statement that snapshot kept.
    pub costs_from: u32,
    /// The cost and waiver lines of the statements dropped so far, per calendar year of each
    /// line's day, oldest year first.
    pub dropped_years: Vec<YearCosts>,
    /// Plans whose unbilled principal a charge-off billed at once, by the `PlanAccelerated`
    /// lines of dropped statements.
    pub dropped_accelerated: Vec<PlanId>,
    /// What confirmed thefts' exemptions waived and credited, summed over them.
    pub waived: Waived,
}

/// What fraud exemptions moved besides the fraud loss (which the ledger keeps), summed: the
/// income each exemption's entry reversed and the payments it turned into credit balance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waived {
    /// Exemptions counted.
    pub exemptions: u32,
    /// Installment fees reversed.
    pub fees: Amount,
    /// Plan and revolving interest reversed.
    pub interest: Amount,
    /// Penalties reversed.
    pub penalties: Amount,
    /// Payments the restated account no longer needed, given back as credit balance (or paying
    /// what was still owed).
    pub credited: Amount,
    /// Some exemption is not counted: the account was restored from a snapshot older than
    /// format 4 that already had one.
    pub incomplete: bool,
}

impl Waived {
    /// What one exemption's ledger entry moved: a reversed income is a debit (positive), credit
    /// balance given is a credit (negative). `None` if a sum overflows.
    pub fn of_entry(entry: &Entry) -> Option<Waived> {
        let mut waived = Waived {
            exemptions: 1,
            ..Waived::default()
        };
        for posting in &entry.postings {
            let (slot, amount) = match posting.account {
                LedgerAccount::FeeIncome => (&mut waived.fees, posting.amount),
                LedgerAccount::InterestIncome => (&mut waived.interest, posting.amount),
                LedgerAccount::PenaltyIncome => (&mut waived.penalties, posting.amount),
                LedgerAccount::CustomerCredit => (&mut waived.credited, Amount::ZERO.checked_sub(posting.amount).ok()?),
                _ => continue,
            };
            *slot = slot.checked_add(amount).ok()?;
        }
        Some(waived)
    }

    /// The two sums, exact (`None` on overflow).
    pub fn checked_add(self, other: Waived) -> Option<Waived> {
        Some(Waived {
            exemptions: self.exemptions.checked_add(other.exemptions)?,
            fees: self.fees.checked_add(other.fees).ok()?,
            interest: self.interest.checked_add(other.interest).ok()?,
            penalties: self.penalties.checked_add(other.penalties).ok()?,
            credited: self.credited.checked_add(other.credited).ok()?,
            incomplete: self.incomplete || other.incomplete,
        })
    }
}

impl Totals {
    /// The totals of a new account: everything counted from its first statement.
    pub fn new() -> Totals {
        Totals {
            costs_from: 1,
            ..Totals::default()
        }
    }

    /// Keeps what the figures need of a statement about to be dropped.
    pub(crate) fn drop_statement(&mut self, statement: &Statement) {
        let mut years: BTreeMap<i32, YearCosts> = self.dropped_years.iter().map(|y| (y.year, *y)).collect();
        for line in &statement.lines {
            add_cost(&mut years, line);
            if let LineKind::PlanAccelerated { plan } = line.kind
                && !self.dropped_accelerated.contains(&plan)
            {
                self.dropped_accelerated.push(plan);
            }
        }
        self.dropped_years = years.into_values().collect();
    }
}

#[cfg(test)]
mod tests;
