//! The channel boundary: [`NotificationChannel`] sends one [`Message`] (SMS, push or e-mail)
//! and answers a [`Receipt`] or a [`SendError`] (an outage to retry, or a refusal that no retry
//! will change). The message's id is its idempotency key: a provider that sees it twice sends
//! once.

use std::fmt;

use crate::kind::{Channel, Kind};
pub use identity::BoxFuture;

/// What a provider is asked to send. The customer is named by id; the provider holds its
/// addresses (mobile, device token, e-mail), so none travels in our messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// `<dedup key>:<channel>`.
    pub id: String,
    pub account: u64,
    pub kind: Kind,
    pub channel: Channel,
    pub subject: Option<String>,
    pub body: String,
}

/// The provider's acceptance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub provider_ref: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Not sent, try later (timeout, connection, 5xx, rate limit, open circuit, bad answer).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the message (4xx): retrying it will not help.
    #[error("refused: {0}")]
    Refused(String),
}

/// One channel's provider.
pub trait NotificationChannel: Send + Sync + fmt::Debug {
    fn channel(&self) -> Channel;
    fn send<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<Receipt, SendError>>;
}
