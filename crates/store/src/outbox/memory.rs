//! [`MemoryOutbox`]: the [`Outbox`] in memory, for tests and the simulator. Clones share one
//! state, like the memory backend's handles.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::{Backlog, Delivery, DeliveryStatus, Failure, NewDelivery, NoticeKey, NoticeRow, Outbox, clip_error};
use crate::StoreError;

#[derive(Debug, Default)]
struct State {
    notices: BTreeMap<NoticeKey, NoticeRow>,
    deliveries: BTreeMap<NoticeKey, Delivery>,
    scanned: BTreeMap<u32, u64>,
}

/// An in-memory outbox. Clones share the same state.
#[derive(Clone, Debug, Default)]
pub struct MemoryOutbox {
    state: Arc<Mutex<State>>,
}

impl MemoryOutbox {
    pub fn new() -> MemoryOutbox {
        MemoryOutbox::default()
    }

    /// Every notice recorded, in key order.
    pub fn notices(&self) -> Result<Vec<NoticeRow>, StoreError> {
        Ok(self.lock()?.notices.values().cloned().collect())
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        self.state
            .lock()
            .map_err(|_| StoreError::Backend("memory outbox poisoned by a panic in another thread".into()))
    }
}

impl Outbox for MemoryOutbox {
    fn record(
        &mut self,
        partition: u32,
        through_seq: u64,
        notices: &[NoticeRow],
        deliveries: &[NewDelivery],
    ) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        for notice in notices {
            state.notices.entry(notice.key).or_insert_with(|| notice.clone());
        }
        for new in deliveries {
            state.deliveries.entry(new.key).or_insert_with(|| Delivery {
                key: new.key,
                merchant: new.merchant,
                event: new.event.clone(),
                body: new.body.clone(),
                created_ms: new.created_ms,
                status: DeliveryStatus::Pending,
                attempts: 0,
                next_attempt_ms: new.created_ms,
                last_error: None,
                delivered_ms: None,
            });
        }
        let mark = state.scanned.entry(partition).or_insert(0);
        *mark = (*mark).max(through_seq);
        Ok(())
    }

    fn scanned(&mut self, partition: u32) -> Result<u64, StoreError> {
        Ok(self.lock()?.scanned.get(&partition).copied().unwrap_or(0))
    }

    fn due(&mut self, now_ms: i64, limit: usize) -> Result<Vec<Delivery>, StoreError> {
        let state = self.lock()?;
        let mut due: Vec<Delivery> = state
            .deliveries
            .values()
            .filter(|d| d.status == DeliveryStatus::Pending && d.next_attempt_ms <= now_ms)
            .cloned()
            .collect();
        due.sort_by_key(|d| (d.next_attempt_ms, d.key));
        due.truncate(limit);
        Ok(due)
    }

    fn delivered(&mut self, key: NoticeKey, at_ms: i64) -> Result<(), StoreError> {
        let mut state = self.lock()?;
        if let Some(d) = state.deliveries.get_mut(&key)
            && d.status == DeliveryStatus::Pending
        {
            d.status = DeliveryStatus::Delivered;
            d.attempts += 1;
            d.delivered_ms = Some(at_ms);
        }
        Ok(())
    }

    fn failed(&mut self, key: NoticeKey, failure: Failure<'_>) -> Result<Option<DeliveryStatus>, StoreError> {
        let mut state = self.lock()?;
        let Some(d) = state.deliveries.get_mut(&key) else {
            return Ok(None);
        };
        if d.status == DeliveryStatus::Pending {
            d.attempts += 1;
            d.last_error = Some(clip_error(failure.error).to_owned());
            d.next_attempt_ms = failure.retry_at_ms;
            if d.created_ms < failure.give_up_if_created_before_ms {
                d.status = DeliveryStatus::Dead;
            }
        }
        Ok(Some(d.status))
    }

    fn delivery(&mut self, key: NoticeKey) -> Result<Option<Delivery>, StoreError> {
        Ok(self.lock()?.deliveries.get(&key).cloned())
    }

    fn backlog(&mut self) -> Result<Backlog, StoreError> {
        let state = self.lock()?;
        let pending = state
            .deliveries
            .values()
            .filter(|d| d.status == DeliveryStatus::Pending);
        Ok(pending.fold(Backlog::default(), |b, d| Backlog {
            pending: b.pending + 1,
            oldest_created_ms: Some(b.oldest_created_ms.map_or(d.created_ms, |o| o.min(d.created_ms))),
        }))
    }
}
