//! Asks about one account's line: open it, change its limits, freeze or unfreeze it, turn a
//! statement into installments, link it to a merchant, set its credit profile, pass a risk
//! checkpoint.

use credit::{AccountId, Command, Day, Event, FreezeReason, MerchantId, PlanChoice, PlanId};
use money::Amount;

use super::contract::{Ask, Done, ReplyMismatch, command_named};
use crate::account_command::AccountCommand;
use crate::application::{Approval, LineOpening};
use crate::ids::LinkId;
use crate::pricing::{CreditProfile, Pricing};
use crate::record::Op;
use crate::request::Request;

/// The request of an account command made by an ask.
fn account(account: AccountId, command: Command) -> Request {
    Request::Account(AccountCommand::of_ask(account, command))
}

/// `Done` when the op is the credit command `kind`.
fn done(op: &Op, kind: &'static str) -> Result<Done, ReplyMismatch> {
    command_named(op, kind)
        .map(|_| Done)
        .ok_or_else(|| ReplyMismatch::new(kind, op, "its command"))
}

/// Open a credit line with a limit and a billing day (1..=28).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenAccount {
    pub account: AccountId,
    pub limit: Amount,
    pub billing_day: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenAccountReply {
    pub account: AccountId,
    /// The day the first statement closes.
    pub first_statement: Day,
}

impl Ask for OpenAccount {
    type Reply = OpenAccountReply;

    fn into_request(self) -> Request {
        let OpenAccount {
            account: id,
            limit,
            billing_day,
        } = self;
        account(
            id,
            Command::OpenAccount {
                account: id,
                limit,
                billing_day,
            },
        )
    }

    fn reply(op: &Op, events: &[Event]) -> Result<OpenAccountReply, ReplyMismatch> {
        let mismatch = |needs| ReplyMismatch::new("open_account", op, needs);
        let Some(&Command::OpenAccount { account, .. }) = command_named(op, "open_account") else {
            return Err(mismatch("an account opening"));
        };
        events
            .iter()
            .find_map(|e| match *e {
                Event::AccountOpened {
                    account: a,
                    first_statement,
                    ..
                } if a == account => Some(OpenAccountReply {
                    account,
                    first_statement,
                }),
                _ => None,
            })
            .ok_or_else(|| mismatch("its AccountOpened event"))
    }
}

/// Open a credit line at a price tier, without an application (an operator's opening): the
/// account, its limit and its credit profile with the tier's pricing in one journaled op
/// (`Request::OpenLine`, approved by [`Approval::Operator`], no scores).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenPricedLine {
    pub account: AccountId,
    pub limit: Amount,
    pub billing_day: u8,
    pub pricing: Pricing,
}

impl Ask for OpenPricedLine {
    type Reply = OpenAccountReply;

    fn into_request(self) -> Request {
        Request::OpenLine(LineOpening {
            account: self.account,
            limit: self.limit,
            billing_day: self.billing_day,
            pd: 0.0,
            score: 0,
            pricing: self.pricing,
            approval: Approval::Operator,
            reasons: Vec::new(),
        })
    }

    fn reply(op: &Op, events: &[Event]) -> Result<OpenAccountReply, ReplyMismatch> {
        let mismatch = |needs| ReplyMismatch::new("open_line", op, needs);
        let Op::OpenLine(line) = op else {
            return Err(mismatch("a line opening"));
        };
        events
            .iter()
            .find_map(|e| match *e {
                Event::AccountOpened {
                    account,
                    first_statement,
                    ..
                } if account == line.account => Some(OpenAccountReply {
                    account,
                    first_statement,
                }),
                _ => None,
            })
            .ok_or_else(|| mismatch("its AccountOpened event"))
    }
}

/// Set the permanent limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChangeLimit {
    pub account: AccountId,
    pub limit: Amount,
}

impl Ask for ChangeLimit {
    type Reply = Done;

    fn into_request(self) -> Request {
        let ChangeLimit { account: id, limit } = self;
        account(id, Command::ChangeLimit { account: id, limit })
    }

    fn reply(op: &Op, _events: &[Event]) -> Result<Done, ReplyMismatch> {
        done(op, "change_limit")
    }
}

/// Grant (or replace) a temporary limit usable until the end of `expires_on`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetTemporaryLimit {
    pub account: AccountId,
    pub amount: Amount,
    pub expires_on: Day,
}

