//! What a batch changes in the read models.

use credit::{AccountId, BalancesView, Event};

/// One account's balances after a batch (the accounts table is an upsert of these).
#[derive(Clone, Debug)]
pub struct AccountRow {
    pub account: AccountId,
    pub balances: BalancesView,
}

/// The read-model input of one journal batch.
#[derive(Clone, Debug)]
pub struct Projection<'a> {
    pub partition: u32,
    pub seq: u64,
    /// Milliseconds since the epoch of the batch's last command.
    pub at_ms: i64,
    pub events: &'a [Event],
    pub accounts: &'a [AccountRow],
}
