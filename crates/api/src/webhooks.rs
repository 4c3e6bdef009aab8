//! Signed webhooks to merchants, sent from the outbox.
//!
//! - [`Webhooks`]: each merchant's endpoint URL, kept in the store's meta table as
//!   `merchant_webhook:<id>` (registered by the merchant or an operator).
//! - [`scan`]: tails the journal like the projector and records every notice in read.db
//!   (`notices`, `cases`), enqueuing one delivery per merchant-facing notice of a merchant with
//!   a webhook, with the scan watermark in the same transaction.
//! - [`send`]: the signed POST.
//! - [`target`]: where a webhook may go (https, public addresses only), checked at
//!   registration and at each delivery.
//! - [`dispatcher`]: the scanner thread and the sender task that `Server` runs: due deliveries
//!   are posted, 2xx marks them delivered, anything else (or a timeout) retries with
//!   exponential backoff, and a delivery failing past [`WebhookOptions::give_up_after`] is
//!   dead-lettered.
//!
//! A delivery is a POST of JSON with `X-Iou-Event` (the event type), `X-Iou-Delivery` (its
//! key: the same on every retry, so a merchant drops duplicates) and `X-Iou-Signature:
//! t=<unix seconds>,v1=<hex HMAC-SHA256(merchant secret, "<t>.<body>")>`.

pub mod dispatcher;
pub mod scan;
pub mod send;
pub mod target;

use std::sync::Arc;
use std::time::Duration;

use credit::MerchantId;
use serde::{Deserialize, Serialize};

use crate::edge::merchants::Merchants;
use crate::http::error::{ApiError, ErrorCode};
use crate::meta::Meta;
use crate::sharded::Sharded;

/// The longest webhook URL accepted.
pub const URL_MAX_CHARS: usize = 2048;

/// How the dispatcher runs.
#[derive(Clone, Debug)]
pub struct WebhookOptions {
    /// How often the journal is scanned and the outbox polled.
    pub poll: Duration,
    /// Limit on one delivery attempt.
    pub timeout: Duration,
    /// The wait after the first failure; it doubles after each further one.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// A delivery still failing this long after its notice is dead-lettered.
    pub give_up_after: Duration,
    /// Deliveries attempted at once.
    pub concurrency: usize,
}

impl Default for WebhookOptions {
    fn default() -> WebhookOptions {
        WebhookOptions {
            poll: Duration::from_millis(500),
            timeout: Duration::from_secs(10),
            backoff_base: Duration::from_secs(10),
            backoff_max: Duration::from_secs(3600),
            give_up_after: Duration::from_secs(3 * 86_400),
            concurrency: 16,
        }
    }
}

impl WebhookOptions {
    /// The wait after a delivery's `attempts`-th failure (1, 2, ...): `base * 2^(attempts-1)`,
    /// at most `backoff_max`.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(30);
        self.backoff_base
            .checked_mul(1 << doublings)
            .unwrap_or(self.backoff_max)
            .min(self.backoff_max)
    }
}

/// A merchant's endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    pub url: String,
}

/// Every merchant's webhook, loaded at start and kept in memory.
#[derive(Debug, Default)]
pub struct Webhooks {
    by_merchant: Sharded<MerchantId, Arc<Webhook>>,
}

fn meta_key(merchant: MerchantId) -> String {
    format!("merchant_webhook:{merchant}")
}

/// Parses a webhook URL: `http` or `https` with a host, at most [`URL_MAX_CHARS`].
pub fn parse_url(text: &str) -> Result<String, ApiError> {
    let bad = |why: &str| ApiError::new(ErrorCode::InvalidField, why.to_owned()).with_field("url");
    if text.chars().count() > URL_MAX_CHARS {
        return Err(bad("url is at most 2048 characters"));
    }
    let url = reqwest::Url::parse(text).map_err(|_| bad("url is not an absolute URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad("url must be http or https with a host"));
    }
    if url.username() != "" || url.password().is_some() {
        return Err(bad("url must not carry credentials: requests are signed"));
    }
    Ok(url.to_string())
}

impl Webhooks {
    /// Loads the webhooks of every registered merchant (blocking; at start only).
    pub fn load(meta: &Meta, merchants: &Merchants) -> Result<Webhooks, String> {
        let webhooks = Webhooks::default();
        let mut id = 1;
        while merchants.get(MerchantId(id)).is_some() {
            if let Some(text) = meta
                .get_blocking(&meta_key(MerchantId(id)))
                .map_err(|e| e.to_string())?
            {
                let hook: Webhook =
                    serde_json::from_str(&text).map_err(|e| format!("webhook of merchant {id}: {e}"))?;
                webhooks.by_merchant.insert(MerchantId(id), Arc::new(hook));
            }
            id += 1;
        }
        Ok(webhooks)
    }

    pub fn get(&self, merchant: MerchantId) -> Option<Arc<Webhook>> {
        self.by_merchant.get_cloned(&merchant)
    }

    /// Registers (or replaces) a merchant's endpoint.
    pub async fn set(&self, meta: &Arc<Meta>, merchant: MerchantId, hook: Webhook) -> Result<(), ApiError> {
        let text = serde_json::to_string(&hook).map_err(|e| ApiError::internal(e.to_string()))?;
        meta.set(meta_key(merchant), text).await?;
        self.by_merchant.insert(merchant, Arc::new(hook));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let options = WebhookOptions {
            backoff_base: Duration::from_secs(10),
            backoff_max: Duration::from_secs(60),
            ..WebhookOptions::default()
        };
        let waits: Vec<u64> = (1..=6).map(|n| options.backoff(n).as_secs()).collect();
        assert_eq!(waits, [10, 20, 40, 60, 60, 60]);
        assert_eq!(options.backoff(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn urls_are_http_with_a_host_and_no_credentials() {
        assert_eq!(
            parse_url("http://127.0.0.1:9000/hooks").unwrap(),
            "http://127.0.0.1:9000/hooks"
        );
        for bad in ["ftp://x/y", "/relative", "http://user:pw@x/", "not a url"] {
            assert_eq!(parse_url(bad).unwrap_err().field.as_deref(), Some("url"), "{bad}");
        }
    }
}
