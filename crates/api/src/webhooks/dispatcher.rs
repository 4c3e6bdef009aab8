//! The dispatcher `Server` runs: a scanner thread (journal -> outbox, every `poll`) and a
//! sender task (due deliveries -> merchants' endpoints, at most `concurrency` at once). Times
//! in the outbox (next attempts, the give-up age, the signature's `t`) come from the engine's
//! injected clock; the polling itself runs on real time. Deliveries go through
//! `target::delivery_client`: only to checked public addresses, no redirects.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use credit::MerchantId;
use jiff::Timestamp;
use store::outbox::{Delivery, Failure};
use store::{Backend, Outbox};
use tokio::sync::oneshot;
use tokio::task::JoinSet;

use super::send::{Post, post, signature_with};
use super::{WebhookOptions, scan};
use crate::state::AppState;

/// How long [`Dispatcher::stop`] waits for deliveries in flight.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// A running dispatcher.
#[derive(Debug)]
pub struct Dispatcher {
    stop: Arc<AtomicBool>,
    scanner: Option<JoinHandle<()>>,
    shutdown: Option<oneshot::Sender<()>>,
    sender: Option<tokio::task::JoinHandle<()>>,
}

impl Dispatcher {
    /// Starts both halves. The sender holds `state` until [`Dispatcher::stop`].
    pub fn start(backend: &dyn Backend, state: AppState, options: WebhookOptions) -> Result<Dispatcher, String> {
        let mut journal = backend.journal().map_err(|e| e.to_string())?;
        let mut scan_outbox = backend.outbox().map_err(|e| e.to_string())?;
        let send_outbox = backend.outbox().map_err(|e| e.to_string())?;
        let stop = Arc::new(AtomicBool::new(false));
        let partitions = state.engine().partitions();
        let texts = scan::Texts(state.risk_edge().webhooks.clone());
        let (poll, halt) = (options.poll, stop.clone());
        let leading = state.engine().leading();
        let scanner = std::thread::Builder::new()
            .name("iou-webhook-scan".into())
            .spawn(move || {
                while !halt.load(Ordering::Acquire) {
                    if !leading.load(Ordering::Acquire) {
                        // A cluster's leader scans (see `engine::cluster`).
                        std::thread::sleep(poll);
                        continue;
                    }
                    if let Err(error) =
                        engine::outbox::scan_once(journal.as_mut(), scan_outbox.as_mut(), &texts, partitions)
                    {
                        tracing::warn!(%error, "the outbox scan failed; it will be retried");
                    }
                    std::thread::sleep(poll);
                }
            })
            .map_err(|e| e.to_string())?;
        let client = super::target::delivery_client(state.network().webhook_targets.clone())?;
        let (shutdown, stopped) = oneshot::channel();
        let outbox = Arc::new(Mutex::new(send_outbox));
        let sender = tokio::spawn(send_loop(outbox, client, state, options, stopped));
        Ok(Dispatcher {
            stop,
            scanner: Some(scanner),
            shutdown: Some(shutdown),
            sender: Some(sender),
        })
    }

    /// Stops both halves (a delivery in flight is abandoned and retried at the next start).
    pub async fn stop(mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(mut sender) = self.sender.take() {
            // A delivery in flight may wait for its endpoint up to its timeout: give it a
            // moment, then abandon it (it is retried at the next start).
            if tokio::time::timeout(STOP_GRACE, &mut sender).await.is_err() {
                sender.abort();
                let _ = sender.await;
            }
        }
        if let Some(scanner) = self.scanner.take() {
            let _ = tokio::task::spawn_blocking(move || scanner.join()).await;
        }
    }
}

type Shared = Arc<Mutex<Box<dyn Outbox>>>;

