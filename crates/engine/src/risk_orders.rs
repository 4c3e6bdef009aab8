//! [`Orders`]: a partition's recent orders as its risk remembers them (merchant, whether the
//! delivery checkpoint passed), for the facts whose events name only a transaction (see
//! `risk_facts`).

use std::collections::HashMap;

use credit::TxnId;

/// An order is remembered this long after its authorization (refunds come late).
const ORDER_RETENTION_MS: i64 = 180 * 86_400_000;

#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Order {
    merchant: risk::MerchantId,
    authorized_ms: i64,
    delivered: bool,
}

/// The partition's recent orders.
#[derive(Debug, Default)]
pub(crate) struct Orders(HashMap<TxnId, Order>);

impl Orders {
    /// The orders sorted by transaction (a feature snapshot's canonical form).
    pub(crate) fn snapshot(&self) -> Vec<(TxnId, Order)> {
        let mut orders: Vec<_> = self.0.iter().map(|(t, o)| (*t, *o)).collect();
        orders.sort_unstable_by_key(|(t, _)| *t);
        orders
    }

    pub(crate) fn restore(orders: Vec<(TxnId, Order)>) -> Orders {
        Orders(orders.into_iter().collect())
    }

    pub(crate) fn authorized(&mut self, txn: TxnId, merchant: risk::MerchantId, now: risk::Timestamp) {
        let order = Order {
            merchant,
            authorized_ms: now.millis(),
            delivered: false,
        };
        self.0.insert(txn, order);
    }

    pub(crate) fn delivered(&mut self, txn: TxnId) {
        if let Some(order) = self.0.get_mut(&txn) {
            order.delivered = true;
        }
    }

    /// The order's merchant and whether it passed the delivery checkpoint, if remembered.
    pub(crate) fn get(&self, txn: TxnId) -> Option<(risk::MerchantId, bool)> {
        self.0.get(&txn).map(|o| (o.merchant, o.delivered))
    }

    /// Forgets orders authorized longer ago than the retention.
    pub(crate) fn sweep(&mut self, now: risk::Timestamp) {
        self.0
            .retain(|_, order| now.millis() - order.authorized_ms <= ORDER_RETENTION_MS);
    }
}
