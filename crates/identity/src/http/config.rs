//! [`ProviderConfig`]: where a provider is and how patiently to call it, and the checks that
//! turn it into a usable adapter.

use std::fmt;

use serde::Deserialize;

/// One provider endpoint's settings. Every field but `endpoint` has a default.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// Base URL; the protocol paths (`/v1/...`) are appended to it.
    pub endpoint: String,
    /// Limit on one attempt, from connecting to the last byte of the answer.
    #[serde(default = "defaults::timeout_ms")]
    pub timeout_ms: u64,
    /// Further attempts after a timeout, connection failure or 5xx (never after a 4xx).
    #[serde(default = "defaults::retries")]
    pub retries: u32,
    /// The n-th retry waits between half and all of `backoff_base_ms * 2^(n-1)`.
    #[serde(default = "defaults::backoff_base_ms")]
    pub backoff_base_ms: u64,
    /// Consecutive failed attempts that open the circuit.
    #[serde(default = "defaults::circuit_failure_threshold")]
    pub circuit_failure_threshold: u32,
    /// How long an open circuit refuses calls before letting one probe through.
    #[serde(default = "defaults::circuit_open_ms")]
    pub circuit_open_ms: u64,
    /// Sent as `Authorization: Bearer ...` when set. Never printed by `Debug`.
    #[serde(default)]
    pub api_key: Option<String>,
    /// Seed of the retry jitter stream, so a run's delays replay exactly.
    #[serde(default)]
    pub jitter_seed: u64,
}

mod defaults {
    pub(super) fn timeout_ms() -> u64 {
        3_000
    }
    pub(super) fn retries() -> u32 {
        2
    }
    pub(super) fn backoff_base_ms() -> u64 {
        100
    }
    pub(super) fn circuit_failure_threshold() -> u32 {
        5
    }
    pub(super) fn circuit_open_ms() -> u64 {
        30_000
    }
}

/// Upper bounds that keep one call's worst case (attempts x timeout + backoff) bounded.
pub(crate) const MAX_TIMEOUT_MS: u64 = 60_000;
pub(crate) const MAX_RETRIES: u32 = 10;
pub(crate) const MAX_BACKOFF_BASE_MS: u64 = 10_000;

/// Why a configuration cannot make an adapter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("the provider endpoint is not an http:// or https:// URL")]
    Endpoint,
    #[error("an https:// provider endpoint needs the identity crate's `tls` feature")]
    TlsNotBuilt,
    #[error("timeout_ms must be 1 to {MAX_TIMEOUT_MS}")]
    Timeout,
    #[error("retries must be at most {MAX_RETRIES}")]
    Retries,
    #[error("backoff_base_ms must be at most {MAX_BACKOFF_BASE_MS}")]
    Backoff,
    #[error("circuit_failure_threshold must be at least 1")]
    CircuitThreshold,
    #[error("the api_key is not a valid HTTP header value")]
    ApiKey,
    #[error("the HTTP client could not be built: {0}")]
    Client(String),
}

impl ProviderConfig {
    /// A configuration with every default and the given endpoint.
    pub fn new(endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
            timeout_ms: defaults::timeout_ms(),
            retries: defaults::retries(),
            backoff_base_ms: defaults::backoff_base_ms(),
            circuit_failure_threshold: defaults::circuit_failure_threshold(),
            circuit_open_ms: defaults::circuit_open_ms(),
            api_key: None,
            jitter_seed: 0,
        }
    }

    /// Checks the limits and returns the endpoint without a trailing slash.
    pub(crate) fn checked_base(&self) -> Result<String, ConfigError> {
        let url = reqwest::Url::parse(&self.endpoint).map_err(|_| ConfigError::Endpoint)?;
        match url.scheme() {
            "http" => {}
            "https" if cfg!(feature = "tls") => {}
            "https" => return Err(ConfigError::TlsNotBuilt),
            _ => return Err(ConfigError::Endpoint),
        }
        if url.host().is_none() || url.query().is_some() || url.fragment().is_some() {
            return Err(ConfigError::Endpoint);
        }
        if !(1..=MAX_TIMEOUT_MS).contains(&self.timeout_ms) {
            return Err(ConfigError::Timeout);
        }
        if self.retries > MAX_RETRIES {
            return Err(ConfigError::Retries);
        }
        if self.backoff_base_ms > MAX_BACKOFF_BASE_MS {
            return Err(ConfigError::Backoff);
        }
        if self.circuit_failure_threshold == 0 {
            return Err(ConfigError::CircuitThreshold);
        }
        if let Some(key) = &self.api_key
            && reqwest::header::HeaderValue::from_str(&format!("Bearer {key}")).is_err()
        {
            return Err(ConfigError::ApiKey);
        }
        Ok(self.endpoint.trim_end_matches('/').to_owned())
    }
}

impl fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("endpoint", &self.endpoint)
            .field("timeout_ms", &self.timeout_ms)
            .field("retries", &self.retries)
            .field("backoff_base_ms", &self.backoff_base_ms)
            .field("circuit_failure_threshold", &self.circuit_failure_threshold)
            .field("circuit_open_ms", &self.circuit_open_ms)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("jitter_seed", &self.jitter_seed)
            .finish()
    }
}
