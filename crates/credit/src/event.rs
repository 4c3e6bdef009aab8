//! [`Event`]: what applying a command did. The shell turns events into read models, webhooks
//! and messages; the core only appends them to the caller's buffer.

use money::Amount;
use serde::{Deserialize, Serialize};

use crate::calendar::Day;
use crate::command::FreezeReason;
use crate::delinquency::Bucket;
use crate::ids::{AccountId, MerchantId, OpId, PlanId, TxnId};
use crate::ledger::Entry;

/// How a payment or credit was spread over what the customer owes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub penalty: Amount,
    pub interest: Amount,
    pub fee: Amount,
    pub principal: Amount,
    /// Unbilled principal paid by an early payoff.
    pub unbilled_principal: Amount,
    /// What was left over and became credit balance.
    pub credit_balance: Amount,
}

impl Allocation {
    /// Everything allocated to billed amounts (not unbilled principal, not credit balance).
    pub fn billed(&self) -> Amount {
        self.penalty + self.interest + self.fee + self.principal
    }

    pub fn total(&self) -> Amount {
        self.billed() + self.unbilled_principal + self.credit_balance
    }

    pub fn add(&mut self, other: &Allocation) {
        self.penalty += other.penalty;
        self.interest += other.interest;
        self.fee += other.fee;
        self.principal += other.principal;
        self.unbilled_principal += other.unbilled_principal;
        self.credit_balance += other.credit_balance;
    }
}

/// Where a refund went, in the order DESIGN.md section 3 applies it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundSplit {
    /// The purchase's unbilled principal (for a plan: its future periods, last first).
    pub unbilled: Amount,
    /// The purchase's billed, unpaid principal.
    pub billed: Amount,
    /// The rest, applied like a payment to the account and any remainder kept as credit balance.
    pub account: Allocation,
    /// Fees and plan interest waived because the whole purchase was refunded.
    pub fees_waived: Amount,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    AccountOpened {
        account: AccountId,
        limit: Amount,
        billing_day: u8,
        first_statement: Day,
    },
    LimitChanged {
        account: AccountId,
        limit: Amount,
    },
    TemporaryLimitSet {
        account: AccountId,
        amount: Amount,
        expires_on: Day,
    },
    Frozen {
        account: AccountId,
        reason: FreezeReason,
    },
    Unfrozen {
        account: AccountId,
    },
    Authorized {
        account: AccountId,
        txn: TxnId,
        merchant: MerchantId,
        amount: Amount,
        expires_on: Day,
        available: Amount,
    },
    Captured {
        account: AccountId,
        txn: TxnId,
        amount: Amount,
        released: Amount,
        plan: Option<PlanId>,
    },
    Voided {
        account: AccountId,
        txn: TxnId,
        released: Amount,
    },
    HoldExpired {
        account: AccountId,
        txn: TxnId,
        released: Amount,
    },
    Refunded {
        account: AccountId,
        txn: TxnId,
        op: OpId,
        amount: Amount,
        split: RefundSplit,
    },
    Repaid {
        account: AccountId,
        op: OpId,
        amount: Amount,
        allocation: Allocation,
        recovery: bool,
    },
    PlanPaidOff {
        account: AccountId,
        op: OpId,
        plan: PlanId,
        amount: Amount,
        allocation: Allocation,
        fees_waived: Amount,
    },
    BillInstalled {
        account: AccountId,
        plan: PlanId,
        statement: u32,
        principal: Amount,
        minimum: Amount,
    },
    CreditCashedOut {
        account: AccountId,
        op: OpId,
        amount: Amount,
    },
    StatementClosed {
        account: AccountId,
        seq: u32,
        date: Day,
        due_date: Day,
        balance: Amount,
        minimum: Amount,
    },
    BucketChanged {
        account: AccountId,
        on: Day,
        dpd: u32,
        from: Bucket,
        to: Bucket,
    },
    ChargedOff {
        account: AccountId,
        on: Day,
        amount: Amount,
    },
    FraudExempted {
        account: AccountId,
        txns: Vec<TxnId>,
        fraud_loss: Amount,
    },
    Posted {
        account: AccountId,
        entry: Entry,
    },
    /// A hardship plan re-aged the billed principal (`principal`) into `periods` installments;
    /// the first (`first_installment`) is billed now, and paying `cure` (everything billed) ends
    /// the delinquency. Appended last: earlier variants encode as before.
    HardshipPlanned {
        account: AccountId,
        plan: PlanId,
        periods: u32,
        principal: Amount,
        first_installment: Amount,
        cure: Amount,
    },
}

impl Event {
    pub fn account(&self) -> AccountId {
        match self {
            Event::AccountOpened { account, .. }
            | Event::LimitChanged { account, .. }
            | Event::TemporaryLimitSet { account, .. }
            | Event::Frozen { account, .. }
            | Event::Unfrozen { account }
            | Event::Authorized { account, .. }
            | Event::Captured { account, .. }
            | Event::Voided { account, .. }
            | Event::HoldExpired { account, .. }
            | Event::Refunded { account, .. }
            | Event::Repaid { account, .. }
            | Event::PlanPaidOff { account, .. }
            | Event::BillInstalled { account, .. }
            | Event::CreditCashedOut { account, .. }
            | Event::StatementClosed { account, .. }
            | Event::BucketChanged { account, .. }
            | Event::ChargedOff { account, .. }
            | Event::FraudExempted { account, .. }
            | Event::Posted { account, .. }
            | Event::HardshipPlanned { account, .. } => *account,
        }
    }
}
