//! Fraud asks: a customer's theft report, an operator's resolution of a case, a direct fraud
//! exemption, and the customer's unfreeze after re-verification.

use credit::{AccountId, Command, Event, TxnId};
use money::Amount;

use super::contract::{Ask, Done, ReplyMismatch, command_named};
use crate::ids::CaseId;
use crate::record::Op;
use crate::request::Request;

/// Report transactions the customer did not make: a theft case opens, the account freezes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportTheft {
    pub account: AccountId,
    pub txns: Vec<TxnId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TheftReportReply {
    /// The case the partition opened.
    pub case: CaseId,
    pub txns: Vec<TxnId>,
}

impl Ask for ReportTheft {
    type Reply = TheftReportReply;

    fn into_request(self) -> Request {
        Request::ReportTheft {
            account: self.account,
            txns: self.txns,
        }
    }

    fn reply(op: &Op, _events: &[Event]) -> Result<TheftReportReply, ReplyMismatch> {
        match op {
            Op::OpenCase { case, txns, .. } => Ok(TheftReportReply {
                case: *case,
                txns: txns.clone(),
            }),
            _ => Err(ReplyMismatch::new("report_theft", op, "an opened case")),
        }
    }
}

/// Confirm (a theft's transactions are exempted) or reject an open case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResolveCase {
    pub case: CaseId,
    pub confirm: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaseResolvedReply {
    pub case: CaseId,
    pub confirmed: bool,
}

impl Ask for ResolveCase {
    type Reply = CaseResolvedReply;

    fn into_request(self) -> Request {
        Request::ResolveCase {
            case: self.case,
            confirm: self.confirm,
        }
    }

    fn reply(op: &Op, _events: &[Event]) -> Result<CaseResolvedReply, ReplyMismatch> {
        match *op {
            Op::ResolveCase { case, confirm } => Ok(CaseResolvedReply {
                case,
                confirmed: confirm,
            }),
            Op::ConfirmTheft { case, .. } => Ok(CaseResolvedReply { case, confirmed: true }),
            _ => Err(ReplyMismatch::new("resolve_case", op, "a case resolution")),
        }
    }
}

/// Exempt a customer's transactions as fraud (outside a theft case).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExemptFraud {
    pub account: AccountId,
    pub txns: Vec<TxnId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExemptReply {
    pub txns: Vec<TxnId>,
    /// What the restatement moved to fraud loss.
    pub fraud_loss: Amount,
}

impl Ask for ExemptFraud {
    type Reply = ExemptReply;

    fn into_request(self) -> Request {
        Request::ExemptFraud {
            account: self.account,
            txns: self.txns,
        }
    }

    fn reply(op: &Op, events: &[Event]) -> Result<ExemptReply, ReplyMismatch> {
        let mismatch = |needs| ReplyMismatch::new("exempt_fraud", op, needs);
        let Some(Command::ExemptFraud { account, .. }) = command_named(op, "exempt_fraud") else {
            return Err(mismatch("an exemption"));
        };
        events
            .iter()
            .find_map(|e| match e {
                Event::FraudExempted {
                    account: a,
                    txns,
                    fraud_loss,
                } if a == account => Some(ExemptReply {
                    txns: txns.clone(),
                    fraud_loss: *fraud_loss,
                }),
                _ => None,
            })
            .ok_or_else(|| mismatch("its FraudExempted event"))
    }
}

/// Lift a theft report's freeze after the customer passed re-verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifiedUnfreeze {
    pub account: AccountId,
}

impl Ask for VerifiedUnfreeze {
    type Reply = Done;

    fn into_request(self) -> Request {
        Request::VerifiedUnfreeze { account: self.account }
    }

    fn reply(op: &Op, _events: &[Event]) -> Result<Done, ReplyMismatch> {
        command_named(op, "unfreeze")
            .map(|_| Done)
            .ok_or_else(|| ReplyMismatch::new("verified_unfreeze", op, "an unfreeze"))
    }
}
