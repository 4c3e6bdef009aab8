//! [`Purchase`]: a captured transaction, paid later in one go or through a plan.

use jiff::Timestamp;
use money::Amount;
use serde::{Deserialize, Serialize};

use crate::calendar::Day;
use crate::ids::{MerchantId, PlanId, TxnId};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purchase {
    pub txn: TxnId,
    pub merchant: MerchantId,
    pub captured_at: Timestamp,
    pub captured_on: Day,
    /// The captured amount.
    pub amount: Amount,
    /// Refunded so far.
    pub refunded: Amount,
    /// Pay-later principal not yet on a statement (always zero for a plan purchase).
    pub unbilled: Amount,
    /// The plan paying for it, if installments were chosen.
    pub plan: Option<PlanId>,
    /// Plan fees billed over the purchase's life (what a full refund waives).
    pub fees_billed: Amount,
    /// Plan interest billed over the purchase's life (waived with the fees).
    pub interest_billed: Amount,
}

impl Purchase {
    pub fn refundable(&self) -> Amount {
        self.amount - self.refunded
    }

    pub fn fully_refunded(&self) -> bool {
        self.refunded == self.amount
    }
}
