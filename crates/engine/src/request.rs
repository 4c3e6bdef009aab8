//! What callers send the engine ([`Request`]) and what they get back ([`Reply`]).

use credit::{AccountId, Command, Event, MerchantId, OpId, PlanChoice, TxnId};

use crate::account_command::{AccountCommand, NotAnAccountCommand};

use crate::application::{CreditApplication, LineOpening};
use crate::ids::{CaseId, LinkId};
use crate::record::Op;
use crate::reference::Reference;
use crate::rejection::EngineRejection;
use crate::risk::RiskRecord;
use jiff::Timestamp;
use money::Amount;
use serde::{Deserialize, Serialize};

/// Who pays for an authorization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Payer {
    /// The customer's account, resolved by the caller (e.g. from a one-time payment code).
    Account(AccountId),
    /// A link the customer made to this merchant (online merchants).
    Link(LinkId),
}

/// What a merchant does to one of its own transactions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TxnAction {
    Capture { amount: Amount },
    Void,
    Refund { op: OpId, amount: Amount },
}

/// A request. Account-addressed credit commands pass through as they are; the others are
/// resolved by the owning partition (it assigns transaction and link ids, checks that a
/// merchant acts only on its own transactions, and reads an account's history for a fraud
/// exemption). A request is never journaled (its resolved [`Op`] is), so variants may change.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// A credit command for one account that has no request of its own (the type refuses
    /// `Authorize`, `Capture`, `Void`, `Refund`, `ExemptFraud` and `Advance`).
    Account(AccountCommand),
    Authorize {
        payer: Payer,
        merchant: MerchantId,
        amount: Amount,
        plan: Option<PlanChoice>,
        /// The merchant's reference (its order id), kept with the transaction.
        reference: Option<Reference>,
    },
    Txn {
        merchant: MerchantId,
        txn: TxnId,
        action: TxnAction,
    },
    LinkMerchant {
        account: AccountId,
        merchant: MerchantId,
    },
    ExemptFraud {
        account: AccountId,
        txns: Vec<TxnId>,
    },
    /// The customer's credit profile from onboarding (what the rules see as model scores).
    SetCreditProfile {
        account: AccountId,
        profile: crate::pricing::CreditProfile,
    },
    /// A risk checkpoint without a credit effect (login, device change, activation, profile
    /// change, credit application): decided, recorded, answered.
    Checkpoint {
        account: AccountId,
        detail: risk::CheckpointDetail,
    },
    /// The merchant asks to ship an order: the last-mile decision (ship, hold, intercept).
    Deliver {
        merchant: MerchantId,
        txn: TxnId,
        address_changed: bool,
    },
    /// The merchant reports a changed delivery address: the order is re-scored now.
    AddressChanged {
        merchant: MerchantId,
        txn: TxnId,
    },
    /// Puts a device or an IP on the known-fraud list; every partition re-scores its open
    /// orders that used it (send with [`crate::Engine::broadcast`]).
    ListFraud {
        device: Option<risk::DeviceId>,
        ip: Option<std::net::IpAddr>,
    },
    /// The customer reports transactions they did not make: a theft case opens and the account
    /// is frozen.
    ReportTheft {
        account: AccountId,
        txns: Vec<TxnId>,
    },
    /// An operator confirms (exempting the transactions of a theft) or rejects a case.
    ResolveCase {
        case: CaseId,
        confirm: bool,
    },
    /// Lifts a freeze after the customer passed re-verification (the shell checked liveness).
    VerifiedUnfreeze {
        account: AccountId,
    },
    /// Freezes an account unless it is frozen already: refused with `AccountFrozen` when it is,
    /// except that a customer's own freeze (the weakest: the customer lifts it with a step-up)
    /// gives way to any other. Decided in one step on the partition, so there is no
    /// check-then-act race with an operator's, risk's or a theft report's freeze.
    FreezeUnlessFrozen {
        account: AccountId,
        reason: credit::FreezeReason,
    },
    /// The credit-application checkpoint for an applicant who may hold no account yet: decided
    /// with the PD passed in, journaled, counted in the features; opens nothing. Refused with
    /// `AccountExists` when the applicant already holds a line (see [`crate::application`]).
    CreditApplication(CreditApplication),
    /// Opens an approved line: the account with its limit and its credit profile with the price
    /// tier, in one journaled op. Refused with `AccountExists` for a second line.
    OpenLine(LineOpening),
    /// Starts a funding operation: a debit (pending until the provider settles it), an offline
    /// repayment (settled at once), or a payout (reserves the credit balance at once). See
    /// [`crate::funding`].
    StartFunding(crate::funding::FundingStart),
    /// What the provider says about a funding operation (settled, paid, failed, returned).
    UpdateFunding(crate::funding::FundingUpdate),
    /// The daily advance of every account of a partition (the scheduler's; send it with
    /// [`crate::Engine::advance`], which queues it to every partition).
    Advance,
}

