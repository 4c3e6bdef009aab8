//! The notifications' consumer: [`run_once`] derives what to tell from the journal after each
//! partition's watermark and from today's calendar, records the deliveries, moves the
//! watermark, then sends what is due. [`start`] runs it every `poll` until stopped; a test or
//! the simulator calls [`run_once`] itself (one run at a time either way).

use std::collections::BTreeMap;

use engine::EngineError;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use notify::delivery::plan;
use notify::{Delivery, Intent, Receipt, SendError, Status, Tracker};
use serde::{Deserialize, Serialize};

use super::facts::facts_of;
use super::{Notifications, load_deliveries, load_prefs, save_deliveries, scan_key};
use crate::http::error::ApiError;
use crate::meta::Meta;
use crate::state::AppState;

/// A fact older than this when first read (a consumer far behind, or started on an old
/// store) updates the tracker but is not told: old news is no news.
pub const STALE_AFTER_MS: i64 = 7 * 86_400_000;

/// One partition's watermark and the derivation's state, kept together in one meta value.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ScanState {
    through: u64,
    tracker: Tracker,
}

/// What one run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunFigures {
    /// Deliveries recorded (new).
    pub recorded: usize,
    pub sent: usize,
    /// Attempts that failed and will be retried.
    pub retrying: usize,
    /// Deliveries dead-lettered in this run.
    pub dead: usize,
}

/// Derives, records and sends once.
pub async fn run_once(state: &AppState) -> Result<RunFigures, ApiError> {
    let notifications = state.notifications().clone();
    let _one = notifications.running.lock().await;
    let zone = state.engine().config().zone.clone();
    let now_ms = state.clock().now().as_millisecond();
    let today = state.clock().now().to_zoned(zone.clone()).date();
    let (meta, partitions, shared) = (state.meta().clone(), state.engine().partitions(), notifications.clone());
    let recorded = tokio::task::spawn_blocking(move || derive(&shared, &meta, partitions, &zone, now_ms, today))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|error| {
            tracing::warn!(%error, "deriving notifications failed; it will be retried");
            ApiError::unavailable("the store is unavailable")
        })?;
    let mut figures = send_due(state, &notifications, now_ms).await?;
    figures.recorded = recorded;
    Ok(figures)
}

/// Starts the background task (stopped by aborting it: a run cut short is finished by the
/// next start, and a message sent but not yet marked is sent again under the same id).
pub fn start(state: AppState) -> tokio::task::JoinHandle<()> {
    let poll = state.notifications().options.poll;
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(poll).await;
            if !state.engine().leading().load(std::sync::atomic::Ordering::Acquire) {
                continue;
            }
            if let Err(error) = run_once(&state).await {
                tracing::warn!(error = %error.message, "a notifications run failed; it will be retried");
            }
        }
    })
}

fn derive(
    notifications: &Notifications,
    meta: &Meta,
    partitions: u32,
    zone: &TimeZone,
    now_ms: i64,
    today: Date,
) -> Result<usize, String> {
    let mut recorded = 0;
    for partition in 0..partitions {
        let stored = meta.get_blocking(&scan_key(partition)).map_err(|e| e.to_string())?;
        let mut scan: ScanState = match &stored {
            Some(text) => serde_json::from_str(text).map_err(|e| format!("notify_scan:{partition}: {e}"))?,
            None => ScanState::default(),
        };
        let mut intents = Vec::new();
        let mut through = scan.through;
        {
            let mut journal = notifications.journal.lock().unwrap_or_else(|p| p.into_inner());
            engine::journal::scan(journal.as_mut(), partition, scan.through, |at, record| {
                let fresh = now_ms.saturating_sub(record.at_us.div_euclid(1000)) <= STALE_AFTER_MS;
                for fact in facts_of(record) {
                    let made = scan.tracker.apply(&fact);
                    if fresh {
                        intents.extend(made);
                    }
                }
                through = at.seq;
                Ok::<_, EngineError>(())
            })
            .map_err(|e| e.to_string())?;
        }
        intents.extend(scan.tracker.day(today));
        recorded += record(notifications, meta, &intents, zone, now_ms)?;
        // Only after the deliveries are written: a crash before this line derives them again.
        scan.through = through;
        let text = serde_json::to_string(&scan).map_err(|e| e.to_string())?;
        if stored.as_deref() != Some(text.as_str()) {
            meta.set_blocking(&scan_key(partition), &text)
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(recorded)
}

/// Writes each intent's deliveries into its customer's list, once per key and channel.
fn record(
    notifications: &Notifications,
    meta: &Meta,
    intents: &[Intent],
    zone: &TimeZone,
    now_ms: i64,
) -> Result<usize, String> {
    let mut by_account: BTreeMap<u64, Vec<&Intent>> = BTreeMap::new();
    for intent in intents {
        by_account.entry(intent.account).or_default().push(intent);
    }
    let mut recorded = 0;
    for (account, intents) in by_account {
        let prefs = load_prefs(meta, account).map_err(|e| e.to_string())?;
        let mut list = load_deliveries(meta, account).map_err(|e| e.to_string())?;
        let before = list.len();
        for intent in intents {
            for delivery in plan(intent, &prefs, &notifications.options.quiet, zone, now_ms) {
                let id = delivery.id();
                if !list.iter().any(|d| d.id() == id) {
                    list.push(delivery);
                }
            }
        }
        if list.len() == before {
            continue;
        }
        recorded += list.len() - before;
        save_deliveries(meta, account, &mut list).map_err(|e| e.to_string())?;
        notifications
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(account);
    }
    Ok(recorded)
}

async fn send_due(state: &AppState, notifications: &Notifications, now_ms: i64) -> Result<RunFigures, ApiError> {
    let accounts: Vec<u64> = notifications
        .pending
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .copied()
        .collect();
    let mut figures = RunFigures::default();
    for account in accounts {
        let meta = state.meta().clone();
        let mut list = super::blocking(move || load_deliveries(&meta, account)).await?;
        let mut changed = false;
        for delivery in list.iter_mut().filter(|d| d.is_due(now_ms)) {
            let outcome = send(notifications, delivery).await;
            let ok = outcome.is_ok();
            delivery.attempted(outcome, now_ms, &notifications.options.retry);
            changed = true;
            match delivery.status {
                Status::Sent => figures.sent += 1,
                Status::Dead => figures.dead += 1,
                Status::Pending if !ok => figures.retrying += 1,
                Status::Pending => {}
            }
        }
        let still_pending = list.iter().any(|d| d.status == Status::Pending);
        if changed {
            let meta = state.meta().clone();
            super::blocking(move || save_deliveries(&meta, account, &mut list)).await?;
        }
        if !still_pending {
            notifications
                .pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&account);
        }
    }
    Ok(figures)
}

async fn send(notifications: &Notifications, delivery: &Delivery) -> Result<Receipt, SendError> {
    let Some(channel) = notifications.channel(delivery.channel) else {
        return Err(SendError::Refused(format!(
            "no {} provider is configured",
            delivery.channel.name()
        )));
    };
    channel.send(&delivery.message()).await
}
