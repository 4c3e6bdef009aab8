//! [`Situation`]: what the strategy table reads about one account on one day, built from the
//! account (brought to that day by the caller) and its promises.

use credit::delinquency::Bucket;
use credit::{Account, AccountId, Day, Product};
use money::Amount;
use serde::Serialize;

use crate::promise::{Promise, PromiseStatus};

/// One delinquent account as collections see it on `day`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Situation {
    pub account: AccountId,
    pub day: Day,
    pub bucket: Bucket,
    pub dpd: u32,
    /// Minimums missed on earlier due dates (once charged off, what is still owed).
    pub past_due: Amount,
    /// Everything owed: billed and unpaid plus principal not yet billed.
    pub balance: Amount,
    /// A promise to pay is open (made, its date not passed, not yet kept).
    pub open_promise: bool,
    /// Promises of this account judged broken, ever.
    pub broken_promises: u32,
    /// A hardship plan may be made today (`credit::Account::hardship_check`).
    pub hardship_eligible: bool,
    /// A hardship plan was made and the account is still past due (its first installment
    /// unpaid).
    pub hardship_active: bool,
}

/// The table's input, field for field (rules/collections/README.md).
#[derive(Serialize)]
pub(crate) struct Input {
    bucket: &'static str,
    dpd: u32,
    past_due_fen: i64,
    balance_fen: i64,
    open_promise: bool,
    broken_promises: u32,
    hardship_eligible: bool,
    hardship_active: bool,
}

impl Situation {
    /// The situation of `account`, which the caller brought to `day` (`Book::account_at`), with
    /// the account's promises already judged on that day.
    pub fn of(account: &Account, day: Day, product: &Product, promises: &[Promise]) -> Situation {
        let view = account.balances(product);
        let dpd = account.delinquency.dpd(day);
        let bucket = Bucket::of(dpd, product.grace_days, account.is_charged_off());
        let owed = (view.billed + view.principal_unbilled).max(Amount::ZERO);
        let past_due = if account.is_charged_off() { owed } else { view.past_due };
        let mine = || promises.iter().filter(|p| p.account == account.id.0);
        Situation {
            account: account.id,
            day,
            bucket,
            dpd,
            past_due,
            balance: owed,
            open_promise: mine().any(|p| p.status == PromiseStatus::Open),
            broken_promises: mine().filter(|p| p.status == PromiseStatus::Broken).count() as u32,
            hardship_eligible: account.hardship_check(day).is_ok(),
            hardship_active: dpd > 0 && account.hardship_plan().is_some(),
        }
    }

    /// Whether the account belongs in the collections queue: days past due, or charged off with
    /// something owed.
    pub fn in_collections(&self) -> bool {
        self.dpd > 0 || (self.bucket == Bucket::ChargedOff && self.balance.is_positive())
    }

    pub(crate) fn input(&self) -> Input {
        Input {
            bucket: self.bucket.as_str(),
            dpd: self.dpd,
            past_due_fen: self.past_due.fen(),
            balance_fen: self.balance.fen(),
            open_promise: self.open_promise,
            broken_promises: self.broken_promises,
            hardship_eligible: self.hardship_eligible,
            hardship_active: self.hardship_active,
        }
    }
}