/// The result of a request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    /// Applied and durable. `op` is the request as resolved, with the ids the engine assigned
    /// (the transaction of an authorization, the account of a capture, a new link).
    Applied { op: Op, events: Vec<Event> },
    /// Refused, durably recorded (a retry with the same key gets the same answer).
    Rejected { rejection: EngineRejection },
    /// The idempotency key was used before with a different request. Nothing was recorded.
    Conflict,
}

/// What the engine answers, once the request's batch is durable.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    /// The journal position of the request: batch sequence and index within the batch.
    pub partition: u32,
    pub seq: u64,
    pub index: u32,
    pub at: Timestamp,
    pub outcome: Outcome,
    /// True when this is the stored reply of an earlier request with the same key.
    pub replayed: bool,
    /// The risk decision, when the request passed a checkpoint.
    pub risk: Option<Box<RiskRecord>>,
}

/// Why a request was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The partition's queue is full: retry later.
    #[error("busy: retry later")]
    Busy,
    /// The engine stopped (shutdown, or a storage failure).
    #[error("the engine is not running")]
    Unavailable,
    /// In a cluster (`EngineConfig::cluster`): another process owns the partition (or none
    /// does right now). The caller forwards the request to the owner.
    #[error("partition {partition} is owned by another process")]
    NotOwned { partition: u32 },
}

impl Request {
    /// The request of a credit command a caller holds as a plain [`Command`]: an
    /// [`AccountCommand`], or the daily advance. The commands with requests of their own that
    /// need what a plain command does not say (the merchant of a capture, the engine-assigned
    /// transaction of an authorization) are refused.
    pub fn from_command(command: Command) -> Result<Request, NotAnAccountCommand> {
        match command {
            Command::Advance => Ok(Request::Advance),
            command => AccountCommand::try_from(command).map(Request::Account),
        }
    }

    /// The partition that owns the request, or `None` for one that is for every partition.
    pub fn partition(&self, partitions: u32) -> Option<u32> {
        use crate::route::{partition_of, partition_of_id, txn_partition};
        match self {
            Request::Account(command) => Some(partition_of(command.account(), partitions)),
            Request::Authorize {
                payer: Payer::Account(account),
                ..
            } => Some(partition_of(*account, partitions)),
            Request::Authorize {
                payer: Payer::Link(link),
                ..
            } => Some(link.partition()),
            Request::Txn { txn, .. } | Request::Deliver { txn, .. } | Request::AddressChanged { txn, .. } => {
                Some(txn_partition(*txn))
            }
            Request::ListFraud { .. } | Request::Advance => None,
            Request::ResolveCase { case, .. } => Some(case.partition()),
            Request::ReportTheft { account, .. }
            | Request::VerifiedUnfreeze { account }
            | Request::FreezeUnlessFrozen { account, .. } => Some(partition_of(*account, partitions)),
            Request::LinkMerchant { account, .. }
            | Request::ExemptFraud { account, .. }
            | Request::SetCreditProfile { account, .. }
            | Request::Checkpoint { account, .. } => Some(partition_of(*account, partitions)),
            Request::CreditApplication(application) => Some(partition_of(application.applicant, partitions)),
            Request::OpenLine(line) => Some(partition_of(line.account, partitions)),
            Request::StartFunding(start) => Some(partition_of(start.account, partitions)),
            Request::UpdateFunding(update) => Some(partition_of_id(update.funding)),
        }
    }
}
