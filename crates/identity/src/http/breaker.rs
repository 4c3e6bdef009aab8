//! [`CircuitBreaker`]: stops calling a failing provider for a cool-down, then lets one probe
//! through. Closed -> open after N consecutive failed attempts -> half-open once the cool-down
//! has passed -> closed when the probe succeeds (or open again when it fails).
//!
//! Time comes from an injected [`Clock`]. Each [`Permit`] remembers the breaker's generation
//! (bumped on every state change) so a straggler from an earlier state cannot close or trip the
//! circuit, and a probe that is dropped unfinished (its future cancelled) lets the next call
//! probe instead of leaving the circuit half-open forever.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::clock::Clock;

/// The breaker's state as seen from outside (for metrics and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Closed { failures: u32 },
    Open { until_ms: u64 },
    HalfOpen,
}

#[derive(Debug)]
struct Inner {
    state: State,
    generation: u64,
}

impl Inner {
    fn enter(&mut self, state: State) {
        self.state = state;
        self.generation = self.generation.wrapping_add(1);
    }
}

/// A circuit breaker over one provider endpoint.
#[derive(Debug)]
pub struct CircuitBreaker {
    failure_threshold: u32,
    open_ms: u64,
    clock: Arc<dyn Clock>,
    inner: Mutex<Inner>,
}

/// Leave to make one attempt; report how it went with [`Permit::success`] or
/// [`Permit::failure`].
#[derive(Debug)]
#[must_use = "report the attempt's outcome"]
pub struct Permit<'a> {
    breaker: &'a CircuitBreaker,
    generation: u64,
    reported: bool,
}

impl CircuitBreaker {
    /// `failure_threshold` consecutive failures (at least 1) open the circuit for `open_ms`.
    pub fn new(failure_threshold: u32, open_ms: u64, clock: Arc<dyn Clock>) -> Self {
        Self {
            failure_threshold: failure_threshold.max(1),
            open_ms,
            clock,
            inner: Mutex::new(Inner {
                state: State::Closed { failures: 0 },
                generation: 0,
            }),
        }
    }

    /// A permit to call the provider, or `None` while the circuit is open (or half-open with
    /// its one probe already in flight).
    pub fn try_acquire(&self) -> Option<Permit<'_>> {
        let mut inner = self.lock();
        match inner.state {
            State::Closed { .. } => {}
            State::Open { until_ms } if self.clock.now_ms() >= until_ms => {
                inner.enter(State::HalfOpen);
            }
            State::Open { .. } | State::HalfOpen => return None,
        }
        Some(Permit {
            breaker: self,
            generation: inner.generation,
            reported: false,
        })
    }

    pub fn state(&self) -> BreakerState {
        match self.lock().state {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { .. } => BreakerState::Open,
            State::HalfOpen => BreakerState::HalfOpen,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The state is a few plain fields, consistent after any panic; keep going.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn record(&self, generation: u64, outcome: Outcome) {
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        let now_ms = self.clock.now_ms();
        match (inner.state, outcome) {
            (State::Closed { .. }, Outcome::Success) => inner.state = State::Closed { failures: 0 },
            (State::Closed { failures }, Outcome::Failure) => {
                let failures = failures.saturating_add(1);
                if failures >= self.failure_threshold {
                    inner.enter(State::Open {
                        until_ms: now_ms.saturating_add(self.open_ms),
                    });
                } else {
                    inner.state = State::Closed { failures };
                }
            }
            (State::HalfOpen, Outcome::Success) => inner.enter(State::Closed { failures: 0 }),
            (State::HalfOpen, Outcome::Failure) => {
                inner.enter(State::Open {
                    until_ms: now_ms.saturating_add(self.open_ms),
                });
            }
            // The probe was abandoned: let the next call probe at once.
            (State::HalfOpen, Outcome::Abandoned) => inner.enter(State::Open { until_ms: now_ms }),
            (State::Closed { .. }, Outcome::Abandoned) | (State::Open { .. }, _) => {}
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Outcome {
    Success,
    Failure,
    Abandoned,
}

impl Permit<'_> {
    /// The provider answered (even with a 4xx): it is up.
    pub fn success(mut self) {
        self.reported = true;
        self.breaker.record(self.generation, Outcome::Success);
    }

    /// The attempt timed out, could not connect, got a 5xx or a garbled answer.
    pub fn failure(mut self) {
        self.reported = true;
        self.breaker.record(self.generation, Outcome::Failure);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.reported {
            self.breaker.record(self.generation, Outcome::Abandoned);
        }
    }
}
