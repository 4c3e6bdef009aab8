//! [`HttpProvider`]: one provider endpoint's JSON-over-HTTP client, with per-attempt timeout,
//! retries with backoff on outages only, a circuit breaker, and the mapping of HTTP answers to
//! [`ProviderError`]. Public so other provider crates (the `funding` crate's payment and payout
//! adapters) reuse the same client instead of keeping a copy.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::backoff::Backoff;
use super::breaker::CircuitBreaker;
use super::config::{ConfigError, ProviderConfig};
use crate::clock::Clock;
use crate::protocol::ErrorBody;
use crate::seeded::SplitMix64;
use crate::{Outage, ProviderError};

/// Largest response body read; a longer one is a bad response.
const MAX_BODY_BYTES: usize = 64 * 1024;
/// Longest provider error code kept (it may reach logs and responses).
const MAX_ERROR_CODE_CHARS: usize = 64;

/// One provider endpoint's client: build it from a [`ProviderConfig`], then [`HttpProvider::post`].
#[derive(Debug)]
pub struct HttpProvider {
    client: reqwest::Client,
    base: String,
    timeout: Duration,
    retries: u32,
    api_key: Option<String>,
    backoff: Backoff,
    breaker: CircuitBreaker,
    idempotency: Mutex<SplitMix64>,
}

impl HttpProvider {
    pub fn new(config: &ProviderConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let base = config.checked_base()?;
        let timeout = Duration::from_millis(config.timeout_ms);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout)
            .timeout(timeout)
            .build()
            .map_err(|e| ConfigError::Client(e.to_string()))?;
        let breaker = CircuitBreaker::new(config.circuit_failure_threshold, config.circuit_open_ms, clock);
        Ok(Self {
            client,
            base,
            timeout,
            retries: config.retries,
            api_key: config.api_key.clone(),
            backoff: Backoff::new(config.backoff_base_ms, config.jitter_seed),
            breaker,
            idempotency: Mutex::new(SplitMix64::new(!config.jitter_seed)),
        })
    }

    pub fn breaker(&self) -> &CircuitBreaker {
        &self.breaker
    }

    /// Posts `request` to `path` and decodes the answer, retrying outages up to the configured
    /// count while the circuit allows.
    pub async fn post<Req, Resp>(&self, path: &str, request: &Req) -> Result<Resp, ProviderError>
    where
        Req: Serialize + Sync,
        Resp: DeserializeOwned,
    {
        let key = self.idempotency_key();
        self.post_keyed(path, &key, request).await
    }

    /// [`HttpProvider::post`] with the caller's own `Idempotency-Key` (the same for every
    /// attempt), for calls whose effect the provider must apply once per key even across
    /// restarts of the caller (a debit keyed by our funding id).
    pub async fn post_keyed<Req, Resp>(&self, path: &str, key: &str, request: &Req) -> Result<Resp, ProviderError>
    where
        Req: Serialize + Sync,
        Resp: DeserializeOwned,
    {
        let url = format!("{}{}", self.base, path);
        let mut retry = 0;
        loop {
            let permit = self
                .breaker
                .try_acquire()
                .ok_or(ProviderError::Unavailable(Outage::CircuitOpen))?;
            let result = self.attempt::<Req, Resp>(&url, key, request).await;
            if counts_as_failure(&result) {
                permit.failure();
            } else {
                permit.success();
            }
            match result {
                Err(e) if is_retryable(&e) && retry < self.retries => {
                    retry += 1;
                    tokio::time::sleep(Duration::from_millis(self.backoff.delay_ms(retry))).await;
                }
                result => return result,
            }
        }
    }

    async fn attempt<Req, Resp>(&self, url: &str, key: &str, request: &Req) -> Result<Resp, ProviderError>
    where
        Req: Serialize + Sync,
        Resp: DeserializeOwned,
    {
        let mut builder = self
            .client
            .post(url)
            .timeout(self.timeout)
            .header("Idempotency-Key", key)
            .json(request);
        if let Some(api_key) = &self.api_key {
            builder = builder.bearer_auth(api_key);
        }
        let mut response = builder.send().await.map_err(transport_error)?;
        let status = response.status();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(ProviderError::BadResponse(format!(
                    "response body over {MAX_BODY_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        decode(status, &body)
    }

    /// 32 hex digits, the same for every attempt of one call.
    fn idempotency_key(&self) -> String {
        let mut rng = self.idempotency.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64())
    }
}

/// Maps an answer to the call's result (see the protocol docs for the rules).
fn decode<Resp: DeserializeOwned>(status: StatusCode, body: &[u8]) -> Result<Resp, ProviderError> {
    if status.is_success() {
        return serde_json::from_slice(body).map_err(|e| {
            // Only the error's kind and place: the message could quote the body.
            ProviderError::BadResponse(format!(
                "{:?} error in the JSON at line {} column {}",
                e.classify(),
                e.line(),
                e.column()
            ))
        });
    }
    if status.is_server_error() {
        return Err(ProviderError::Unavailable(Outage::ServerError {
            status: status.as_u16(),
        }));
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Err(ProviderError::Unavailable(Outage::RateLimited));
    }
    if status.is_client_error() {
        return Err(ProviderError::Rejected {
            status: status.as_u16(),
            code: error_code(status, body),
        });
    }
    Err(ProviderError::BadResponse(format!(
        "unexpected HTTP status {}",
        status.as_u16()
    )))
}

/// The provider's error code from a 4xx body, cleaned for logs, or `http_{status}`.
fn error_code(status: StatusCode, body: &[u8]) -> String {
    let code = serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .map(|b| b.error.code)
        .filter(|c| {
            !c.is_empty()
                && c.len() <= MAX_ERROR_CODE_CHARS
                && c.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        });
    code.unwrap_or_else(|| format!("http_{}", status.as_u16()))
}

fn transport_error(error: reqwest::Error) -> ProviderError {
    if error.is_timeout() {
        ProviderError::Unavailable(Outage::Timeout)
    } else {
        ProviderError::Unavailable(Outage::Connection)
    }
}

/// Attempts worth repeating: the provider may answer next time.
fn is_retryable(error: &ProviderError) -> bool {
    matches!(
        error,
        ProviderError::Unavailable(Outage::Timeout | Outage::Connection | Outage::ServerError { .. })
    )
}

/// Attempts that count against the provider's health: outages it caused and garbled answers.
/// A 4xx or a 429 shows a provider that is up and answering.
fn counts_as_failure<T>(result: &Result<T, ProviderError>) -> bool {
    match result {
        Err(e) => is_retryable(e) || matches!(e, ProviderError::BadResponse(_)),
        Ok(_) => false,
    }
}
