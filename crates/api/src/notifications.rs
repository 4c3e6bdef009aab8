//! Customer notifications (the `notify` crate's derivation, run by the API).
//!
//! - [`facts`]: a committed journal record as the `notify` crate's facts (statement closed,
//!   repayment, bucket change, theft case opened or resolved).
//! - [`consumer`]: the consumer `Server` runs, like the webhook outbox's scanner: it reads each
//!   partition's journal after its watermark, derives intents (and the day's reminders from the
//!   engine's calendar), plans one delivery per channel the customer keeps (quiet hours,
//!   language), records them, then advances the watermark; a sender sends due deliveries
//!   through the channels, retrying with backoff and dead-lettering after the policy's attempts.
//!
//! Where state lives, all in the store's meta table (every backend has it):
//! - `notify_scan:<partition>`: the watermark and the derivation's tracker (JSON);
//! - `notifications:<account>`: the customer's deliveries, newest last (JSON, at most
//!   [`KEPT_PER_CUSTOMER`]; pending ones are never dropped);
//! - `notification_prefs:<account>`: the customer's preferences (JSON).
//!
//! Durability: deliveries are written before the watermark moves; a restart between the two
//! derives the same intents again, with the same dedup keys, and keeps the deliveries already
//! there (one per key and channel), so nothing acknowledged is lost and nothing is sent twice.
//! A provider sees each message's id as its idempotency key, so a send retried after a crash
//! mid-call is one message too.

pub mod consumer;
pub mod facts;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify::sim::SimulatedChannel;
use notify::{Channel, Delivery, NotificationChannel, Preferences, QuietHours, RetryPolicy};

use crate::http::error::ApiError;
use crate::meta::Meta;

/// Deliveries kept per customer (the oldest finished ones go first).
pub const KEPT_PER_CUSTOMER: usize = 200;

/// How notifications run.
#[derive(Clone, Debug)]
pub struct NotificationOptions {
    /// How often the journal is read and due deliveries are sent.
    pub poll: Duration,
    pub quiet: QuietHours,
    pub retry: RetryPolicy,
    /// The providers; the deterministic simulators (one per channel) when `None`.
    pub channels: Option<Vec<Arc<dyn NotificationChannel>>>,
}

impl Default for NotificationOptions {
    fn default() -> NotificationOptions {
        NotificationOptions {
            poll: Duration::from_millis(500),
            quiet: QuietHours::default(),
            retry: RetryPolicy::default(),
            channels: None,
        }
    }
}

/// The running notifications' shared part.
pub struct Notifications {
    pub(crate) options: NotificationOptions,
    channels: HashMap<Channel, Arc<dyn NotificationChannel>>,
    simulators: HashMap<Channel, Arc<SimulatedChannel>>,
    /// Accounts with a pending delivery (rebuilt from the meta table at start).
    pub(crate) pending: Mutex<BTreeSet<u64>>,
    /// One run of the consumer at a time (the background task, or a test's call).
    pub(crate) running: tokio::sync::Mutex<()>,
    /// The consumer's own journal handle.
    pub(crate) journal: Mutex<Box<dyn store::Journal>>,
}

impl std::fmt::Debug for Notifications {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifications")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

pub(crate) fn scan_key(partition: u32) -> String {
    format!("notify_scan:{partition}")
}

pub(crate) fn deliveries_key(account: u64) -> String {
    format!("notifications:{account}")
}

pub(crate) fn prefs_key(account: u64) -> String {
    format!("notification_prefs:{account}")
}

impl Notifications {
    /// Opens the channels and finds the accounts with pending deliveries (blocking; at start).
    pub fn open(options: NotificationOptions, meta: &Meta, journal: Box<dyn store::Journal>) -> Result<Self, String> {
        let mut channels: HashMap<Channel, Arc<dyn NotificationChannel>> = HashMap::new();
        let mut simulators = HashMap::new();
        match &options.channels {
            Some(given) => {
                for channel in given {
                    channels.insert(channel.channel(), channel.clone());
                }
            }
            None => {
                for channel in Channel::ALL {
                    let sim = Arc::new(SimulatedChannel::new(channel));
                    simulators.insert(channel, sim.clone());
                    channels.insert(channel, sim);
                }
            }
        }
        let mut pending = BTreeSet::new();
        for (key, text) in meta.with_prefix_blocking("notifications:").map_err(|e| e.to_string())? {
            let list: Vec<Delivery> = serde_json::from_str(&text).map_err(|e| format!("{key}: {e}"))?;
            if let Some(first) = list.iter().find(|d| d.status == notify::Status::Pending) {
                pending.insert(first.account);
            }
        }
        Ok(Notifications {
            options,
            channels,
            simulators,
            pending: Mutex::new(pending),
            running: tokio::sync::Mutex::new(()),
            journal: Mutex::new(journal),
        })
    }

    pub(crate) fn channel(&self, channel: Channel) -> Option<&Arc<dyn NotificationChannel>> {
        self.channels.get(&channel)
    }

    /// The simulator of `channel`, when the server runs the simulators.
    pub fn simulator(&self, channel: Channel) -> Option<Arc<SimulatedChannel>> {
        self.simulators.get(&channel).cloned()
    }
}

/// A customer's preferences (the defaults when none were set).
pub(crate) fn load_prefs(meta: &Meta, account: u64) -> Result<Preferences, store::StoreError> {
    match meta.get_blocking(&prefs_key(account))? {
        Some(text) => serde_json::from_str(&text).map_err(|e| store::StoreError::Backend(e.to_string())),
        None => Ok(Preferences::default()),
    }
}

pub(crate) fn load_deliveries(meta: &Meta, account: u64) -> Result<Vec<Delivery>, store::StoreError> {
    match meta.get_blocking(&deliveries_key(account))? {
        Some(text) => serde_json::from_str(&text).map_err(|e| store::StoreError::Backend(e.to_string())),
        None => Ok(Vec::new()),
    }
}

pub(crate) fn save_deliveries(meta: &Meta, account: u64, list: &mut Vec<Delivery>) -> Result<(), store::StoreError> {
    while list.len() > KEPT_PER_CUSTOMER {
        let Some(oldest) = list.iter().position(|d| d.status != notify::Status::Pending) else {
            break;
        };
        list.remove(oldest);
    }
    let text = serde_json::to_string(list).map_err(|e| store::StoreError::Backend(e.to_string()))?;
    meta.set_blocking(&deliveries_key(account), &text)
}

/// Runs a blocking meta call off the runtime's threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, store::StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result.map_err(|error| {
            tracing::error!(%error, "the notifications' store failed");
            ApiError::unavailable("the store is unavailable")
        }),
        Err(error) => Err(ApiError::internal(error.to_string())),
    }
}