async fn with_outbox<T: Send + 'static>(
    outbox: &Shared,
    f: impl FnOnce(&mut dyn Outbox) -> Result<T, store::StoreError> + Send + 'static,
) -> Option<T> {
    let outbox = outbox.clone();
    let done = tokio::task::spawn_blocking(move || f(outbox.lock().unwrap_or_else(|p| p.into_inner()).as_mut())).await;
    match done {
        Ok(Ok(value)) => Some(value),
        Ok(Err(error)) => {
            tracing::warn!(%error, "the outbox is unavailable");
            None
        }
        Err(error) => {
            tracing::error!(%error, "an outbox task failed");
            None
        }
    }
}

async fn send_loop(
    outbox: Shared,
    client: reqwest::Client,
    state: AppState,
    options: WebhookOptions,
    mut stopped: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            () = tokio::time::sleep(options.poll) => {}
        }
        if !state.engine().leading().load(Ordering::Acquire) {
            continue;
        }
        let now_ms = state.clock().now().as_millisecond();
        let limit = options.concurrency.max(1);
        let Some(due) = with_outbox(&outbox, move |o| o.due(now_ms, limit)).await else {
            continue;
        };
        let mut attempts = JoinSet::new();
        for delivery in due {
            let (state, client, options) = (state.clone(), client.clone(), options.clone());
            attempts.spawn(async move {
                let result = attempt(&state, &client, &delivery, &options).await;
                (delivery, result)
            });
        }
        while let Some(done) = attempts.join_next().await {
            let Ok((delivery, result)) = done else { continue };
            record(&outbox, &state, &options, delivery, result).await;
        }
    }
}

async fn attempt(
    state: &AppState,
    client: &reqwest::Client,
    delivery: &Delivery,
    options: &WebhookOptions,
) -> Result<(), String> {
    let merchant = MerchantId(delivery.merchant);
    let hook = state
        .risk_edge()
        .webhooks
        .get(merchant)
        .ok_or("the merchant has no webhook registered")?;
    let mac = state
        .merchants()
        .get(merchant)
        .ok_or("the merchant is unknown")?
        .mac
        .clone();
    // The scheme and an address written in the URL; a name is checked by the client's
    // resolver, which connects only to the addresses it checked.
    let url = reqwest::Url::parse(&hook.url).map_err(|e| format!("the webhook URL: {e}"))?;
    state
        .network()
        .webhook_targets
        .check_literal(&url)
        .map_err(|e| e.to_string())?;
    let t = state.clock().now().as_second();
    let signed = signature_with(mac, t, &delivery.body);
    let key = delivery.key.to_string();
    let request = Post {
        url: &hook.url,
        event: &delivery.event,
        delivery: &key,
        signature: &signed,
        body: &delivery.body,
    };
    post(client, request, options.timeout).await
}

async fn record(
    outbox: &Shared,
    state: &AppState,
    options: &WebhookOptions,
    delivery: Delivery,
    result: Result<(), String>,
) {
    let now = state.clock().now();
    let key = delivery.key;
    state.telemetry().webhook_attempt(result.is_ok());
    match result {
        Ok(()) => {
            let at_ms = now.as_millisecond();
            with_outbox(outbox, move |o| o.delivered(key, at_ms)).await;
        }
        Err(error) => {
            let wait = options.backoff(delivery.attempts + 1);
            let retry_at = now.checked_add(wait).unwrap_or(now);
            let give_up = now.checked_sub(options.give_up_after).unwrap_or(Timestamp::UNIX_EPOCH);
            tracing::info!(delivery = %key, %error, retry_in_ms = wait.as_millis() as u64, "webhook delivery failed");
            let (at_ms, retry_at_ms, give_up_ms) = (
                now.as_millisecond(),
                retry_at.as_millisecond(),
                give_up.as_millisecond(),
            );
            with_outbox(outbox, move |o| {
                o.failed(
                    key,
                    Failure {
                        at_ms,
                        retry_at_ms,
                        error: &error,
                        give_up_if_created_before_ms: give_up_ms,
                    },
                )
            })
            .await;
        }
    }
}
