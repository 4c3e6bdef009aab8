//! The invariants every account and book must hold after every command (DESIGN.md section 4).
//! Tests and the simulators call these after each step; they are cheap enough for that.

use money::Amount;

use crate::account::Account;
use crate::book::Book;
use crate::dues::DueKind;
use crate::ledger::LedgerAccount;
use crate::statement::{Face, Statement};

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
    check_statement_agrees(account)?;
    for statement in &account.statements {
        check_face(account, statement)?;
    }
    check_figures(account)
}

/// The figures computed when asked (`figures.rs`) agree with the account: each kept statement's
/// remaining and paid since close make its balance, its unpaid minimum is within what remains,
/// and, while every statement is kept, the costs per year net to the ledger's income (unless a
/// plan was paid off: a product that charges future fees on payoff books them on the payoff's
/// memo line, which does not split them from principal).
pub fn check_figures(account: &Account) -> Result<(), Violation> {
    for statement in &account.statements {
        let Some(f) = account.statement_figures(statement.seq) else {
            continue;
        };
        ensure(account, f.remaining + f.paid_since_close == statement.balance, || {
            format!(
                "statement {} figures {f:?} do not make its balance {}",
                statement.seq, statement.balance
            )
        })?;
        ensure(
            account,
            f.past_due <= f.minimum_remaining && f.minimum_remaining <= f.remaining,
            || format!("statement {} figures {f:?} out of order", statement.seq),
        )?;
    }
    let by_year = account.costs_by_year();
    let paid_off = account
        .plans
        .iter()
        .any(|p| p.status == crate::plan::PlanStatus::PaidOff);
    if by_year.from_statement == 1 && !paid_off {
        let net: Amount = by_year.years.iter().map(|y| y.net()).sum();
        let to_date = account.costs_to_date().total();
        ensure(account, net == to_date, || {
            format!("costs per year net {net} but the ledger's income is {to_date}")
        })?;
    }
    Ok(())
}

/// A statement adds up on its face: previous balance - payments - credits + purchases + plan
/// principal + fees + interest + penalties = new balance, and its lines (memo lines aside) sum
/// to the same change.
pub fn check_face(account: &Account, statement: &Statement) -> Result<(), Violation> {
    let s = statement;
    let charges = s.new_purchases + s.plan_principal + s.plan_fees + s.plan_interest + s.interest + s.penalties;
    let summed = Face::of(&s.lines);
    let stated = Face {
        new_purchases: s.new_purchases,
        plan_principal: s.plan_principal,
        plan_fees: s.plan_fees,
        plan_interest: s.plan_interest,
        interest: s.interest,
        penalties: s.penalties,
        payments: s.payments,
        credits: s.credits,
        credit_applied: s.credit_applied,
    };
    ensure(account, summed == stated, || {
        format!("statement {}: totals {stated:?} but its lines sum to {summed:?}", s.seq)
    })?;
    let face = s.previous_balance - s.payments - s.credits + charges;
    ensure(account, face == s.balance, || {
        format!(
            "statement {} does not add up: previous {} - payments {} - credits {} + charges {charges} = {face}, \
             but its balance is {}",
            s.seq, s.previous_balance, s.payments, s.credits, s.balance
        )
    })?;
    let lines: Amount = s.lines.iter().filter(|l| l.kind.on_face()).map(|l| l.amount).sum();
    ensure(account, s.previous_balance + lines == s.balance, || {
        format!(
            "statement {}: previous {} + its lines {lines} is not its balance {}",
            s.seq, s.previous_balance, s.balance
        )
    })
}

/// With nothing happening since the latest close, the latest statement's balance is exactly
/// what is billed and unpaid.
fn check_statement_agrees(account: &Account) -> Result<(), Violation> {
    let Some(statement) = account.latest_statement() else {
        return Ok(());
    };
    if !account.cycle.lines.is_empty() || account.cycle.start != statement.date {
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
