//! The HTTP adapters: one per provider trait, each a JSON-over-HTTP client of the
//! [`crate::protocol`] with its own retry policy and circuit breaker.

mod adapters;
mod backoff;
mod breaker;
mod client;
mod config;

pub use adapters::{HttpBankCardVerifier, HttpLivenessChecker, HttpNameIdVerifier, HttpOtpSender};
pub use breaker::{BreakerState, CircuitBreaker, Permit};
pub use config::{ConfigError, ProviderConfig};
