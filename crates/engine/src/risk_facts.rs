//! How facts the risk core never sees at a checkpoint reach its feature state: captures, voids,
//! refunds, delivery checks, theft reports and confirmed cases.
//!
//! They are read off the journal record itself (its credit events and notices), so the live
//! path and start-up replay derive exactly the same facts from the same records:
//! - after the writer builds a record (a request or a follow-up), `Partition::observe_facts`
//!   passes it here; at start-up `recovery::rebuild_features` passes every journaled record, in
//!   order, after observing its checkpoint input again;
//! - the partition keeps its own orders (`risk_orders::Orders`: merchant, whether the delivery checkpoint
//!   passed) so a capture, void or refund — whose events name only the transaction — finds its
//!   merchant;
//! - the fact goes to the merchant's shared shard (`RiskShared::observe_merchant_fact`: one
//!   shard lock for one fact — the shard stays the only owner of its state), a confirmed case
//!   to the link graph (one lock).
//!
//! Like every shared key, a merchant's book is rebuilt at start-up partition after partition,
//! so facts of a partition replayed later are read at the latest time seen ("time never runs
//! back"): windows may count a fact at a later hour than it had live, until it leaves them.

use credit::{Event, TxnId};
use money::Amount;
use risk::features::{MerchantFact, NEW_DEVICE_HOURS, YOUNG_ACCOUNT_DAYS};

use crate::cases::{CaseKind, Notice};
use crate::record::{Op, Record};
use crate::risk::PartitionRisk;

/// Whether a payment took at least 90% of the credit available before it (`left` is what the
/// hold left available).
fn maxed_out(amount: Amount, left: Amount) -> bool {
    let (amount, left) = (i128::from(amount.fen()), i128::from(left.fen()));
    amount > 0 && amount * 10 >= (amount + left) * 9
}

impl crate::partition::Partition {
    /// Tells the partition's risk (if it runs one) the facts of `record`, at the record's time.
    pub(crate) fn observe_facts(&mut self, record: &Record) {
        if let Some(risk) = self.risk.as_mut() {
            risk.observe_facts(record, crate::risk::risk_time(crate::view::at_of(record)));
        }
    }
}

impl PartitionRisk {
    /// Tells the risk features what `record` did to orders and cases, at `now`.
    pub(crate) fn observe_facts(&mut self, record: &Record, now: risk::Timestamp) {
        self.last_at = Some(self.last_at.map_or(now, |last| last.max(now)));
        for event in &record.events {
            self.observe_event(record, event, now);
        }
        for notice in &record.notices {
            match notice {
                Notice::Delivered { txn, .. } => self.orders.delivered(*txn),
                Notice::CaseOpened {
                    kind: CaseKind::Theft,
                    txns,
                    ..
                } => {
                    for txn in txns {
                        self.merchant_fact(*txn, MerchantFact::TheftReport, now);
                    }
                }
                // A review timed out is no one's finding (as for labels).
                Notice::CaseResolved {
                    account,
                    confirmed: true,
                    ..
                } if !matches!(record.op, Op::ExpireReview { .. }) => {
                    self.shared().graph().confirm_fraud(risk::UserId(account.0), now);
                }
                _ => {}
            }
        }
    }

    fn observe_event(&mut self, record: &Record, event: &Event, now: risk::Timestamp) {
        match event {
            Event::Authorized {
                txn,
                merchant,
                amount,
                available,
                ..
            } => {
                let merchant = risk::MerchantId(merchant.0);
                self.orders.authorized(*txn, merchant, now);
                let user = record.risk.as_ref().map(|r| r.features.user);
                let young = user
                    .is_some_and(|u| u.account_age_days < YOUNG_ACCOUNT_DAYS || u.device_age_hours < NEW_DEVICE_HOURS);
                let fact = MerchantFact::Payment {
                    young_or_new_device: young,
                    maxed_out: maxed_out(*amount, *available),
                };
                self.shared().observe_merchant_fact(merchant, fact, now);
            }
            Event::Captured { txn, .. } => {
                let delivered = self.orders.get(*txn).is_some_and(|(_, delivered)| delivered);
                self.merchant_fact(*txn, MerchantFact::Capture { delivered }, now);
            }
            Event::Voided { txn, .. } => self.merchant_fact(*txn, MerchantFact::Void, now),
            Event::Refunded { txn, .. } => self.merchant_fact(*txn, MerchantFact::Refund, now),
            _ => {}
        }
    }

    /// Tells `txn`'s merchant `fact`, if the partition still remembers the order.
    fn merchant_fact(&self, txn: TxnId, fact: MerchantFact, now: risk::Timestamp) {
        if let Some((merchant, _)) = self.orders.get(txn) {
            self.shared().observe_merchant_fact(merchant, fact, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maxed_out_is_ninety_percent_of_what_was_available() {
        let y = Amount::yuan;
        assert!(maxed_out(y(90), y(10)));
        assert!(!maxed_out(y(89), y(11)));
        assert!(maxed_out(y(100), y(0)));
        assert!(!maxed_out(y(0), y(0)));
    }
}
