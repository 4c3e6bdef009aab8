//! The scheduler thread: after each local midnight it sends every partition it owns (all of
//! them outside a cluster) an `Advance`, so
//! statements close, holds expire and interest and penalties accrue through the normal command
//! path even for accounts nobody touches.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use tokio::sync::oneshot;

use crate::clock::Clock;
use crate::cluster::Inboxes;
use crate::request::Request;
use crate::worker::{Inbox, Msg};

/// Seconds after midnight the advance is sent (clear of the day boundary).
const AFTER_MIDNIGHT_S: i64 = 5;

pub(crate) fn run(inboxes: Inboxes, clock: Arc<dyn Clock>, zone: TimeZone, stop: Arc<AtomicBool>) {
    let mut next = next_midnight(clock.now(), &zone);
    while !stop.load(Ordering::Acquire) {
        std::thread::sleep(Duration::from_millis(250));
        if clock.now() < next {
            continue;
        }
        // The partitions owned now: in a cluster each owner advances its own.
        let owned: Vec<Inbox> = match inboxes.read() {
            Ok(inboxes) => inboxes.iter().flatten().cloned().collect(),
            Err(_) => return,
        };
        for inbox in &owned {
            let (reply, _ignored) = oneshot::channel();
            let msg = Msg::Request {
                request: Request::Advance,
                idempotency: None,
                context: None,
                reply,
            };
            // A full queue delays the advance, never loses it: retry until taken.
            let mut msg = Some(msg);
            while let Some(m) = msg.take() {
                match inbox.try_send(m) {
                    Ok(()) => {}
                    Err(std::sync::mpsc::TrySendError::Full(m)) => {
                        msg = Some(m);
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    Err(std::sync::mpsc::TrySendError::Disconnected(_)) => return,
                }
            }
        }
        tracing::info!(%next, "daily advance sent");
        next = next_midnight(clock.now(), &zone);
    }
}

/// The first local midnight (plus a few seconds) after `now`.
fn next_midnight(now: Timestamp, zone: &TimeZone) -> Timestamp {
    let today = now.to_zoned(zone.clone()).date();
    let tomorrow = today.tomorrow().unwrap_or(today);
    let midnight = tomorrow.to_zoned(zone.clone()).map(|z| z.timestamp()).unwrap_or(now);
    midnight
        .checked_add(jiff::SignedDuration::from_secs(AFTER_MIDNIGHT_S))
        .unwrap_or(midnight)
}
