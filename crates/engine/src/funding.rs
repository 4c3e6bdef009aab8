//! Funding operations: money in from a provider's debit or an operator's record of an offline
//! transfer, and money out through a payout, as durable partition state.
//!
//! A partition keeps every funding operation of its accounts (id -> [`Funding`]). Ids are
//! assigned by the partition (its number in the low byte, like transaction ids), so a provider's
//! callback naming only the id reaches the right partition. Each change is a journaled op that
//! carries the credit command it applies, if any, so replay and a fraud exemption's history see
//! every credit effect:
//!
//! | op | credit effect |
//! | --- | --- |
//! | debit started (pending) | none: money in flight pays nothing |
//! | debit settled | `Repay` of the amount (op id = funding id); for a payoff debit, `EarlyPayoff` of its plan if the money still covers the payoff, else `Repay` |
//! | debit failed | none (it never applied) |
//! | offline repayment (settled when recorded) | `Repay`, or `EarlyPayoff` of its plan |
//! | payout started (pending) | `CashOutCredit` (the credit balance is reserved at once) |
//! | payout paid | none |
//! | payout failed, or returned after paid | `Repay` of the amount (op id derived), through the waterfall |
//!
//! A second update to a final state is refused with `FundingFinal` and changes nothing, so a
//! duplicate callback has one effect.
//!
//! This module holds the types and the state machine (`transition`); how a partition resolves
//! and applies the ops is `partition_funding`.

use credit::{AccountId, Command, OpId, PlanId};
use money::Amount;
use serde::{Deserialize, Serialize};

/// What a funding operation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FundingKind {
    /// A bank-card or direct debit through the payment provider.
    Debit,
    /// Money an operator received outside the system, recorded with an external reference.
    Offline,
    /// A credit balance paid out to the customer's card through the payout provider.
    Payout,
}

/// Where a funding operation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FundingStatus {
    Pending,
    /// A debit or offline repayment whose money arrived (it has paid through the waterfall).
    Settled,
    /// A debit that never arrived, or a payout that never left (its money came back).
    Failed,
    /// A payout that left.
    Paid,
    /// A paid payout the receiving bank sent back (its money came back).
    Returned,
}

impl FundingStatus {
    pub fn name(self) -> &'static str {
        match self {
            FundingStatus::Pending => "pending",
            FundingStatus::Settled => "settled",
            FundingStatus::Failed => "failed",
            FundingStatus::Paid => "paid",
            FundingStatus::Returned => "returned",
        }
    }
}

/// One funding operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Funding {
    pub id: u64,
    pub account: AccountId,
    pub kind: FundingKind,
    pub amount: Amount,
    pub status: FundingStatus,
    /// The provider's own reference, once it gave one.
    pub provider_ref: Option<String>,
    /// The provider's reason code of a failure or return.
    pub reason: Option<String>,
    /// An offline repayment's reference (unique across the system; the API checks it).
    pub external_reference: Option<String>,
    /// The plan a debit or offline repayment pays off early, if it is a payoff.
    pub plan: Option<PlanId>,
    /// When it started and last changed (microseconds).
    pub started_us: i64,
    pub updated_us: i64,
    /// How the money paid through the waterfall, once it did (a settled debit or offline
    /// repayment; a failed or returned payout's money coming back).
    pub allocation: Option<credit::Allocation>,
}

/// What the caller asks to start: made by [`FundingStart::debit`], [`FundingStart::offline`]
/// or [`FundingStart::payout`], so a payout never names a plan to pay off and only an offline
/// repayment carries an external reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FundingStart {
    pub(crate) account: AccountId,
    pub(crate) kind: FundingKind,
    pub(crate) amount: Amount,
    pub(crate) external_reference: Option<String>,
    /// An early payoff of this plan (a debit or an offline repayment only).
    pub(crate) plan: Option<PlanId>,
}

