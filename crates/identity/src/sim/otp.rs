//! [`SimulatedOtp`]: the SMS one-time password simulator. Codes are derived from the seed and
//! the challenge id, so a test computes the code the "SMS" carried with
//! [`SimulatedOtp::code_for`].

use std::collections::{HashMap, VecDeque};
use std::future::ready;
use std::sync::{Arc, Mutex};

use super::fixtures;
use crate::Mobile;
use crate::clock::Clock;
use crate::provider::{BoxFuture, ChallengeId, OtpCheck, OtpCode, OtpSender, Outage, ProviderError};
use crate::seeded::keyed_hash;

/// How long a code lives and how many wrong codes a challenge takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtpPolicy {
    pub ttl_ms: u64,
    /// Wrong codes allowed; the wrong code that reaches this count is answered
    /// `TooManyAttempts`, and so is every later try, right or wrong.
    pub max_attempts: u32,
    /// Live challenges kept; past this the oldest are forgotten (and so answer `Expired`).
    pub max_challenges: usize,
}

impl Default for OtpPolicy {
    fn default() -> Self {
        Self {
            ttl_ms: 5 * 60 * 1000,
            max_attempts: 5,
            max_challenges: 100_000,
        }
    }
}

#[derive(Debug)]
struct Challenge {
    issued_ms: u64,
    wrong: u32,
    used: bool,
}

#[derive(Debug, Default)]
struct State {
    sent: u64,
    challenges: HashMap<ChallengeId, Challenge>,
    order: VecDeque<ChallengeId>,
}

/// Sends no SMS: each send makes a challenge whose code is [`Self::code_for`] of its id.
/// A challenge answers `Ok` once; after that, past its TTL, or when unknown it is `Expired`.
#[derive(Debug)]
pub struct SimulatedOtp {
    seed: u64,
    policy: OtpPolicy,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

impl SimulatedOtp {
    pub fn new(seed: u64, policy: OtpPolicy, clock: Arc<dyn Clock>) -> Self {
        Self {
            seed,
            policy,
            clock,
            state: Mutex::new(State::default()),
        }
    }

    /// The six-digit code the simulated SMS for `challenge` carried.
    pub fn code_for(&self, challenge: &ChallengeId) -> OtpCode {
        let n = keyed_hash(self.seed, "otp.code", &[challenge.as_str().as_bytes()]) % 1_000_000;
        OtpCode::from_trusted(format!("{n:06}"))
    }

    /// Sends, synchronously: the n-th send's challenge id is a keyed hash of the mobile and n.
    pub fn send(&self, mobile: &Mobile) -> Result<ChallengeId, ProviderError> {
        match mobile.as_str() {
            fixtures::MOBILE_UNREACHABLE => {
                return Err(ProviderError::Rejected {
                    status: 422,
                    code: "mobile.unreachable".to_owned(),
                });
            }
            fixtures::MOBILE_OUTAGE => return Err(ProviderError::Unavailable(Outage::Simulated)),
            _ => {}
        }
        let mut state = self.lock();
        state.sent += 1;
        let sent = state.sent.to_le_bytes();
        let hash = keyed_hash(self.seed, "otp.challenge", &[mobile.as_str().as_bytes(), &sent]);
        let id = ChallengeId::from_trusted(format!("sim-{hash:016x}"));
        let now_ms = self.clock.now_ms();
        state.challenges.insert(
            id.clone(),
            Challenge {
                issued_ms: now_ms,
                wrong: 0,
                used: false,
            },
        );
        state.order.push_back(id.clone());
        while state.order.len() > self.policy.max_challenges.max(1) {
            if let Some(old) = state.order.pop_front() {
                state.challenges.remove(&old);
            }
        }
        Ok(id)
    }

    /// Verifies, synchronously.
    pub fn verify(&self, challenge: &ChallengeId, code: &OtpCode) -> OtpCheck {
        let expected = self.code_for(challenge);
        let now_ms = self.clock.now_ms();
        let mut state = self.lock();
        let Some(entry) = state.challenges.get_mut(challenge) else {
            return OtpCheck::Expired;
        };
        if entry.used || now_ms >= entry.issued_ms.saturating_add(self.policy.ttl_ms) {
            return OtpCheck::Expired;
        }
        if entry.wrong >= self.policy.max_attempts {
            return OtpCheck::TooManyAttempts;
        }
        if *code == expected {
            entry.used = true;
            return OtpCheck::Ok;
        }
        entry.wrong += 1;
        if entry.wrong >= self.policy.max_attempts {
            OtpCheck::TooManyAttempts
        } else {
            OtpCheck::Wrong
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent across a panic elsewhere; keep going.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl OtpSender for SimulatedOtp {
    fn send_otp<'a>(&'a self, mobile: &'a Mobile) -> BoxFuture<'a, Result<ChallengeId, ProviderError>> {
        Box::pin(ready(self.send(mobile)))
    }

    fn verify_otp<'a>(
        &'a self,
        challenge: &'a ChallengeId,
        code: &'a OtpCode,
    ) -> BoxFuture<'a, Result<OtpCheck, ProviderError>> {
        Box::pin(ready(Ok(self.verify(challenge, code))))
    }
}
