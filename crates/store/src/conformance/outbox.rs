//! Conformance checks of the [`Outbox`]: idempotent recording with the scan watermark in the
//! same transaction, `due` ordering and limits, delivery, retries and dead-lettering, the
//! backlog of pending deliveries.
//!
//! Each check takes a fresh outbox and a name for messages.

use crate::outbox::{Backlog, DeliveryStatus, Failure, NewDelivery, NoticeKey, NoticeRow, Outbox};

fn key(partition: u32, seq: u64, record: u32, notice: u32) -> NoticeKey {
    NoticeKey {
        partition,
        seq,
        record,
        notice,
    }
}

fn notice(key: NoticeKey) -> NoticeRow {
    NoticeRow {
        key,
        at_ms: 1_000 + key.seq as i64,
        kind: "order.intercepted".into(),
        account: 7,
        merchant: Some(3),
        txn: Some(256 + key.seq),
        case: Some(512 + key.seq),
        body: format!("{{\"txn\": {}}}", 256 + key.seq),
    }
}

fn delivery(key: NoticeKey, created_ms: i64) -> NewDelivery {
    NewDelivery {
        key,
        merchant: 3,
        event: "order.intercepted".into(),
        body: format!("{{\"delivery\": \"{key}\"}}"),
        created_ms,
    }
}

fn fail<'a>(at_ms: i64, retry_at_ms: i64, give_up_before: i64) -> Failure<'a> {
    Failure {
        at_ms,
        retry_at_ms,
        error: "HTTP 500",
        give_up_if_created_before_ms: give_up_before,
    }
}

/// Recording the same scan twice keeps one row per key and the first body; the watermark
/// moves with the rows and never goes back.
pub fn record_is_idempotent(name: &str, outbox: &mut dyn Outbox) {
    let (a, b) = (key(0, 4, 0, 0), key(0, 5, 2, 1));
    assert_eq!(
        outbox.scanned(0).unwrap(),
        0,
        "{name}: a new outbox has scanned nothing"
    );
    outbox
        .record(0, 5, &[notice(a), notice(b)], &[delivery(a, 100), delivery(b, 100)])
        .unwrap();
    let mut again = delivery(a, 900);
    again.body = "changed".into();
    outbox.record(0, 5, &[notice(a)], &[again]).unwrap();
    assert_eq!(outbox.scanned(0).unwrap(), 5, "{name}: the watermark moved");
    let due = outbox.due(1_000, 10).unwrap();
    assert_eq!(due.len(), 2, "{name}: one delivery per key: {due:?}");
    assert_eq!(due[0].key, a, "{name}");
    assert_eq!(due[0].body, delivery(a, 0).body, "{name}: the first record wins");
    assert_eq!(due[0].created_ms, 100, "{name}");
    outbox.record(0, 3, &[], &[]).unwrap();
    assert_eq!(outbox.scanned(0).unwrap(), 5, "{name}: a watermark never goes back");
    assert_eq!(outbox.scanned(1).unwrap(), 0, "{name}: watermarks are per partition");
}

/// `due` gives pending deliveries whose time has come, soonest first, at most `limit`.
pub fn due_is_ordered_and_limited(name: &str, outbox: &mut dyn Outbox) {
    let keys: Vec<NoticeKey> = (1..=4).map(|s| key(1, s, 0, 0)).collect();
    let created = [400, 100, 300, 200];
    let deliveries: Vec<NewDelivery> = keys.iter().zip(created).map(|(k, c)| delivery(*k, c)).collect();
    outbox.record(1, 4, &[], &deliveries).unwrap();
    let due: Vec<NoticeKey> = outbox.due(300, 10).unwrap().iter().map(|d| d.key).collect();
    assert_eq!(due, [keys[1], keys[3], keys[2]], "{name}: due at 300, soonest first");
    assert_eq!(outbox.due(1_000, 2).unwrap().len(), 2, "{name}: the limit holds");
    assert!(
        outbox.due(99, 10).unwrap().is_empty(),
        "{name}: nothing is due before its time"
    );
}

/// A delivered delivery is never due again, and a late failure report does not revive it.
pub fn delivered_is_final(name: &str, outbox: &mut dyn Outbox) {
    let k = key(2, 1, 0, 0);
    outbox.record(2, 1, &[], &[delivery(k, 10)]).unwrap();
    outbox.delivered(k, 20).unwrap();
    assert!(outbox.due(i64::MAX, 10).unwrap().is_empty(), "{name}");
    let status = outbox.failed(k, fail(30, 40, 0)).unwrap();
    assert_eq!(status, Some(DeliveryStatus::Delivered), "{name}");
    let d = outbox.delivery(k).unwrap().expect("kept");
    assert_eq!(
        (d.status, d.attempts, d.delivered_ms),
        (DeliveryStatus::Delivered, 1, Some(20)),
        "{name}"
    );
    assert_eq!(
        outbox.failed(key(2, 9, 0, 0), fail(1, 2, 0)).unwrap(),
        None,
        "{name}: unknown key"
    );
}

