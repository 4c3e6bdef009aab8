//! [`Account`]: one customer's credit line and everything it owes, and the context commands are
//! applied in.

use std::collections::VecDeque;

use jiff::Timestamp;
use money::Amount;
use serde::{Deserialize, Serialize};

use crate::calendar::Day;
use crate::command::FreezeReason;
use crate::config::Product;
use crate::delinquency::Delinquency;
use crate::dues::{DueKind, Dues};
use crate::event::Event;
use crate::hold::Hold;
use crate::ids::{AccountId, PlanId, TxnId};
use crate::ledger::{Balances, Entry, LedgerAccount};
use crate::plan::Plan;
use crate::purchase::Purchase;
use crate::statement::{Line, LineKind, Statement};
use crate::totals::Totals;

/// A temporary limit on top of the permanent one, usable until the end of `expires_on`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemporaryLimit {
    pub amount: Amount,
    pub expires_on: Day,
}

/// The running cycle: what has happened since the last statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cycle {
    /// The first day of the cycle: the last statement date (its interest is charged on the
    /// next statement), or the opening day.
    pub start: Day,
    /// For each day from `start`, the revolving principal unpaid at the end of that day.
    pub interest_base: Vec<Amount>,
    /// Payments, refunds and other activity, for the next statement's lines.
    pub lines: Vec<Line>,
}

/// One customer's credit account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: AccountId,
    pub opened_on: Day,
    pub billing_day: u8,
    pub limit: Amount,
    pub temporary_limit: Option<TemporaryLimit>,
    pub frozen: Option<FreezeReason>,
    pub charged_off_on: Option<Day>,
    /// The business day the account has been brought up to.
    pub day: Day,
    /// The date of the next statement.
    pub next_statement: Day,
    /// Open holds and, for a while, closed ones (so a second void says "already voided").
    pub holds: Vec<Hold>,
    /// Sum of open holds.
    pub held: Amount,
    pub purchases: Vec<Purchase>,
    pub plans: Vec<Plan>,
    pub dues: Dues,
    pub credit_balance: Amount,
    pub cycle: Cycle,
    /// The latest statements, oldest first (at most `Product::statements_kept`).
    pub statements: VecDeque<Statement>,
    /// Sequence number of the latest statement (0 before the first).
    pub last_seq: u32,
    /// The highest statement sequence whose due date has passed.
    pub due_passed_seq: u32,
    pub delinquency: Delinquency,
    /// This customer's balance on every ledger account.
    pub ledger: Balances,
    /// Transactions confirmed as unauthorized use: restated away, reported as exempt.
    pub exempt: Vec<TxnId>,
    /// What the figures need of the account's whole life beyond the kept statements (appended
    /// in partition snapshot format 4; an older snapshot decodes through `credit::legacy`).
    pub totals: Totals,
}

/// What a command handler needs besides the account: the rules, the time, the event sink.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    pub product: &'a Product,
    pub today: Day,
    pub at: Timestamp,
    pub out: &'a mut Vec<Event>,
}

impl Account {
    pub fn open(id: AccountId, limit: Amount, billing_day: u8, today: Day) -> Account {
        Account {
            id,
            opened_on: today,
            billing_day,
            limit,
            temporary_limit: None,
            frozen: None,
            charged_off_on: None,
            day: today,
            next_statement: today.next_billing_day(billing_day),
            holds: Vec::new(),
            held: Amount::ZERO,
            purchases: Vec::new(),
            plans: Vec::new(),
            dues: Dues::default(),
            credit_balance: Amount::ZERO,
            cycle: Cycle {
                start: today,
                interest_base: Vec::new(),
                lines: Vec::new(),
            },
            statements: VecDeque::new(),
            last_seq: 0,
            due_passed_seq: 0,
            delinquency: Delinquency::default(),
            ledger: Balances::default(),
            exempt: Vec::new(),
            totals: Totals::new(),
        }
    }

    pub fn is_charged_off(&self) -> bool {
        self.charged_off_on.is_some()
    }

    /// The temporary limit in force on `day`.
    pub fn temporary_limit_on(&self, day: Day) -> Amount {
        self.temporary_limit
            .filter(|t| day <= t.expires_on)
            .map_or(Amount::ZERO, |t| t.amount)
    }

    /// Principal owed, billed and unbilled.
    pub fn principal_owed(&self) -> Amount {
        self.dues.sum_kind(DueKind::Principal) + self.unbilled_principal()
    }

    /// Principal captured but not yet on a statement: pay-later purchases and plans' future
    /// periods.
    pub fn unbilled_principal(&self) -> Amount {
        let pay_later: Amount = self.purchases.iter().map(|p| p.unbilled).sum();
        let plans: Amount = self
            .plans
            .iter()
            .filter(|p| p.is_active())
            .map(Plan::unbilled_principal)
            .sum();
        pay_later + plans
    }

    /// Available credit on `day`: limit + temporary limit - principal owed - open holds, never
    /// below zero (a limit can fall under the exposure when a temporary limit expires). Nothing
    /// is available on a charged-off account.
    pub fn available_on(&self, day: Day) -> Amount {
        if self.is_charged_off() {
            return Amount::ZERO;
        }
        let limit = self.limit + self.temporary_limit_on(day);
        (limit - self.principal_owed() - self.held).max(Amount::ZERO)
    }

    pub fn statement(&self, seq: u32) -> Option<&Statement> {
        self.statements.iter().find(|s| s.seq == seq)
    }

    pub fn latest_statement(&self) -> Option<&Statement> {
        self.statements.back().filter(|s| s.seq == self.last_seq)
    }

    pub fn purchase(&self, txn: TxnId) -> Option<&Purchase> {
        self.purchases.iter().find(|p| p.txn == txn)
    }

    pub fn plan(&self, id: PlanId) -> Option<&Plan> {
        self.plans.iter().find(|p| p.id == id)
    }

    pub fn hold(&self, txn: TxnId) -> Option<&Hold> {
        self.holds.iter().find(|h| h.txn == txn)
    }

    /// Adds a line to the running cycle's statement (none for a zero amount).
    pub(crate) fn add_line(&mut self, on: Day, kind: LineKind, amount: Amount) {
        if !amount.is_zero() {
            self.cycle.lines.push(Line { on, kind, amount });
        }
    }

    /// Posts a ledger entry for this customer and reports it.
    pub(crate) fn post(&mut self, entry: Option<Entry>, out: &mut Vec<Event>) {
        if let Some(entry) = entry {
            self.ledger.post(&entry);
            out.push(Event::Posted {
                account: self.id,
                entry,
            });
        }
    }

    /// The receivable a due kind is booked on.
    pub(crate) fn receivable(kind: DueKind) -> LedgerAccount {
        match kind {
            DueKind::Penalty => LedgerAccount::PenaltyReceivable,
            DueKind::Interest => LedgerAccount::InterestReceivable,
            DueKind::Fee => LedgerAccount::FeeReceivable,
            DueKind::Principal => LedgerAccount::PrincipalReceivable,
        }
    }

    /// The income a due kind is booked to when billed.
    pub(crate) fn income(kind: DueKind) -> LedgerAccount {
        match kind {
            DueKind::Penalty => LedgerAccount::PenaltyIncome,
            DueKind::Interest => LedgerAccount::InterestIncome,
            DueKind::Fee | DueKind::Principal => LedgerAccount::FeeIncome,
        }
    }
}

impl Account {
    /// What every fraud exemption of this account waived and credited.
    pub fn waived(&self) -> crate::totals::Waived {
        self.totals.waived
    }
}
