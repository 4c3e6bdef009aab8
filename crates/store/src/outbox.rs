//! The outbox: the engine's notices as read.db keeps them, and the webhook deliveries waiting to
//! be sent, behind the [`Outbox`] trait (SQLite in `sqlite/outbox.rs`, memory in
//! `outbox/memory.rs`, the same promises checked by `conformance::outbox`).
//!
//! A scanner tails the journal like the projector and records, per partition and in one
//! transaction, every notice it read ([`NoticeRow`]: the `notices` table and the `cases` view),
//! the deliveries they make ([`NewDelivery`]) and how far it scanned. Both are keyed by where
//! the notice sits in the journal ([`NoticeKey`]), so a scan repeated after a crash changes
//! nothing. A sender takes what is [`Outbox::due`], posts it, and records the attempt:
//! [`Outbox::delivered`], or [`Outbox::failed`] with the time of the next try; a delivery
//! still failing past its give-up age is dead-lettered and never tried again.
//!
//! The store does not know what a notice means: kinds and bodies are text the caller chose.

pub mod memory;

use std::fmt;

use crate::StoreError;

/// Where a notice sits in the journal: batch `seq` of `partition`, record `record` of the
/// batch, notice `notice` of the record. The key of its row and of its delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NoticeKey {
    pub partition: u32,
    pub seq: u64,
    pub record: u32,
    pub notice: u32,
}

impl fmt::Display for NoticeKey {
    /// `partition-seq-record-notice`: the webhook's `X-Iou-Delivery`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}-{}", self.partition, self.seq, self.record, self.notice)
    }
}

/// A notice as the `notices` table keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeRow {
    pub key: NoticeKey,
    pub at_ms: i64,
    /// The notice's stable name: `order.intercepted`, `case.opened`, ...
    pub kind: String,
    pub account: u64,
    pub merchant: Option<u64>,
    pub txn: Option<u64>,
    pub case: Option<u64>,
    /// The notice as a JSON object.
    pub body: String,
}

/// A delivery to enqueue for a merchant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDelivery {
    pub key: NoticeKey,
    pub merchant: u64,
    /// The event type (`X-Iou-Event`).
    pub event: String,
    /// The exact bytes to post (JSON).
    pub body: String,
    pub created_ms: i64,
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    /// Gave up: failed until it was older than the give-up age.
    Dead,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Dead => "dead",
        }
    }

    pub fn parse(text: &str) -> Option<DeliveryStatus> {
        [DeliveryStatus::Pending, DeliveryStatus::Delivered, DeliveryStatus::Dead]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// A delivery as the outbox holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub key: NoticeKey,
    pub merchant: u64,
    pub event: String,
    pub body: String,
    pub created_ms: i64,
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    pub next_attempt_ms: i64,
    pub last_error: Option<String>,
    pub delivered_ms: Option<i64>,
}

/// The pending part of the outbox.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Backlog {
    /// Deliveries pending (not yet delivered, not dead).
    pub pending: u64,
    /// When the oldest pending delivery was created; `None` when none is pending.
    pub oldest_created_ms: Option<i64>,
}

/// A failed attempt.
#[derive(Clone, Copy, Debug)]
pub struct Failure<'a> {
    pub at_ms: i64,
    /// When to try again.
    pub retry_at_ms: i64,
    pub error: &'a str,
    /// A delivery created before this time is dead-lettered instead of retried.
    pub give_up_if_created_before_ms: i64,
}

/// Longest error text kept with a delivery, in bytes.
pub const ERROR_MAX_BYTES: usize = 500;

/// The outbox of one store. Each method is one transaction.
pub trait Outbox: Send {
    /// Records a scan of `partition` up to batch `through_seq`: its notices, their deliveries,
    /// and the new scan watermark, atomically. A notice or delivery whose key is already there
    /// is left as it is, so a repeated scan changes nothing; a watermark never goes back.
    fn record(
        &mut self,
        partition: u32,
        through_seq: u64,
        notices: &[NoticeRow],
        deliveries: &[NewDelivery],
    ) -> Result<(), StoreError>;

    /// The last batch of `partition` recorded (0 when none).
    fn scanned(&mut self, partition: u32) -> Result<u64, StoreError>;

    /// Pending deliveries whose next attempt is at or before `now_ms`, soonest first, at most
    /// `limit`.
    fn due(&mut self, now_ms: i64, limit: usize) -> Result<Vec<Delivery>, StoreError>;

    /// A successful attempt. A delivery already delivered or dead is left as it is.
    fn delivered(&mut self, key: NoticeKey, at_ms: i64) -> Result<(), StoreError>;

    /// A failed attempt: the delivery waits until `retry_at_ms`, or is dead-lettered when it
    /// is too old. Returns the delivery's status after it (`None` for an unknown key).
    fn failed(&mut self, key: NoticeKey, failure: Failure<'_>) -> Result<Option<DeliveryStatus>, StoreError>;

    /// One delivery, in any status.
    fn delivery(&mut self, key: NoticeKey) -> Result<Option<Delivery>, StoreError>;

    /// The pending deliveries: how many, and when the oldest was created (the API's
    /// `/metrics` reports the outbox's age from it).
    fn backlog(&mut self) -> Result<Backlog, StoreError>;
}

/// Cuts an error message to [`ERROR_MAX_BYTES`] on a character boundary.
pub fn clip_error(error: &str) -> &str {
    if error.len() <= ERROR_MAX_BYTES {
        return error;
    }
    let mut end = ERROR_MAX_BYTES;
    while !error.is_char_boundary(end) {
        end -= 1;
    }
    &error[..end]
}
