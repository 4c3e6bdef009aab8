//! Billed amounts ([`Due`]) and the repayment waterfall over them.
//!
//! Every billed, unpaid amount is one due: a purchase's principal billed on a statement, a plan
//! period's principal, fee or interest, or the account's revolving interest or penalty for a
//! cycle. A due remembers the statement that first billed it, so carry-forward is implicit: a
//! due stays until paid, whatever statement the account is on.
//!
//! The waterfall (DESIGN.md section 3): past-due amounts first, then the latest statement;
//! within each, penalties, then interest, then fees, then principal; principal oldest first (by
//! statement, then capture time). "Past-due amounts" are the dues of statements whose due date
//! has passed, up to the past-due total.

use jiff::Timestamp;
use money::Amount;
use serde::{Deserialize, Serialize};

use crate::event::Allocation;
use crate::ids::{PlanId, TxnId};

/// What a due is, in waterfall order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DueKind {
    Penalty,
    Interest,
    Fee,
    Principal,
}

impl DueKind {
    pub const WATERFALL: [DueKind; 4] = [DueKind::Penalty, DueKind::Interest, DueKind::Fee, DueKind::Principal];
}

/// Where a due comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Revolving interest or penalty of the account.
    Account,
    /// A pay-later purchase's principal.
    Purchase { txn: TxnId },
    /// A plan period's principal, fee or interest.
    PlanPeriod { plan: PlanId, n: u32 },
}

/// A billed, unpaid amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    /// Sequence number of the statement that first billed it.
    pub stmt: u32,
    pub kind: DueKind,
    pub origin: Origin,
    /// Orders principal within a statement: the purchase's capture time (a bill installment
    /// plan's creation time).
    pub order_at: Timestamp,
    pub unpaid: Amount,
    /// Principal of a statement not paid in full by its due date: accrues revolving interest.
    pub revolving: bool,
}

/// The billed dues of an account, kept in (statement, capture time) order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dues(Vec<Due>);

impl Dues {
    pub fn iter(&self) -> impl Iterator<Item = &Due> {
        self.0.iter()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Due> {
        self.0.iter_mut()
    }

    /// Adds a due, keeping the order stable for equal keys.
    pub fn push(&mut self, due: Due) {
        if due.unpaid.is_zero() {
            return;
        }
        let at = self
            .0
            .partition_point(|d| (d.stmt, d.order_at) <= (due.stmt, due.order_at));
        self.0.insert(at, due);
    }

    /// Forgets dues that are fully paid.
    pub fn drop_paid(&mut self) {
        self.0.retain(|d| d.unpaid.is_positive());
    }

    pub fn total(&self) -> Amount {
        self.0.iter().map(|d| d.unpaid).sum()
    }

    pub fn sum(&self, mut filter: impl FnMut(&Due) -> bool) -> Amount {
        self.0.iter().filter(|d| filter(d)).map(|d| d.unpaid).sum()
    }

    pub fn sum_kind(&self, kind: DueKind) -> Amount {
        self.sum(|d| d.kind == kind)
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|d| d.unpaid.is_zero())
    }

    /// Pays up to `amount` through the waterfall: first the dues of statements up to
    /// `past_due_stmt` capped at `past_due`, then every due. Returns how it was spread; the
    /// caller keeps `amount - allocation.billed()`.
    pub fn pay(&mut self, amount: Amount, past_due: Amount, past_due_stmt: u32) -> Allocation {
        let mut allocation = Allocation::default();
        let first = amount.min(past_due);
        let mut left = amount - first;
        let unspent = self.pay_tier(first, &mut allocation, |d| d.stmt <= past_due_stmt);
        left += unspent;
        self.pay_tier(left, &mut allocation, |_| true);
        self.drop_paid();
        allocation
    }

    fn pay_tier(&mut self, mut amount: Amount, allocation: &mut Allocation, tier: impl Fn(&Due) -> bool) -> Amount {
        for kind in DueKind::WATERFALL {
            for due in self.0.iter_mut().filter(|d| d.kind == kind && tier(d)) {
                if amount.is_zero() {
                    return amount;
                }
                let paid = amount.min(due.unpaid);
                due.unpaid -= paid;
                amount -= paid;
                *allocation_slot(allocation, kind) += paid;
            }
        }
        amount
    }

