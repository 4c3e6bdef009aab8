//! The HTTP edge: what stands between the network and the routes (API.md, "Limits").
//!
//! - [`listen`]: the accept loop with the connection cap, the header and idle timeouts and the
//!   graceful-shutdown deadline.
//! - [`client`]: who the client is: the TCP peer, or `X-Forwarded-For` read from the right
//!   only when the peer is a configured trusted proxy. Everything that needs the client's
//!   address (the application rate limit, the risk input `Peer`, the auth-failure budget) asks
//!   [`client::client_ip`].
//! - [`auth_failures`]: a token bucket of authentication failures per source, and their log.
//! - [`Network`]: the part of all this the handlers share (in `AppState`).
//!
//! The webhook URL rules (no loopback, private or link-local targets) are `webhooks::target`'s.

pub mod auth_failures;
pub mod client;
pub mod listen;

use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;

use crate::config::EdgeConfig;
use crate::webhooks::target::TargetPolicy;

/// What handlers need of the edge's configuration and state.
#[derive(Debug)]
pub struct Network {
    pub trusted_proxies: Vec<IpNet>,
    pub body_timeout: Duration,
    pub auth_failures: auth_failures::AuthFailures,
    pub webhook_targets: Arc<TargetPolicy>,
    /// The console's session cookie is always `Secure` (`EdgeConfig::secure_cookies`).
    pub secure_cookies: bool,
}

impl Network {
    pub fn new(config: &EdgeConfig) -> Network {
        Network {
            trusted_proxies: config.trusted_proxies.clone(),
            body_timeout: config.body_timeout,
            auth_failures: auth_failures::AuthFailures::new(config.auth_failures_per_minute),
            webhook_targets: Arc::new(TargetPolicy::system(config.allow_insecure_webhooks)),
            secure_cookies: config.secure_cookies,
        }
    }
}
