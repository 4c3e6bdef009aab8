//! [`Book`]: the accounts of one partition and the single entry point that changes them.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use money::Amount;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::account::{Account, Ctx};
use crate::calendar::{Clock, Day};
use crate::command::Command;
use crate::config::Product;
use crate::event::Event;
use crate::fraud;
use crate::ids::AccountId;
use crate::ledger::Balances;
use crate::reject::Rejection;
use crate::validate;

/// Accounts, the product they follow, and the clock that turns timestamps into business days.
///
/// `apply` is a pure function of the book, the command and its time: no IO, no clock reads, no
/// randomness. Either the command's effect happens and its events are appended, or a
/// [`Rejection`] is returned and the command changed nothing (the days that passed before it
/// are still processed: time moves on either way).
#[derive(Clone, Debug)]
pub struct Book {
    product: Product,
    clock: Clock,
    accounts: Vec<Account>,
    index: FxHashMap<AccountId, u32>,
    last_at: Option<Timestamp>,
}

/// A book's state, for snapshots.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookState {
    pub accounts: Vec<Account>,
    pub last_at: Option<Timestamp>,
}

impl Book {
    pub fn new(product: Product, zone: TimeZone) -> Book {
        Book {
            product,
            clock: Clock::new(zone),
            accounts: Vec::new(),
            index: FxHashMap::default(),
            last_at: None,
        }
    }

    /// A book restored from a snapshot.
    pub fn restore(product: Product, zone: TimeZone, state: BookState) -> Book {
        let mut book = Book::new(product, zone);
        book.last_at = state.last_at;
        for account in state.accounts {
            book.index.insert(account.id, book.accounts.len() as u32);
            book.accounts.push(account);
        }
        book
    }

    pub fn snapshot(&self) -> BookState {
        BookState {
            accounts: self.accounts.clone(),
            last_at: self.last_at,
        }
    }

    pub fn product(&self) -> &Product {
        &self.product
    }

    pub fn zone(&self) -> &TimeZone {
        self.clock.zone()
    }

    /// The business day of a timestamp in the book's zone.
    pub fn day_of(&self, at: Timestamp) -> Day {
        self.clock.day_of(at)
    }

    pub fn last_at(&self) -> Option<Timestamp> {
        self.last_at
    }

    pub fn account(&self, id: AccountId) -> Option<&Account> {
        self.index.get(&id).map(|&i| &self.accounts[i as usize])
    }

