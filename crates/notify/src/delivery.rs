//! One message on one channel, as the caller keeps it ([`Delivery`], serde): made from an
//! intent with the customer's preferences and quiet hours ([`plan`]), then sent, retried with
//! exponential backoff after a provider outage ([`RetryPolicy`]), and dead-lettered after
//! [`RetryPolicy::attempts_max`] attempts or at once when the provider refuses it. A dead
//! delivery stays in the customer's list with its last error: never dropped silently.

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::channel::{Message, Receipt, SendError};
use crate::derive::Intent;
use crate::kind::{Channel, Kind};
use crate::prefs::Preferences;
use crate::quiet::QuietHours;
use crate::template::render;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Sent,
    Dead,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Sent => "sent",
            Status::Dead => "dead",
        }
    }
}

/// How failed sends are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub backoff_base_ms: i64,
    pub backoff_max_ms: i64,
    /// Attempts before a delivery is dead-lettered.
    pub attempts_max: u32,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            backoff_base_ms: 60_000,
            backoff_max_ms: 3_600_000,
            attempts_max: 6,
        }
    }
}

impl RetryPolicy {
    /// The wait after the `attempts`-th failure: `base * 2^(attempts-1)`, at most the max.
    pub fn backoff_ms(&self, attempts: u32) -> i64 {
        let doublings = attempts.saturating_sub(1).min(30);
        self.backoff_base_ms
            .checked_mul(1 << doublings)
            .unwrap_or(self.backoff_max_ms)
            .min(self.backoff_max_ms)
    }
}

/// One message on one channel and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The intent's dedup key.
    pub key: String,
    pub account: u64,
    pub kind: Kind,
    pub channel: Channel,
    pub subject: Option<String>,
    pub body: String,
    pub created_ms: i64,
    /// Not sent before (the end of quiet hours, or the next retry).
    pub due_ms: i64,
    pub status: Status,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub sent_ms: Option<i64>,
    pub provider_ref: Option<String>,
}

/// The deliveries of `intent` made at `at_ms`: one per channel the customer keeps for its
/// kind, each due at once or at the end of quiet hours (local time in `zone`).
pub fn plan(intent: &Intent, prefs: &Preferences, quiet: &QuietHours, zone: &TimeZone, at_ms: i64) -> Vec<Delivery> {
    let due_ms = release_ms(quiet, zone, at_ms, intent.kind.urgent());
    prefs
        .channels(intent.kind)
        .into_iter()
        .map(|channel| {
            let text = render(intent, channel, prefs.language);
            Delivery {
                key: intent.key.clone(),
                account: intent.account,
                kind: intent.kind,
                channel,
                subject: text.subject,
                body: text.body,
                created_ms: at_ms,
                due_ms,
                status: Status::Pending,
                attempts: 0,
                last_error: None,
                sent_ms: None,
                provider_ref: None,
            }
        })
        .collect()
}

fn release_ms(quiet: &QuietHours, zone: &TimeZone, at_ms: i64, urgent: bool) -> i64 {
    let Ok(at) = jiff::Timestamp::from_millisecond(at_ms) else {
        return at_ms;
    };
    let local = at.to_zoned(zone.clone()).datetime();
    let release = quiet.release(local, urgent);
    match release.to_zoned(zone.clone()) {
        Ok(z) => z.timestamp().as_millisecond().max(at_ms),
        Err(_) => at_ms,
    }
}

impl Delivery {
    /// `<key>:<channel>`: unique per message, the provider's idempotency key.
    pub fn id(&self) -> String {
        format!("{}:{}", self.key, self.channel.name())
    }

    pub fn is_due(&self, now_ms: i64) -> bool {
        self.status == Status::Pending && self.due_ms <= now_ms
    }

    pub fn message(&self) -> Message {
        Message {
            id: self.id(),
            account: self.account,
            kind: self.kind,
            channel: self.channel,
            subject: self.subject.clone(),
            body: self.body.clone(),
        }
    }

    /// Records one attempt's outcome at `now_ms`.
    pub fn attempted(&mut self, outcome: Result<Receipt, SendError>, now_ms: i64, policy: &RetryPolicy) {
        self.attempts = self.attempts.saturating_add(1);
        match outcome {
            Ok(receipt) => {
                self.status = Status::Sent;
                self.sent_ms = Some(now_ms);
                self.provider_ref = Some(receipt.provider_ref);
                self.last_error = None;
            }
            Err(error) => {
                let permanent = matches!(error, SendError::Refused(_));
                self.last_error = Some(error.to_string());
                if permanent || self.attempts >= policy.attempts_max {
                    self.status = Status::Dead;
                } else {
                    self.due_ms = now_ms.saturating_add(policy.backoff_ms(self.attempts));
                }
            }
        }
    }
}
