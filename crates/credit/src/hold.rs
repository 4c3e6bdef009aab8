//! [`Hold`]: an authorization's claim on available credit until it is captured, voided or expires.

use jiff::Timestamp;
use money::Amount;
use serde::{Deserialize, Serialize};

use crate::calendar::Day;
use crate::command::PlanChoice;
use crate::ids::{MerchantId, TxnId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldState {
    Open,
    Captured,
    Voided,
    Expired,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub txn: TxnId,
    pub merchant: MerchantId,
    pub amount: Amount,
    pub placed_at: Timestamp,
    /// The last day it can be captured (placed on day d: d + hold days).
    pub expires_on: Day,
    pub plan: Option<PlanChoice>,
    pub state: HoldState,
}

impl Hold {
    pub fn is_open(&self) -> bool {
        self.state == HoldState::Open
    }
}