impl Ask for SetTemporaryLimit {
    type Reply = Done;

    fn into_request(self) -> Request {
        let SetTemporaryLimit {
            account: id,
            amount,
            expires_on,
        } = self;
        let command = Command::SetTemporaryLimit {
            account: id,
            amount,
            expires_on,
        };
        account(id, command)
    }

    fn reply(op: &Op, _events: &[Event]) -> Result<Done, ReplyMismatch> {
        done(op, "set_temporary_limit")
    }
}

/// Freeze an account: new authorizations are declined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Freeze {
    pub account: AccountId,
    pub reason: FreezeReason,
}

impl Ask for Freeze {
    type Reply = Done;

    fn into_request(self) -> Request {
        let Freeze { account: id, reason } = self;
        account(id, Command::Freeze { account: id, reason })
    }

    fn reply(op: &Op, _events: &[Event]) -> Result<Done, ReplyMismatch> {
        done(op, "freeze")
    }
}

/// Freeze an account unless it is frozen already (refused `AccountFrozen`, decided on the
/// partition in one step); only a customer's own freeze gives way to another reason, so a
/// customer's freeze never replaces an operator's, risk's or a theft report's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FreezeUnlessFrozen {
    pub account: AccountId,
    pub reason: FreezeReason,
}

impl Ask for FreezeUnlessFrozen {
    type Reply = Done;

    fn into_request(self) -> Request {
        Request::FreezeUnlessFrozen {
            account: self.account,
            reason: self.reason,
        }
    }

    fn reply(op: &Op, _events: &[Event]) -> Result<Done, ReplyMismatch> {
        command_named(op, "freeze")
            .map(|_| Done)
            .ok_or_else(|| ReplyMismatch::new("freeze_unless_frozen", op, "a freeze"))
    }
}

/// Lift a freeze (an operator's; a theft report's freeze needs [`super::VerifiedUnfreeze`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unfreeze {
    pub account: AccountId,
}

impl Ask for Unfreeze {
    type Reply = Done;

    fn into_request(self) -> Request {
        account(self.account, Command::Unfreeze { account: self.account })
    }

    fn reply(op: &Op, _events: &[Event]) -> Result<Done, ReplyMismatch> {
        done(op, "unfreeze")
    }
}

/// Convert the latest statement into installments under `plan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BillInstallment {
    pub account: AccountId,
    pub plan: PlanId,
    pub statement: u32,
    pub choice: PlanChoice,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BillInstallReply {
    pub plan: PlanId,
    pub statement: u32,
    /// The principal moved into the plan.
    pub principal: Amount,
    /// The statement's minimum, recomputed.
    pub minimum: Amount,
}

impl Ask for BillInstallment {
    type Reply = BillInstallReply;

    fn into_request(self) -> Request {
        let BillInstallment {
            account: id,
            plan,
            statement,
            choice,
        } = self;
        let command = Command::BillInstallment {
            account: id,
            plan,
            statement,
            choice,
        };
        account(id, command)
    }

    fn reply(op: &Op, events: &[Event]) -> Result<BillInstallReply, ReplyMismatch> {
        let mismatch = |needs| ReplyMismatch::new("bill_installment", op, needs);
        let Some(&Command::BillInstallment { plan, .. }) = command_named(op, "bill_installment") else {
            return Err(mismatch("a bill installment"));
        };
        events
            .iter()
            .find_map(|e| match *e {
                Event::BillInstalled {
                    plan: p,
                    statement,
                    principal,
                    minimum,
                    ..
                } if p == plan => Some(BillInstallReply {
                    plan,
                    statement,
                    principal,
                    minimum,
                }),
                _ => None,
            })
            .ok_or_else(|| mismatch("its BillInstalled event"))
    }
}

/// Re-age a delinquent account's billed principal into a hardship plan (`credit::hardship`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hardship {
    pub account: AccountId,
    pub plan: PlanId,
    pub periods: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HardshipReply {
    pub plan: PlanId,
    pub periods: u32,
    /// The billed principal moved into the plan.
    pub principal: Amount,
    /// The first installment, billed at once.
    pub first_installment: Amount,
    /// What paying ends the delinquency: everything billed now.
    pub cure: Amount,
}

impl Ask for Hardship {
    type Reply = HardshipReply;

