//! [`Statement`]: what a cycle's close shows, its lines, and the minimum repayment rule.
//!
//! A statement adds up on its face: previous balance - payments - credits + purchases + plan
//! principal + fees + interest + penalties = new balance, exactly (checked by
//! `invariants::check_face` on every statement). Every line's amount is what it did to the
//! statement's balance (what is billed and unpaid), and the totals are sums of the lines
//! ([`Face::of`]). Activity that does not move that balance is shown on memo lines
//! ([`LineKind::on_face`] is false): the part of a refund that took principal not yet billed
//! (a pay-later purchase is then billed net, a plan's future periods are lower), the part of
//! a payment that paid principal not yet billed (an early payoff) or was kept as credit
//! balance, fees given back as credit balance, and credit balance paid out. Credit balance
//! that pays billed amounts is a credit (`credit_applied`), when it is used.

use money::{Amount, Rate};
use serde::{Deserialize, Serialize};

use crate::calendar::Day;
use crate::dues::{DueKind, Dues, Origin};
use crate::ids::{MerchantId, OpId, PlanId, TxnId};

/// One line of a statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub on: Day,
    pub kind: LineKind,
    /// Charges are positive, payments and credits negative.
    pub amount: Amount,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// A pay-later purchase billed on this statement.
    Purchase {
        txn: TxnId,
        merchant: MerchantId,
    },
    PlanPrincipal {
        plan: PlanId,
        n: u32,
        of: u32,
    },
    PlanFee {
        plan: PlanId,
        n: u32,
    },
    PlanInterest {
        plan: PlanId,
        n: u32,
    },
    RevolvingInterest,
    Penalty,
    Payment {
        op: OpId,
    },
    Refund {
        txn: TxnId,
        op: OpId,
    },
    /// Fees and plan interest waived by a full refund.
    FeeWaiver {
        txn: TxnId,
    },
    /// Principal moved into a bill installment plan.
    BillInstallment {
        plan: PlanId,
    },
    /// Credit balance paid out to the customer.
    CreditCashOut {
        op: OpId,
    },
    /// Credit balance used to pay what was billed (at close, or when a refund or a
    /// restatement left credit balance beside billed amounts).
    CreditApplied,
    /// A plan's unbilled principal billed at once by a charge-off.
    PlanAccelerated {
        plan: PlanId,
    },
    /// Memo: the part of a payment that paid principal not yet billed and the plan costs an
    /// early payoff charges.
    PaymentUnbilled {
        op: OpId,
    },
    /// Memo: the part of a payment kept as credit balance.
    PaymentToCredit {
        op: OpId,
    },
    /// Memo: the part of a refund that took principal not yet billed.
    RefundUnbilled {
        txn: TxnId,
        op: OpId,
    },
    /// Memo: the part of a refund kept as credit balance.
    RefundToCredit {
        txn: TxnId,
        op: OpId,
    },
    /// Memo: fees and plan interest already paid, given back as credit balance by a full refund.
    FeeWaiverToCredit {
        txn: TxnId,
    },
}

impl LineKind {
    /// Whether the line moves the statement's balance; a memo line does not.
    pub fn on_face(&self) -> bool {
        !matches!(
            self,
            LineKind::CreditCashOut { .. }
                | LineKind::PaymentUnbilled { .. }
                | LineKind::PaymentToCredit { .. }
                | LineKind::RefundUnbilled { .. }
                | LineKind::RefundToCredit { .. }
                | LineKind::FeeWaiverToCredit { .. }
        )
    }
}

/// A statement's totals, summed from its lines (charges positive, payments and credits as
/// positive amounts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Face {
    pub new_purchases: Amount,
    pub plan_principal: Amount,
    pub plan_fees: Amount,
    pub plan_interest: Amount,
    pub interest: Amount,
    pub penalties: Amount,
    pub payments: Amount,
    /// Refunds of billed principal, fees waived, principal moved into a bill installment
    /// plan and credit balance applied.
    pub credits: Amount,
    /// The part of `credits` that is credit balance applied.
    pub credit_applied: Amount,
}

impl Face {
    pub fn of(lines: &[Line]) -> Face {
        let mut face = Face::default();
        for line in lines {
            let (amount, paid) = (line.amount, -line.amount);
            match line.kind {
                LineKind::Purchase { .. } => face.new_purchases += amount,
                LineKind::PlanPrincipal { .. } | LineKind::PlanAccelerated { .. } => face.plan_principal += amount,
                LineKind::PlanFee { .. } => face.plan_fees += amount,
                LineKind::PlanInterest { .. } => face.plan_interest += amount,
                LineKind::RevolvingInterest => face.interest += amount,
                LineKind::Penalty => face.penalties += amount,
                LineKind::Payment { .. } => face.payments += paid,
                LineKind::Refund { .. } | LineKind::FeeWaiver { .. } | LineKind::BillInstallment { .. } => {
                    face.credits += paid;
                }
                LineKind::CreditApplied => {
                    face.credits += paid;
                    face.credit_applied += paid;
                }
                LineKind::CreditCashOut { .. }
                | LineKind::PaymentUnbilled { .. }
                | LineKind::PaymentToCredit { .. }
                | LineKind::RefundUnbilled { .. }
                | LineKind::RefundToCredit { .. }
                | LineKind::FeeWaiverToCredit { .. } => {}
            }
        }
        face
    }