    /// Reduces the dues matching `filter`, newest first, by up to `amount`; returns how much
    /// was taken from each kind.
    pub fn credit_newest_first(&mut self, amount: Amount, filter: impl Fn(&Due) -> bool) -> Allocation {
        let mut allocation = Allocation::default();
        let mut left = amount;
        for due in self.0.iter_mut().rev().filter(|d| filter(d)) {
            if left.is_zero() {
                break;
            }
            let take = left.min(due.unpaid);
            due.unpaid -= take;
            left -= take;
            *allocation_slot(&mut allocation, due.kind) += take;
        }
        self.drop_paid();
        allocation
    }

    /// Removes every due matching `filter` and returns what they held, by kind.
    pub fn remove(&mut self, filter: impl Fn(&Due) -> bool) -> Allocation {
        let mut allocation = Allocation::default();
        for due in self.0.iter().filter(|d| filter(d)) {
            *allocation_slot(&mut allocation, due.kind) += due.unpaid;
        }
        self.0.retain(|d| !filter(d));
        allocation
    }
}

fn allocation_slot(allocation: &mut Allocation, kind: DueKind) -> &mut Amount {
    match kind {
        DueKind::Penalty => &mut allocation.penalty,
        DueKind::Interest => &mut allocation.interest,
        DueKind::Fee => &mut allocation.fee,
        DueKind::Principal => &mut allocation.principal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn due(stmt: u32, kind: DueKind, fen: i64, at_s: i64) -> Due {
        Due {
            stmt,
            kind,
            origin: Origin::Account,
            order_at: Timestamp::from_second(at_s).unwrap(),
            unpaid: Amount::from_fen(fen),
            revolving: false,
        }
    }

    fn unpaid(dues: &Dues) -> Vec<(u32, DueKind, i64)> {
        dues.iter().map(|d| (d.stmt, d.kind, d.unpaid.fen())).collect()
    }

    #[test]
    fn pays_past_due_first_then_by_kind_then_oldest_principal() {
        let mut dues = Dues::default();
        dues.push(due(1, DueKind::Principal, 500, 10));
        dues.push(due(1, DueKind::Penalty, 20, 0));
        dues.push(due(2, DueKind::Fee, 30, 5));
        dues.push(due(2, DueKind::Principal, 400, 20));
        dues.push(due(2, DueKind::Principal, 300, 15));
        // Past due 100 on statement 1: its penalty (20) then its principal (80).
        // Then the rest (150): statement 2's fee (30), then principal oldest first:
        // statement 1's principal (420 left) takes 120.
        let allocation = dues.pay(Amount::from_fen(250), Amount::from_fen(100), 1);
        assert_eq!(allocation.penalty.fen(), 20);
        assert_eq!(allocation.fee.fen(), 30);
        assert_eq!(allocation.principal.fen(), 200);
        assert_eq!(
            unpaid(&dues),
            vec![
                (1, DueKind::Principal, 300),
                (2, DueKind::Principal, 300),
                (2, DueKind::Principal, 400)
            ]
        );
    }

    #[test]
    fn overpayment_is_left_to_the_caller() {
        let mut dues = Dues::default();
        dues.push(due(1, DueKind::Principal, 100, 1));
        let allocation = dues.pay(Amount::from_fen(150), Amount::ZERO, 0);
        assert_eq!(allocation.billed().fen(), 100);
        assert!(dues.is_empty());
    }

    #[test]
    fn principal_orders_by_statement_then_capture_time() {
        let mut dues = Dues::default();
        dues.push(due(2, DueKind::Principal, 100, 1));
        dues.push(due(1, DueKind::Principal, 100, 50));
        dues.push(due(1, DueKind::Principal, 100, 40));
        let order: Vec<_> = dues.iter().map(|d| (d.stmt, d.order_at.as_second())).collect();
        assert_eq!(order, vec![(1, 40), (1, 50), (2, 1)]);
    }
}
