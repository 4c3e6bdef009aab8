//! [`Config`]: how the server runs (with the [`StoreChoice`] the binary makes), and [`EdgeConfig`]: the HTTP edge's limits (timeouts, the
//! connection cap, trusted proxies, webhook URL rules, the auth-failure budget).

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use engine::EngineConfig;
pub use ipnet::IpNet;
use store::{Backend, StoreError};

/// The store the server runs on, chosen by the binary: a function that opens it, called once
/// the server's address is bound (so a start that cannot listen creates nothing), or a store
/// already open (the memory store of a test).
#[derive(Clone)]
pub struct StoreChoice {
    open: Arc<OpenStore>,
    name: String,
    /// Signs the audit log's checkpoints; kept here, never in the store.
    audit_key: Option<audit::CheckpointKey>,
}

type OpenStore = dyn Fn() -> Result<Arc<dyn Backend>, StoreError> + Send + Sync;

impl StoreChoice {
    /// A store `open` opens at start; `name` says which in logs (`sqlite:./data`).
    pub fn opened_by(
        name: impl Into<String>,
        open: impl Fn() -> Result<Arc<dyn Backend>, StoreError> + Send + Sync + 'static,
    ) -> StoreChoice {
        StoreChoice {
            open: Arc::new(open),
            name: name.into(),
            audit_key: None,
        }
    }

    /// Signs the store's audit-log checkpoints with `key` (without one, records are chained
    /// but no checkpoint is signed).
    pub fn with_audit_key(mut self, key: audit::CheckpointKey) -> StoreChoice {
        self.audit_key = Some(key);
        self
    }

    pub(crate) fn audit_key(&self) -> Option<audit::CheckpointKey> {
        self.audit_key.clone()
    }

    /// A store already open.
    pub fn open_now(backend: Arc<dyn Backend>) -> StoreChoice {
        let name = backend.describe();
        StoreChoice::opened_by(name, move || Ok(backend.clone()))
    }

    pub(crate) fn open(&self) -> Result<Arc<dyn Backend>, StoreError> {
        (self.open)()
    }
}

impl fmt::Debug for StoreChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl fmt::Display for StoreChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen (`127.0.0.1:0` picks a free port; see `Server::addr`).
    pub listen: SocketAddr,
    /// The store, chosen by the binary (the API sees it only through `store::Backend`).
    pub store: StoreChoice,
    pub engine: EngineConfig,
    /// The operator's bootstrap token (`IOU_ADMIN_TOKEN`); without it the store's is used, or
    /// one is generated at the first start and returned once by `Server::generated_admin_token`.
    pub admin_token: Option<String>,
    /// The HTTP edge's limits.
    pub edge: EdgeConfig,
    /// How long a customer token is valid after it is issued, rotated or refreshed, in days
    /// ([`Config::TOKEN_LIFETIME_DAYS`] by default).
    pub token_lifetime_days: u32,
    /// Where the keys that seal personal data and secrets come from (a key file, the
    /// environment, a KMS; see the `keys` module). Without one the server refuses to start: it
    /// never runs unencrypted.
    pub keys: Option<Arc<dyn vault::KeyProvider>>,
}

impl Config {
    /// The default customer token lifetime: 30 days.
    pub const TOKEN_LIFETIME_DAYS: u32 = 30;
}

/// The HTTP edge's limits (API.md, "Limits").
#[derive(Clone, Debug)]
pub struct EdgeConfig {
    /// A request's head (request line and headers) must arrive within this, and a connection's
    /// first bytes too; an HTTP/1.1 keep-alive connection idle this long is closed.
    pub header_timeout: Duration,
    /// A request's whole body must arrive within this (`408 body_timeout`).
    pub body_timeout: Duration,
    /// A connection on which nothing is read or written this long is closed (HTTP/2 and
    /// stalled bodies or responses; HTTP/1.1 idle connections close at `header_timeout`).
    pub idle_timeout: Duration,
    /// Connections served at once; more wait in the kernel's accept queue. Lowered at start to
    /// the process's open-file limit less a reserve for the store (see `edge::listen`).
    pub max_connections: usize,
    /// How long `stop` lets open connections finish before dropping them (the engine still
    /// shuts down cleanly after).
    pub shutdown_deadline: Duration,
    /// Peers whose `X-Forwarded-For` is believed (the edge proxies); empty: the TCP peer is the
    /// client, always.
    pub trusted_proxies: Vec<IpNet>,
    /// Webhook URLs may be `http` and may point at loopback. For tests only, never production.
    pub allow_insecure_webhooks: bool,
    /// Authentication failures one source may make in a minute before it gets
    /// `429 too_many_auth_failures` (a token bucket: this many at once, refilled over a minute).
    pub auth_failures_per_minute: u32,
    /// How long an operator session lasts after login, in hours (`--operator-session-hours`).
    pub operator_session_hours: u32,
    /// When a change needs a second operator (`--four-eyes-*`).
    pub four_eyes: FourEyesConfig,
    /// The console's session cookie is always `Secure` (`--secure-cookies`: the server is
    /// reached over TLS that a proxy terminates). Without it the cookie is `Secure` when a
    /// trusted proxy says the request came over https (`X-Forwarded-Proto`).
    pub secure_cookies: bool,
}

impl Default for EdgeConfig {
    fn default() -> EdgeConfig {
        EdgeConfig {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 10_000,
            shutdown_deadline: Duration::from_secs(10),
            trusted_proxies: Vec::new(),
            allow_insecure_webhooks: false,
            auth_failures_per_minute: 20,
            operator_session_hours: 8,
            four_eyes: Default::default(),
            secure_cookies: false,
        }
    }
}

/// The amounts above which a change needs a second operator (`iou serve --four-eyes-*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FourEyesConfig {
    /// A permanent limit raised above this, or a temporary limit above it (fen).
    pub limit_above_fen: i64,
    /// An operator's cash-out above this (fen).
    pub cash_out_above_fen: i64,
}

impl Default for FourEyesConfig {
    /// 20,000.00 for limits, 5,000.00 for cash-outs.
    fn default() -> FourEyesConfig {
        FourEyesConfig {
            limit_above_fen: 2_000_000,
            cash_out_above_fen: 500_000,
        }
    }
}
