//! [`Command`]: everything that can change a book. Commands are owned, already-parsed values;
//! the time they happen at is passed beside them to [`crate::Book::apply`].

use jiff::Timestamp;
use money::Amount;
use money::schedule::{Method, PeriodRate};
use serde::{Deserialize, Serialize};

use crate::calendar::Day;
use crate::ids::{AccountId, MerchantId, OpId, PlanId, TxnId};

/// Why an account is frozen. A freeze blocks new authorizations, never repayments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FreezeReason {
    /// The customer reported unauthorized use; a theft case is open.
    TheftReport,
    /// Risk control stopped the account.
    Risk,
    /// An operator froze it.
    Operator,
    /// The customer asked.
    Customer,
}

/// An installment plan chosen at purchase or for a bill: term, method and, for a campaign,
/// an explicit period rate (0% allowed). Without a rate the product's default for the term
/// applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanChoice {
    pub periods: u32,
    pub method: Method,
    pub rate: Option<PeriodRate>,
}

/// A command as applied, with its time: what a fraud restatement replays.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    pub at: Timestamp,
    pub command: Command,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// Opens a credit line with a limit and a billing day (1..=28).
    OpenAccount {
        account: AccountId,
        limit: Amount,
        billing_day: u8,
    },
    /// Sets the permanent limit. Refused below what is owed plus what is held.
    ChangeLimit {
        account: AccountId,
        limit: Amount,
    },
    /// Grants (or replaces) a temporary limit on top of the permanent one, usable until the end
    /// of `expires_on`.
    SetTemporaryLimit {
        account: AccountId,
        amount: Amount,
        expires_on: Day,
    },
    Freeze {
        account: AccountId,
        reason: FreezeReason,
    },
    Unfreeze {
        account: AccountId,
    },
    /// Places a hold on available credit. `plan` chooses installments for the purchase.
    Authorize {
        account: AccountId,
        txn: TxnId,
        merchant: MerchantId,
        amount: Amount,
        plan: Option<PlanChoice>,
    },
    /// Captures all or part of a hold; the rest of the hold is released.
    Capture {
        account: AccountId,
        txn: TxnId,
        amount: Amount,
    },
    /// Releases a hold.
    Void {
        account: AccountId,
        txn: TxnId,
    },
    /// Credits a captured purchase (partial refunds may repeat up to the captured amount).
    Refund {
        account: AccountId,
        txn: TxnId,
        op: OpId,
        amount: Amount,
    },
    /// A repayment through the waterfall; anything beyond what is billed becomes credit balance.
    Repay {
        account: AccountId,
        op: OpId,
        amount: Amount,
    },
    /// Pays off a plan early: the payment must cover everything billed and unpaid plus the
    /// plan's unbilled principal.
    EarlyPayoff {
        account: AccountId,
        op: OpId,
        plan: PlanId,
        amount: Amount,
    },
    /// Converts the latest statement's pay-later and carried principal into a plan.
    BillInstallment {
        account: AccountId,
        plan: PlanId,
        statement: u32,
        choice: PlanChoice,
    },
    /// Pays a credit balance back to the customer.
    CashOutCredit {
        account: AccountId,
        op: OpId,
        amount: Amount,
    },
    /// Restates the account as if `txns` never happened. `history` is every command accepted
    /// for this account, in order (the shell reads it from the journal); the core replays it.
    ExemptFraud {
        account: AccountId,
        txns: Vec<TxnId>,
        history: Vec<Recorded>,
    },
    /// Brings every account up to the current business day: closes statements, expires holds,
    /// accrues interest and penalties, charges off. The scheduler sends it after midnight.
    Advance,
    /// Re-ages a delinquent account's billed principal into a 0% plan of `periods` (3..=12)
    /// monthly installments, the first billed at once (`hardship.rs`, COLLECTIONS.md). Appended
    /// last so journals written before it decode as they were.
    HardshipPlan {
        account: AccountId,
        plan: PlanId,
        periods: u32,
    },
    /// Brings the accounts at positions `from..from + len` of the book (in the order they were
    /// opened; positions past the end are ignored) up to the current business day, exactly as
    /// `Advance` does for every account. The shell splits a large book's daily advance into
    /// slices so that authorizations are decided between them (ARCHITECTURE.md, "Statement
    /// day"); it is safe because every command brings its own account up to the day first.
    /// Appended last so journals written before it decode as they were.
    AdvanceSlice {
        from: u32,
        len: u32,
    },
}

impl Command {
    /// The account the command is for; `None` for book-wide commands.
    pub fn account(&self) -> Option<AccountId> {
        match self {
            Command::OpenAccount { account, .. }
            | Command::ChangeLimit { account, .. }
            | Command::SetTemporaryLimit { account, .. }
            | Command::Freeze { account, .. }
            | Command::Unfreeze { account }
            | Command::Authorize { account, .. }
            | Command::Capture { account, .. }
            | Command::Void { account, .. }
            | Command::Refund { account, .. }
            | Command::Repay { account, .. }
            | Command::EarlyPayoff { account, .. }
            | Command::BillInstallment { account, .. }
            | Command::CashOutCredit { account, .. }
            | Command::ExemptFraud { account, .. }
            | Command::HardshipPlan { account, .. } => Some(*account),
            Command::Advance | Command::AdvanceSlice { .. } => None,
        }
    }

    /// The transaction a command acts on, if any (a plan payoff acts on its purchase's
    /// transaction, whose id the plan shares).
    pub fn txn(&self) -> Option<TxnId> {
        match self {
            Command::Authorize { txn, .. }
            | Command::Capture { txn, .. }
            | Command::Void { txn, .. }
            | Command::Refund { txn, .. } => Some(*txn),
            Command::EarlyPayoff { plan, .. } => Some(TxnId(plan.0)),
            _ => None,
        }
    }

    /// A stable name for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Command::OpenAccount { .. } => "open_account",
            Command::ChangeLimit { .. } => "change_limit",
            Command::SetTemporaryLimit { .. } => "set_temporary_limit",
            Command::Freeze { .. } => "freeze",
            Command::Unfreeze { .. } => "unfreeze",
            Command::Authorize { .. } => "authorize",
            Command::Capture { .. } => "capture",
            Command::Void { .. } => "void",
            Command::Refund { .. } => "refund",
            Command::Repay { .. } => "repay",
            Command::EarlyPayoff { .. } => "early_payoff",
            Command::BillInstallment { .. } => "bill_installment",
            Command::CashOutCredit { .. } => "cash_out_credit",
            Command::ExemptFraud { .. } => "exempt_fraud",
            Command::Advance => "advance",
            Command::HardshipPlan { .. } => "hardship_plan",
            Command::AdvanceSlice { .. } => "advance_slice",
        }
    }
}
