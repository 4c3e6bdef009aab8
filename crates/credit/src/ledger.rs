//! The double-entry ledger: ledger accounts, balanced entries, and per-customer balances.
//!
//! Amounts are signed: a debit is positive, a credit negative, so every entry sums to zero.
//! Each entry belongs to one customer; the book's totals are the sum of its customers'
//! balances, which is how "no money appears or vanishes" is checked.

use money::Amount;
use serde::{Deserialize, Serialize};

/// The ledger accounts of DESIGN.md section 4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerAccount {
    /// Principal the customer owes, billed or not (asset).
    PrincipalReceivable,
    /// Installment fees billed and unpaid (asset).
    FeeReceivable,
    /// Interest billed and unpaid: revolving interest and plan interest (asset).
    InterestReceivable,
    /// Overdue penalties billed and unpaid (asset).
    PenaltyReceivable,
    /// Money the customer has paid beyond what they owe (liability).
    CustomerCredit,
    /// What iou owes merchants for captured purchases, net of refunds (liability).
    MerchantPayable,
    /// Cash and clearing: repayments in, credit balances paid out (asset).
    Cash,
    FeeIncome,
    InterestIncome,
    PenaltyIncome,
    /// Money collected on charged-off debt (income).
    Recoveries,
    /// Principal of confirmed unauthorized transactions (expense).
    FraudLoss,
    /// Receivables written off at charge-off (expense).
    ChargeOffLoss,
}

impl LedgerAccount {
    pub const COUNT: usize = 13;
    pub const ALL: [LedgerAccount; LedgerAccount::COUNT] = [
        LedgerAccount::PrincipalReceivable,
        LedgerAccount::FeeReceivable,
        LedgerAccount::InterestReceivable,
        LedgerAccount::PenaltyReceivable,
        LedgerAccount::CustomerCredit,
        LedgerAccount::MerchantPayable,
        LedgerAccount::Cash,
        LedgerAccount::FeeIncome,
        LedgerAccount::InterestIncome,
        LedgerAccount::PenaltyIncome,
        LedgerAccount::Recoveries,
        LedgerAccount::FraudLoss,
        LedgerAccount::ChargeOffLoss,
    ];

    pub const fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LedgerAccount::PrincipalReceivable => "principal_receivable",
            LedgerAccount::FeeReceivable => "fee_receivable",
            LedgerAccount::InterestReceivable => "interest_receivable",
            LedgerAccount::PenaltyReceivable => "penalty_receivable",
            LedgerAccount::CustomerCredit => "customer_credit",
            LedgerAccount::MerchantPayable => "merchant_payable",
            LedgerAccount::Cash => "cash",
            LedgerAccount::FeeIncome => "fee_income",
            LedgerAccount::InterestIncome => "interest_income",
            LedgerAccount::PenaltyIncome => "penalty_income",
            LedgerAccount::Recoveries => "recoveries",
            LedgerAccount::FraudLoss => "fraud_loss",
            LedgerAccount::ChargeOffLoss => "charge_off_loss",
        }
    }
}

/// Why an entry was posted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Capture,
    Refund,
    Repayment,
    EarlyPayoff,
    CreditCashOut,
    PlanFee,
    PlanInterest,
    RevolvingInterest,
    Penalty,
    CreditApplied,
    FeeWaiver,
    ChargeOff,
    FraudExemption,
}

/// One leg of an entry: a signed amount (debit positive) on a ledger account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    pub account: LedgerAccount,
    pub amount: Amount,
}

/// A balanced set of postings for one customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub kind: EntryKind,
    pub postings: Vec<Posting>,
}

impl Entry {
    /// An entry moving `amount` from `credit` to `debit` (debit `debit`, credit `credit`).
    pub fn transfer(kind: EntryKind, debit: LedgerAccount, credit: LedgerAccount, amount: Amount) -> Entry {
        Entry {
            kind,
            postings: vec![
                Posting { account: debit, amount },
                Posting {
                    account: credit,
                    amount: -amount,
                },
            ],
        }
    }

