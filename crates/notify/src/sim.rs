//! [`SimulatedChannel`]: a deterministic provider for tests and `iou simulate`. It records
//! every message it accepts (a repeated id is accepted once, as a real provider's idempotency
//! would), and fails the first `fail_first` attempts, or every `fail_every`-th, with an outage,
//! so retries can be tested and simulated. A counting simulator (for long runs) keeps only
//! how many it accepted.

use std::sync::Mutex;

use crate::channel::{BoxFuture, Message, NotificationChannel, Receipt, SendError};
use crate::kind::Channel;

#[derive(Debug)]
pub struct SimulatedChannel {
    channel: Channel,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    sent: Vec<Message>,
    attempts: u64,
    fail_first: u64,
    fail_every: u64,
    refuse_account: Option<u64>,
    counting: bool,
    accepted: u64,
}

impl SimulatedChannel {
    pub fn new(channel: Channel) -> SimulatedChannel {
        SimulatedChannel {
            channel,
            state: Mutex::new(State::default()),
        }
    }

    /// The first `n` attempts fail as outages.
    pub fn failing_first(channel: Channel, n: u64) -> SimulatedChannel {
        let sim = SimulatedChannel::new(channel);
        sim.lock().fail_first = n;
        sim
    }

    /// Keeps no messages, only the count; every `fail_every`-th attempt (if not 0) fails.
    pub fn counting(channel: Channel, fail_every: u64) -> SimulatedChannel {
        let sim = SimulatedChannel::new(channel);
        {
            let mut state = sim.lock();
            state.counting = true;
            state.fail_every = fail_every;
        }
        sim
    }

    /// Messages accepted (a repeated id counts once, except when counting).
    pub fn accepted(&self) -> u64 {
        self.lock().accepted
    }

    /// Messages for `account` are refused (an unreachable customer).
    pub fn refusing(channel: Channel, account: u64) -> SimulatedChannel {
        let sim = SimulatedChannel::new(channel);
        sim.lock().refuse_account = Some(account);
        sim
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What it accepted, in order.
    pub fn sent(&self) -> Vec<Message> {
        self.lock().sent.clone()
    }

    pub fn attempts(&self) -> u64 {
        self.lock().attempts
    }

    /// Sends `message` at once (what [`NotificationChannel::send`] answers, without a runtime).
    pub fn deliver(&self, message: &Message) -> Result<Receipt, SendError> {
        let mut state = self.lock();
        state.attempts += 1;
        let every = state.fail_every != 0 && state.attempts.is_multiple_of(state.fail_every);
        if state.attempts <= state.fail_first || every {
            return Err(SendError::Unavailable("simulated outage".into()));
        }
        if state.refuse_account == Some(message.account) {
            return Err(SendError::Refused("simulated unreachable customer".into()));
        }
        if state.counting {
            state.accepted += 1;
        } else if !state.sent.iter().any(|m| m.id == message.id) {
            state.sent.push(message.clone());
            state.accepted += 1;
        }
        Ok(Receipt {
            provider_ref: format!("sim-{}", message.id),
        })
    }
}

impl NotificationChannel for SimulatedChannel {
    fn channel(&self) -> Channel {
        self.channel
    }

    fn send<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<Receipt, SendError>> {
        let answer = self.deliver(message);
        Box::pin(async move { answer })
    }
}
