//! The HTTP adapters: [`HttpPayments`] and [`HttpPayouts`] speak [`crate::protocol`] through
//! the identity crate's [`HttpProvider`] (per-attempt timeout, retries with seeded backoff on
//! outages only, a circuit breaker per adapter). Every call's `Idempotency-Key` is our funding
//! id, so a retry, or the same call sent again after a restart, is one operation.

use std::sync::Arc;

use identity::http::{CircuitBreaker, ConfigError, HttpProvider, ProviderConfig};
use identity::{BoxFuture, Clock};

use crate::protocol::{
    DEBIT_PATH, DEBIT_STATUS_PATH, DebitCall, PAYOUT_PATH, PAYOUT_STATUS_PATH, StatusAnswer, StatusQuery,
};
use crate::{
    DebitAnswer, DebitRequest, FundingError, FundingId, PaymentProvider, PayoutAnswer, PayoutProvider, PayoutRequest,
};

fn key(funding: FundingId, what: &str) -> String {
    format!("iou-{what}-{funding}")
}

fn call(funding: FundingId, card: &identity::BankCard, amount: money::Amount) -> DebitCall {
    DebitCall {
        funding_id: funding.to_string(),
        card_number: card.as_str().to_owned(),
        amount_fen: amount.fen(),
    }
}

/// [`PaymentProvider`] over HTTP.
#[derive(Debug)]
pub struct HttpPayments {
    provider: HttpProvider,
}

/// [`PayoutProvider`] over HTTP.
#[derive(Debug)]
pub struct HttpPayouts {
    provider: HttpProvider,
}

impl HttpPayments {
    pub fn new(config: &ProviderConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        Ok(Self {
            provider: HttpProvider::new(config, clock)?,
        })
    }

    pub fn breaker(&self) -> &CircuitBreaker {
        self.provider.breaker()
    }
}

impl HttpPayouts {
    pub fn new(config: &ProviderConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        Ok(Self {
            provider: HttpProvider::new(config, clock)?,
        })
    }

    pub fn breaker(&self) -> &CircuitBreaker {
        self.provider.breaker()
    }
}

impl PaymentProvider for HttpPayments {
    fn debit<'a>(&'a self, request: &'a DebitRequest) -> BoxFuture<'a, Result<DebitAnswer, FundingError>> {
        Box::pin(async move {
            let body = call(request.funding, &request.card, request.amount);
            let answer: StatusAnswer = self
                .provider
                .post_keyed(DEBIT_PATH, &key(request.funding, "debit"), &body)
                .await?;
            answer.debit()
        })
    }

    fn debit_status(&self, funding: FundingId) -> BoxFuture<'_, Result<DebitAnswer, FundingError>> {
        Box::pin(async move {
            let query = StatusQuery {
                funding_id: funding.to_string(),
            };
            let answer: StatusAnswer = self
                .provider
                .post_keyed(DEBIT_STATUS_PATH, &key(funding, "debit-status"), &query)
                .await?;
            answer.debit()
        })
    }
}

impl PayoutProvider for HttpPayouts {
    fn payout<'a>(&'a self, request: &'a PayoutRequest) -> BoxFuture<'a, Result<PayoutAnswer, FundingError>> {
        Box::pin(async move {
            let body = call(request.funding, &request.card, request.amount);
            let answer: StatusAnswer = self
                .provider
                .post_keyed(PAYOUT_PATH, &key(request.funding, "payout"), &body)
                .await?;
            answer.payout()
        })
    }

    fn payout_status(&self, funding: FundingId) -> BoxFuture<'_, Result<PayoutAnswer, FundingError>> {
        Box::pin(async move {
            let query = StatusQuery {
                funding_id: funding.to_string(),
            };
            let answer: StatusAnswer = self
                .provider
                .post_keyed(PAYOUT_STATUS_PATH, &key(funding, "payout-status"), &query)
                .await?;
            answer.payout()
        })
    }
}
