//! [`SimulatedChannel`]: a deterministic provider for tests and `iou simulate`. It records
//! every message it accepts (a repeated id is accepted once, as a real provider's idempotency
//! would), and fails the first `fail_first` attempts with an outage, so retries can be tested.

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
    refuse_account: Option<u64>,
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

    fn accept(&self, message: &Message) -> Result<Receipt, SendError> {
        let mut state = self.lock();
        state.attempts += 1;
        if state.attempts <= state.fail_first {
            return Err(SendError::Unavailable("simulated outage".into()));
        }
        if state.refuse_account == Some(message.account) {
            return Err(SendError::Refused("simulated unreachable customer".into()));
        }
        if !state.sent.iter().any(|m| m.id == message.id) {
            state.sent.push(message.clone());
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
        let answer = self.accept(message);
        Box::pin(async move { answer })
    }
}
