//! The merchant-side chart of accounts and its entries (ACCOUNTING.md lists both sides).
//!
//! Amounts are signed as in `credit::ledger`: a debit is positive, a credit negative, and every
//! [`Entry`] sums to zero. `merchant_payable` is the same account the customer ledger credits
//! at a capture and debits at a refund: the trial balance adds both ledgers, so the union's
//! `merchant_payable` is what the lender still owes merchants.

use money::Amount;

/// The settlement ledger's accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SettlementAccount {
    /// What the lender owes merchants (liability; shared with the customer ledger).
    MerchantPayable,
    /// Merchant discount and fixed fees kept (income).
    MerchantFeeIncome,
    /// Merchants' shares of subsidized campaigns' plan fees (income).
    CampaignSubsidyIncome,
    /// Payouts sent and not yet confirmed paid (liability).
    PayoutClearing,
    /// The lender's bank account (asset; the customer ledger's `cash` is the same account).
    Cash,
    /// A merchant's negative balance past its limit: money the merchant owes (asset).
    MerchantReceivable,
}

impl SettlementAccount {
    pub const ALL: [SettlementAccount; 6] = [
        SettlementAccount::MerchantPayable,
        SettlementAccount::MerchantFeeIncome,
        SettlementAccount::CampaignSubsidyIncome,
        SettlementAccount::PayoutClearing,
        SettlementAccount::Cash,
        SettlementAccount::MerchantReceivable,
    ];

    /// The stable name (`merchant_payable` and `cash` are the customer ledger's names too).
    pub fn as_str(self) -> &'static str {
        match self {
            SettlementAccount::MerchantPayable => "merchant_payable",
            SettlementAccount::MerchantFeeIncome => "merchant_fee_income",
            SettlementAccount::CampaignSubsidyIncome => "campaign_subsidy_income",
            SettlementAccount::PayoutClearing => "payout_clearing",
            SettlementAccount::Cash => "cash",
            SettlementAccount::MerchantReceivable => "merchant_receivable",
        }
    }

    pub fn parse(text: &str) -> Option<SettlementAccount> {
        SettlementAccount::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// Why an entry was posted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// The day's fees: payable to fee income.
    Fee,
    /// The day's campaign subsidies: payable to subsidy income.
    Subsidy,
    /// A payout sent: payable to clearing.
    Payout,
    /// A payout confirmed: clearing to cash.
    PayoutPaid,
    /// A payout failed before it left: clearing back to payable.
    PayoutFailed,
    /// A paid payout came back: cash back, owed to the merchant again.
    PayoutReturned,
    /// The change of the merchant's receivable (a negative delta releases it).
    Receivable,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Fee => "fee",
            EntryKind::Subsidy => "subsidy",
            EntryKind::Payout => "payout",
            EntryKind::PayoutPaid => "payout_paid",
            EntryKind::PayoutFailed => "payout_failed",
            EntryKind::PayoutReturned => "payout_returned",
            EntryKind::Receivable => "receivable",
        }
    }
}

/// One leg of an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Posting {
    pub account: SettlementAccount,
    /// Debit positive, credit negative.
    pub amount: Amount,
}

/// A balanced entry: two legs of opposite sign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub kind: EntryKind,
    pub postings: [Posting; 2],
}

impl Entry {
    /// Debits `debit` and credits `credit` by `amount` (a negative amount reverses the sides).
    pub fn transfer(kind: EntryKind, debit: SettlementAccount, credit: SettlementAccount, amount: Amount) -> Entry {
        Entry {
            kind,
            postings: [
                Posting { account: debit, amount },
                Posting {
                    account: credit,
                    amount: -amount,
                },
            ],
        }
    }

    /// Whether its legs sum to zero (always, by construction; checked by tests and auditors).
    pub fn is_balanced(&self) -> bool {
        self.postings.iter().map(|p| p.amount).sum::<Amount>().is_zero()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_entries_balance() {
        for account in SettlementAccount::ALL {
            assert_eq!(SettlementAccount::parse(account.as_str()), Some(account));
        }
        let e = Entry::transfer(
            EntryKind::Fee,
            SettlementAccount::MerchantPayable,
            SettlementAccount::MerchantFeeIncome,
            Amount::from_fen(-5),
        );
        assert!(e.is_balanced());
        assert_eq!(e.postings[1].amount.fen(), 5);
    }
}