    pub fn is_balanced(&self) -> bool {
        self.postings.iter().map(|p| p.amount).sum::<Amount>().is_zero()
    }
}

/// Builds an entry leg by leg; zero legs are dropped and equal accounts merged.
#[derive(Debug)]
pub struct EntryBuilder {
    kind: EntryKind,
    postings: Vec<Posting>,
}

impl EntryBuilder {
    pub fn new(kind: EntryKind) -> EntryBuilder {
        EntryBuilder {
            kind,
            postings: Vec::with_capacity(6),
        }
    }

    pub fn debit(&mut self, account: LedgerAccount, amount: Amount) -> &mut Self {
        self.leg(account, amount)
    }

    pub fn credit(&mut self, account: LedgerAccount, amount: Amount) -> &mut Self {
        self.leg(account, -amount)
    }

    fn leg(&mut self, account: LedgerAccount, amount: Amount) -> &mut Self {
        if amount.is_zero() {
            return self;
        }
        match self.postings.iter_mut().find(|p| p.account == account) {
            Some(p) => p.amount += amount,
            None => self.postings.push(Posting { account, amount }),
        }
        self
    }

    /// The entry, or `None` if it moves nothing.
    pub fn build(mut self) -> Option<Entry> {
        self.postings.retain(|p| !p.amount.is_zero());
        if self.postings.is_empty() {
            return None;
        }
        let entry = Entry {
            kind: self.kind,
            postings: self.postings,
        };
        assert!(entry.is_balanced(), "unbalanced ledger entry: {entry:?}");
        Some(entry)
    }
}

/// A customer's (or the book's) balance on every ledger account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balances([Amount; LedgerAccount::COUNT]);

impl Balances {
    pub fn get(&self, account: LedgerAccount) -> Amount {
        self.0[account.index()]
    }

    /// Applies an entry. The entry must balance.
    pub fn post(&mut self, entry: &Entry) {
        assert!(entry.is_balanced(), "unbalanced ledger entry: {entry:?}");
        for p in &entry.postings {
            self.0[p.account.index()] += p.amount;
        }
    }

    pub fn add(&mut self, other: &Balances) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a += *b;
        }
    }

    /// The sum over all ledger accounts: zero for any set of balanced entries.
    pub fn total(&self) -> Amount {
        self.0.iter().sum()
    }

    pub fn iter(&self) -> impl Iterator<Item = (LedgerAccount, Amount)> + '_ {
        LedgerAccount::ALL.into_iter().map(|a| (a, self.get(a)))
    }

    pub fn set(&mut self, account: LedgerAccount, amount: Amount) {
        self.0[account.index()] = amount;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_merges_and_drops_zero_legs() {
        let mut b = EntryBuilder::new(EntryKind::Repayment);
        b.debit(LedgerAccount::Cash, Amount::from_fen(100))
            .credit(LedgerAccount::FeeReceivable, Amount::from_fen(30))
            .credit(LedgerAccount::FeeReceivable, Amount::from_fen(20))
            .credit(LedgerAccount::PenaltyReceivable, Amount::ZERO)
            .credit(LedgerAccount::PrincipalReceivable, Amount::from_fen(50));
        let entry = b.build().unwrap();
        assert_eq!(entry.postings.len(), 3);
        let mut balances = Balances::default();
        balances.post(&entry);
        assert_eq!(balances.get(LedgerAccount::FeeReceivable), Amount::from_fen(-50));
        assert_eq!(balances.total(), Amount::ZERO);
    }

    #[test]
    #[should_panic(expected = "unbalanced")]
    fn refuses_unbalanced_entries() {
        let mut b = EntryBuilder::new(EntryKind::Repayment);
        b.debit(LedgerAccount::Cash, Amount::from_fen(100));
        b.build();
    }

    #[test]
    fn all_is_in_index_order() {
        for (i, a) in LedgerAccount::ALL.iter().enumerate() {
            assert_eq!(a.index(), i);
        }
    }
}
