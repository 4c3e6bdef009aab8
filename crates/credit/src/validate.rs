//! The shape of a command, checked before any state is read (the first rejections in
//! precedence order).

use money::Amount;

use crate::command::{Command, PlanChoice};
use crate::config::Product;
use crate::reject::Rejection;

fn amount(amount: Amount, product: &Product) -> Result<(), Rejection> {
    if !amount.is_positive() {
        return Err(Rejection::AmountNotPositive);
    }
    if amount > product.amount_max {
        return Err(Rejection::AmountTooLarge);
    }
    Ok(())
}

/// A limit may be zero (a line granted with nothing to spend yet) but not negative.
fn limit(limit: Amount, product: &Product) -> Result<(), Rejection> {
    if limit.is_negative() {
        return Err(Rejection::AmountNotPositive);
    }
    if limit > product.amount_max {
        return Err(Rejection::AmountTooLarge);
    }
    Ok(())
}

fn plan(choice: &PlanChoice, product: &Product) -> Result<(), Rejection> {
    if !product.offers_term(choice.periods) {
        return Err(Rejection::TermNotOffered);
    }
    Ok(())
}

/// Checks what can be checked without the book.
pub(crate) fn shape(command: &Command, product: &Product) -> Result<(), Rejection> {
    match command {
        Command::OpenAccount {
            limit: l, billing_day, ..
        } => {
            limit(*l, product)?;
            if !(1..=28).contains(billing_day) {
                return Err(Rejection::BillingDayOutOfRange);
            }
            Ok(())
        }
        Command::ChangeLimit { limit: l, .. } => limit(*l, product),
        Command::SetTemporaryLimit { amount: a, .. } => amount(*a, product),
        Command::Authorize {
            amount: a,
            plan: choice,
            ..
        } => {
            amount(*a, product)?;
            choice.as_ref().map_or(Ok(()), |c| plan(c, product))
        }
        Command::Capture { amount: a, .. }
        | Command::Refund { amount: a, .. }
        | Command::Repay { amount: a, .. }
        | Command::EarlyPayoff { amount: a, .. }
        | Command::CashOutCredit { amount: a, .. } => amount(*a, product),
        Command::BillInstallment { choice, .. } => plan(choice, product),
        Command::HardshipPlan { periods, .. } => {
            if !crate::hardship::HARDSHIP_PERIODS.contains(periods) {
                return Err(Rejection::TermNotOffered);
            }
            Ok(())
        }
        Command::ExemptFraud { txns, .. } => {
            if txns.is_empty() {
                return Err(Rejection::NoTransactions);
            }
            Ok(())
        }
        Command::Freeze { .. }
        | Command::Unfreeze { .. }
        | Command::Void { .. }
        | Command::Advance
        | Command::AdvanceSlice { .. } => Ok(()),
    }
}
