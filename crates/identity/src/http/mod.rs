//! The HTTP adapters: one per provider trait, each a JSON-over-HTTP client of the
//! [`crate::protocol`] with its own retry policy and circuit breaker. [`HttpProvider`], the
//! client under them, is public so other provider crates reuse it.

mod adapters;
mod backoff;
mod breaker;
mod client;
mod config;

pub use adapters::{HttpBankCardVerifier, HttpLivenessChecker, HttpNameIdVerifier, HttpOtpSender};
pub use breaker::{BreakerState, CircuitBreaker, Permit};
pub use client::HttpProvider;
pub use config::{ConfigError, ProviderConfig};
