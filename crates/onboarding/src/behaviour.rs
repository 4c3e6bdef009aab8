//! [`Behaviour`]: how a customer has used and repaid their line, read from the account's state;
//! the inputs of the periodic limit review.
//!
//! From the statements the account keeps (the latest 12 are looked at):
//! - a **late** statement is one that charged a penalty: an earlier minimum was still unpaid
//!   after the grace days;
//! - a **revolving** statement is one that charged revolving interest: an earlier statement was
//!   not paid in full by its due date;
//! - a **billed** statement is one with a balance to pay.
//!
//! With the account's days past due, months on book and utilization (exposure over limit).

use credit::Account;
use serde::Serialize;

/// Statements looked at.
pub const STATEMENTS_LOOKED_AT: usize = 12;

/// The review table's inputs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Behaviour {
    pub limit_fen: i64,
    /// Principal owed plus open holds: the floor of any new limit.
    pub exposure_fen: i64,
    /// The peak of the exposure now and the balances of the latest 3 statements, as a whole
    /// percentage of the limit (0 for a zero limit): how much of the line the customer uses,
    /// even one who has just paid everything off.
    pub utilization_pct: i64,
    pub dpd: u32,
    pub months_on_book: i32,
    pub billed_statements_12: u32,
    pub late_statements_12: u32,
    pub revolving_statements_12: u32,
    pub frozen: bool,
    pub charged_off: bool,
}

impl Behaviour {
    pub fn of(account: &Account) -> Behaviour {
        let limit = account.limit.fen();
        let exposure = account.exposure().fen();
        let recent: Vec<_> = account.statements.iter().rev().take(STATEMENTS_LOOKED_AT).collect();
        let peak = recent.iter().take(3).map(|s| s.balance.fen()).fold(exposure, i64::max);
        let count =
            |keep: &dyn Fn(&&credit::statement::Statement) -> bool| recent.iter().filter(|s| keep(s)).count() as u32;
        Behaviour {
            limit_fen: limit,
            exposure_fen: exposure,
            utilization_pct: if limit > 0 {
                i64::try_from(i128::from(peak) * 100 / i128::from(limit)).unwrap_or(i64::MAX)
            } else {
                0
            },
            dpd: account.delinquency.dpd(account.day),
            months_on_book: account.day.since(account.opened_on) / 30,
            billed_statements_12: count(&|s| s.balance.is_positive()),
            late_statements_12: count(&|s| s.penalties.is_positive()),
            revolving_statements_12: count(&|s| s.interest.is_positive()),
            frozen: account.frozen.is_some(),
            charged_off: account.is_charged_off(),
        }
    }
}
