//! The invariants every account and book must hold after every command (DESIGN.md section 4).
//! Tests and the simulators call these after each step; they are cheap enough for that.

use money::Amount;

use crate::account::Account;
use crate::book::Book;
use crate::dues::DueKind;
use crate::ledger::LedgerAccount;

/// A broken invariant, described for the failure message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("account {account}: {what}")]
pub struct Violation {
    pub account: u64,
    pub what: String,
}

fn ensure(account: &Account, ok: bool, what: impl FnOnce() -> String) -> Result<(), Violation> {
    if ok {
        Ok(())
    } else {
        Err(Violation {
            account: account.id.0,
            what: what(),
        })
    }
}

/// Checks one account.
pub fn check_account(account: &Account) -> Result<(), Violation> {
    let ledger = &account.ledger;
    ensure(account, ledger.total().is_zero(), || {
        format!("ledger does not balance: {ledger:?}")
    })?;
    for due in account.dues.iter() {
        ensure(account, due.unpaid.is_positive(), || {
            format!("due not positive: {due:?}")
        })?;
    }
    for kind in DueKind::WATERFALL {
        let receivable = ledger.get(Account::receivable(kind));
        let mut owed = account.dues.sum_kind(kind);
        if kind == DueKind::Principal {
            owed += account.unbilled_principal();
        }
        let want = if account.is_charged_off() { Amount::ZERO } else { owed };
        ensure(account, receivable == want, || {
            format!("{kind:?} receivable {receivable} but owed {want}")
        })?;
    }
    let credit = -ledger.get(LedgerAccount::CustomerCredit);
    ensure(account, credit == account.credit_balance, || {
        format!("credit ledger {credit} but credit balance {}", account.credit_balance)
    })?;
    ensure(account, !account.credit_balance.is_negative(), || {
        "negative credit balance".into()
    })?;
    ensure(
        account,
        account.credit_balance.is_zero() || account.dues.is_empty(),
        || {
            format!(
                "credit balance {} beside unpaid dues {}",
                account.credit_balance,
                account.dues.total()
            )
        },
    )?;
    let held: Amount = account.holds.iter().filter(|h| h.is_open()).map(|h| h.amount).sum();
    ensure(account, held == account.held, || {
        format!("held {} but open holds sum to {held}", account.held)
    })?;
    let available = account.available_on(account.day);
    ensure(account, !available.is_negative(), || "negative available credit".into())?;
    if !account.is_charged_off() {
        let raw = account.limit + account.temporary_limit_on(account.day) - account.principal_owed() - account.held;
        ensure(account, available == raw.max(Amount::ZERO), || {
            format!("available {available} is not limit - owed - held ({raw})")
        })?;
    }
    let minimum = account.delinquency.minimum_unpaid();
    ensure(account, minimum <= account.dues.total(), || {
        format!("unpaid minimum {minimum} above billed balance {}", account.dues.total())
    })?;
    for purchase in &account.purchases {
        ensure(account, purchase.refunded <= purchase.amount, || {
            format!("over-refunded {purchase:?}")
        })?;
    }
    check_statement_agrees(account)
}

/// With nothing happening since the latest close, the latest statement's balance is exactly
/// what is billed and unpaid.
fn check_statement_agrees(account: &Account) -> Result<(), Violation> {
    let Some(statement) = account.latest_statement() else {
        return Ok(());
    };
    if account.is_charged_off() || !account.cycle.lines.is_empty() || account.cycle.start != statement.date {
        return Ok(());
    }
    let billed = account.dues.total();
    ensure(account, statement.balance == billed, || {
        format!(
            "statement {} balance {} but billed unpaid {billed}",
            statement.seq, statement.balance
        )
    })
}

/// Checks every account and that the book's ledger sums to zero.
pub fn check_book(book: &Book) -> Result<(), Violation> {
    for account in book.accounts() {
        check_account(account)?;
    }
    let totals = book.totals();
    if !totals.total().is_zero() {
        return Err(Violation {
            account: 0,
            what: format!("book ledger does not balance: {totals:?}"),
        });
    }
    Ok(())
}
