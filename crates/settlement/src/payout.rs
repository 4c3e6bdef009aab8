//! A merchant payout's states: `pending` → `paid` or `failed`, `paid` → `returned`; each
//! change with its entry. A change to the state a payout already has is a no-op (a provider's
//! answer repeated), any other change a [`PayoutRejection`]. A failed or returned payout puts
//! its amount back in the merchant's balance (the caller adds it), to be paid by a later run.

use money::Amount;

use crate::ledger::{Entry, EntryKind, SettlementAccount};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PayoutStatus {
    Pending,
    Paid,
    Failed,
    Returned,
}

impl PayoutStatus {
    pub const ALL: [PayoutStatus; 4] = [
        PayoutStatus::Pending,
        PayoutStatus::Paid,
        PayoutStatus::Failed,
        PayoutStatus::Returned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PayoutStatus::Pending => "pending",
            PayoutStatus::Paid => "paid",
            PayoutStatus::Failed => "failed",
            PayoutStatus::Returned => "returned",
        }
    }

    pub fn parse(text: &str) -> Option<PayoutStatus> {
        PayoutStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Why a payout cannot change as asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PayoutRejection {
    /// `paid`/`failed` → anything else, `returned` → anything, `pending` → `returned`.
    #[error("payout_transition_not_allowed")]
    TransitionNotAllowed,
}

impl PayoutRejection {
    pub fn code(self) -> &'static str {
        "payout_transition_not_allowed"
    }
}

/// What a change does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Already in that state: nothing to do.
    Unchanged,
    /// Post `entry`; `back_to_balance` is owed to the merchant again.
    Moved { entry: Entry, back_to_balance: Amount },
}

/// The change of a payout of `amount` from `from` to `to`.
pub fn transition(from: PayoutStatus, to: PayoutStatus, amount: Amount) -> Result<Change, PayoutRejection> {
    use PayoutStatus::*;
    use SettlementAccount::*;
    let (kind, debit, credit, back) = match (from, to) {
        _ if from == to => return Ok(Change::Unchanged),
        (Pending, Paid) => (EntryKind::PayoutPaid, PayoutClearing, Cash, Amount::ZERO),
        (Pending, Failed) => (EntryKind::PayoutFailed, PayoutClearing, MerchantPayable, amount),
        (Paid, Returned) => (EntryKind::PayoutReturned, Cash, MerchantPayable, amount),
        _ => return Err(PayoutRejection::TransitionNotAllowed),
    };
    Ok(Change::Moved {
        entry: Entry::transfer(kind, debit, credit, amount),
        back_to_balance: back,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use PayoutStatus::*;

    #[test]
    fn every_transition_by_table() {
        let a = Amount::from_fen(500);
        let allowed = [(Pending, Paid, 0), (Pending, Failed, 500), (Paid, Returned, 500)];
        for from in PayoutStatus::ALL {
            for to in PayoutStatus::ALL {
                let got = transition(from, to, a);
                match allowed.iter().find(|(f, t, _)| (*f, *t) == (from, to)) {
                    Some((_, _, back)) => match got.unwrap() {
                        Change::Moved { entry, back_to_balance } => {
                            assert!(entry.is_balanced());
                            assert_eq!(back_to_balance.fen(), *back, "{from:?} -> {to:?}");
                        }
                        Change::Unchanged => panic!("{from:?} -> {to:?} should move"),
                    },
                    None if from == to => assert_eq!(got, Ok(Change::Unchanged)),
                    None => assert_eq!(got, Err(PayoutRejection::TransitionNotAllowed), "{from:?} -> {to:?}"),
                }
            }
        }
    }
}
