//! Fraud asks: a customer's theft report, an operator's resolution of a case, a direct fraud
//! exemption, and the customer's unfreeze after re-verification.

use credit::ledger::{EntryKind, LedgerAccount};
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
    /// What a confirmed theft's exemption moved (`None` for a rejection or an interception).
    pub exemption: Option<Exemption>,
}

/// What a fraud exemption moved, read from its `FraudExempted` event and its ledger entry:
/// the restatement moves every income account to its restated balance, so the income it
/// reverses is what the customer no longer owes or paid for the fraud.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Exemption {
    /// Booked as fraud loss.
    pub fraud_loss: Amount,
    /// Installment fees reversed (billed on the exempted purchases' plans).
    pub fees_waived: Amount,
    /// Plan and revolving interest reversed.
    pub interest_waived: Amount,
    /// Penalties reversed.
    pub penalties_waived: Amount,
    /// Payments the restated account no longer needs, kept as the customer's credit balance
    /// (or paying what is still owed).
    pub credited: Amount,
}

impl Exemption {
    /// The exemption among `events`: its fraud loss and the income its entry reversed.
    pub fn of(account: AccountId, events: &[Event]) -> Option<(Vec<TxnId>, Exemption)> {
        let (txns, fraud_loss) = events.iter().find_map(|e| match e {
            Event::FraudExempted {
                account: a,
                txns,
                fraud_loss,
            } if *a == account => Some((txns.clone(), *fraud_loss)),
            _ => None,
        })?;
        let mut exemption = Exemption {
            fraud_loss,
            ..Exemption::default()
        };
        let postings = events.iter().flat_map(|e| match e {
            Event::Posted { account: a, entry } if *a == account && entry.kind == EntryKind::FraudExemption => {
                entry.postings.as_slice()
            }
            _ => &[],
        });
        for posting in postings {
            let slot = match posting.account {
                LedgerAccount::FeeIncome => &mut exemption.fees_waived,
                LedgerAccount::InterestIncome => &mut exemption.interest_waived,
                LedgerAccount::PenaltyIncome => &mut exemption.penalties_waived,
                LedgerAccount::CustomerCredit => &mut exemption.credited,
                _ => continue,
            };
            // Income and credit balance are credits: reversing them is a debit (positive),
            // giving credit balance a credit (negative).
            *slot += if posting.account == LedgerAccount::CustomerCredit {
                -posting.amount
            } else {
                posting.amount
            };
        }
        Some((txns, exemption))
    }
}

impl Ask for ResolveCase {
    type Reply = CaseResolvedReply;

    fn into_request(self) -> Request {
        Request::ResolveCase {
            case: self.case,
            confirm: self.confirm,
        }
    }

    fn reply(op: &Op, events: &[Event]) -> Result<CaseResolvedReply, ReplyMismatch> {
        match op {
            Op::ResolveCase { case, confirm } => Ok(CaseResolvedReply {
                case: *case,
                confirmed: *confirm,
                exemption: None,
            }),
            Op::ConfirmTheft { case, .. } => Ok(CaseResolvedReply {
                case: *case,
                confirmed: true,
                exemption: events
                    .iter()
                    .find_map(|e| match e {
                        Event::FraudExempted { account, .. } => Exemption::of(*account, events),
                        _ => None,
                    })
                    .map(|(_, exemption)| exemption),
            }),
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
    /// The fraud loss with what the restatement waived and credited.
    pub exemption: Exemption,
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
        Exemption::of(*account, events)
            .map(|(txns, exemption)| ExemptReply {
                txns,
                fraud_loss: exemption.fraud_loss,
                exemption,
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
