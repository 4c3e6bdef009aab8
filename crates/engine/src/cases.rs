//! Cases and the engine's own notices.
//!
//! A **case** is opened when monitoring intercepts an order (or holds it for review) and when a
//! customer reports unauthorized use. An operator resolves it: a confirmed theft restates the
//! account without the reported transactions (the credit core's exemption); a confirmed
//! interception keeps the order stopped; a rejected one releases the order or just closes.
//! A payment authorization decided `review` is held the same way (a `PaymentReview` case,
//! capture refused until it is released).
//! **Notices** are what the engine itself did (interceptions, cases), journaled beside the
//! credit events; merchants hear of interceptions through signed webhooks sent from them.

use std::net::IpAddr;

use credit::{AccountId, MerchantId, TxnId};
use jiff::Timestamp;
use money::Amount;
use risk::{DeviceId, Geo, ReasonCode};
use serde::{Deserialize, Serialize};

use crate::ids::CaseId;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CaseKind {
    /// Monitoring stopped an order before delivery.
    Interception,
    /// The customer reported transactions they did not make.
    Theft,
    /// A payment authorization decided `review`: authorized but held (no capture) until an
    /// analyst releases it (`confirm: false`) or declines it (`confirm: true`: the hold is
    /// voided), or the review timeout declines it at a daily advance (see `monitor`).
    /// Appended last: postcard writes a variant's index, so older journals decode.
    PaymentReview,
}

impl CaseKind {
    /// Whether the case holds its orders (an interception held for review, a held payment):
    /// a confirmation stops them, a rejection lets them go on.
    pub fn holds_order(self) -> bool {
        matches!(self, CaseKind::Interception | CaseKind::PaymentReview)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CaseStatus {
    Open,
    Confirmed,
    Rejected,
}

/// What the engine knew about a transaction when it decided: the evidence a case shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub txn: TxnId,
    pub at: Timestamp,
    pub checkpoint: risk::Checkpoint,
    pub outcome: risk::Outcome,
    pub reasons: Vec<ReasonCode>,
    pub rules: String,
    pub device: DeviceId,
    pub ip: IpAddr,
    pub geo: Option<Geo>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub id: CaseId,
    pub account: AccountId,
    pub kind: CaseKind,
    pub txns: Vec<TxnId>,
    pub status: CaseStatus,
    pub opened_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    pub evidence: Vec<Evidence>,
}

/// What an interception did to the order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InterceptAction {
    /// The hold was released: nothing was captured yet.
    Voided,
    /// The captured amount was refunded to the customer's account.
    Refunded { amount: Amount },
    /// Shipment held until an operator decides (a review outcome).
    HeldForReview,
}

/// What the engine did beyond the credit core's events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Notice {
    Intercepted {
        account: AccountId,
        merchant: MerchantId,
        txn: TxnId,
        case: CaseId,
        action: InterceptAction,
        reasons: Vec<ReasonCode>,
    },
    Delivered {
        account: AccountId,
        merchant: MerchantId,
        txn: TxnId,
    },
    CaseOpened {
        account: AccountId,
        case: CaseId,
        kind: CaseKind,
        txns: Vec<TxnId>,
    },
    CaseResolved {
        account: AccountId,
        case: CaseId,
        confirmed: bool,
    },
}

impl Notice {
    pub fn account(&self) -> AccountId {
        match self {
            Notice::Intercepted { account, .. }
            | Notice::Delivered { account, .. }
            | Notice::CaseOpened { account, .. }
            | Notice::CaseResolved { account, .. } => *account,
        }
    }

    /// The merchant to tell, for the notices merchants hear about.
    pub fn merchant(&self) -> Option<MerchantId> {
        match self {
            Notice::Intercepted { merchant, .. } | Notice::Delivered { merchant, .. } => Some(*merchant),
            _ => None,
        }
    }

    /// A stable name: the webhook's event type and the read model's `type` column.
    pub fn name(&self) -> &'static str {
        match self {
            Notice::Intercepted { .. } => "order.intercepted",
            Notice::Delivered { .. } => "order.delivered",
            Notice::CaseOpened { .. } => "case.opened",
            Notice::CaseResolved { .. } => "case.resolved",
        }
    }
}

/// An authorized order being watched until it is delivered (or released, or 30 days pass).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Watch {
    pub txn: TxnId,
    pub account: AccountId,
    pub merchant: MerchantId,
    pub amount: Amount,
    pub device: DeviceId,
    pub ip: IpAddr,
    pub geo: Option<Geo>,
    pub channel: risk::Channel,
    pub authorized_at: Timestamp,
    /// A case holds the order for review: it may not ship until an operator decides.
    pub held_by: Option<CaseId>,
}

/// How long a held payment waits for an analyst before the daily advance declines it.
pub const REVIEW_TIMEOUT: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

/// Orders are watched this long after authorization.
pub(crate) const WATCH_DAYS: i64 = 30;
