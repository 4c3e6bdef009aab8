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

/// The allocation of the `Repaid` event of `command` among `events`, if it is a repayment.
fn allocation_of(command: Option<&Command>, events: &[credit::Event]) -> Option<credit::Allocation> {
    let op = match command {
        Some(Command::Repay { op, .. } | Command::EarlyPayoff { op, .. }) => op,
        _ => return None,
    };
    events.iter().rev().find_map(|e| match e {
        credit::Event::Repaid {
            op: paid, allocation, ..
        }
        | credit::Event::PlanPaidOff {
            op: paid, allocation, ..
        } if paid == op => Some(*allocation),
        _ => None,
    })
}

/// The `EarlyPayoff` a settled payoff operation applies.
fn payoff_command(funding: &Funding, plan: PlanId) -> Command {
    Command::EarlyPayoff {
        account: funding.account,
        op: OpId(funding.id),
        plan,
        amount: funding.amount,
    }
}

/// What the caller asks to start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundingStart {
    pub account: AccountId,
    pub kind: FundingKind,
    pub amount: Amount,
    pub external_reference: Option<String>,
    /// An early payoff of this plan (a debit or an offline repayment only).
    pub plan: Option<PlanId>,
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

impl crate::partition::Partition {
    pub(crate) fn resolve_start_funding(
        &mut self,
        start: &FundingStart,
        now_us: i64,
    ) -> Result<crate::record::Op, crate::request::EngineRejection> {
        if self.book.account(start.account).is_none() {
            return Err(credit::Rejection::AccountNotFound.into());
        }
        match (start.kind, start.plan) {
            (FundingKind::Payout, Some(_)) => return Err(crate::request::EngineRejection::WrongRequest),
            (FundingKind::Debit, Some(plan)) => self.payoff_check(start.account, plan, start.amount)?,
            _ => {}
        }
        self.funding_counter += 1;
        let id = crate::route::make_id(self.funding_counter, self.id);
        let (status, credit) = start_effect(id, start);
        let funding = Funding {
            id,
            account: start.account,
            kind: start.kind,
            amount: start.amount,
            status,
            provider_ref: None,
            reason: None,
            external_reference: start.external_reference.clone(),
            plan: start.plan,
            started_us: now_us,
            updated_us: now_us,
            allocation: None,
        };
        Ok(crate::record::Op::FundingStarted(Box::new(FundingStarted {
            funding,
            credit,
        })))
    }

    pub(crate) fn resolve_update_funding(
        &self,
        update: &FundingUpdate,
    ) -> Result<crate::record::Op, crate::request::EngineRejection> {
        let funding = self
            .fundings
            .get(&update.funding)
            .ok_or(crate::request::EngineRejection::FundingNotFound)?;
        let mut credit = transition(funding, update.status).ok_or(crate::request::EngineRejection::FundingFinal)?;
        // A settled payoff debit pays its plan off if the money still covers the payoff now
        // (a statement may have closed meanwhile); else it lands as a repayment. Settled money
        // is never refused.
        if let (FundingKind::Debit, FundingStatus::Settled, Some(plan)) = (funding.kind, update.status, funding.plan)
            && self.payoff_check(funding.account, plan, funding.amount).is_ok()
        {
            credit = Some(payoff_command(funding, plan));
        }
        Ok(crate::record::Op::FundingUpdated(Box::new(FundingUpdated {
            account: funding.account,
            update: update.clone(),
            credit,
        })))
    }

    pub(crate) fn apply_funding_started(
        &mut self,
        started: &FundingStarted,
        at: jiff::Timestamp,
        events: &mut Vec<credit::Event>,
    ) -> Result<(), crate::request::EngineRejection> {
        self.funding_counter = self.funding_counter.max(started.funding.id >> 8);
        if self.book.account(started.funding.account).is_none() {
            return Err(credit::Rejection::AccountNotFound.into());
        }
        if let Some(command) = &started.credit {
            self.book.apply(at, command, events)?;
        }
        let mut funding = started.funding.clone();
        funding.allocation = allocation_of(started.credit.as_ref(), events);
        self.fundings.insert(funding.id, funding);
        Ok(())
    }

    pub(crate) fn apply_funding_updated(
        &mut self,
        updated: &FundingUpdated,
        at: jiff::Timestamp,
        events: &mut Vec<credit::Event>,
    ) -> Result<(), crate::request::EngineRejection> {
        let update = &updated.update;
        let funding = self
            .fundings
            .get(&update.funding)
            .ok_or(crate::request::EngineRejection::FundingNotFound)?;
        let expected = transition(funding, update.status);
        let payoff = funding.plan.map(|plan| payoff_command(funding, plan));
        let allowed = expected.as_ref() == Some(&updated.credit)
            || (expected.is_some() && payoff.is_some() && updated.credit == payoff);
        if !allowed {
            return Err(crate::request::EngineRejection::FundingFinal);
        }
        if let Some(command) = &updated.credit {
            self.book.apply(at, command, events)?;
        }
        if let Some(funding) = self.fundings.get_mut(&update.funding) {
            funding.status = update.status;
            funding.provider_ref = update.provider_ref.clone().or(funding.provider_ref.take());
            funding.reason = update.reason.clone().or(funding.reason.take());
            funding.updated_us = at.as_microsecond();
            if let Some(allocation) = allocation_of(updated.credit.as_ref(), events) {
                funding.allocation = Some(allocation);
            }
        }
        Ok(())
    }

    /// Whether `amount` pays `plan` of `account` off now: what `credit`'s early payoff checks,
    /// on the account as of the partition's latest time.
    fn payoff_check(
        &self,
        account: AccountId,
        plan: PlanId,
        amount: Amount,
    ) -> Result<(), crate::request::EngineRejection> {
        let waive = self.book.product().waive_future_fees_on_payoff;
        let now = self
            .book
            .account_at(account, self.now())
            .ok_or(credit::Rejection::AccountNotFound)?;
        if now.plan(plan).is_none() {
            return Err(credit::Rejection::PlanNotFound.into());
        }
        if now.is_charged_off() {
            return Err(credit::Rejection::AccountChargedOff.into());
        }
        let payoff = now.payoff_amount(plan, waive).ok_or(credit::Rejection::PlanNotActive)?;
        if amount < payoff {
            return Err(credit::Rejection::PaymentBelowPayoff { payoff }.into());
        }
        Ok(())
    }

    /// The funding operations a read asks for.
    pub(crate) fn fundings_for(&self, query: FundingQuery) -> Vec<Funding> {
        match query {
            FundingQuery::One(id) => self.fundings.get(&id).cloned().into_iter().collect(),
            FundingQuery::Pending => self
                .fundings
                .values()
                .filter(|f| f.status == FundingStatus::Pending)
                .cloned()
                .collect(),
        }
    }
}
