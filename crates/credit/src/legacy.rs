//! The account as partition snapshots before format 4 encoded it (no [`Totals`]), for reading
//! them: postcard is not self-describing, so an older snapshot decodes through this frozen
//! copy of the fields it held, then becomes an [`Account`] with the totals it can have.
//!
//! What an older snapshot cannot say is marked, never guessed: its costs per year count from
//! its oldest statement kept ([`Totals::costs_from`]; 1 if none was dropped yet), and its
//! exemptions' waived sums start at zero, marked incomplete if it had an exemption.

use std::collections::VecDeque;

use jiff::Timestamp;
use money::Amount;
use serde::{Deserialize, Serialize};

use crate::account::{Account, Cycle, TemporaryLimit};
use crate::book::BookState;
use crate::calendar::Day;
use crate::command::FreezeReason;
use crate::delinquency::Delinquency;
use crate::dues::Dues;
use crate::hold::Hold;
use crate::ids::{AccountId, TxnId};
use crate::ledger::Balances;
use crate::plan::Plan;
use crate::purchase::Purchase;
use crate::statement::Statement;
use crate::totals::{Totals, Waived};

/// [`Account`] before format 4: the same fields in the same order, without `totals`. It
/// serializes too, so that tests can write what an older engine wrote.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccountV1 {
    id: AccountId,
    opened_on: Day,
    billing_day: u8,
    limit: Amount,
    temporary_limit: Option<TemporaryLimit>,
    frozen: Option<FreezeReason>,
    charged_off_on: Option<Day>,
    day: Day,
    next_statement: Day,
    holds: Vec<Hold>,
    held: Amount,
    purchases: Vec<Purchase>,
    plans: Vec<Plan>,
    dues: Dues,
    credit_balance: Amount,
    cycle: Cycle,
    statements: VecDeque<Statement>,
    last_seq: u32,
    due_passed_seq: u32,
    delinquency: Delinquency,
    ledger: Balances,
    exempt: Vec<TxnId>,
}

/// [`BookState`] before format 4.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BookStateV1 {
    accounts: Vec<AccountV1>,
    last_at: Option<Timestamp>,
}

impl From<AccountV1> for Account {
    fn from(old: AccountV1) -> Account {
        let costs_from = old.statements.front().map_or(old.last_seq + 1, |s| s.seq);
        let totals = Totals {
            costs_from,
            waived: Waived {
                incomplete: !old.exempt.is_empty(),
                ..Waived::default()
            },
            ..Totals::new()
        };
        Account {
            id: old.id,
            opened_on: old.opened_on,
            billing_day: old.billing_day,
            limit: old.limit,
            temporary_limit: old.temporary_limit,
            frozen: old.frozen,
            charged_off_on: old.charged_off_on,
            day: old.day,
            next_statement: old.next_statement,
            holds: old.holds,
            held: old.held,
            purchases: old.purchases,
            plans: old.plans,
            dues: old.dues,
            credit_balance: old.credit_balance,
            cycle: old.cycle,
            statements: old.statements,
            last_seq: old.last_seq,
            due_passed_seq: old.due_passed_seq,
            delinquency: old.delinquency,
            ledger: old.ledger,
            exempt: old.exempt,
            totals,
        }
    }
}

impl From<BookStateV1> for BookState {
    fn from(old: BookStateV1) -> BookState {
        BookState {
            accounts: old.accounts.into_iter().map(Account::from).collect(),
            last_at: old.last_at,
        }
    }
}

impl From<&Account> for AccountV1 {
    /// What an engine before format 4 kept of `a` (for tests that write an older snapshot).
    fn from(a: &Account) -> AccountV1 {
        AccountV1 {
            id: a.id,
            opened_on: a.opened_on,
            billing_day: a.billing_day,
            limit: a.limit,
            temporary_limit: a.temporary_limit,
            frozen: a.frozen,
            charged_off_on: a.charged_off_on,
            day: a.day,
            next_statement: a.next_statement,
            holds: a.holds.clone(),
            held: a.held,
            purchases: a.purchases.clone(),
            plans: a.plans.clone(),
            dues: a.dues.clone(),
            credit_balance: a.credit_balance,
            cycle: a.cycle.clone(),
            statements: a.statements.clone(),
            last_seq: a.last_seq,
            due_passed_seq: a.due_passed_seq,
            delinquency: a.delinquency.clone(),
            ledger: a.ledger,
            exempt: a.exempt.clone(),
        }
    }
}

impl From<&BookState> for BookStateV1 {
    fn from(state: &BookState) -> BookStateV1 {
        BookStateV1 {
            accounts: state.accounts.iter().map(AccountV1::from).collect(),
            last_at: state.last_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_account_reads_with_totals_counted_from_what_it_kept() {
        let day = Day::ymd(2026, 1, 10);
        let mut account = Account::open(AccountId(7), Amount::from_fen(500_000), 5, day);
        account.last_seq = 30;
        account.exempt.push(TxnId(3));
        let decoded = Account::from(AccountV1::from(&account));
        // No statement kept and 30 closed: the years count from the next one.
        assert_eq!(decoded.totals.costs_from, 31);
        assert!(
            decoded.totals.waived.incomplete,
            "an exemption before the snapshot is not counted"
        );
        let mut expected = account.clone();
        expected.totals = decoded.totals.clone();
        assert_eq!(decoded, expected);

        // An account that never dropped a statement nor had an exemption is complete.
        let fresh = Account::open(AccountId(8), Amount::from_fen(500_000), 5, day);
        assert_eq!(Account::from(AccountV1::from(&fresh)), fresh);
    }
}
