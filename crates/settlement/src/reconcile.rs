//! The daily reconciliation: the totals that must tie out, each compared to the fen, and every
//! difference reported as a [`Break`]. The caller gathers the figures (the settlement store,
//! the customer ledger's read models); this module only says what must equal what.

use money::Amount;

/// Figures through one business day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    /// Captures and refunds as the consumer read them from the journal.
    pub facts_captured: Amount,
    pub facts_refunded: Amount,
    /// The same, as the settled days sum them.
    pub settled_captured: Amount,
    pub settled_refunded: Amount,
    pub fees: Amount,
    pub subsidies: Amount,
    /// Payouts made, less those failed or returned.
    pub paid_out: Amount,
    /// The merchants' balances (negative: owed by the merchant) and receivables (the part of a
    /// negative balance moved out of `merchant_payable`). `merchant_payable` over both ledgers
    /// is then −(payable + receivable).
    pub payable: Amount,
    pub receivable: Amount,
    /// `merchant_payable` in the customer ledger (debit positive: −(captured − refunded)).
    pub customer_merchant_payable: Amount,
    /// `merchant_payable` in the settlement ledger.
    pub settlement_merchant_payable: Amount,
    /// Every ledger account's debits and credits, both ledgers together.
    pub debits: Amount,
    pub credits: Amount,
}

/// A tie that did not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Break {
    /// A stable name: `captured`, `refunded`, `settlement_identity`, `customer_payable`,
    /// `payable_account`, `trial_balance`.
    pub check: &'static str,
    pub expected: Amount,
    pub actual: Amount,
}

impl Break {
    pub fn difference(&self) -> Amount {
        self.actual - self.expected
    }
}

/// Every check (see [`Break::check`]); an empty list is a clean day.
pub fn reconcile(f: &Figures) -> Vec<Break> {
    let net = f.settled_captured - f.settled_refunded - f.fees - f.subsidies;
    let checks = [
        ("captured", f.facts_captured, f.settled_captured),
        ("refunded", f.facts_refunded, f.settled_refunded),
        ("settlement_identity", net, f.paid_out + f.payable),
        (
            "customer_payable",
            -(f.facts_captured - f.facts_refunded),
            f.customer_merchant_payable,
        ),
        (
            "payable_account",
            -(f.payable + f.receivable),
            f.customer_merchant_payable + f.settlement_merchant_payable,
        ),
        ("trial_balance", f.debits, f.credits),
    ];
    checks
        .into_iter()
        .filter(|(_, expected, actual)| expected != actual)
        .map(|(check, expected, actual)| Break {
            check,
            expected,
            actual,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fen(v: i64) -> Amount {
        Amount::from_fen(v)
    }

    /// A day that ties out (10,000 captured, 1,000 refunded, 60 fees, 8,000 paid, 940 owed),
    /// then the same day with one fen missing from the settled captures.
    #[test]
    fn a_clean_day_has_no_break_and_an_injected_one_is_named_to_the_fen() {
        let clean = Figures {
            facts_captured: fen(10_000),
            facts_refunded: fen(1_000),
            settled_captured: fen(10_000),
            settled_refunded: fen(1_000),
            fees: fen(60),
            subsidies: Amount::ZERO,
            paid_out: fen(8_000),
            payable: fen(940),
            receivable: Amount::ZERO,
            customer_merchant_payable: fen(-9_000),
            settlement_merchant_payable: fen(8_060),
            debits: fen(50_000),
            credits: fen(50_000),
        };
        assert_eq!(reconcile(&clean), vec![]);
        let broken = Figures {
            settled_captured: fen(9_999),
            ..clean
        };
        let breaks = reconcile(&broken);
        let named: Vec<(&str, i64)> = breaks.iter().map(|b| (b.check, b.difference().fen())).collect();
        assert_eq!(named, [("captured", -1), ("settlement_identity", 1)]);
    }
}