    /// Everything charged: purchases, plan principal, fees, interest and penalties.
    pub fn charges(&self) -> Amount {
        self.new_purchases + self.plan_principal + self.plan_fees + self.plan_interest + self.interest + self.penalties
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    pub seq: u32,
    pub date: Day,
    pub due_date: Day,
    /// The previous statement's closing balance.
    pub previous_balance: Amount,
    /// What was billed and unpaid when the close began: the previous balance less the cycle's
    /// payments and credits, plus what a charge-off billed during the cycle.
    pub carried: Amount,
    /// Pay-later principal billed.
    pub new_purchases: Amount,
    pub plan_principal: Amount,
    pub plan_fees: Amount,
    pub plan_interest: Amount,
    /// Revolving interest charged for the cycle.
    pub interest: Amount,
    pub penalties: Amount,
    /// Repayments during the cycle, as far as they paid billed amounts (the rest is on memo
    /// lines).
    pub payments: Amount,
    /// Credits during the cycle and at close: refunds of billed principal, fees waived,
    /// principal moved into a bill installment plan, credit balance applied.
    pub credits: Amount,
    /// The part of `credits` that is credit balance applied (during the cycle and at close).
    pub credit_applied: Amount,
    /// What the customer owes on this statement.
    pub balance: Amount,
    /// The minimum repayment, due by `due_date` (on a charged-off account: the whole balance).
    pub minimum: Amount,
    /// Set when the statement was converted to installments.
    pub installed: Option<PlanId>,
    pub lines: Vec<Line>,
}

/// The minimum repayment of statement `seq` over the current dues (DESIGN.md section 3):
/// past due + 10% of the principal that is neither past due nor a plan period billed on this
/// statement (carried and new pay-later principal), rounded half-up + every plan period billed
/// on this statement + the fees, interest and penalties charged on it; never more than the
/// balance. Amounts are what is still unpaid, so a credit balance applied at close, and
/// payments made before a bill installment recomputes it, count.
///
/// The past-due total is taken to consist, in waterfall order, of the older statements'
/// penalties, interest and fees first, then principal; what remains of it is past-due principal.
pub fn minimum(dues: &Dues, seq: u32, past_due: Amount, principal_rate: Rate) -> Amount {
    let older_charges = dues.sum(|d| d.stmt < seq && d.kind != DueKind::Principal);
    let past_due_principal = past_due.saturating_sub_to_zero(older_charges);
    let this_plan = |origin: &Origin, stmt: u32| stmt == seq && matches!(origin, Origin::PlanPeriod { .. });
    let revolving_principal = dues.sum(|d| d.kind == DueKind::Principal && !this_plan(&d.origin, d.stmt));
    let share_base = revolving_principal.saturating_sub_to_zero(past_due_principal);
    let plan_periods = dues.sum(|d| this_plan(&d.origin, d.stmt));
    let charges = dues.sum(|d| d.stmt == seq && d.kind != DueKind::Principal && !this_plan(&d.origin, d.stmt));
    let minimum = past_due + share_base.mul_rate(principal_rate) + plan_periods + charges;
    minimum.min(dues.total())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dues::Due;
    use jiff::Timestamp;

    fn due(stmt: u32, kind: DueKind, origin: Origin, fen: i64) -> Due {
        Due {
            stmt,
            kind,
            origin,
            order_at: Timestamp::UNIX_EPOCH,
            unpaid: Amount::from_fen(fen),
            revolving: false,
        }
    }

    const TEN_PERCENT: Rate = Rate::from_ppm(100_000);

    #[test]
    fn minimum_table() {
        let plan = Origin::PlanPeriod { plan: PlanId(9), n: 1 };
        let purchase = Origin::Purchase { txn: TxnId(1) };
        // (dues, seq, past due, expected minimum)
        let table: Vec<(Vec<Due>, u32, i64, i64)> = vec![
            // New pay-later principal only: 10%.
            (vec![due(1, DueKind::Principal, purchase, 100_000)], 1, 0, 10_000),
            // 10% rounds half-up: 10.05 -> 1.005 -> 1.01.
            (vec![due(1, DueKind::Principal, purchase, 1_005)], 1, 0, 101),
            // A plan period billed here counts whole, with its fee.
            (
                vec![due(1, DueKind::Principal, plan, 8_333), due(1, DueKind::Fee, plan, 500)],
                1,
                0,
                8_833,
            ),
            // Interest and penalties charged here count whole.
            (
                vec![
                    due(2, DueKind::Principal, purchase, 50_000),
                    due(2, DueKind::Interest, Origin::Account, 1_200),
                    due(2, DueKind::Penalty, Origin::Account, 300),
                ],
                2,
                0,
                6_500,
            ),
            // Past due 3,000 of which 1,000 is an old penalty: 2,000 past-due principal is not
            // in the 10% base (carried 20,000 - 2,000 = 18,000 -> 1,800).
            (
                vec![
                    due(1, DueKind::Penalty, Origin::Account, 1_000),
                    due(1, DueKind::Principal, purchase, 20_000),
                ],
                2,
                3_000,
                4_800,
            ),
            // Never more than the balance.
            (vec![due(1, DueKind::Principal, purchase, 1)], 1, 0, 0),
            (vec![due(1, DueKind::Fee, plan, 7)], 2, 50, 7),
        ];
        for (i, (list, seq, past_due, want)) in table.into_iter().enumerate() {
            let mut dues = Dues::default();
            for d in list {
                dues.push(d);
            }
            let got = minimum(&dues, seq, Amount::from_fen(past_due), TEN_PERCENT);
            assert_eq!(got.fen(), want, "case {i}");
        }
    }
}
