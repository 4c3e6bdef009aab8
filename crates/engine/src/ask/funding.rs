//! Funding asks: start a debit, an offline repayment or a payout, and record what a provider
//! said about one.

use credit::{Allocation, Command, Event, OpId};
use money::Amount;

use super::contract::{Ask, ReplyMismatch};
use crate::funding::{Funding, FundingStart, FundingStatus, FundingUpdate};
use crate::record::Op;
use crate::request::Request;

/// What money a funding step moved through the account, if it applied a repayment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FundingEffect {
    /// How a repayment (or the money of a failed payout coming back) spread over what is owed.
    pub allocation: Option<Allocation>,
    /// The future fees and interest an early payoff waived.
    pub fees_waived: Option<Amount>,
}

impl FundingEffect {
    /// The effect of `command` among `events` (matched by its op id).
    fn of(command: Option<&Command>, events: &[Event]) -> FundingEffect {
        let Some(Command::Repay { op, .. } | Command::EarlyPayoff { op, .. }) = command else {
            return FundingEffect::default();
        };
        let paid = |o: &OpId| o == op;
        let mut effect = FundingEffect::default();
        for event in events {
            match event {
                Event::Repaid { op, allocation, .. } if paid(op) => effect.allocation = Some(*allocation),
                Event::PlanPaidOff {
                    op,
                    allocation,
                    fees_waived,
                    ..
                } if paid(op) => {
                    effect.allocation = Some(*allocation);
                    effect.fees_waived = Some(*fees_waived);
                }
                _ => {}
            }
        }
        effect
    }
}

/// Start a funding operation (made by `FundingStart::debit`, `offline` or `payout`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartFunding(pub FundingStart);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FundingReply {
    /// The operation as it started (a retry's reply shows it as it started, not as it stands).
    pub funding: Funding,
    pub effect: FundingEffect,
}

impl Ask for StartFunding {
    type Reply = FundingReply;

    fn into_request(self) -> Request {
        Request::StartFunding(self.0)
    }

    fn reply(op: &Op, events: &[Event]) -> Result<FundingReply, ReplyMismatch> {
        match op {
            Op::FundingStarted(started) => Ok(FundingReply {
                funding: started.funding.clone(),
                effect: FundingEffect::of(started.credit.as_ref(), events),
            }),
            _ => Err(ReplyMismatch::new("start_funding", op, "a started operation")),
        }
    }
}

/// Record what the provider said about a funding operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateFunding(pub FundingUpdate);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FundingUpdateReply {
    pub funding: u64,
    pub status: FundingStatus,
    pub effect: FundingEffect,
}

impl Ask for UpdateFunding {
    type Reply = FundingUpdateReply;

    fn into_request(self) -> Request {
        Request::UpdateFunding(self.0)
    }

    fn reply(op: &Op, events: &[Event]) -> Result<FundingUpdateReply, ReplyMismatch> {
        match op {
            Op::FundingUpdated(updated) => Ok(FundingUpdateReply {
                funding: updated.update.funding,
                status: updated.update.status,
                effect: FundingEffect::of(updated.credit.as_ref(), events),
            }),
            _ => Err(ReplyMismatch::new("update_funding", op, "an updated operation")),
        }
    }
}
