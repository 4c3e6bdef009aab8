//! [`OffRuntime`]: a PostgreSQL handle usable from any thread, including a tokio runtime's.
//!
//! The `postgres` client blocks on a small runtime of its own, and tokio panics when a thread
//! that is driving a runtime starts (or drops) another. The API calls some store methods from
//! async code (they are quick on SQLite), so every handle [`super::PostgresBackend`] gives out
//! through [`crate::Backend`] runs each call on a scoped thread of its own. (The store does not
//! ask tokio whether the caller is in a runtime: it must not know tokio. The hop costs a thread
//! start, tens of microseconds, once per trait call: once per commit group, not per batch.) A
//! scan reads pages of [`SCAN_PAGE`] batches on that thread and visits them on the caller's,
//! whose visitor need not be `Send`.

use super::{PostgresJournal, PostgresLeases};
use crate::audit::{AuditCheckpointRow, AuditLog, AuditRow};
use crate::lease::{Claimant, Lease, Leases};
use crate::outbox::{Backlog, Delivery, DeliveryStatus, Failure, NewDelivery, NoticeKey, NoticeRow, Outbox};
use crate::settlement::{
    DayBalance, DayFact, FactRow, MerchantBalance, MerchantRow, PayoutMove, PayoutRow, PriceRow, SettledDay,
    SettlementRow, SettlementStore, TxnMerchant,
};
use crate::{BatchRef, BatchVisitor, Journal, Projection, QueryRows, ReadModels, Snapshot, StoreError};

/// Batches a scan reads per hop.
pub(crate) const SCAN_PAGE: usize = 256;

/// Runs `f` on a scoped thread (never a runtime's) and returns what it returns.
pub(crate) fn off<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|scope| match scope.spawn(f).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

/// A handle whose every call is safe on a runtime thread.
#[derive(Debug)]
pub(crate) struct OffRuntime<T>(pub T);

impl Journal for OffRuntime<PostgresJournal> {
    fn append(&mut self, batches: &[BatchRef<'_>]) -> Result<(), StoreError> {
        let inner = &mut self.0;
        off(move || inner.append(batches))
    }

    fn fence(&mut self, partition: u32, token: Option<u64>) {
        // In memory only: no IO, so no hop.
        self.0.fence(partition, token);
    }

    fn last_seq(&mut self, partition: u32) -> Result<u64, StoreError> {
        let inner = &mut self.0;
        off(move || inner.last_seq(partition))
    }

    fn scan(&mut self, partition: u32, after: u64, visit: &mut BatchVisitor<'_>) -> Result<(), StoreError> {
        let mut after = after;
        loop {
            let inner = &mut self.0;
            let page = off(move || inner.scan_page(partition, after, SCAN_PAGE))?;
            for (seq, bytes) in &page {
                visit(*seq, bytes)?;
                after = *seq;
            }
            if page.len() < SCAN_PAGE {
                return Ok(());
            }
        }
    }

    fn read_batch(&mut self, partition: u32, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.read_batch(partition, seq))
    }

    fn save_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), StoreError> {
        let inner = &mut self.0;
        off(move || inner.save_snapshot(snapshot))
    }

    fn load_snapshot(&mut self, partition: u32) -> Result<Option<Snapshot>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.load_snapshot(partition))
    }

    fn meta(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.meta(key))
    }

    fn set_meta(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        let inner = &mut self.0;
        off(move || inner.set_meta(key, value))
    }

    fn meta_with_prefix(&mut self, prefix: &str) -> Result<Vec<(String, String)>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.meta_with_prefix(prefix))
    }

    fn delete_meta(&mut self, key: &str) -> Result<(), StoreError> {
        let inner = &mut self.0;
        off(move || inner.delete_meta(key))
    }
}

impl Leases for OffRuntime<PostgresLeases> {
    fn acquire(&mut self, partition: u32, claimant: &Claimant) -> Result<Option<Lease>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.acquire(partition, claimant))
    }

    fn renew(&mut self, partition: u32, claimant: &Claimant, token: u64) -> Result<bool, StoreError> {
        let inner = &mut self.0;
        off(move || inner.renew(partition, claimant, token))
    }

    fn release(&mut self, partition: u32, owner: &str, token: u64) -> Result<(), StoreError> {
        let inner = &mut self.0;
        off(move || inner.release(partition, owner, token))
    }

    fn list(&mut self) -> Result<Vec<Lease>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.list())
    }
}

impl<M: ReadModels> ReadModels for OffRuntime<M> {
    fn project(&mut self, projection: &Projection<'_>) -> Result<(), StoreError> {
        let inner = &mut self.0;
        off(move || inner.project(projection))
    }

