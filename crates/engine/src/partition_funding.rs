//! How a partition starts and updates funding operations (the types and their state machine
//! are [`crate::funding`]): each request is resolved into a journaled op, and each op applied
//! to the partition's funding state and credit book, live and in replay alike.

use credit::{AccountId, Command, OpId, PlanId};
use money::Amount;

use crate::funding::{
    Funding, FundingKind, FundingQuery, FundingStart, FundingStarted, FundingStatus, FundingUpdate, FundingUpdated,
    start_effect, transition,
};
use crate::partition::Partition;
use crate::record::Op;
use crate::rejection::EngineRejection;
use crate::route::make_id;

impl Partition {
    pub(crate) fn resolve_start_funding(&mut self, start: &FundingStart, now_us: i64) -> Result<Op, EngineRejection> {
        if self.book.account(start.account).is_none() {
            return Err(credit::Rejection::AccountNotFound.into());
        }
        if let (FundingKind::Debit, Some(plan)) = (start.kind, start.plan) {
            self.payoff_check(start.account, plan, start.amount)?;
        }
        self.funding_counter += 1;
        let id = make_id(self.funding_counter, self.id);
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
        Ok(Op::FundingStarted(Box::new(FundingStarted { funding, credit })))
    }

    pub(crate) fn resolve_update_funding(&self, update: &FundingUpdate) -> Result<Op, EngineRejection> {
        let funding = self
            .fundings
            .get(&update.funding)
            .ok_or(EngineRejection::FundingNotFound)?;
        let mut credit = transition(funding, update.status).ok_or(EngineRejection::FundingFinal)?;
        // A settled payoff debit pays its plan off if the money still covers the payoff now
        // (a statement may have closed meanwhile); else it lands as a repayment. Settled money
        // is never refused.
        if let (FundingKind::Debit, FundingStatus::Settled, Some(plan)) = (funding.kind, update.status, funding.plan)
            && self.payoff_check(funding.account, plan, funding.amount).is_ok()
        {
            credit = Some(payoff_command(funding, plan));
        }
        Ok(Op::FundingUpdated(Box::new(FundingUpdated {
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
    ) -> Result<(), EngineRejection> {
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
    ) -> Result<(), EngineRejection> {
        let update = &updated.update;
        let funding = self
            .fundings
            .get(&update.funding)
            .ok_or(EngineRejection::FundingNotFound)?;
        let expected = transition(funding, update.status);
        let payoff = funding.plan.map(|plan| payoff_command(funding, plan));
        let allowed = expected.as_ref() == Some(&updated.credit)
            || (expected.is_some() && payoff.is_some() && updated.credit == payoff);
        if !allowed {
            return Err(EngineRejection::FundingFinal);
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
    fn payoff_check(&self, account: AccountId, plan: PlanId, amount: Amount) -> Result<(), EngineRejection> {
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
