//! [`HttpChannel`]: a [`NotificationChannel`] over HTTP, through the identity crate's provider
//! client (per-attempt timeout, bounded retries with backoff on outages, circuit breaker, the
//! configured API key as a bearer token). It posts JSON to `/v1/messages/<channel>` with the
//! message id as `Idempotency-Key` (the same on every attempt and after a restart) and reads
//! `{"provider_ref": "..."}`.

use std::sync::Arc;

use identity::http::{CircuitBreaker, ConfigError, HttpProvider, ProviderConfig};
use identity::{Clock, ProviderError};
use serde::{Deserialize, Serialize};

use crate::channel::{BoxFuture, Message, NotificationChannel, Receipt, SendError};
use crate::kind::Channel;

/// The path of a channel's messages.
pub fn path(channel: Channel) -> String {
    format!("/v1/messages/{}", channel.name())
}

/// What the provider receives.
#[derive(Debug, Serialize)]
pub struct MessageCall<'a> {
    pub message_id: &'a str,
    pub customer_id: String,
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<&'a str>,
    pub body: &'a str,
}

#[derive(Debug, Deserialize)]
struct Answer {
    provider_ref: String,
}

#[derive(Debug)]
pub struct HttpChannel {
    channel: Channel,
    provider: HttpProvider,
}

impl HttpChannel {
    pub fn new(channel: Channel, config: &ProviderConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        Ok(HttpChannel {
            channel,
            provider: HttpProvider::new(config, clock)?,
        })
    }

    pub fn breaker(&self) -> &CircuitBreaker {
        self.provider.breaker()
    }
}

fn send_error(error: ProviderError) -> SendError {
    match error {
        ProviderError::Rejected { status, code } => SendError::Refused(format!("{code} (HTTP {status})")),
        other => SendError::Unavailable(other.to_string()),
    }
}

impl NotificationChannel for HttpChannel {
    fn channel(&self) -> Channel {
        self.channel
    }

    fn send<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(async move {
            let call = MessageCall {
                message_id: &message.id,
                customer_id: message.account.to_string(),
                kind: message.kind.name(),
                subject: message.subject.as_deref(),
                body: &message.body,
            };
            let answer: Answer = self
                .provider
                .post_keyed(&path(self.channel), &message.id, &call)
                .await
                .map_err(send_error)?;
            Ok(Receipt {
                provider_ref: answer.provider_ref,
            })
        })
    }
}