    /// The account as of `at`: the days since it was last touched are run on a copy, so
    /// queries see today's state (expired holds released, statements closed) without changing
    /// the book.
    pub fn account_at(&self, id: AccountId, at: Timestamp) -> Option<std::borrow::Cow<'_, Account>> {
        let account = self.account(id)?;
        let today = self.clock.day_of(at);
        if account.day >= today {
            return Some(std::borrow::Cow::Borrowed(account));
        }
        let mut copy = account.clone();
        copy.advance_to(today, &self.product, &mut Vec::new());
        Some(std::borrow::Cow::Owned(copy))
    }

    pub fn accounts(&self) -> impl ExactSizeIterator<Item = &Account> {
        self.accounts.iter()
    }

    /// The sum of every customer's ledger balances.
    pub fn totals(&self) -> Balances {
        let mut totals = Balances::default();
        for account in &self.accounts {
            totals.add(&account.ledger);
        }
        totals
    }

    /// Applies `command` at `at`, appending its events to `out`.
    pub fn apply(&mut self, at: Timestamp, command: &Command, out: &mut Vec<Event>) -> Result<(), Rejection> {
        if self.last_at.is_some_and(|last| at < last) {
            return Err(Rejection::ClockWentBackwards);
        }
        validate::shape(command, &self.product)?;
        self.last_at = Some(at);
        let today = self.clock.day_of(at);
        match command {
            Command::OpenAccount {
                account,
                limit,
                billing_day,
            } => self.open(*account, *limit, *billing_day, today, out),
            Command::Advance => {
                for account in &mut self.accounts {
                    account.advance_to(today, &self.product, out);
                }
                Ok(())
            }
            Command::AdvanceSlice { from, len } => {
                let start = (*from as usize).min(self.accounts.len());
                let end = start.saturating_add(*len as usize).min(self.accounts.len());
                for account in &mut self.accounts[start..end] {
                    account.advance_to(today, &self.product, out);
                }
                Ok(())
            }
            Command::ExemptFraud { account, txns, history } => {
                let index = self.index_of(*account)?;
                let zone = self.clock.zone().clone();
                let empty = || Book::new(self.product.clone(), zone.clone());
                let account = &mut self.accounts[index];
                account.advance_to(today, &self.product, out);
                fraud::exempt(account, txns, history, &self.product, empty, today, out)
            }
            Command::SetTemporaryLimit { expires_on, .. } if *expires_on < today => Err(Rejection::ExpiryInPast),
            _ => {
                let id = command.account().expect("every other command names an account");
                let index = self.index_of(id)?;
                let account = &mut self.accounts[index];
                account.advance_to(today, &self.product, out);
                let mut cx = Ctx {
                    product: &self.product,
                    today,
                    at,
                    out,
                };
                dispatch(account, command, &mut cx)
            }
        }
    }

    /// What `apply` does to an account before it decides a command: the book's clock moves to
    /// `at` and the account is brought to that day (statements, interest, penalties due by
    /// then). For a shell replaying a journaled refusal it does not decide again.
    pub fn advance_account(&mut self, at: Timestamp, id: AccountId, out: &mut Vec<Event>) -> Result<(), Rejection> {
        if self.last_at.is_some_and(|last| at < last) {
            return Err(Rejection::ClockWentBackwards);
        }
        self.last_at = Some(at);
        let today = self.clock.day_of(at);
        let index = self.index_of(id)?;
        self.accounts[index].advance_to(today, &self.product, out);
        Ok(())
    }

    fn index_of(&self, id: AccountId) -> Result<usize, Rejection> {
        self.index
            .get(&id)
            .map(|&i| i as usize)
            .ok_or(Rejection::AccountNotFound)
    }

    fn open(
        &mut self,
        id: AccountId,
        limit: Amount,
        billing_day: u8,
        today: Day,
        out: &mut Vec<Event>,
    ) -> Result<(), Rejection> {
        if self.index.contains_key(&id) {
            return Err(Rejection::AccountExists);
        }
        let account = Account::open(id, limit, billing_day, today);
        out.push(Event::AccountOpened {
            account: id,
            limit,
            billing_day,
            first_statement: account.next_statement,
        });
        self.index.insert(id, self.accounts.len() as u32);
        self.accounts.push(account);
        Ok(())
    }
}

/// What a fraud exemption replays an account's history on.
impl fraud::Replay for Book {
    fn apply(&mut self, at: Timestamp, command: &Command, out: &mut Vec<Event>) -> Result<(), Rejection> {
        Book::apply(self, at, command, out)
    }

    fn account(&self, id: AccountId) -> Option<&Account> {
        Book::account(self, id)
    }
}

fn dispatch(account: &mut Account, command: &Command, cx: &mut Ctx<'_>) -> Result<(), Rejection> {
    match command {
        Command::ChangeLimit { limit, .. } => account.change_limit(*limit, cx),
        Command::SetTemporaryLimit { amount, expires_on, .. } => account.set_temporary_limit(*amount, *expires_on, cx),
        Command::Freeze { reason, .. } => account.freeze(*reason, cx),
        Command::Unfreeze { .. } => account.unfreeze(cx),
        Command::Authorize {
            txn,
            merchant,
            amount,
            plan,
            ..
        } => account.authorize(*txn, *merchant, *amount, *plan, cx),
        Command::Capture { txn, amount, .. } => account.capture(*txn, *amount, cx),
        Command::Void { txn, .. } => account.void(*txn, cx),
        Command::Refund { txn, op, amount, .. } => account.refund(*txn, *op, *amount, cx),
        Command::Repay { op, amount, .. } => account.repay(*op, *amount, cx),
        Command::EarlyPayoff { op, plan, amount, .. } => account.early_payoff(*op, *plan, *amount, cx),
        Command::BillInstallment {
            plan,
            statement,
            choice,
            ..
        } => account.bill_installment(*plan, *statement, choice, cx),
        Command::CashOutCredit { op, amount, .. } => account.cash_out_credit(*op, *amount, cx),
        Command::HardshipPlan { plan, periods, .. } => account.hardship(*plan, *periods, cx),
        Command::OpenAccount { .. } | Command::Advance | Command::AdvanceSlice { .. } | Command::ExemptFraud { .. } => {
            unreachable!("handled by Book::apply")
        }
    }
}
