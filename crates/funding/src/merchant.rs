//! Merchant payouts through a provider: the settlement run's payouts (our payout id
//! `m<merchant>-<day>`) sent to the lender's payout provider over HTTP.
//!
//! | call | body | answer |
//! | --- | --- | --- |
//! | `POST /v1/merchant-payouts` | [`MerchantPayoutCall`] | `StatusAnswer` (`pending`, `paid`, `failed`, `returned`) |
//!
//! Every call carries `Idempotency-Key: <payout id>`: the provider pays one payout id once, so a
//! retried attempt, or the same payout sent again after a restart (sent, answer not recorded),
//! is answered as the first time and never pays twice. The adapter is the identity crate's
//! client: per-attempt timeout, retries with backoff on outages only (the call is idempotent
//! by its key), a circuit breaker that opens after consecutive failures and lets one probe
//! through after its cool-down. The provider's later word (paid, failed, returned) comes as a
//! signed callback ([`crate::callback::sign_request`]).

use std::sync::Arc;

use identity::http::{CircuitBreaker, ConfigError, HttpProvider, ProviderConfig};
use identity::{BoxFuture, Clock};
use money::Amount;
use serde::{Deserialize, Serialize};

use crate::protocol::{MAX_TEXT_CHARS, StatusAnswer};
use crate::{FundingError, PayoutAnswer};

pub const MERCHANT_PAYOUT_PATH: &str = "/v1/merchant-payouts";
/// Where the provider posts its signed word on a merchant payout.
pub const MERCHANT_PAYOUT_CALLBACK_PATH: &str = "/v1/providers/merchant-payouts/callback";

/// One payout to a merchant's settlement account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantPayoutOrder {
    /// Our payout id: the idempotency key.
    pub payout_id: String,
    pub merchant: u64,
    pub amount: Amount,
}

/// The body of `POST /v1/merchant-payouts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerchantPayoutCall {
    pub payout_id: String,
    pub merchant_id: String,
    pub amount_fen: i64,
}

/// A provider's callback about one merchant payout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MerchantPayoutCallback {
    pub payout_id: String,
    /// `paid`, `failed` or `returned`.
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub provider_ref: Option<String>,
}

/// Whether `id` is a payout id we could have made: short, letters, digits and `-`.
pub fn is_payout_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_TEXT_CHARS && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A merchant payout provider (object-safe, async).
pub trait MerchantPayoutProvider: Send + Sync {
    /// Pays `order` once by its id; asked again, answers where that payout stands.
    fn pay<'a>(&'a self, order: &'a MerchantPayoutOrder) -> BoxFuture<'a, Result<PayoutAnswer, FundingError>>;
}

/// [`MerchantPayoutProvider`] over HTTP.
#[derive(Debug)]
pub struct HttpMerchantPayouts {
    provider: HttpProvider,
}

impl HttpMerchantPayouts {
    pub fn new(config: &ProviderConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        Ok(Self {
            provider: HttpProvider::new(config, clock)?,
        })
    }

    pub fn breaker(&self) -> &CircuitBreaker {
        self.provider.breaker()
    }
}

impl MerchantPayoutProvider for HttpMerchantPayouts {
    fn pay<'a>(&'a self, order: &'a MerchantPayoutOrder) -> BoxFuture<'a, Result<PayoutAnswer, FundingError>> {
        Box::pin(async move {
            if !is_payout_id(&order.payout_id) {
                return Err(FundingError::BadResponse("not a payout id".into()));
            }
            let body = MerchantPayoutCall {
                payout_id: order.payout_id.clone(),
                merchant_id: order.merchant.to_string(),
                amount_fen: order.amount.fen(),
            };
            let answer: StatusAnswer = self
                .provider
                .post_keyed(MERCHANT_PAYOUT_PATH, &order.payout_id, &body)
                .await?;
            answer.payout()
        })
    }
}