    fn project_many(&mut self, projections: &[Projection<'_>]) -> Result<(), StoreError> {
        let inner = &mut self.0;
        off(move || inner.project_many(projections))
    }

    fn watermark(&mut self, partition: u32) -> Result<u64, StoreError> {
        let inner = &mut self.0;
        off(move || inner.watermark(partition))
    }

    fn query(&mut self, sql: &str, limit: usize) -> Result<QueryRows, StoreError> {
        let inner = &mut self.0;
        off(move || inner.query(sql, limit))
    }
}

impl<O: Outbox> Outbox for OffRuntime<O> {
    fn record(
        &mut self,
        partition: u32,
        through_seq: u64,
        notices: &[NoticeRow],
        deliveries: &[NewDelivery],
    ) -> Result<(), StoreError> {
        let inner = &mut self.0;
        off(move || inner.record(partition, through_seq, notices, deliveries))
    }

    fn scanned(&mut self, partition: u32) -> Result<u64, StoreError> {
        let inner = &mut self.0;
        off(move || inner.scanned(partition))
    }

    fn due(&mut self, now_ms: i64, limit: usize) -> Result<Vec<Delivery>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.due(now_ms, limit))
    }

    fn delivered(&mut self, key: NoticeKey, at_ms: i64) -> Result<(), StoreError> {
        let inner = &mut self.0;
        off(move || inner.delivered(key, at_ms))
    }

    fn failed(&mut self, key: NoticeKey, failure: Failure<'_>) -> Result<Option<DeliveryStatus>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.failed(key, failure))
    }

    fn delivery(&mut self, key: NoticeKey) -> Result<Option<Delivery>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.delivery(key))
    }

    fn backlog(&mut self) -> Result<Backlog, StoreError> {
        let inner = &mut self.0;
        off(move || inner.backlog())
    }
}

impl<A: AuditLog> AuditLog for OffRuntime<A> {
    fn append(&mut self, row: &AuditRow) -> Result<u64, StoreError> {
        let inner = &mut self.0;
        off(move || inner.append(row))
    }

    fn scan(&mut self, after: u64, limit: usize) -> Result<Vec<AuditRow>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.scan(after, limit))
    }

    fn last(&mut self) -> Result<Option<AuditRow>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.last())
    }

    fn add_checkpoint(&mut self, checkpoint: &AuditCheckpointRow) -> Result<(), StoreError> {
        let inner = &mut self.0;
        off(move || inner.add_checkpoint(checkpoint))
    }

    fn checkpoints(&mut self, after: u64, limit: usize) -> Result<Vec<AuditCheckpointRow>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.checkpoints(after, limit))
    }

    fn last_checkpoint(&mut self) -> Result<Option<AuditCheckpointRow>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.last_checkpoint())
    }
}

impl<S: SettlementStore> SettlementStore for OffRuntime<S> {
    fn consumed(&mut self, partition: u32) -> Result<u64, StoreError> {
        let inner = &mut self.0;
        off(move || inner.consumed(partition))
    }

    fn record_facts(
        &mut self,
        partition: u32,
        through_seq: u64,
        txns: &[TxnMerchant],
        facts: &[FactRow],
    ) -> Result<(), StoreError> {
        let inner = &mut self.0;
        off(move || inner.record_facts(partition, through_seq, txns, facts))
    }

    fn first_fact_day(&mut self) -> Result<Option<i32>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.first_fact_day())
    }

    fn day_facts(&mut self, day: i32) -> Result<Vec<DayFact>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.day_facts(day))
    }

    fn put_price(&mut self, row: &PriceRow) -> Result<bool, StoreError> {
        let inner = &mut self.0;
        off(move || inner.put_price(row))
    }

    fn prices(&mut self) -> Result<Vec<PriceRow>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.prices())
    }

    fn put_merchant(&mut self, row: &MerchantRow) -> Result<(), StoreError> {
        let inner = &mut self.0;
        off(move || inner.put_merchant(row))
    }

    fn merchants(&mut self) -> Result<Vec<MerchantRow>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.merchants())
    }

    fn balances(&mut self) -> Result<Vec<MerchantBalance>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.balances())
    }

    fn settlements(&mut self, from_day: i32, to_day: i32) -> Result<Vec<SettlementRow>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.settlements(from_day, to_day))
    }

    fn settle(&mut self, days: &[SettledDay]) -> Result<Vec<bool>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.settle(days))
    }

    fn last_run(&mut self) -> Result<Option<i32>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.last_run())
    }

    fn finish_run(&mut self, day: i32) -> Result<(), StoreError> {
        let inner = &mut self.0;
        off(move || inner.finish_run(day))
    }

    fn payouts(&mut self, status: &str, limit: usize) -> Result<Vec<PayoutRow>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.payouts(status, limit))
    }

    fn payout(&mut self, id: &str) -> Result<Option<PayoutRow>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.payout(id))
    }

    fn move_payouts(&mut self, changes: &[PayoutMove<'_>]) -> Result<Vec<bool>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.move_payouts(changes))
    }

    fn ledger_by_day(&mut self, through_day: i32) -> Result<Vec<DayBalance>, StoreError> {
        let inner = &mut self.0;
        off(move || inner.ledger_by_day(through_day))
    }
}