/// A failure reschedules: not due before its retry time, due after, with the attempt counted
/// and the error kept; then a success delivers it.
pub fn failures_retry_later(name: &str, outbox: &mut dyn Outbox) {
    let k = key(3, 1, 0, 0);
    outbox.record(3, 1, &[], &[delivery(k, 1_000)]).unwrap();
    for (attempt, retry_at) in [(1, 2_000), (2, 4_000)] {
        let status = outbox.failed(k, fail(retry_at - 500, retry_at, 0)).unwrap();
        assert_eq!(status, Some(DeliveryStatus::Pending), "{name}: attempt {attempt}");
        assert!(
            outbox.due(retry_at - 1, 10).unwrap().is_empty(),
            "{name}: not before {retry_at}"
        );
        let due = outbox.due(retry_at, 10).unwrap();
        assert_eq!(due.len(), 1, "{name}");
        assert_eq!(due[0].attempts, attempt, "{name}");
        assert_eq!(due[0].last_error.as_deref(), Some("HTTP 500"), "{name}");
    }
    outbox.delivered(k, 4_100).unwrap();
    let d = outbox.delivery(k).unwrap().expect("kept");
    assert_eq!((d.status, d.attempts), (DeliveryStatus::Delivered, 3), "{name}");
}

/// A delivery that fails after its give-up age is dead-lettered: never due again.
pub fn old_failures_are_dead_lettered(name: &str, outbox: &mut dyn Outbox) {
    let (young, old) = (key(4, 1, 0, 0), key(4, 1, 0, 1));
    outbox
        .record(4, 1, &[], &[delivery(young, 5_000), delivery(old, 1_000)])
        .unwrap();
    let give_up_before = 2_000;
    assert_eq!(
        outbox.failed(young, fail(6_000, 7_000, give_up_before)).unwrap(),
        Some(DeliveryStatus::Pending),
        "{name}"
    );
    assert_eq!(
        outbox.failed(old, fail(6_000, 7_000, give_up_before)).unwrap(),
        Some(DeliveryStatus::Dead),
        "{name}"
    );
    let due: Vec<NoticeKey> = outbox.due(i64::MAX, 10).unwrap().iter().map(|d| d.key).collect();
    assert_eq!(due, [young], "{name}: the dead one is never due");
    outbox.delivered(old, 8_000).unwrap();
    assert_eq!(
        outbox.delivery(old).unwrap().map(|d| d.status),
        Some(DeliveryStatus::Dead),
        "{name}: dead is final"
    );
}

/// The backlog counts pending deliveries only (not delivered, not dead) and names the oldest
/// one's creation time.
pub fn backlog_counts_pending_only(name: &str, outbox: &mut dyn Outbox) {
    assert_eq!(outbox.backlog().unwrap(), Backlog::default(), "{name}: empty");
    let keys: Vec<NoticeKey> = (1..=4).map(|s| key(5, s, 0, 0)).collect();
    let created = [300, 100, 200, 400];
    let deliveries: Vec<NewDelivery> = keys.iter().zip(created).map(|(k, c)| delivery(*k, c)).collect();
    outbox.record(5, 4, &[], &deliveries).unwrap();
    let all = Backlog {
        pending: 4,
        oldest_created_ms: Some(100),
    };
    assert_eq!(outbox.backlog().unwrap(), all, "{name}: four pending");
    outbox.delivered(keys[1], 500).unwrap();
    outbox.failed(keys[2], fail(500, 600, 250)).unwrap();
    let left = Backlog {
        pending: 2,
        oldest_created_ms: Some(300),
    };
    assert_eq!(
        outbox.backlog().unwrap(),
        left,
        "{name}: delivered and dead ones leave it"
    );
}

/// Every outbox check, each on a fresh outbox from `fresh`.
pub fn run_all(name: &str, fresh: &mut dyn FnMut() -> Box<dyn Outbox>) {
    record_is_idempotent(name, fresh().as_mut());
    due_is_ordered_and_limited(name, fresh().as_mut());
    delivered_is_final(name, fresh().as_mut());
    failures_retry_later(name, fresh().as_mut());
    old_failures_are_dead_lettered(name, fresh().as_mut());
    backlog_counts_pending_only(name, fresh().as_mut());
}