impl FundingStart {
    /// A debit of the customer's card (of `plan`'s payoff, if given): pending until settled.
    pub fn debit(account: AccountId, amount: Amount, plan: Option<PlanId>) -> FundingStart {
        FundingStart {
            account,
            kind: FundingKind::Debit,
            amount,
            external_reference: None,
            plan,
        }
    }

    /// Money received outside the system under its external reference (of `plan`'s payoff, if
    /// given): settled at once.
    pub fn offline(
        account: AccountId,
        amount: Amount,
        external_reference: String,
        plan: Option<PlanId>,
    ) -> FundingStart {
        FundingStart {
            account,
            kind: FundingKind::Offline,
            amount,
            external_reference: Some(external_reference),
            plan,
        }
    }

    /// A payout of the credit balance to the customer's card.
    pub fn payout(account: AccountId, amount: Amount) -> FundingStart {
        FundingStart {
            account,
            kind: FundingKind::Payout,
            amount,
            external_reference: None,
            plan: None,
        }
    }

    pub fn account(&self) -> AccountId {
        self.account
    }

    pub fn kind(&self) -> FundingKind {
        self.kind
    }
}

/// What a provider (or the reconciler asking it) says happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundingUpdate {
    pub funding: u64,
    /// `Settled` or `Failed` for a debit; `Paid`, `Failed` or `Returned` for a payout.
    pub status: FundingStatus,
    pub provider_ref: Option<String>,
    pub reason: Option<String>,
}

/// The journaled op of a start: the operation as created and its credit command.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FundingStarted {
    pub funding: Funding,
    pub credit: Option<Command>,
}

/// The journaled op of an update.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FundingUpdated {
    pub account: AccountId,
    pub update: FundingUpdate,
    pub credit: Option<Command>,
}

/// The op id of the repayment that gives a failed or returned payout's money back (the funding
/// id with the top bit set: partition-assigned ids never have it).
pub fn returned_op(funding: u64) -> OpId {
    OpId(funding | (1 << 63))
}

/// Whether `status` may follow `from` for a `kind`, and the credit command it applies.
pub(crate) fn transition(funding: &Funding, to: FundingStatus) -> Option<Option<Command>> {
    use FundingStatus::{Failed, Paid, Pending, Returned, Settled};
    let (account, amount) = (funding.account, funding.amount);
    let repay = |op| Some(Command::Repay { account, op, amount });
    match (funding.kind, funding.status, to) {
        (FundingKind::Debit, Pending, Settled) => Some(repay(OpId(funding.id))),
        (FundingKind::Debit, Pending, Failed) | (FundingKind::Payout, Pending, Paid) => Some(None),
        (FundingKind::Payout, Pending | Paid, Failed | Returned) => Some(repay(returned_op(funding.id))),
        _ => None,
    }
}

/// The credit command a start applies, and the status the operation starts in.
pub(crate) fn start_effect(id: u64, start: &FundingStart) -> (FundingStatus, Option<Command>) {
    let (account, amount, op) = (start.account, start.amount, OpId(id));
    match (start.kind, start.plan) {
        (FundingKind::Debit, _) => (FundingStatus::Pending, None),
        (FundingKind::Offline, Some(plan)) => (
            FundingStatus::Settled,
            Some(Command::EarlyPayoff {
                account,
                op,
                plan,
                amount,
            }),
        ),
        (FundingKind::Offline, None) => (FundingStatus::Settled, Some(Command::Repay { account, op, amount })),
        (FundingKind::Payout, _) => (
            FundingStatus::Pending,
            Some(Command::CashOutCredit { account, op, amount }),
        ),
    }
}

/// Which funding operations a read asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FundingQuery {
    One(u64),
    /// Every pending operation of the partition (the reconciler's list).
    Pending,
}

/// A partition's funding state in a snapshot (format 2).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundingSnapshot {
    pub counter: u64,
    pub fundings: Vec<Funding>,
}
