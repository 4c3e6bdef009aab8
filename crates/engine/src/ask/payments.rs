//! Merchant payment asks: authorize, and capture, void or refund one of the merchant's own
//! transactions.

use credit::{AccountId, Command, Day, Event, MerchantId, OpId, PlanChoice, PlanId, TxnId};
use money::Amount;

use super::contract::{Ask, ReplyMismatch, command_named};
use crate::record::Op;
use crate::reference::Reference;
use crate::request::{Payer, Request, TxnAction};

/// Authorize a payment: a hold on the payer's available credit.
#[derive(Clone, Debug, PartialEq)]
pub struct Authorize {
    pub payer: Payer,
    pub merchant: MerchantId,
    pub amount: Amount,
    pub plan: Option<PlanChoice>,
    /// The merchant's reference (its order id), kept with the transaction.
    pub reference: Option<Reference>,
}

/// An approved authorization.
#[derive(Clone, Debug, PartialEq)]
pub struct AuthorizeReply {
    /// The transaction the partition assigned.
    pub txn: TxnId,
    /// The account that pays (a link resolved to its account).
    pub account: AccountId,
    pub amount: Amount,
    /// The installments chosen, priced (a rate filled in from the customer's tier).
    pub plan: Option<PlanChoice>,
    /// The last day the hold can be captured.
    pub expires_on: Day,
    /// The merchant's reference, as kept.
    pub reference: Option<Reference>,
}

impl Ask for Authorize {
    type Reply = AuthorizeReply;

    fn into_request(self) -> Request {
        Request::Authorize {
            payer: self.payer,
            merchant: self.merchant,
            amount: self.amount,
            plan: self.plan,
            reference: self.reference,
        }
    }

    fn reply(op: &Op, events: &[Event]) -> Result<AuthorizeReply, ReplyMismatch> {
        let mismatch = |needs| ReplyMismatch::new("authorize", op, needs);
        let Some(&Command::Authorize {
            account,
            txn,
            amount,
            plan,
            ..
        }) = command_named(op, "authorize")
        else {
            return Err(mismatch("an authorization"));
        };
        let reference = match op {
            Op::Authorize { reference, .. } => reference.clone(),
            _ => None,
        };
        let expires_on = events
            .iter()
            .find_map(|e| match e {
                Event::Authorized { txn: t, expires_on, .. } if *t == txn => Some(*expires_on),
                _ => None,
            })
            .ok_or_else(|| mismatch("its Authorized event"))?;
        Ok(AuthorizeReply {
            txn,
            account,
            amount,
            plan,
            expires_on,
            reference,
        })
    }
}

/// Capture all or part of a merchant's authorization (the rest of the hold is released).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capture {
    pub merchant: MerchantId,
    pub txn: TxnId,
    pub amount: Amount,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaptureReply {
    pub txn: TxnId,
    pub captured: Amount,
    /// The rest of the hold, released.
    pub released: Amount,
    /// The installment plan the purchase pays through, if one was chosen.
    pub plan: Option<PlanId>,
}

impl Ask for Capture {
    type Reply = CaptureReply;

    fn into_request(self) -> Request {
        Request::Txn {
            merchant: self.merchant,
            txn: self.txn,
            action: TxnAction::Capture { amount: self.amount },
        }
    }

    fn reply(op: &Op, events: &[Event]) -> Result<CaptureReply, ReplyMismatch> {
        let txn = txn_of(op, "capture")?;
        events
            .iter()
            .find_map(|e| match *e {
                Event::Captured {
                    txn: t,
                    amount,
                    released,
                    plan,
                    ..
                } if t == txn => Some(CaptureReply {
                    txn,
                    captured: amount,
                    released,
                    plan,
                }),
                _ => None,
            })
            .ok_or_else(|| ReplyMismatch::new("capture", op, "its Captured event"))
    }
}

/// Void a merchant's authorization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Void {
    pub merchant: MerchantId,
    pub txn: TxnId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VoidReply {
    pub txn: TxnId,
    /// The hold released.
    pub released: Amount,
}

impl Ask for Void {
    type Reply = VoidReply;

    fn into_request(self) -> Request {
        Request::Txn {
            merchant: self.merchant,
            txn: self.txn,
            action: TxnAction::Void,
        }
    }

    fn reply(op: &Op, events: &[Event]) -> Result<VoidReply, ReplyMismatch> {
        let txn = txn_of(op, "void")?;
        events
            .iter()
            .find_map(|e| match *e {
                Event::Voided { txn: t, released, .. } if t == txn => Some(VoidReply { txn, released }),
                _ => None,
            })
            .ok_or_else(|| ReplyMismatch::new("void", op, "its Voided event"))
    }
}

/// Refund all or part of a merchant's captured payment; `op` names the refund.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refund {
    pub merchant: MerchantId,
    pub txn: TxnId,
    pub op: OpId,
    pub amount: Amount,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefundReply {
    pub txn: TxnId,
    /// The refund's id.
    pub op: OpId,
    pub amount: Amount,
}

impl Ask for Refund {
    type Reply = RefundReply;

    fn into_request(self) -> Request {
        Request::Txn {
            merchant: self.merchant,
            txn: self.txn,
            action: TxnAction::Refund {
                op: self.op,
                amount: self.amount,
            },
        }
    }

    fn reply(op: &Op, _events: &[Event]) -> Result<RefundReply, ReplyMismatch> {
        match command_named(op, "refund") {
            Some(&Command::Refund {
                txn,
                op: refund,
                amount,
                ..
            }) => Ok(RefundReply {
                txn,
                op: refund,
                amount,
            }),
            _ => Err(ReplyMismatch::new("refund", op, "a refund")),
        }
    }
}

/// The transaction of an op that is the credit command `kind`.
fn txn_of(op: &Op, kind: &'static str) -> Result<TxnId, ReplyMismatch> {
    command_named(op, kind)
        .and_then(Command::txn)
        .ok_or_else(|| ReplyMismatch::new(kind, op, "its transaction"))
}