    fn into_request(self) -> Request {
        let command = Command::HardshipPlan {
            account: self.account,
            plan: self.plan,
            periods: self.periods,
        };
        account(self.account, command)
    }

    fn reply(op: &Op, events: &[Event]) -> Result<HardshipReply, ReplyMismatch> {
        let mismatch = |needs| ReplyMismatch::new("hardship_plan", op, needs);
        let Some(&Command::HardshipPlan { plan, .. }) = command_named(op, "hardship_plan") else {
            return Err(mismatch("a hardship plan"));
        };
        events
            .iter()
            .find_map(|e| match *e {
                Event::HardshipPlanned {
                    plan: p,
                    periods,
                    principal,
                    first_installment,
                    cure,
                    ..
                } if p == plan => Some(HardshipReply {
                    plan,
                    periods,
                    principal,
                    first_installment,
                    cure,
                }),
                _ => None,
            })
            .ok_or_else(|| mismatch("its HardshipPlanned event"))
    }
}

/// Link the account to an online merchant, who then authorizes with the link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkMerchant {
    pub account: AccountId,
    pub merchant: MerchantId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkReply {
    /// The link the partition assigned.
    pub link: LinkId,
    pub merchant: MerchantId,
}

impl Ask for LinkMerchant {
    type Reply = LinkReply;

    fn into_request(self) -> Request {
        Request::LinkMerchant {
            account: self.account,
            merchant: self.merchant,
        }
    }

    fn reply(op: &Op, _events: &[Event]) -> Result<LinkReply, ReplyMismatch> {
        match *op {
            Op::LinkMerchant { link, merchant, .. } => Ok(LinkReply { link, merchant }),
            _ => Err(ReplyMismatch::new("link_merchant", op, "a link")),
        }
    }
}

/// Set the credit profile (scores and price tier) risk rules read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SetCreditProfile {
    pub account: AccountId,
    pub profile: CreditProfile,
}

impl Ask for SetCreditProfile {
    type Reply = Done;

    fn into_request(self) -> Request {
        Request::SetCreditProfile {
            account: self.account,
            profile: self.profile,
        }
    }

    fn reply(op: &Op, _events: &[Event]) -> Result<Done, ReplyMismatch> {
        match op {
            Op::SetCreditProfile { .. } => Ok(Done),
            _ => Err(ReplyMismatch::new("set_credit_profile", op, "a credit profile")),
        }
    }
}

/// A risk checkpoint without a credit effect; the decision comes with the engine's reply.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    pub account: AccountId,
    pub detail: risk::CheckpointDetail,
}

impl Ask for Checkpoint {
    type Reply = Done;

    fn into_request(self) -> Request {
        Request::Checkpoint {
            account: self.account,
            detail: self.detail,
        }
    }

    fn reply(op: &Op, _events: &[Event]) -> Result<Done, ReplyMismatch> {
        match op {
            Op::Checkpoint { .. } => Ok(Done),
            _ => Err(ReplyMismatch::new("checkpoint", op, "a checkpoint")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each ask's command is an account command by `TryFrom` too (what `of_ask` relies on).
    #[test]
    fn every_account_ask_makes_an_account_command() {
        let (id, amount, day) = (AccountId(3), Amount::from_fen(100), Day::ymd(2026, 3, 1));
        let choice = PlanChoice {
            periods: 3,
            method: money::schedule::Method::FlatFee,
            rate: None,
        };
        let requests = [
            OpenAccount {
                account: id,
                limit: amount,
                billing_day: 5,
            }
            .into_request(),
            ChangeLimit {
                account: id,
                limit: amount,
            }
            .into_request(),
            SetTemporaryLimit {
                account: id,
                amount,
                expires_on: day,
            }
            .into_request(),
            Freeze {
                account: id,
                reason: FreezeReason::Operator,
            }
            .into_request(),
            Unfreeze { account: id }.into_request(),
            BillInstallment {
                account: id,
                plan: PlanId(9),
                statement: 1,
                choice,
            }
            .into_request(),
            Hardship {
                account: id,
                plan: PlanId(10),
                periods: 6,
            }
            .into_request(),
        ];
        for request in requests {
            let Request::Account(command) = request else {
                panic!("not an account request: {request:?}")
            };
            let checked = AccountCommand::try_from(command.command().clone());
            assert_eq!(checked.as_ref(), Ok(&command));
            assert_eq!(command.account(), id);
        }
    }
}
